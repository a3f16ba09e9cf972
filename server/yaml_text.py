"""Reading a hand-written YAML file (a profile, the registry), and where it stops being YAML, in one line.

PyYAML's own message is six lines, with the text quoted and a caret, and names the file
``"<unicode string>"`` (it was given the text, not the file); the caller names the file.
"""
from __future__ import annotations

from typing import Any

import yaml

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _TextDates(yaml.SafeLoader):
    """PyYAML's safe loader, but a date stays the text written: ``retired_at: 2026-02-30`` made
    PyYAML's own ValueError ("day is out of range for month"), which names no place, where the schema
    names the field; and a real date came as a ``date`` the registry had to turn back into text."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value its explicit tag cannot take (``!!int abc``, ``!!bool x``) is a YAML error naming its
        line, as every other one is; PyYAML let the ValueError or KeyError of its conversion through."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, TypeError, OverflowError):
            raise yaml.constructor.ConstructorError(
                None, None, f"not a valid !!{node.tag.rsplit(':', 1)[-1]}: {node.value!r}",
                node.start_mark) from None


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_TextDates.add_constructor(_TIMESTAMP, lambda loader, node: loader.construct_scalar(node))  # !!timestamp too


def read_yaml(text: str) -> Any:
    """The YAML ``text`` as PyYAML's safe loader reads it, dates left as their text."""
    return yaml.load(text, Loader=_TextDates)  # noqa: S506 - a SafeLoader subclass


def yaml_problem(error: yaml.YAMLError) -> str:
    """``line L, column C: what`` (and what it was reading, from where), for a message after the file's name."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None)
    if mark is None or problem is None:
        if isinstance(error, yaml.reader.ReaderError):
            return f"character {error.position + 1}: {error.reason}"
        return str(error).replace('in "<unicode string>", ', "").replace("\n", " ")
    where = f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context and context_mark is not None and context_mark.line != mark.line:
        where += f" ({context} at line {context_mark.line + 1})"
    elif context:
        where += f" ({context})"
    return where
