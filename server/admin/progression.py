"""How new tickets progress, as the admin API sets it: shared by every process of a store.

The profile's ``ticket_after_polls`` / ``ticket_after_seconds`` are the configuration; an override is
one row of ``osemock_state`` that each process reads when a sendSummary or sendPack arrives (the only
calls that open tickets), so every gunicorn worker opens its tickets the same way.  ``reset`` drops it.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any

from osemock.server.admin.shared_clock import STATE_TABLE
from osemock.server.profiles import MAX_TICKET_POLLS, MAX_TICKET_SECONDS, Profile
from osemock.server.store import Store

KEY = "ticket_progression"


def prepare(store: Store) -> None:
    with store.transaction() as db:
        db.execute(STATE_TABLE)


def override(store: Store) -> dict[str, Any]:
    """The stored override (``{}`` when the profile's values stand, or when the row is unusable)."""
    rows = store.query("SELECT value FROM osemock_state WHERE key=?", (KEY,))
    if not rows or override_problem(rows[0]["value"]):
        return {}
    return json.loads(rows[0]["value"])


def override_problem(value: Any) -> str | None:
    """What makes a stored override unusable (a snapshot's ``osemock_state`` row), or ``None``."""
    try:
        stored = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        stored = None
    expected = (f'a JSON object of "ticket_after_polls" (a whole number from 0 to {MAX_TICKET_POLLS}) and '
                f'"ticket_after_seconds" (from 0 to {MAX_TICKET_SECONDS})')
    if not isinstance(stored, dict) or not set(stored) <= {"ticket_after_polls", "ticket_after_seconds"}:
        return expected
    polls, seconds = stored.get("ticket_after_polls", 0), stored.get("ticket_after_seconds", 0)
    if isinstance(polls, bool) or not isinstance(polls, int) or not 0 <= polls <= MAX_TICKET_POLLS:
        return expected
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= MAX_TICKET_SECONDS:
        return expected
    return None


def set_override(store: Store, after_polls: int | None, after_seconds: float | None) -> dict[str, Any]:
    """Change how new tickets progress (``None`` keeps that value); returns the whole override."""
    current = override(store)
    if after_polls is not None:
        current["ticket_after_polls"] = after_polls
    if after_seconds is not None:
        current["ticket_after_seconds"] = after_seconds
    with store.transaction() as db:
        db.execute("INSERT OR REPLACE INTO osemock_state (key, value) VALUES (?, ?)", (KEY, json.dumps(current)))
    return current


def clear(store: Store) -> None:
    with store.transaction() as db:
        db.execute("DELETE FROM osemock_state WHERE key=?", (KEY,))


def effective(base: Profile, store: Store) -> Profile:
    """The profile with the stored override applied."""
    changes = override(store)
    return dataclasses.replace(base, **changes) if changes else base
