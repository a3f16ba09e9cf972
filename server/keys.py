"""The mock OSE's own identity: the key and certificate it signs CDRs with.

Generated on first start and kept beside the store, so CDRs stay verifiable across restarts and
clients can pin the certificate (served at ``/_osemock/certificate.pem``).  Creation is atomic: two
processes starting together end up with the same pair.

One pair per OSE RUC: the certificate must correspond to the RUC the CDR names as its receiver (rule
2824 of the CDR-OSE sheets), so a profile with another ``ose_ruc`` on the same folder gets a pair of
its own (``ose-{ruc}-key.pem``) instead of signing with a certificate of the first RUC.  A folder's
``ose-key.pem`` / ``ose-cert.pem`` (made before, or the conformance kit's fixed certificate) is kept
for the RUC its certificate names.
"""
from __future__ import annotations

import os
import re
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from osemock.cpe.signature import KeyPair, load_pem

KEY_FILE = "ose-key.pem"
CERT_FILE = "ose-cert.pem"


def _generate(ruc: str, name: str) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "PE"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name[:64]),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ruc),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, ruc),
        x509.NameAttribute(NameOID.COMMON_NAME, "osemock test OSE - not a real OSE"),
    ])
    now = datetime.now(timezone.utc) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        cert.public_bytes(serialization.Encoding.PEM),
    )


def _write_new(path: Path, data: bytes, mode: int) -> bool:
    """Write ``data`` to ``path`` only if it does not exist yet; ``False`` when another process won."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)  # atomic and fails if the file exists: first writer wins
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)


def _names(cert_path: Path, ruc: str) -> bool:
    """Whether the certificate at ``cert_path`` is one of the OSE ``ruc`` (its subject carries the RUC,
    as serialNumber or in the OU)."""
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError):
        return False
    return ruc in re.findall(r"[0-9]{11}", certificate.subject.rfc4514_string())


def _wait_for(cert_path: Path) -> bool:
    """The certificate follows its key (see :func:`load_or_create_identity`): wait for a process
    writing it."""
    for _ in range(100):
        if cert_path.exists() and cert_path.stat().st_size > 0:
            return True
        time.sleep(0.05)
    return False


def identity_paths(data_dir: Path, ruc: str) -> tuple[Path, Path]:
    """Where the key and certificate of the OSE ``ruc`` are kept in ``data_dir``."""
    key_path, cert_path = data_dir / KEY_FILE, data_dir / CERT_FILE
    if key_path.exists() and _wait_for(cert_path) and _names(cert_path, ruc):
        return key_path, cert_path
    return data_dir / f"ose-{ruc}-key.pem", data_dir / f"ose-{ruc}-cert.pem"


def load_or_create_identity(data_dir: Path, ruc: str, name: str) -> KeyPair:
    """The persisted key pair of the OSE ``ruc`` in ``data_dir``, generated on first use."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = identity_paths(data_dir, ruc)
    if not key_path.exists():
        fresh = _generate(ruc, name)
        # The key decides the winner; the certificate follows it, so a pair is never mixed.
        if _write_new(key_path, fresh.key_pem, 0o600):
            _write_new(cert_path, fresh.cert_pem, 0o644)
    _wait_for(cert_path)
    return load_pem(key_path.read_bytes(), cert_path.read_bytes())
