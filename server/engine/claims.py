"""Claims: which request settles a pending ticket, for as long as it works on it.

Whichever request finds a due ticket claims it in one UPDATE, so among several threads or server
processes sharing the store one settles it.  A claim not renewed for :data:`CLAIM_TIMEOUT` of real time
is taken over, so a crash never leaves a ticket at 98 for good; a settling renews its claim with each
write it makes, and a lot with each entry it judges, stored or refused, so one that is slow but alive
keeps it (renewed only by what it stored, a run of refused entries let a lot's claim age, and another
process settled the lot a second time).

A settling that stalled past the timeout (a stopped or starved process) finds on its next write that
the ticket is no longer its own: :class:`ClaimLost` undoes that write, and the settling ends without
storing anything more.  Its final write checked nothing and a lot taken over at 0 became 99 when the
first resumed, naming as a duplicate the document the other had stored meanwhile.
"""
from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from osemock.server.clock import stored_moment
from osemock.server.store import Store

CLAIM_TIMEOUT = timedelta(seconds=60)


class ClaimLost(Exception):
    """The ticket is no longer this settling's: another request took it over after the claim aged past
    :data:`CLAIM_TIMEOUT`, or an admin reset forgot it.  The transaction it is raised in is undone."""


@dataclass
class Claim:
    """One settling's hold on a pending ticket: its number and the token its claim wrote."""

    ticket: str
    token: str
    renewals: int = 0
    """How often :meth:`hold` renewed it: a lot's settling renews it on its own after an entry whose
    judging stored nothing (and so renewed nothing)."""

    @classmethod
    def take(cls, store: Store, ticket: str) -> Claim | None:
        """The ticket's claim, if it is pending and nobody holds it (or the holder's claim aged out).

        The holder's claim is read and aged as a moment, in this write transaction (no one claims or
        renews meanwhile): compared as text with the UTC moment written here, a claim in another ISO
        form a snapshot imported (Lima's offset, ``Z``) aged wrongly, taken over while live or held for
        hours after its settling died."""
        # real time, not the mock's clock: a frozen clock never ages a claim, an advanced one ages a live one
        now = datetime.now(timezone.utc)
        token = uuid.uuid4().hex
        with store.transaction() as db:
            pending = db.execute("SELECT claimed_at FROM tickets WHERE ticket=? AND status_code='98'",
                                 (ticket,)).fetchone()
            if pending is None or not _aged_out(pending["claimed_at"], now):
                return None
            db.execute("UPDATE tickets SET claimed_at=?, claimed_by=? WHERE ticket=?", (now.isoformat(), token, ticket))
        return cls(ticket, token)

    def hold(self, db: sqlite3.Connection) -> None:
        """In the caller's write transaction: the ticket is still this settling's, its claim renewed to
        now; :class:`ClaimLost` otherwise (nothing of that transaction may be committed)."""
        renewed = db.execute(
            "UPDATE tickets SET claimed_at=? WHERE ticket=? AND status_code='98' AND claimed_by=?",
            (datetime.now(timezone.utc).isoformat(), self.ticket, self.token)).rowcount
        if not renewed:
            raise ClaimLost(self.ticket)
        self.renewals += 1

    def renew(self, store: Store) -> None:
        """:meth:`hold` in a write transaction of its own: between two steps of a settling that write
        nothing, so the claim does not age while the settling is alive."""
        with store.transaction() as db:
            self.hold(db)


def _aged_out(claimed_at: str | None, now: datetime) -> bool:
    """Whether a claim made at ``claimed_at`` (ISO text, ``None``: never claimed) no longer holds at ``now``.
    A moment without an offset is UTC's, as every claim is written; one that is no date-time at all (a
    store edited by hand) holds nothing, rather than the ticket at 98 for good."""
    moment = stored_moment(claimed_at)
    return moment is None or moment < now - CLAIM_TIMEOUT
