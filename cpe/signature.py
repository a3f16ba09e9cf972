"""SUNAT-style XML signatures: enveloped XMLDSig inside ``ext:UBLExtensions``, certificate in KeyInfo.

Emitters sign every CPE this way and an OSE signs its CDRs the same way (PROTOCOL.md §9.4): one
``Reference URI=""`` with the enveloped-signature transform, inclusive C14N, the X.509 certificate in
``KeyInfo``.  RSA-SHA256 is the default; RSA-SHA1 is what most real SUNAT documents still carry, so
verification accepts it unless told not to, and signing uses it only when asked by name.

Both directions are on every sendBill's path (verify the emitter's signature, sign the CDR), so both
work on that one shape directly with lxml's C14N and ``cryptography``: through signxml, which
serialises and re-parses the whole document about eight times per verification, they cost some
2.2 ms of CPU per request between them.  :func:`sign` builds the element signxml used to build, byte
for byte.  :func:`verify` accepts on its own only a signature of exactly the SUNAT shape whose digest
and value both check; signxml stays the arbiter of every failure and of every other shape.
"""
from __future__ import annotations

import base64
import copy
import enum
import hashlib
import re
from datetime import timedelta
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature as _BadSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, XMLVerifier
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


_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#: XPath filtering (XMLDSig §6.6.3): the JDK's and .NET's way to take the signature out before the
#: enveloped transform existed, still written as ``not(ancestor-or-self::dsig:Signature)``.
_XPATH_FILTER = "http://www.w3.org/TR/1999/REC-xpath-19991116"
_NOT_IN_A_SIGNATURE = re.compile(r"\s*not\s*\(\s*ancestor-or-self\s*::\s*([A-Za-z_][\w.-]*)\s*:\s*Signature\s*\)\s*")
#: The transforms a Reference may name: the ones signxml applies (the signature filter aside).
_KNOWN_TRANSFORMS = frozenset({_ENVELOPED, "http://www.w3.org/2000/09/xmldsig#base64"}
                              | {method.value for method in CanonicalizationMethod})

#: The RSA signature methods of the SUNAT shape: URI -> (the DigestMethod that goes with it, the hash).
_RSA_METHODS: dict[str, tuple[str, type[hashes.HashAlgorithm]]] = {
    _Method.RSA_SHA1.value: (DigestAlgorithm.SHA1.value, hashes.SHA1),
    _Method.RSA_SHA256.value: (DigestAlgorithm.SHA256.value, hashes.SHA256),
    _Method.RSA_SHA384.value: (DigestAlgorithm.SHA384.value, hashes.SHA384),
    _Method.RSA_SHA512.value: (DigestAlgorithm.SHA512.value, hashes.SHA512),
}
_HASHLIB = {hashes.SHA1: hashlib.sha1, hashes.SHA256: hashlib.sha256, hashes.SHA384: hashlib.sha384,
            hashes.SHA512: hashlib.sha512}


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


class UnsignedContent(SignatureError):
    """Raised when the signature is valid but its Reference is not the document (``URI`` other than
    ``""``): what it signs is something else, a ``ds:Object`` say, and the document is unsigned."""

    def __init__(self, reference: str) -> None:
        super().__init__(f'the signature does not sign the document: its Reference URI="{reference}" (it must be "")')
        self.reference = reference


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

    @cached_property
    def _certificate_text(self) -> str:
        """The certificate as ``ds:X509Certificate`` carries it: the PEM body, 64-column lines, final newline."""
        pem = self.certificate.public_bytes(serialization.Encoding.PEM).decode()
        return pem.split("-----\n", 1)[1].rsplit("-----END", 1)[0].replace("\r", "")


@dataclass(frozen=True)
class Verified:
    """What a successful verification tells: who signed, the digest, the signature's Id, the method."""

    certificate: x509.Certificate
    digest_value: str
    signature_id: str | None
    method: str


_KEY_KINDS = ((ec.EllipticCurvePrivateKey, "EC"), (dsa.DSAPrivateKey, "DSA"), (ed25519.Ed25519PrivateKey, "Ed25519"),
              (ed448.Ed448PrivateKey, "Ed448"))


