"""Numbers in the admin API's JSON bodies, checked before they reach the store, the clock or a sleep.

JSON gives more than a scenario or a clock move can hold: ``NaN`` and ``Infinity`` (Python's json
reads both), integers past SQLite's 2**63, seconds past what a ``timedelta`` holds. Each is a 400
with the field's name, never a 500 from deep inside.
"""
from __future__ import annotations

import math
from typing import Any


class FieldError(ValueError):
    """A field of an admin request is wrong (the admin API answers 400 with the message)."""


def number(data: dict[str, Any], name: str, kind: type = float, minimum: float | None = None,
           maximum: float | None = None) -> Any:
    """``data[name]`` as ``kind`` (``None`` when absent), finite and within ``minimum``…``maximum``."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):  # "7" is text, as the OpenAPI types say
        raise FieldError(f"{name} must be a number")
    if kind is int and isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise FieldError(f"{name} must be a whole number")  # 1.9 read as 1 targeted another document
    try:
        result = kind(value)
    except (TypeError, ValueError, OverflowError):
        raise FieldError(f"{name} must be a number") from None
    if isinstance(result, float) and not math.isfinite(result):
        raise FieldError(f"{name} must be a finite number")
    if minimum is not None and result < minimum:
        raise FieldError(f"{name} must be at least {minimum:g}")
    if maximum is not None and result > maximum:
        raise FieldError(f"{name} must be at most {maximum:g}")
    return result
