"""How long one case of the kit may wait for answers that never come.

The emitter client is careful with a send that times out: it asks getStatusCdr (retried) before it
sends again.  Against an endpoint that takes connections and never answers, each of those calls
waited the whole timeout, so one case cost about six times ``--timeout``.  The kit's client shares
one allowance among a case's calls instead: the timeout, plus a short last chance
(:data:`RECOVERY` s) for the getStatusCdr that asks whether a timed-out send went through.  Only
calls that got no answer spend it (a slow answer, a ticket polled at 98, cost nothing), and once it
is spent the case's further calls are not made: they fail at once (the client's ``NotSent``, caused
by the timeout they would meet), and the client says they were not sent.

    client = CaseClient(url, ruc, user, password, timeout=60)
    client.new_case()          # before each case (a fixture's fresh client starts with one)
"""
from __future__ import annotations

from typing import Any

import requests

from osemock.client import OseClient

#: Seconds a call may still wait after a case has waited its whole timeout in vain: enough for a
#: getStatusCdr to say whether a send whose answer was lost went through.
RECOVERY = 5.0


class CaseTime:
    """What one case has waited in vain, and what a call of it may still wait: the client's
    :class:`~osemock.client.transport.CallBudget` for the calls of one case."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.new_case()

    def new_case(self) -> None:
        self.waited = 0.0
        """Seconds the case's calls spent without an answer."""
        self.last: type[requests.Timeout] = requests.ReadTimeout

    def allowance(self) -> float:
        """Seconds the next call may wait: the timeout, or what is left of the case's; when nothing is
        left the call is not made, and fails as the timeout it would meet (the kind of the case's last
        call that got no answer: a send whose connection was never made stays one never sent)."""
        left = min(self.timeout, self.timeout + min(RECOVERY, self.timeout) - self.waited)
        if left <= 0:
            raise self.last(f"this case already waited {self.waited:.0f} s for answers that "
                            f"did not come (timeout {self.timeout:g} s)")
        return left

    def waited_in_vain(self, seconds: float, error: requests.Timeout) -> None:
        self.waited += seconds
        self.last = type(error)  # a connection never made stays "not sent"


class CaseClient(OseClient):
    """An :class:`~osemock.client.OseClient` whose calls of one case share :class:`CaseTime`."""

    def __init__(self, *args: Any, timeout: float = 30.0, **kwargs: Any) -> None:
        self.case_time = CaseTime(timeout)
        super().__init__(*args, timeout=timeout, budget=self.case_time, **kwargs)

    def new_case(self) -> None:
        """The next calls are a new case's: nothing waited yet."""
        self.case_time.new_case()