def _rsa_pair(key: PrivateKeyTypes, cert: x509.Certificate) -> KeyPair:
    """The pair as :class:`KeyPair` keeps it (the key unencrypted PKCS#8), once the key is known to be
    RSA: SUNAT's signatures are RSA (PROTOCOL.md §9.4), and an EC or Ed25519 key failed at the first
    signature with a TypeError."""
    if not isinstance(key, rsa.RSAPrivateKey):
        kind = next((name for kind, name in _KEY_KINDS if isinstance(key, kind)), type(key).__name__)
        raise InvalidInput(f"the private key is {kind}, not RSA: SUNAT signatures are RSA (RSA-SHA256 or RSA-SHA1)")
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return KeyPair(key_pem, cert.public_bytes(serialization.Encoding.PEM))


def load_pem(key: bytes, cert: bytes, password: str | bytes | None = None) -> KeyPair:
    """A key pair from PEM bytes; an encrypted key is opened with ``password`` (which an unencrypted key
    does without, as a PFX's password in the environment may be set for every command)."""
    secret = password.encode() if isinstance(password, str) else password
    if b"ENCRYPTED" not in key:  # PKCS#8 "BEGIN ENCRYPTED PRIVATE KEY", OpenSSL's "Proc-Type: 4,ENCRYPTED"
        secret = None
    try:
        private_key = serialization.load_pem_private_key(key, password=secret)
    except TypeError as exc:  # "Password was not given but private key is encrypted", or the reverse
        raise InvalidInput(f"not a PEM key and certificate: {exc}") from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        if secret is not None:  # a wrong password mostly fails the padding ("Incorrect password"), but
            # about one in 500 decrypts to bytes that pad well and then "could not deserialize": one mistake
            raise InvalidInput("the encrypted private key does not open with this password (Incorrect password, "
                               "or not a key)") from None
        raise InvalidInput(f"not a PEM key and certificate: {exc}") from None
    try:
        certificate = x509.load_pem_x509_certificate(cert)
    except ValueError as exc:
        raise InvalidInput(f"not a PEM key and certificate: {exc}") from None
    return _rsa_pair(private_key, certificate)


def load_pkcs12(data: bytes, password: str | bytes | None) -> KeyPair:
    """A key pair from a PFX/P12 file's bytes."""
    secret = password.encode() if isinstance(password, str) else password
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, secret)
    except ValueError as exc:
        raise InvalidInput(f"cannot open the PFX/P12 (wrong password?): {exc}") from None
    if key is None or cert is None:
        raise InvalidInput("the PFX/P12 holds no key and certificate")
    return _rsa_pair(key, cert)


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
    return load_pem(keys[0], certs[0], password)


_EXTENSION_CONTENTS = f"{{{ns.EXT}}}UBLExtensions/{{{ns.EXT}}}UBLExtension/{{{ns.EXT}}}ExtensionContent"


def signature_slot(root: etree._Element) -> etree._Element | None:
    """The ``ext:ExtensionContent`` left empty for the signature, which :func:`sign` fills (Greenter and
    SUNAT's SFS fill the only empty one too); None when there is none, and :func:`sign` adds a
    ``UBLExtension`` for it.

    A legacy template with two empty ones (one for the signature, one for data never written) is an
    :class:`InvalidInput`: the signature fills one, and the schema refuses the other (0306 at the
    server, "Missing child element(s)"), so there is no signed document to make of it that a server
    takes; dropping the other silently would change the document behind its emitter's back."""
    empty = [content for content in root.iterfind(_EXTENSION_CONTENTS) if len(content) == 0]
    if len(empty) > 1:
        raise InvalidInput(f"the document has {len(empty)} empty ext:UBLExtension/ext:ExtensionContent: the signature "
                           "fills one and the schema refuses an empty one (0306); remove the extra ext:UBLExtension")
    return empty[0] if empty else None


def _extension_content(root: etree._Element) -> etree._Element:
    """The ``ext:ExtensionContent`` that receives the signature (created when missing)."""
    content = signature_slot(root)
    if content is not None:
        return content
    extensions = root.find(ns.q(ns.EXT, "UBLExtensions"))
    if extensions is None:
        extensions = etree.Element(ns.q(ns.EXT, "UBLExtensions"))
        root.insert(0, extensions)
    extension = etree.SubElement(extensions, ns.q(ns.EXT, "UBLExtension"))
    return etree.SubElement(extension, ns.q(ns.EXT, "ExtensionContent"))


def _ds(local: str) -> str:
    return f"{{{ns.DS}}}{local}"


