"""The emitter registry a user writes (``--registry`` / ``OSE_REGISTRY``, or ``POST /_osemock/seed``),
checked against ``registry.schema.yaml`` before anything is stored.

A hand-written YAML with a typo used to stop the server with a KeyError from deep inside the store;
now the first problem is named by its place in the file, and nothing is stored.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from osemock.cpe.errors import InvalidInput

SCHEMA = Path(__file__).with_name("registry.schema.yaml")


class RegistryError(InvalidInput):
    """The registry is not in the documented shape (the message says where)."""


def schema() -> dict[str, Any]:
    """The registry's JSON Schema (a fresh copy: the admin API's OpenAPI description embeds it)."""
    return yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def check(data: Any) -> dict[str, Any]:
    """``data`` when it is a registry; :class:`RegistryError` naming the first problem otherwise."""
    error = best_match(_validator().iter_errors(data))
    if error is not None:
        place = error.json_path.removeprefix("$").lstrip(".") or "the registry"
        raise RegistryError(f"{place}: {error.message}")
    return data


def load(path: Path) -> dict[str, Any]:
    """The registry file ``path`` (YAML or JSON), checked, its certificates' files read in; the error's
    message starts with the file."""
    try:
        data = check(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise RegistryError(f"registry {path}: cannot read it: {error}") from None
    except RegistryError as error:
        raise RegistryError(f"registry {path}: {error}") from None
    _read_certificates(data, path)
    return data


def _read_certificates(data: dict[str, Any], path: Path) -> None:
    """Each ``pem`` that names a file becomes that file's text, the file found beside the registry (a
    container mounts both in a folder that is not its working one), and each must be a PEM certificate:
    a missing or wrong one stopped the server with a traceback after the start-up check had passed."""
    from cryptography import x509

    for i, emitter in enumerate(data.get("emitters") or []):
        for j, certificate in enumerate(emitter.get("certificates") or []):
            place = f"registry {path}: emitters[{i}].certificates[{j}]"
            pem = str(certificate.get("pem", ""))
            if "-----BEGIN" not in pem:
                file = Path(pem) if Path(pem).is_absolute() else path.parent / pem
                try:
                    pem = file.read_text(encoding="ascii")
                except (OSError, UnicodeDecodeError) as error:
                    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
                    raise RegistryError(f"{place}: cannot read {file}: {reason}") from None
            try:
                x509.load_pem_x509_certificate(pem.encode("ascii", "replace"))
            except ValueError:
                raise RegistryError(f"{place}: not a PEM certificate") from None
            certificate["pem"] = pem
