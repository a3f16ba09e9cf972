"""How long one case of the kit may wait for answers that never come.

The emitter client is careful with a send that times out: it asks getStatusCdr (retried) before it
sends again.  Against an endpoint that takes connections and never answers, each of those calls
waited the whole timeout, so one case cost about six times ``--timeout``.  The kit's client shares
one allowance among a case's calls instead: the timeout, plus a short last chance
(:data:`RECOVERY` s) for the getStatusCdr that asks whether a timed-out send went through.  Only
calls that got no answer spend it (a slow answer, a ticket polled at 98, cost nothing), and once it
is spent the case's further calls are not made: they fail at once, as the timeout they would meet.

    client = CaseClient(url, ruc, user, password, timeout=60)
    client.new_case()          # before each case (a fixture's fresh client starts with one)
"""
from __future__ import annotations

import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from osemock.client import OseClient

#: Seconds a call may still wait after a case has waited its whole timeout in vain: enough for a
#: getStatusCdr to say whether a send whose answer was lost went through.
RECOVERY = 5.0


class CaseTime:
    """What one case has waited in vain, and what a call of it may still wait."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.new_case()

    def new_case(self) -> None:
        self.waited = 0.0
        """Seconds the case's calls spent without an answer."""
        self.last: type[requests.Timeout] = requests.ReadTimeout

    def allowance(self) -> float:
        """Seconds the next call may wait: the timeout, or what is left of the case's."""
        return min(self.timeout, self.timeout + min(RECOVERY, self.timeout) - self.waited)


class _Sharing(HTTPAdapter):
    """Gives each request what its case may still wait; refuses one when nothing is left."""

    def __init__(self, case: CaseTime) -> None:
        super().__init__()
        self.case = case

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             **kwargs: Any) -> requests.Response:
        allowance = self.case.allowance()
        if allowance <= 0:
            raise self.case.last(f"not sent: this case already waited {self.case.waited:.0f} s for answers that "
                                 f"did not come (timeout {self.case.timeout:g} s)", request=request)
        if isinstance(timeout, tuple):
            timeout = tuple(allowance if t is None else min(t, allowance) for t in timeout)
        else:
            timeout = allowance if timeout is None else min(timeout, allowance)
        started = time.monotonic()
        try:
            return super().send(request, stream=stream, timeout=timeout, **kwargs)
        except requests.Timeout as error:
            self.case.waited += time.monotonic() - started
            self.case.last = type(error)  # a connection never made stays "not sent"
            raise


class CaseClient(OseClient):
    """An :class:`~osemock.client.OseClient` whose calls of one case share :class:`CaseTime`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case_time = CaseTime(self.timeout)
        adapter = _Sharing(self.case_time)
        for service in (self._bill, self._consult):
            if service is not None:  # zeep's service proxy; its client's transport holds the session
                session = service._client.transport.session
                session.mount("http://", adapter)
                session.mount("https://", adapter)

    def new_case(self) -> None:
        """The next calls are a new case's: nothing waited yet."""
        self.case_time.new_case()