def _c14n(element: etree._Element) -> bytes:
    """Inclusive C14N 1.0 without comments (what ``URI=""`` and the algorithm URI mean), in context for
    a sub-element.  lxml's own default for ``method="c14n"`` keeps comments.

    Under a default namespace (``<Signature xmlns="…xmldsig#">``, as .NET's SignedXml writes it) lxml's
    in-context C14N of a sub-element writes a spurious ``xmlns=""`` on its grandchildren; when every
    element below is in a namespace no ``xmlns=""`` can belong in the output, and it is taken out (the
    octets every other XMLDSig implementation signs)."""
    octets = etree.tostring(element, method="c14n", exclusive=False, with_comments=False)
    if (element.getparent() is not None and element.nsmap.get(None) and b' xmlns=""' in octets
            and all(isinstance(e.tag, str) and e.tag.startswith("{") for e in element.iter(etree.Element))):
        octets = octets.replace(b' xmlns=""', b"")
    return octets


def _beside_root(root: etree._Element) -> bool:
    """Whether processing instructions stand beside the document's root (``<?xml-stylesheet?>`` before
    it, say): ``URI=""`` signs the document, and its C14N keeps them (comments it leaves out), where a
    copy or the C14N of the root element alone has none.  Checked first, so a document without any
    keeps the root-only path."""
    if root.getparent() is not None or (root.getprevious() is None and root.getnext() is None):
        return False
    return any(isinstance(node, etree._ProcessingInstruction)
               for node in (*root.itersiblings(preceding=True), *root.itersiblings()))


def _document_copy(root: etree._Element) -> etree._Element:
    """A copy of what ``URI=""`` signs, to take the signature out of: the root, in a copy of its whole
    tree when processing instructions stand beside it (:func:`_beside_root`)."""
    if _beside_root(root):
        return copy.deepcopy(root.getroottree()).getroot()
    return copy.deepcopy(root)


def _document_c14n(root: etree._Element) -> bytes:
    """Inclusive C14N 1.0 without comments of the document ``root`` is the root of: the processing
    instructions beside it included, each on its own line (C14N §2.1)."""
    if _beside_root(root):
        return etree.tostring(root.getroottree(), method="c14n", exclusive=False, with_comments=False)
    return _c14n(root)


def signing_certificate(root: etree._Element) -> x509.Certificate:
    """The certificate in the document's ``ds:Signature`` (:class:`MissingSignature` or
    :class:`MalformedSignature` when there is none to read), before anything is verified: SUNAT judges
    the certificate (2325–2328) before the signature (2335).  Among several, the signer's
    (:func:`_signer_among`)."""
    signature, first = _signature_and_certificate(root, None)
    return _signer_among(signature, first)


def _references(signature: etree._Element) -> list[etree._Element]:
    return signature.findall(f"{{{ns.DS}}}SignedInfo/{{{ns.DS}}}Reference")


def _covers_the_document(root: etree._Element, signature: etree._Element) -> None:
    """:class:`UnsignedContent` unless one of the signature's References is the whole document
    (``URI=""``); others may sign more (a XAdES signature's SignedProperties)."""
    uris = [reference.get("URI") for reference in _references(signature)]
    if "" not in uris:
        first = uris[0] if uris else None
        raise UnsignedContent(first if first is not None else "(none)")


