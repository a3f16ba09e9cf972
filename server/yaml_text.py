"""Where a hand-written YAML file (a profile, the registry) stops being YAML, in one line.

PyYAML's own message is six lines, with the text quoted and a caret, and names the file
``"<unicode string>"`` (it was given the text, not the file); the caller names the file.
"""
from __future__ import annotations

import yaml


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
