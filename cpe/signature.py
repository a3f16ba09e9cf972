"""SUNAT-style XML signatures: enveloped XMLDSig inside ``ext:UBLExtensions``, certificate in KeyInfo.

Emitters sign every CPE this way and an OSE signs its CDRs the same way (PROTOCOL.md §9.4): one
``Reference URI=""`` with the enveloped-signature transform, inclusive C14N, the X.509 certificate in
``KeyInfo``.  RSA-SHA256 is the default; RSA-SHA1 is what most real SUNAT documents still carry, so
verification accepts it unless told not to, and signing uses it only when asked by name.
"""
from __future__ import annotations

import copy
import enum
from datetime import timedelta
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, XMLSigner, XMLVerifier
from signxml import SignatureMethod as _Method
from signxml.algorithms import CanonicalizationMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest as _SignxmlInvalidDigest
from signxml.exceptions import InvalidInput as _SignxmlInvalidInput
from signxml.exceptions import InvalidSignature

from osemock.cpe import ns
from osemock.cpe.errors import InvalidInput, SignatureError

INCLUSIVE_C14N = CanonicalizationMethod.CANONICAL_XML_1_0


class SignatureMethod(enum.Enum):
    """Signature algorithms osemock signs with; values are the W3C URIs."""

    RSA_SHA256 = _Method.RSA_SHA256.value
    RSA_SHA1 = _Method.RSA_SHA1.value
    RSA_SHA512 = _Method.RSA_SHA512.value


_DIGEST = {
    SignatureMethod.RSA_SHA256: DigestAlgorithm.SHA256,
    SignatureMethod.RSA_SHA1: DigestAlgorithm.SHA1,
    SignatureMethod.RSA_SHA512: DigestAlgorithm.SHA512,
}


class MissingSignature(SignatureError):
    """Raised when the document carries no ``ds:Signature``."""


class MalformedSignature(SignatureError):
    """Raised when the ``ds:Signature`` is not a well-formed enveloped XMLDSig."""


class InvalidDigest(SignatureError):
    """Raised when a Reference's digest does not match the document: it was altered after signing."""

    def __init__(self, reference: str, message: str) -> None:
        super().__init__(message)
        self.reference = reference


class InvalidSignatureValue(SignatureError):
    """Raised when SignatureValue does not verify with the certificate's key."""


class UntrustedCertificate(SignatureError):
    """Raised when the signing certificate is not one of the trusted certificates."""


@dataclass(frozen=True)
class KeyPair:
    """A private key and its certificate, both PEM."""

    key_pem: bytes
    cert_pem: bytes

    @cached_property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)

    @cached_property
    def private_key(self) -> PrivateKeyTypes:
        """The parsed key, kept: loading checks the RSA key (tens of ms), so it is done once."""
        return serialization.load_pem_private_key(self.key_pem, password=None)


@dataclass(frozen=True)
class Verified:
    """What a successful verification tells: who signed, the digest, the signature's Id, the method."""

    certificate: x509.Certificate
    digest_value: str
    signature_id: str | None
    method: str


def load_pem(key: bytes, cert: bytes) -> KeyPair:
    """A key pair from PEM bytes (the key unencrypted)."""
    try:
        serialization.load_pem_private_key(key, password=None)
        x509.load_pem_x509_certificate(cert)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"not a PEM key and certificate: {exc}") from None
    return KeyPair(key, cert)


def load_pkcs12(data: bytes, password: str | bytes | None) -> KeyPair:
    """A key pair from a PFX/P12 file's bytes."""
    secret = password.encode() if isinstance(password, str) else password
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, secret)
    except ValueError as exc:
        raise InvalidInput(f"cannot open the PFX/P12 (wrong password?): {exc}") from None
    if key is None or cert is None:
        raise InvalidInput("the PFX/P12 holds no key and certificate")
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return KeyPair(key_pem, cert.public_bytes(serialization.Encoding.PEM))