def sign(root: etree._Element, keypair: KeyPair, *, method: SignatureMethod = SignatureMethod.RSA_SHA256,
         signature_id: str = "SignatureSP") -> etree._Element:
    """A signed copy of ``root`` (the argument is left untouched).

    Any previous ``ds:Signature`` is dropped, so re-signing a signed document replaces its signature.
    The signature is the element signxml 5.2 used to write here, byte for byte (same prefixes, no
    whitespace, the certificate in 64-column lines): one ``Reference URI=""`` with the enveloped and
    inclusive C14N 1.0 transforms.  Its digest is the C14N of the document before the signature is
    put in, which is what the enveloped transform gives back on the receiving side.

    Processing instructions beside the root (``<?xml-stylesheet?>``) are part of the document
    ``URI=""`` signs: they are kept, in the returned root's tree, and signed.  Write that tree
    (``etree.tostring(signed.getroottree())``) to keep them; the root alone leaves them out and its
    digest no longer matches.
    """
    digest_uri, hash_class = _RSA_METHODS[method.value]
    document = _document_copy(root)
    for old in document.findall(f".//{{{ns.DS}}}Signature"):
        old.getparent().remove(old)
    content = _extension_content(document)
    digest = _HASHLIB[hash_class](_document_c14n(document)).digest()

    signature = etree.SubElement(content, _ds("Signature"), Id=signature_id)
    signed_info = etree.SubElement(signature, _ds("SignedInfo"), nsmap={"ds": ns.DS})
    etree.SubElement(signed_info, _ds("CanonicalizationMethod"), Algorithm=INCLUSIVE_C14N.value)
    etree.SubElement(signed_info, _ds("SignatureMethod"), Algorithm=method.value)
    reference = etree.SubElement(signed_info, _ds("Reference"), URI="")
    transforms = etree.SubElement(reference, _ds("Transforms"))
    etree.SubElement(transforms, _ds("Transform"), Algorithm=_ENVELOPED)
    etree.SubElement(transforms, _ds("Transform"), Algorithm=INCLUSIVE_C14N.value)
    etree.SubElement(reference, _ds("DigestMethod"), Algorithm=digest_uri)
    etree.SubElement(reference, _ds("DigestValue")).text = base64.b64encode(digest).decode()
    value = etree.SubElement(signature, _ds("SignatureValue"))
    key_info = etree.SubElement(signature, _ds("KeyInfo"))
    x509_data = etree.SubElement(key_info, _ds("X509Data"))
    etree.SubElement(x509_data, _ds("X509Certificate")).text = keypair._certificate_text
    signed = keypair.private_key.sign(_c14n(signed_info), PKCS1v15(), hash_class())
    value.text = base64.b64encode(signed).decode()
    return document


def digest_value(root: etree._Element) -> str | None:
    """DigestValue of the document's signature (the OSE CDR copies it into ``DocumentHash``)."""
    value = root.findtext(f".//{{{ns.DS}}}Signature/{{{ns.DS}}}SignedInfo/{{{ns.DS}}}Reference/{{{ns.DS}}}DigestValue")
    return value.strip() if value else None


def _embedded_certificate(signature: etree._Element) -> x509.Certificate:
    text = signature.findtext(f".//{_X509_CERTIFICATE}")
    if not text:
        raise MalformedSignature("ds:KeyInfo has no ds:X509Certificate")
    return _certificate_from_base64("".join(text.split()))


def _signer_among(signature: etree._Element, first: x509.Certificate) -> x509.Certificate:
    """The certificate whose key verifies SignatureValue when the signature carries several, ``first``
    (the first ``ds:X509Certificate``) tried first: XMLDSig §4.4.4 puts no order on an X509Data's
    certificates, and a chain written CA first (some PKCS#12 exports) was read as signed by its CA, so
    a good signature was 2335 and the CA was what 2325–2328 judged.  ``first`` when it is the only one,
    when none verifies, or when SignedInfo names what this cannot check (the verdict is then the
    verifier's, with it).  Only asked when the first did not verify, or before the registry judges
    the certificate: one certificate, or the signer's first, costs nothing more on the way."""
    others = [element.text for element in signature.iter(_X509_CERTIFICATE)][1:]
    if not others:
        return first
    octets_and_hash = _signed_info_octets(signature)
    if octets_and_hash is None:
        return first
    octets, hash_class = octets_and_hash
    try:
        value = base64.b64decode("".join((signature.findtext(_ds("SignatureValue")) or "").split()), validate=True)
    except ValueError:
        return first
    for candidate in (first, *others):
        if candidate is not first:
            try:
                candidate = _certificate_from_base64("".join((candidate or "").split()))
            except MalformedSignature:
                continue
        try:
            key = candidate.public_key()
            if isinstance(key, rsa.RSAPublicKey):
                key.verify(value, octets, PKCS1v15(), hash_class())
                return candidate
        except (_BadSignature, ValueError, UnsupportedAlgorithm):
            continue
    return first


def _signed_info_octets(signature: etree._Element) -> tuple[bytes, type[hashes.HashAlgorithm]] | None:
    """What an RSA SignatureValue signs (the C14N of SignedInfo by its CanonicalizationMethod, as signxml
    computes it), and the hash of its method; None for a method that is not RSA or a C14N not known."""
    signed_info = signature.find(_ds("SignedInfo"))
    c14n_method = signed_info.find(_ds("CanonicalizationMethod"))
    method = signed_info.find(_ds("SignatureMethod"))
    if c14n_method is None or method is None or method.get("Algorithm") not in _RSA_METHODS:
        return None
    hash_class = _RSA_METHODS[method.get("Algorithm")][1]
    if c14n_method.get("Algorithm") == _C14N_10:
        return _c14n(signed_info), hash_class
    try:
        algorithm = CanonicalizationMethod(c14n_method.get("Algorithm"))
    except ValueError:  # signxml's InvalidInput is one too
        return None
    verifier = XMLVerifier()
    return verifier._c14n(signed_info, algorithm, verifier._get_inclusive_ns_prefixes(c14n_method)), hash_class


