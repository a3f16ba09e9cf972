"""A target made concrete: the in-process mock started when the target is ``mock``, or the
target's URL, and clients for it.

    with connect(Target()) as connection:          # an in-process mock until the block ends
        client = connection.client()               # signs with the target's certificate
        client.send_bill(xml)
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from typing import Iterator

import requests
from cryptography import x509

from osemock.client import RetryPolicy
from osemock.conformance.casetime import CaseClient
from osemock.conformance.target import Target


def make_client(target: Target, url: str, trusted: list[x509.Certificate] | None = None,
                sign: bool = True, password: str | None = None) -> CaseClient:
    """An OseClient for ``target`` at ``url`` (the in-process mock's URL when the target is ``mock``)
    whose calls of one case share the target's timeout (:mod:`~osemock.conformance.casetime`);
    ``password`` instead of the target's for a case that must be refused."""
    user, own_password = target.credentials
    password = own_password if password is None else password
    return CaseClient(url, target.ruc, user, password, trusted=trusted, certificate=target.keypair() if sign else None,
                     retry=RetryPolicy(attempts=3, backoff=0.2), timeout=target.timeout)


class Connection:
    """A target made concrete: its URL, the mock behind it (if in-process) and how to reach it."""

    def __init__(self, target: Target, server=None) -> None:
        from osemock.client.endpoints import resolve
        from osemock.conformance.admin import OseAdmin

        self.target = target
        self.server = server
        self.url = server.url if server is not None else resolve(target.endpoint).url
        self._admin: OseAdmin | None = OseAdmin(self.url, timeout=min(5.0, target.timeout))
        """The target's admin API while it may be an osemock (``None`` once it proved not to be one)."""

    def issue_day(self) -> date:
        """The day a document sent now is issued: the osemock's own clock when the target is one (a
        mock started with ``--clock`` at a past date judges 2329 and the deadlines by it), Lima's
        today otherwise (a real OSE, asked once)."""
        from osemock.conformance.admin import AdminError
        from osemock.server.clock import LIMA, parse_moment

        if self._admin is not None:
            try:
                return parse_moment(self._admin.clock()["now"]).date()
            except (AdminError, requests.RequestException, KeyError, TypeError, ValueError):
                self._admin = None
        return datetime.now(LIMA).date()

    @property
    def trusted(self) -> list[x509.Certificate] | None:
        """The in-process mock's CDR certificate (a real endpoint's CDRs are checked for integrity only)."""
        return [self.server.certificate] if self.server is not None else None

    def client(self, sign: bool = True, password: str | None = None) -> CaseClient:
        return make_client(self.target, self.url, self.trusted, sign, password)

    def reset(self) -> None:
        """The in-process mock back to the state it started in (the admin API's reset); nothing for a
        target reached by URL, which this connection may share with other runs (an osemock there is
        reset through its admin API by ``ose_admin``, a real OSE keeps everything)."""
        if self.server is not None:
            self.server.reset()


@contextmanager
def connect(target: Target) -> Iterator[Connection]:
    """``with connect(target) as connection``: the in-process mock started (and stopped after) when
    the target is ``mock``; the target's URL otherwise."""
    if not target.is_mock:
        yield Connection(target)
        return
    from osemock.conformance.server import MockServer

    with MockServer(target.profile, registry=target.registry, clock=target.clock) as server:
        yield Connection(target, server)
