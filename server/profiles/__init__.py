"""Behaviour profiles: how an OSE, SUNAT beta or SUNAT production answers the same request.

A profile is a YAML file beside this module (or a user's file) that may ``extends`` another one; it
sets the fault dialect, the CDR style, the range policy for rejections and the test credentials.
Rules never branch on the environment; only the profile does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from osemock.server.clock import EARLIEST, LATEST
from osemock.server.yaml_text import read_yaml, yaml_problem

#: The longest a ticket may be held at 98 (en proceso): the profile's ``ticket_after_polls`` /
#: ``ticket_after_seconds`` and the admin API's ``after_polls`` / ``after_seconds`` alike.  A ticket
#: held longer is a ticket a client's poll never sees processed, and past these the store and the
#: clock cannot hold the moment it would be due (every sendSummary answered 0100).
MAX_TICKET_POLLS = 1_000_000
MAX_TICKET_SECONDS = 86_400
#: ``max_days_late`` beyond the days the clock spans judges nothing more (every document is in time),
#: and past timedelta's range every sendBill answered 0100.
MAX_DAYS_LATE = (LATEST.date() - EARLIEST.date()).days


@dataclass(frozen=True)
class Profile:
    """What distinguishes one kind of endpoint from another."""

    name: str
    description: str = ""
    fault_dialect: str = "ose"
    """``sunat`` (faultcode ``soap-env:Client.NNNN``) or ``ose`` (faultstring ``NNNN``, detail = message)."""
    fault_http_status: int = 500
    """HTTP status of a fault answer (SOAP 1.1 says 500; an OSE may use 406/401)."""
    cdr_style: str = "ose"
    """``ose`` (UBL 2.1, UUID, cac:Status observations), ``sunat`` (SenderParty 20131312955, cbc:Note) or
    ``sunat-beta`` (the same, its IssueDate the document's issue date and time)."""
    rejections_as_cdr: bool = False
    """SUNAT production answers codes 2000–3999 with a rejection CDR; beta and OSEs with a fault."""
    ticket_style: str = "beta"
    """``beta`` (13-digit epoch ms) or ``prod`` (15 digits, year first)."""
    wildcard_user: str | None = None
    """SOL user accepted for any 11-digit RUC (``MODDATOS``, ``BIZLINKS``); ``None`` = registry only."""
    wildcard_password: str | None = None
    ose_ruc: str = "20000000001"
    """RUC the mock signs its CDRs as (ReceiverParty of an OSE CDR)."""
    ose_name: str = "OSEMOCK"
    strict_content_type: bool = True
    """Answer HTTP 500 to a Content-Type other than ``text/xml`` (SOAP 1.1)."""
    detailed_auth_codes: bool = True
    """0103 unknown user / 0104 wrong password, instead of the generic 0102."""
    max_days_late: int = 3
    """Days after its issue date a document may still be received (2108 beyond)."""
    verify_signatures: bool = True
    """Check the document's XMLDSig (2335 when altered)."""
    check_note_references: bool = True
    """Credit/debit notes must modify a document this mock accepted (2119/2209, 2120/2207, 2121/2208), and
    a perception must collect on documents it holds (2609, 2610, 3312, 3328, 3329)."""
    check_certificates: bool = True
    """Check the signing certificate against the registry's certificates of the emitter (2325–2328)."""
    ticket_after_polls: int = 0
    """getStatus answers 98 (en proceso) this many times before the ticket's result."""
    ticket_after_seconds: float = 0
    """…and for at least this many seconds after sendSummary/sendPack (0 and 0: processed at once)."""
    channel: str = "ose"
    """``ose`` or ``sunat``: whose rules apply where the workbook says "Validación no aplica para OSE"."""
    bizlinks_status_cdr: bool = False
    """Also take Bizlinks' getStatusCdr: fields wrapped in ``statusCdr``, the number zero-padded to 8
    digits, the CDR answered in ``document`` (PROTOCOL.md §3)."""


_BUILTIN = ("ose", "sunat-beta", "sunat-prod")


def _raw(name_or_path: str, chain: tuple[str, ...] = (), folder: Path | None = None) -> dict[str, Any]:
    """The keys of a profile with those of the profiles it ``extends`` under them.  A file it extends is
    found beside it (then from the working folder); ``chain`` is the profiles on the way here, so a
    profile that extends itself, however far round, is named instead of recursing for ever."""
    if name_or_path in _BUILTIN:
        key, text, path = name_or_path, files(__package__).joinpath(f"{name_or_path}.yaml").read_text(encoding="utf-8"), None
    else:
        path = Path(name_or_path)
        if folder is not None and not path.is_absolute() and (folder / path).is_file():
            path = folder / path
        if not path.is_file():
            raise ValueError(f"unknown profile {name_or_path!r}: use one of {', '.join(_BUILTIN)} or a YAML file")
        key, text = str(path.resolve()), path.read_text(encoding="utf-8")
    if key in chain:
        raise ValueError(f"profile {name_or_path!r} extends itself: {' -> '.join((*chain, key))}")
    try:
        data = read_yaml(text) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"profile {name_or_path!r} is not YAML: {yaml_problem(error)}") from None
    if not isinstance(data, dict):
        raise ValueError(f"profile {name_or_path!r} is not a mapping")
    parent = data.pop("extends", None)
    if parent:
        if not isinstance(parent, str):
            raise ValueError(f"profile {name_or_path!r}: extends names a profile, not {parent!r}")
        merged = _raw(parent, (*chain, key), path.parent if path is not None else None)
        merged.update(data)
        return merged
    return data


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or a YAML file that may ``extends`` one."""
    data = _raw(name_or_path)
    known = {f.name for f in fields(Profile)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"profile {name_or_path!r} has unknown keys: {', '.join(sorted(unknown))}")
    if "name" not in data:
        raise ValueError(f"profile {name_or_path!r} has no name")
    for key, value in data.items():
        problem = _value_problem(key, value)
        if problem:
            raise ValueError(f"profile {name_or_path!r}: {key} {problem}, not {value!r}")
    if isinstance(data.get("ose_ruc"), int):
        data["ose_ruc"] = str(data["ose_ruc"])  # YAML reads an unquoted RUC as a number
    return Profile(**data)


#: The values a key may take, where the type alone does not say it.
_CHOICES = {"fault_dialect": ("ose", "sunat"), "cdr_style": ("ose", "sunat", "sunat-beta"), "ticket_style": ("beta", "prod"),
            "channel": ("ose", "sunat")}
_KINDS: dict[str, tuple[type, ...]] = {"str": (str,), "bool": (bool,), "int": (int,), "float": (int, float),
                                       "str | None": (str, type(None))}


def _value_problem(key: str, value: Any) -> str | None:
    """What is wrong with a profile value (a file's typo would otherwise surface as an odd answer)."""
    if key == "ose_ruc":
        text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        return None if len(text) == 11 and text.isdigit() else "must be an 11-digit RUC"
    annotation = next(f.type for f in fields(Profile) if f.name == key)
    kinds = _KINDS[str(annotation)]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        return f"must be {' or '.join('null' if kind is type(None) else kind.__name__ for kind in kinds)}"
    if key in _CHOICES and value not in _CHOICES[key]:
        return f"must be one of {', '.join(_CHOICES[key])}"
    if key == "fault_http_status" and not 400 <= value <= 599:
        return "must be an HTTP error status (400–599)"
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return "must not be negative"
    if key in _MAXIMA and value > _MAXIMA[key][0]:
        return f"must be at most {_MAXIMA[key][0]} ({_MAXIMA[key][1]})"
    return None


#: The largest value of a count, and why.
_MAXIMA = {"ticket_after_polls": (MAX_TICKET_POLLS, "as the admin API's after_polls"),
           "ticket_after_seconds": (MAX_TICKET_SECONDS, "a day, as the admin API's after_seconds"),
           "max_days_late": (MAX_DAYS_LATE, "the days the clock spans")}


def builtin_profiles() -> tuple[str, ...]:
    """Names of the profiles shipped with osemock."""
    return _BUILTIN