@lru_cache(maxsize=256)
def _certificate_from_base64(body: str) -> x509.Certificate:
    """The certificate of a ``ds:X509Certificate`` body; kept, since an emitter signs everything with one."""
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + "\n-----END CERTIFICATE-----\n"
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise MalformedSignature(f"ds:X509Certificate does not decode: {exc}") from None


def _signature_and_certificate(root: etree._Element,
                               trusted: list[x509.Certificate] | None) -> tuple[etree._Element, x509.Certificate]:
    """The first ``ds:Signature`` and its certificate, once the certificate is known to be trusted."""
    signature = root.find(f".//{{{ns.DS}}}Signature")
    if signature is None:
        raise MissingSignature("the document has no ds:Signature")
    if signature.find(f"{{{ns.DS}}}SignedInfo") is None or signature.find(f"{{{ns.DS}}}SignatureValue") is None:
        raise MalformedSignature("ds:Signature lacks ds:SignedInfo or ds:SignatureValue")
    certificate = _embedded_certificate(signature)
    if trusted is not None and not _is_trusted(certificate, trusted):
        certificate = _signer_among(signature, certificate)  # the first may be a CA beside the signer's
        _check_trusted(certificate, trusted)
    return signature, certificate


def _is_trusted(certificate: x509.Certificate, trusted: list[x509.Certificate]) -> bool:
    wanted = certificate.fingerprint(hashes.SHA256())
    return any(c.fingerprint(hashes.SHA256()) == wanted for c in trusted)


def _check_trusted(certificate: x509.Certificate, trusted: list[x509.Certificate] | None) -> None:
    if trusted is not None and not _is_trusted(certificate, trusted):
        raise UntrustedCertificate(f"certificate {certificate.subject.rfc4514_string()} is not trusted")


def verify(root: etree._Element, *, trusted: list[x509.Certificate] | None = None, allow_sha1: bool = True) -> Verified:
    """Check the document's enveloped signature; raises a :class:`SignatureError` subclass otherwise.

    Every sendBill comes through here, and signxml costs about 1.3 ms of CPU on a 9 KB invoice (it
    serialises and re-parses the whole document some eight times), so a signature of exactly the shape
    SUNAT prescribes is first checked directly (:func:`_verify_sunat_shape`, about a tenth of that).
    That path only ever *accepts*: if the shape differs in any way, or the digest or the signature
    value does not check, the document goes to signxml exactly as before, so signxml stays the arbiter
    of every failure (which exception, which message) and of every other shape.  The trusted
    certificates are checked before either path.  Where the first certificate's key does not verify
    and there are others, the signer's is looked for among them (:func:`_signer_among`), and both
    paths go again with it.
    """
    signature, certificate = _signature_and_certificate(root, trusted)
    verified = _verify_sunat_shape(root, signature, certificate, allow_sha1=allow_sha1)
    if verified is not None:
        return verified
    signer = _signer_among(signature, certificate)
    if signer is not certificate:
        _check_trusted(signer, trusted)
        certificate = signer
        verified = _verify_sunat_shape(root, signature, certificate, allow_sha1=allow_sha1)
        if verified is not None:
            return verified
    verified = _signxml_verdict(root, signature, certificate, allow_sha1=allow_sha1)
    _covers_the_document(root, signature)  # signxml verifies whatever the Reference names
    return verified


def _verify_with_signxml(root: etree._Element, *, trusted: list[x509.Certificate] | None = None,
                         allow_sha1: bool = True) -> Verified:
    """:func:`verify` without its fast path: signxml judges everything (the reference the tests compare with)."""
    signature, certificate = _signature_and_certificate(root, trusted)
    certificate = _signer_among(signature, certificate)
    _check_trusted(certificate, trusted)
    return _signxml_verdict(root, signature, certificate, allow_sha1=allow_sha1)


