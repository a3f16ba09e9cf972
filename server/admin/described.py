"""The admin API's OpenAPI description (``openapi.yaml`` beside this module), and bodies checked against it.

The description is what a client reads at ``/_osemock/openapi.json``; checking a body against the same
schemas makes "outside the description" and "400" one thing.  Hand-written checks let
``"serie": {"a": 1}`` through (stored as the text ``{'A': 1}``) and turned ``"match": "x"`` into a 500.
What a schema cannot say (a code in SUNAT's catalog, an observation only on sendBill) stays with the
module that owns it (:func:`osemock.server.admin.scenarios.parse_spec`).
"""
from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from osemock.server import registry
from osemock.server.admin.fields import FieldError


@lru_cache(maxsize=1)
def description() -> dict[str, Any]:
    """``openapi.yaml``, with what other modules own filled in so it cannot drift from them: the registry
    schema the seed route checks against, and the tables a snapshot holds."""
    from osemock.server.admin.snapshot import TABLES  # the snapshot checks its scenarios with this module

    spec = yaml.safe_load(files("osemock.server.admin").joinpath("openapi.yaml").read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    registry_schema = _refs_under(registry.schema(), "#/$defs/", "#/components/schemas/Registry_")
    for name, definition in registry_schema.pop("$defs").items():
        schemas[f"Registry_{name}"] = definition
    registry_schema.pop("$schema", None)
    schemas["Registry"] = {**registry_schema, "description": schemas["Registry"]["description"]}
    schemas["Snapshot"]["properties"]["tables"]["propertyNames"]["enum"] = list(TABLES)
    return spec


def _refs_under(node: Any, old: str, new: str) -> Any:
    """``node`` with every ``$ref`` starting ``old`` made to start ``new``."""
    if isinstance(node, dict):
        return {key: (new + value[len(old):] if key == "$ref" and isinstance(value, str) and value.startswith(old)
                      else _refs_under(value, old, new)) for key, value in node.items()}
    if isinstance(node, list):
        return [_refs_under(item, old, new) for item in node]
    return node


@lru_cache(maxsize=None)
def _validator(schema: str, many: bool) -> Draft202012Validator:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    root = {"type": "array", "items": ref} if many else ref
    return Draft202012Validator({**root, "components": description()["components"]},
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def check(schema: str, data: Any, many: bool = False, where: str = "") -> None:
    """:class:`FieldError` naming the first place where ``data`` (a list of them with ``many``) is not the
    description's ``schema``; ``where`` is put before the place (``scenarios[3]``)."""
    error = best_match(_validator(schema, many).iter_errors(data))
    if error is not None:
        place = where + error.json_path.removeprefix("$")
        raise FieldError(f"{place.lstrip('.') or 'the body'}: {error.message}")
