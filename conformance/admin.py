"""Scenario control of a target that is an osemock: the whole admin API
(:class:`~osemock.server.admin.client.AdminClient`: reset, seed, journal, snapshots, clock, tickets,
scenarios) plus the kit's shorthands.

    admin = OseAdmin("http://127.0.0.1:8080/ol-ti-itcpe/billService")
    admin.plan_fault(operation="sendBill", code="0130", times=2)
    admin.settle(ticket)                    # a pending ticket becomes due now
    admin.hold(ticket, after_polls=3)       # …or answers 98 three more times
    admin.scenario(action="lost", operation="sendBill", delay_seconds=3)

A real OSE has none of this: :meth:`available` says whether the target is an osemock.  Each call
ends within ``timeout`` in all (:class:`~osemock.client.transport.DeadlineSession`): a target that
drips its answer a byte at a time would otherwise hold the kit for good.
"""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlsplit

import requests
from cryptography import x509
from urllib3.exceptions import ConnectTimeoutError

from osemock.client.transport import DeadlineSession
from osemock.server.admin.client import AdminClient, AdminError

__all__ = ["OseAdmin", "AdminError", "unreachable"]


def unreachable(error: requests.ConnectionError) -> str | None:
    """Why no connection was made (``[Errno 111] Connection refused``, ``Failed to resolve 'host'…``,
    a connect timeout), or ``None`` when one was made and then failed (the server answered something)."""
    if isinstance(error, requests.ConnectTimeout):
        return "no connection within the timeout"
    reason = getattr(error.args[0], "reason", None) if error.args else None
    if isinstance(reason, ConnectTimeoutError):  # NewConnectionError and NameResolutionError are ones
        return str(reason).rsplit(": ", 1)[-1]
    return None


class OseAdmin(AdminClient):
    """The admin API of the osemock behind ``url`` (any of its URLs: the billService one is kept as
    :attr:`endpoint`)."""

    def __init__(self, url: str, reset: Callable[[], None] | None = None, timeout: float = 10.0,
                 mock: Any = None) -> None:
        parts = urlsplit(url)
        super().__init__(f"{parts.scheme}://{parts.netloc}", session=DeadlineSession(), timeout=timeout)
        self.endpoint = url if parts.path not in ("", "/") else f"{self.base_url}/ol-ti-itcpe/billService"
        self.mock = mock
        """The in-process mock when the kit started it, ``None`` for a mock running elsewhere."""
        self._local_reset = reset

    def available(self) -> bool:
        """The target answers ``/_osemock/health`` as an osemock does (JSON with its status and
        profile): not a real OSE, nor a gateway or web server that answers any path with a page.
        Where no connection is made at all (refused, an unknown host, none within the timeout) nothing
        says what the target is: ``requests.ConnectionError`` (:func:`unreachable` says why), as a mock
        that is down is an error, not a target without scenario control."""
        try:
            response = self.session.get(f"{self.base_url}/_osemock/health", timeout=self.timeout)
            answer = response.json() if response.status_code == 200 else None
        except requests.ConnectionError as error:
            if unreachable(error) is not None:
                raise
            return False
        except (requests.RequestException, ValueError):
            return False
        return isinstance(answer, dict) and answer.get("status") == "ok" and isinstance(answer.get("profile"), str)

    def certificate(self) -> x509.Certificate:
        """The certificate the mock signs its CDRs with."""
        response = self.session.get(f"{self.base_url}/_osemock/certificate.pem", timeout=self.timeout)
        response.raise_for_status()
        return x509.load_pem_x509_certificate(response.content)

    def plan_fault(self, operation: str | None = None, *, code: str | None = None, http_status: int | None = None,
                   delay_seconds: float = 0, times: int = 1) -> list[dict[str, Any]]:
        """Trouble for the next ``times`` calls of ``operation`` (any when ``None``): a scenario."""
        body: dict[str, Any] = {"operation": operation, "delay_seconds": delay_seconds, "times": times}
        if code is not None:
            body["code"] = code
        if http_status is not None:
            body["http_status"] = http_status
        return self.call("POST", "/faults", body)

    def faults(self) -> list[dict[str, Any]]:
        return self.call("GET", "/faults")

    def clear_faults(self) -> None:
        self.call("DELETE", "/faults")

    def settle(self, ticket: str) -> dict[str, Any]:
        """Make a pending ticket due now: the next getStatus processes it."""
        return self.release(ticket)

    def hold(self, ticket: str, after_polls: int | None = None, after_seconds: float | None = None) -> dict[str, Any]:
        """Keep a pending ticket at 98 for more polls or seconds."""
        return self.release(ticket, after_polls=after_polls, after_seconds=after_seconds)

    def reset(self, registry: bool = False) -> dict[str, Any]:
        """Forget every document, ticket, request and scenario, and put the ticket progression and the
        clock back as configured: the in-process mock's own reset when the kit started it (the same
        one the admin API runs), the admin API's otherwise."""
        if self._local_reset is not None and not registry:
            self._local_reset()
            return {"reset": True}
        return super().reset(registry=registry)
