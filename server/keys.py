"""The mock OSE's own identity: the key and certificate it signs CDRs with.

Generated on first start and kept beside the store, so CDRs stay verifiable across restarts and
clients can pin the certificate (served at ``/_osemock/certificate.pem``).

The key is the identity; the certificate is issued from it.  Processes starting together on one folder
check and mend it one at a time (:func:`_one_at_a_time`), and each file appears whole (written aside,
then linked): the first process to link a key wins, others read that key, and the first certificate
linked for it is the one they all serve.  A key found without its certificate, or
with one that is not its own (a start killed between the two files, or a certificate deleted), gets a
certificate issued again from it rather than a new key: CDRs already handed out were signed with that
key, and stay verifiable with the new certificate's public key.

One pair per OSE RUC: the certificate must correspond to the RUC the CDR names as its receiver (rule
2824 of the CDR-OSE sheets), so a profile with another ``ose_ruc`` on the same folder gets a pair of
its own (``ose-{ruc}-key.pem``) instead of signing with a certificate of the first RUC.  A folder's
``ose-key.pem`` / ``ose-cert.pem`` (made before, or the conformance kit's fixed certificate) is kept
for the RUC its certificate names.
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID

from osemock.cpe.errors import InvalidInput
from osemock.cpe.signature import KeyPair, load_pem

KEY_FILE = "ose-key.pem"
CERT_FILE = "ose-cert.pem"
LOCK_FILE = ".ose-identity.lock"

log = logging.getLogger(__name__)


def _new_key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _certificate(key: rsa.RSAPrivateKey, ruc: str, name: str) -> bytes:
    """A self-signed certificate of ``key`` naming the OSE ``ruc`` (2824), valid ten years."""
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
    return cert.public_bytes(serialization.Encoding.PEM)


def _is_certificate_of(cert_pem: bytes, key: PrivateKeyTypes) -> bool:
    """Whether ``cert_pem`` is a certificate of ``key`` (carries its public key)."""
    try:
        certificate = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        return False
    return certificate.public_key() == key.public_key()


def _written_aside(path: Path, data: bytes, mode: int) -> str:
    """A temporary file beside ``path`` holding ``data``, on disk (a file that appears is whole)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)
        os.fsync(fd)
    except BaseException:
        os.unlink(temporary)
        raise
    finally:
        os.close(fd)
    return temporary


def _write_new(path: Path, data: bytes, mode: int) -> bool:
    """Write ``data`` to ``path`` only if it does not exist yet; ``False`` when another process won."""
    temporary = _written_aside(path, data, mode)
    try:
        os.link(temporary, path)  # atomic and fails if the file exists: first writer wins
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)


def _replace(path: Path, data: bytes, mode: int) -> None:
    """``path`` holds ``data`` from now on, in one step."""
    os.replace(_written_aside(path, data, mode), path)


def _names(cert_path: Path, ruc: str) -> bool:
    """Whether the certificate at ``cert_path`` is one of the OSE ``ruc`` (its subject carries the RUC,
    as serialNumber or in the OU)."""
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError):
        return False
    return ruc in re.findall(r"[0-9]{11}", certificate.subject.rfc4514_string())


def identity_paths(data_dir: Path, ruc: str) -> tuple[Path, Path]:
    """Where the key and certificate of the OSE ``ruc`` are kept in ``data_dir``: the folder's
    ``ose-key.pem`` / ``ose-cert.pem`` when that certificate is the key's and names ``ruc``, otherwise
    files of the RUC's own, which this module makes and mends (it never writes the others)."""
    key_path, cert_path = data_dir / KEY_FILE, data_dir / CERT_FILE
    if key_path.exists() and _names(cert_path, ruc) and _is_certificate_of(cert_path.read_bytes(), _read_key(key_path)):
        return key_path, cert_path
    return data_dir / f"ose-{ruc}-key.pem", data_dir / f"ose-{ruc}-cert.pem"


def _read_key(path: Path) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (TypeError, ValueError, UnsupportedAlgorithm) as error:  # encrypted, not PEM, not a key
        raise InvalidInput(f"{path} is not an unencrypted PEM key: {error}") from None


@contextmanager
def _one_at_a_time(data_dir: Path) -> Iterator[None]:
    """Processes starting on one folder check and mend its identity one after another (an advisory
    ``flock`` on a lock file beside the keys).  The atomic links alone let a process that found no
    certificate, issued one, and then saw its neighbour's appear take it for another key's and replace
    it: two workers signed with one key under two certificates.  Where there is no ``flock`` (not
    POSIX) or the folder is read-only (a mounted pair that needs no mending), the links still make each
    file whole."""
    try:
        import fcntl
        lock = open(data_dir / LOCK_FILE, "a+b")  # noqa: SIM115 (held across the yield)
    except (ImportError, OSError):
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


def load_or_create_identity(data_dir: Path, ruc: str, name: str) -> KeyPair:
    """The persisted key pair of the OSE ``ruc`` in ``data_dir``, generated on first use; a key
    without its certificate gets one issued again (see the module's docstring)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with _one_at_a_time(data_dir):
        key_path, cert_path = identity_paths(data_dir, ruc)
        if not key_path.exists():
            _write_new(key_path, _new_key(), 0o600)  # the first process to link its key wins; all read that one
        key = _read_key(key_path)
        if not (cert_path.exists() and _is_certificate_of(cert_path.read_bytes(), key)):
            if not isinstance(key, rsa.RSAPrivateKey):
                raise InvalidInput(f"{key_path} is not an RSA key: SUNAT signatures are RSA")
            issued = _certificate(key, ruc, name)
            if cert_path.exists():  # another key's (its own key deleted, a new one made): replaced
                _replace(cert_path, issued, 0o644)
                log.warning("the certificate %s was not the CDR key's: issued again from %s", cert_path, key_path)
            else:  # a key just made, here or by a process starting beside, or left alone by a killed start
                _write_new(cert_path, issued, 0o644)  # the first certificate linked is the one every process serves
        return load_pem(key_path.read_bytes(), cert_path.read_bytes())
