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
from osemock.server.yaml_text import read_yaml, yaml_problem

SCHEMA = Path(__file__).with_name("registry.schema.yaml")


class RegistryError(InvalidInput):
    """The registry is not in the documented shape (the message says where)."""


def schema() -> dict[str, Any]:
    """The registry's JSON Schema (a fresh copy: the admin API's OpenAPI description embeds it)."""
    return yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    # formats are checked: a date is a real one (retired_at "x" or 20260101, a padrón's from "x", were
    # taken, and compared as text they never came: the rule stayed silent)
    return Draft202012Validator(schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def is_date(value: Any) -> bool:
    """Whether ``value`` is a date as the registry writes one: a real date as ``YYYY-MM-DD`` text (the
    rules compare them as text with the document's issue date)."""
    return isinstance(value, str) and Draft202012Validator.FORMAT_CHECKER.conforms(value, "date")


def check(data: Any) -> dict[str, Any]:
    """``data`` when it is a registry (read by :func:`~osemock.server.yaml_text.read_yaml`, an unquoted
    date is the ``YYYY-MM-DD`` text it was written as); :class:`RegistryError` naming the first
    problem otherwise."""
    error = best_match(_validator().iter_errors(data))
    if error is not None:
        place = error.json_path.removeprefix("$").lstrip(".") or "the registry"
        dated = isinstance(error.schema, dict) and error.schema.get("format") == "date"
        message = f"{error.instance!r} is not a date (YYYY-MM-DD)" if dated else error.message
        raise RegistryError(f"{place}: {message}")
    _check_ranges(data)
    return data


def _check_ranges(data: dict[str, Any]) -> None:
    """A receipt range runs from its first number to its last (a schema cannot say it): ``from: 50,
    to: 1`` was taken and held no number, so every receipt of that serie was outside it."""
    for i, emitter in enumerate(data.get("emitters") or []):
        for name in ("physical_receipts", "contingency_receipts"):
            for j, entry in enumerate(emitter.get(name) or []):
                if "from" in entry and "to" in entry and entry["from"] > entry["to"]:
                    raise RegistryError(f"emitters[{i}].{name}[{j}]: from {entry['from']} is after to {entry['to']}")


def load(path: Path) -> dict[str, Any]:
    """The registry file ``path`` (YAML or JSON), checked, its certificates' files read in; the error's
    message starts with the file."""
    try:
        data = check(read_yaml(path.read_text(encoding="utf-8")) or {})
    except yaml.YAMLError as error:
        raise RegistryError(f"registry {path}: cannot read it: not YAML: {yaml_problem(error)}") from None
    except (OSError, UnicodeDecodeError) as error:
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
