"""The mock's one full reset, back to the state it started in: ``POST /_osemock/reset`` and the
conformance kit's in-process mock both call :func:`reset_mock`.

There were two resets before: the admin API's (documents, tickets, journal, scenarios, ticket
progression, clock) and the kit's in-process mock's, which only emptied the store's documents,
tickets and journal.  A scenario planned ``times=None``, a frozen clock or a held ticket progression
then reached every later test of a suite run against the in-process mock, and only there.
"""
from __future__ import annotations

from osemock.server.admin import progression
from osemock.server.engine.core import EngineState
from osemock.server.profiles import Profile


def reset_mock(engine: EngineState, configured: Profile, registry: bool = False) -> None:
    """Forget every document, ticket, request and scenario; put the ticket progression back to
    ``configured`` (the profile the mock was started with) and the clock back to its start (its
    ``--clock``, or the real time).  ``registry``: forget the emitter registry too (emitters, SOL users,
    certificates, taxpayers…), which otherwise stays, as a server's registry file is read once."""
    store = engine.store
    store.reset()
    with store.transaction() as db:
        db.execute("DELETE FROM scenarios")
    if registry:
        store.forget_registry()
    progression.clear(store)
    engine.profile = configured
    engine.clock.restart()