_C14N_10 = INCLUSIVE_C14N.value
_XML_SPACE = " \t\n\r"
_DROP_XML_SPACE = str.maketrans("", "", _XML_SPACE)
_PLAIN_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_SIGNATURE_TAG = f"{{{ns.DS}}}Signature"
_X509_CERTIFICATE = f"{{{ns.DS}}}X509Certificate"
_SHAPE_PATH = (f"{{{ns.EXT}}}ExtensionContent", f"{{{ns.EXT}}}UBLExtension", f"{{{ns.EXT}}}UBLExtensions")
_TRANSFORM_LISTS = ([_ENVELOPED], [_ENVELOPED, _C14N_10])
_X509_PARTS = {_ds(name) for name in ("X509Certificate", "X509SubjectName", "X509IssuerSerial")}


def _blank(text: str | None) -> bool:
    return text is None or not text.strip(_XML_SPACE)


def _children(element: etree._Element, *names: str) -> list[etree._Element] | None:
    """The children of ``element`` when they are exactly the XMLDSig elements ``names`` in that
    order, with nothing but XML whitespace between them (no text, comment or processing instruction)."""
    children = list(element)
    if len(children) != len(names) or not _blank(element.text):
        return None
    for child, name in zip(children, names):
        if child.tag != _ds(name) or not _blank(child.tail):
            return None
    return children


def _leaf(element: etree._Element, **attributes: str) -> bool:
    """``element`` has exactly these attributes, no children and no text but XML whitespace."""
    return len(element) == 0 and _blank(element.text) and dict(element.attrib) == attributes


