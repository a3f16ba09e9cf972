"""The signature checks of SUNAT's General and Firma sheets that need cryptography, not XPath.

In the General sheet's order: the signing certificate against the emitter's certificates in the
registry (2325 not communicated, 2326 de baja, 2327 not valid at the issue date, 2328 revoked), then
the XMLDSig itself (2335 altered: the node and value name the reference that failed, the detail is
SUNAT's own words where SUNAT answers; 2336 a signature that cannot be processed).  Certificate
checks run only when the profile asks and the registry lists certificates for the emitter, so SUNAT
beta's "any valid signature" is the default.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from osemock.cpe import signature
from osemock.cpe.dates import day_of
from osemock.server.engine.validation import CheckInput, Finding


def _issue_moment(source: CheckInput) -> datetime | None:
    issued = day_of(source.header.issue_date)
    if issued is None:
        return None
    return datetime(issued.year, issued.month, issued.day, 12, tzinfo=timezone.utc)


def _certificate_findings(source: CheckInput, certificate: x509.Certificate) -> Iterator[Finding]:
    ruc = source.header.issuer_ruc or ""
    registered = source.store.certificates(ruc)
    if not registered:
        return
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
    subject = certificate.subject.rfc4514_string()
    match = next((row for row in registered if row["fingerprint"] == fingerprint), None)
    if match is None:
        yield Finding("2325", "error", "ds:X509Certificate", subject)
        return
    issued = _issue_moment(source)
    if match["retired_at"] and issued is not None and match["retired_at"] < issued.date().isoformat():
        yield Finding("2326", "error", "ds:X509Certificate", subject)
    if issued is not None and not (certificate.not_valid_before_utc <= issued <= certificate.not_valid_after_utc):
        yield Finding("2327", "error", "ds:X509Certificate", subject)
    if match["revoked"]:
        yield Finding("2328", "error", "ds:X509Certificate", subject)


def _firma_rows_refuse(source: CheckInput) -> bool:
    """Whether the Firma sheet's rows find an error in the signature's structure (a missing KeyInfo
    2101, an empty SignatureValue 2098…): they name it, where 2336 only says it could not be processed."""
    from osemock.server.rules.engine import signature_findings

    return any(f.severity == "error" for f in signature_findings(source.root, source))


def signature_check(source: CheckInput) -> Iterator[Finding]:
    """Certificate (2325–2328) and then XMLDSig (2335/2336) checks of a received document, in the
    General sheet's order: a certificate SUNAT does not know is refused as such even when the content
    was altered too."""
    profile = source.profile
    if profile is not None and not profile.verify_signatures:
        return
    try:
        certificate = signature.signing_certificate(source.root)
    except signature.MissingSignature:
        return  # the Firma sheet's rows report the missing ds:Signature (2085…)
    except signature.SignatureError as error:
        if not _firma_rows_refuse(source):
            yield Finding("2336", "error", note=str(error)[:200])
        return
    if profile is not None and profile.check_certificates and source.store is not None:
        refused = list(_certificate_findings(source, certificate))
        yield from refused
        if refused:
            return
    try:
        signature.verify(source.root)
    except signature.InvalidDigest as error:
        # SUNAT says only this (observed_faults.csv); the node and value name the Reference that failed
        yield Finding("2335", "error", "ds:Reference/@URI", error.reference, note="Incorrect reference digest value",
                      front_end="Incorrect reference digest value")
    except signature.InvalidSignatureValue:
        yield Finding("2335", "error", note="Incorrect signature value", front_end="Incorrect signature value")
    except signature.UnsignedContent as error:
        yield Finding("2335", "error", note=str(error)[:200])
    except signature.SignatureError as error:
        if not _firma_rows_refuse(source):
            yield Finding("2336", "error", note=str(error)[:200])
