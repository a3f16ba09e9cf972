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
from osemock.server.profiles import Profile
from osemock.server.store import Store

KEY = "ticket_progression"


def prepare(store: Store) -> None:
    with store.transaction() as db:
        db.execute(STATE_TABLE)


def override(store: Store) -> dict[str, Any]:
    """The stored override (``{}`` when the profile's values stand)."""
    rows = store.query("SELECT value FROM osemock_state WHERE key=?", (KEY,))
    return json.loads(rows[0]["value"]) if rows else {}


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