def load_keypair(path: str | Path, password: str | bytes | None = None) -> KeyPair:
    """A key pair from a ``.pfx``/``.p12`` file or a ``.pem`` holding both key and certificate."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix.lower() in (".pfx", ".p12"):
        return load_pkcs12(data, password)
    key_start = data.find(b"-----BEGIN")
    blocks = [b"-----BEGIN" + block for block in data[key_start:].split(b"-----BEGIN")[1:]]
    keys = [b for b in blocks if b"PRIVATE KEY" in b.split(b"\n", 1)[0]]
    certs = [b for b in blocks if b"CERTIFICATE" in b.split(b"\n", 1)[0]]
    if not keys or not certs:
        raise InvalidInput(f"{path} must hold a private key and a certificate in PEM")
    return load_pem(keys[0], certs[0])


def _extension_content(root: etree._Element) -> etree._Element:
    """The ``ext:ExtensionContent`` that receives the signature (created when missing)."""
    extensions = root.find(ns.q(ns.EXT, "UBLExtensions"))
    if extensions is None:
        extensions = etree.Element(ns.q(ns.EXT, "UBLExtensions"))
        root.insert(0, extensions)
    for extension in reversed(extensions.findall(ns.q(ns.EXT, "UBLExtension"))):
        content = extension.find(ns.q(ns.EXT, "ExtensionContent"))
        if content is not None and len(content) == 0:
            return content
    extension = etree.SubElement(extensions, ns.q(ns.EXT, "UBLExtension"))
    return etree.SubElement(extension, ns.q(ns.EXT, "ExtensionContent"))


class _LegacySigner(XMLSigner):
    """signxml's signer with RSA-SHA1 allowed, the way signxml documents it (override the check).

    Used only when a caller asks for :attr:`SignatureMethod.RSA_SHA1` by name: SUNAT still takes it.
    """

    def check_deprecated_methods(self) -> None:
        return None


def sign(root: etree._Element, keypair: KeyPair, *, method: SignatureMethod = SignatureMethod.RSA_SHA256,
         signature_id: str = "SignatureSP") -> etree._Element:
    """A signed copy of ``root`` (the argument is left untouched).

    Any previous ``ds:Signature`` is dropped, so re-signing a signed document replaces its signature.
    """
    document = copy.deepcopy(root)
    for old in document.findall(f".//{{{ns.DS}}}Signature"):
        old.getparent().remove(old)
    content = _extension_content(document)
    etree.SubElement(content, ns.q(ns.DS, "Signature"), Id="placeholder")
    signer_class = _LegacySigner if method is SignatureMethod.RSA_SHA1 else XMLSigner
    signer = signer_class(signature_algorithm=_Method(method.value), digest_algorithm=_DIGEST[method],
                       c14n_algorithm=INCLUSIVE_C14N)
    signed = signer.sign(document, key=keypair.private_key, cert=[keypair.certificate])
    signature = signed.find(f".//{{{ns.DS}}}Signature")
    signature.set("Id", signature_id)
    return signed


def digest_value(root: etree._Element) -> str | None:
    """DigestValue of the document's signature (the OSE CDR copies it into ``DocumentHash``)."""
    value = root.findtext(f".//{{{ns.DS}}}Signature/{{{ns.DS}}}SignedInfo/{{{ns.DS}}}Reference/{{{ns.DS}}}DigestValue")
    return value.strip() if value else None


def _embedded_certificate(signature: etree._Element) -> x509.Certificate:
    text = signature.findtext(f".//{{{ns.DS}}}X509Certificate")
    if not text:
        raise MalformedSignature("ds:KeyInfo has no ds:X509Certificate")
    body = "".join(text.split())
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + "\n-----END CERTIFICATE-----\n"
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise MalformedSignature(f"ds:X509Certificate does not decode: {exc}") from None


def verify(root: etree._Element, *, trusted: list[x509.Certificate] | None = None, allow_sha1: bool = True) -> Verified:
    """Check the document's enveloped signature; raises a :class:`SignatureError` subclass otherwise."""
    signature = root.find(f".//{{{ns.DS}}}Signature")
    if signature is None:
        raise MissingSignature("the document has no ds:Signature")
    if signature.find(f"{{{ns.DS}}}SignedInfo") is None or signature.find(f"{{{ns.DS}}}SignatureValue") is None:
        raise MalformedSignature("ds:Signature lacks ds:SignedInfo or ds:SignatureValue")
    certificate = _embedded_certificate(signature)
    if trusted is not None:
        wanted = certificate.fingerprint(hashes.SHA256())
        if not any(c.fingerprint(hashes.SHA256()) == wanted for c in trusted):
            raise UntrustedCertificate(f"certificate {certificate.subject.rfc4514_string()} is not trusted")
    methods = {_Method.RSA_SHA256, _Method.RSA_SHA384, _Method.RSA_SHA512}
    digests = {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
    if allow_sha1:
        methods.add(_Method.RSA_SHA1)
        digests.add(DigestAlgorithm.SHA1)
    # Integrity only: whether the certificate was valid when the document was issued is a business
    # rule (2326/2327 against the issue date), so verification is pinned inside its validity period.
    config = SignatureConfiguration(require_x509=True, location=".//", expect_references=1,
                                    signature_methods=frozenset(methods), digest_algorithms=frozenset(digests),
                                    verification_time=certificate.not_valid_before_utc + timedelta(seconds=1))
    try:
        XMLVerifier().verify(copy.deepcopy(root), x509_cert=certificate, expect_config=config)
    except _SignxmlInvalidDigest as exc:
        reference = signature.find(f".//{{{ns.DS}}}Reference")
        uri = reference.get("URI", "") if reference is not None else ""
        raise InvalidDigest(uri, f"Incorrect reference digest value (Reference URI=\"{uri}\"): {exc}") from None
    except InvalidCertificate as exc:
        raise UntrustedCertificate(str(exc)) from None
    except InvalidSignature as exc:
        if "digest" in str(exc).lower():
            reference = signature.find(f".//{{{ns.DS}}}Reference")
            uri = reference.get("URI", "") if reference is not None else ""
            raise InvalidDigest(uri, f"Incorrect reference digest value (Reference URI=\"{uri}\"): {exc}") from None
        raise InvalidSignatureValue(f"Signature value does not verify: {exc}") from None
    except _SignxmlInvalidInput as exc:
        raise MalformedSignature(str(exc)) from None
    method = signature.find(f"{{{ns.DS}}}SignedInfo/{{{ns.DS}}}SignatureMethod")
    return Verified(certificate, digest_value(root) or "", signature.get("Id"),
                    method.get("Algorithm", "") if method is not None else "")