def _base64_value(element: etree._Element) -> bytes | None:
    """The bytes of a bare base64 element (no attributes, no children) whose text is canonical base64
    (padding included), XML whitespace anywhere; None for anything XML Schema's base64Binary might refuse."""
    if len(element) or element.attrib or element.text is None:
        return None
    compact = element.text.translate(_DROP_XML_SPACE)
    try:
        raw = base64.b64decode(compact, validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        return None
    # canonical only: re-encoding gives the same text back (padding bits zero, no stray '=')
    return raw if raw and base64.b64encode(raw).decode() == compact else None


def _remove_enveloped(signature: etree._Element) -> None:
    """Take the signature out as the enveloped-signature transform does: the element and its subtree
    go, the text that followed it (lxml's ``tail``, which ``remove`` would drop) stays."""
    parent = signature.getparent()
    if signature.tail:
        previous = signature.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + signature.tail
        else:
            previous.tail = (previous.tail or "") + signature.tail
    parent.remove(signature)


def _verify_sunat_shape(root: etree._Element, signature: etree._Element, certificate: x509.Certificate, *,
                        allow_sha1: bool) -> Verified | None:
    """Verified when the signature has exactly SUNAT's shape and its digest and value both check; else None.

    The shape, checked element by element: the document's only ``ds:Signature`` (and no entity
    references), alone in ``ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent`` right under the
    root, with no attribute but a plain ``Id``; children SignedInfo, SignatureValue, KeyInfo; SignedInfo
    holding CanonicalizationMethod (inclusive C14N 1.0), an RSA SignatureMethod (SHA-1 only when
    ``allow_sha1``) and one Reference ``URI=""`` whose Transforms are the enveloped transform, optionally
    followed by inclusive C14N 1.0 (what signxml and so :func:`sign` write; the same octets either way),
    the DigestMethod of the signature's own hash and a DigestValue; KeyInfo/X509Data holding the
    certificate (first), and at most its subject name, issuer serial or chain besides; every one of these elements in the XMLDSig namespace, prefixed or not; canonical base64 in
    the three values; no other attribute, element, comment or text but whitespace; an RSA certificate
    that signxml's validity check (at ``not_valid_before`` + 1 s) passes.

    Unprefixed (``<Signature xmlns="…xmldsig#">``) is judged here only: lxml's C14N of a sub-element
    writes a spurious ``xmlns=""`` under a default namespace, which :func:`_c14n` takes out, and signxml,
    which computes those octets unmended, refuses such a signature even when it is correct.

    Then, on a copy standing as its own document the way signxml works: SignatureValue over the C14N
    of SignedInfo in its context (inclusive C14N carries the ancestors' namespace declarations), and the
    digest of the C14N of the document with the signature taken out (enveloped transform), processing
    instructions beside the root included (:func:`_document_c14n`).
    """
    content = signature.getparent()
    ancestors = [content, content.getparent() if content is not None else None]
    ancestors.append(ancestors[1].getparent() if ancestors[1] is not None else None)
    if any(a is None or a.tag != tag for a, tag in zip(ancestors, _SHAPE_PATH)) or ancestors[2].getparent() is not root:
        return None
    if len(content) != 1 or sum(1 for _ in root.iter(_SIGNATURE_TAG, etree.Entity)) != 1:
        return None
    attributes = dict(signature.attrib)
    signature_id = attributes.pop("Id", None)
    if attributes or (signature_id is not None and not _PLAIN_ID.fullmatch(signature_id)):
        return None

    parts = _children(signature, "SignedInfo", "SignatureValue", "KeyInfo")
    if parts is None:
        return None
    signed_info, signature_value, key_info = parts
    info = _children(signed_info, "CanonicalizationMethod", "SignatureMethod", "Reference")
    key = _children(key_info, "X509Data")
    if info is None or key is None or signed_info.attrib or key_info.attrib:
        return None
    c14n_method, signature_method, reference = info
    method = signature_method.get("Algorithm")
    if method not in _RSA_METHODS or (method == _Method.RSA_SHA1.value and not allow_sha1):
        return None
    digest_method_uri, hash_class = _RSA_METHODS[method]
    if not (_leaf(c14n_method, Algorithm=_C14N_10) and _leaf(signature_method, Algorithm=method)):
        return None
    ref = _children(reference, "Transforms", "DigestMethod", "DigestValue")
    if ref is None or dict(reference.attrib) != {"URI": ""}:
        return None
    transforms, digest_method, digest_element = ref
    steps = _children(transforms, "Transform") or _children(transforms, "Transform", "Transform")
    if steps is None or transforms.attrib or not _leaf(digest_method, Algorithm=digest_method_uri):
        return None
    algorithms = [step.get("Algorithm") for step in steps]
    if algorithms not in _TRANSFORM_LISTS or not all(_leaf(s, Algorithm=a) for s, a in zip(steps, algorithms)):
        return None
    # KeyInfo is not signed (the enveloped transform takes the whole signature out): what else it
    # names of the certificate (.NET's X509SubjectName, an issuer serial, its chain) changes nothing
    x509_data = key[0]
    parts = list(x509_data)
    if (x509_data.attrib or not _blank(x509_data.text)
            or any(part.tag not in _X509_PARTS or not _blank(part.tail) for part in parts)):
        return None
    certificates = [part for part in parts if part.tag == _ds("X509Certificate")]
    if not certificates or _base64_value(certificates[0]) is None:
        return None
    expected_digest = _base64_value(digest_element)
    signature_bytes = _base64_value(signature_value)
    if expected_digest is None or signature_bytes is None:
        return None

    try:
        public_key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return None
    if (not isinstance(public_key, rsa.RSAPublicKey)
            or certificate.not_valid_after_utc < certificate.not_valid_before_utc + timedelta(seconds=1)):
        return None

    document = _document_copy(root)
    copied = next(document.iter(_SIGNATURE_TAG))
    try:
        public_key.verify(signature_bytes, _c14n(copied[0]), PKCS1v15(), hash_class())
    except _BadSignature:
        return None
    _remove_enveloped(copied)
    if _HASHLIB[hash_class](_document_c14n(document)).digest() != expected_digest:
        return None
    return Verified(certificate, digest_value(root) or "", signature_id, method)


#: References a signature may carry: the document, and what XAdES or an ERP adds to it.
_MOST_REFERENCES = 4


def _filters_out_signatures(transform: etree._Element) -> bool:
    """Whether ``transform`` is the XPath filter ``not(ancestor-or-self::dsig:Signature)``, its prefix
    bound to XMLDSig's namespace: it keeps every node but the ``ds:Signature`` elements and what they
    hold, which is what the enveloped transform gives on a document with one signature."""
    if transform.get("Algorithm") != _XPATH_FILTER or len(transform) != 1 or transform[0].tag != _ds("XPath"):
        return False
    match = _NOT_IN_A_SIGNATURE.fullmatch(transform[0].text or "")
    return match is not None and transform[0].nsmap.get(match[1]) == ns.DS


def _check_transforms(signature: etree._Element) -> None:
    """:class:`MalformedSignature` (2336: the signature cannot be processed) for a Transform no
    verifier here applies.  signxml skips an algorithm it does not know, so ``xml-exc-c14n`` without its
    ``#`` or ``urn:x-bogus`` was accepted, and an XPath filter left the signature in, which read as an
    altered document (2335); the JDK refuses both (NoSuchAlgorithmException)."""
    for transform in signature.iterfind(f"{{{ns.DS}}}SignedInfo/{{{ns.DS}}}Reference/{{{ns.DS}}}Transforms/{{{ns.DS}}}Transform"):
        algorithm = transform.get("Algorithm")
        if algorithm in _KNOWN_TRANSFORMS or _filters_out_signatures(transform):
            continue
        if algorithm == _XPATH_FILTER:
            expression = " ".join(transform.itertext()).strip()
            raise MalformedSignature(f"Unsupported XPath transform: {expression[:100]!r} (only "
                                     "not(ancestor-or-self::dsig:Signature), the enveloped signature)")
        raise MalformedSignature(f"Unrecognized Transform: {algorithm}")


class _DocumentVerifier(XMLVerifier):
    """signxml's verifier, where ``URI=""`` is the whole document: signxml copies (serialises and parses
    again) and canonicalises the root element alone, which leaves out the processing instructions
    beside it, so a document signed with them (the JDK's, .NET's signers keep them) was "altered" and
    one they were added to after signing was not.  Where there are none, and no Reference names the
    XPath signature filter, it is signxml untouched."""

    def _tostring(self, xml_node, **kwargs):
        if isinstance(xml_node, etree._Element) and _beside_root(xml_node):
            return etree.tostring(xml_node.getroottree(), **kwargs)
        return super()._tostring(xml_node, **kwargs)

    def _c14n(self, nodes, algorithm, inclusive_ns_prefixes=None):
        if isinstance(nodes, etree._Element) and _beside_root(nodes):
            nodes = nodes.getroottree()
        return super()._c14n(nodes, algorithm, inclusive_ns_prefixes=inclusive_ns_prefixes)

    def _apply_transforms(self, payload, *, transforms_node, signature):
        """The XPath signature filter (:func:`_filters_out_signatures`) as what it selects: the payload
        without its ``ds:Signature`` elements (their tails stay, as the text around them is kept);
        signxml applies the other transforms and skips this one."""
        if (transforms_node is not None and isinstance(payload, etree._Element)
                and any(_filters_out_signatures(t) for t in transforms_node.iterfind(_ds("Transform")))):
            for each in [e for e in payload.iter(_SIGNATURE_TAG) if e is not payload]:
                _remove_enveloped(each)
        return super()._apply_transforms(payload, transforms_node=transforms_node, signature=signature)


def _signxml_verdict(root: etree._Element, signature: etree._Element, certificate: x509.Certificate, *,
                     allow_sha1: bool) -> Verified:
    """signxml's verification of the document, its failures mapped onto this module's exceptions."""
    methods = {_Method.RSA_SHA256, _Method.RSA_SHA384, _Method.RSA_SHA512}
    digests = {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
    if allow_sha1:
        methods.add(_Method.RSA_SHA1)
        digests.add(DigestAlgorithm.SHA1)
    # Integrity only: whether the certificate was valid when the document was issued is a business
    # rule (2326/2327 against the issue date), so verification is pinned inside its validity period.
    # every Reference is verified (XAdES-BES adds one to its SignedProperties); one must be the document
    config = SignatureConfiguration(require_x509=True, location=".//",
                                    expect_references=min(max(1, len(_references(signature))), _MOST_REFERENCES),
                                    signature_methods=frozenset(methods), digest_algorithms=frozenset(digests),
                                    verification_time=certificate.not_valid_before_utc + timedelta(seconds=1))
    _check_transforms(signature)
    try:
        _DocumentVerifier().verify(_document_copy(root), x509_cert=certificate, expect_config=config)
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
    except (etree.DocumentInvalid, etree.XMLSyntaxError, TypeError, ValueError) as exc:
        # What signxml lets through from lxml and cryptography on a signature it cannot read (one the
        # XMLDSig schema refuses, an empty SignatureValue, bad base64): SUNAT's "cannot be processed".
        raise MalformedSignature(f"ds:Signature cannot be processed: {exc}") from None
    method = signature.find(f"{{{ns.DS}}}SignedInfo/{{{ns.DS}}}SignatureMethod")
    return Verified(certificate, digest_value(root) or "", signature.get("Id"),
                    method.get("Algorithm", "") if method is not None else "")
