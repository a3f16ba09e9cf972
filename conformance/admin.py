"""Scenario control of a mock through its reserved ``/_osemock`` prefix: faults, tickets, health,
its certificate, and (in-process) the store reset.

    admin = OseAdmin("http://127.0.0.1:8080")
    admin.plan_fault(operation="sendBill", code="0130", times=2)
    admin.settle(ticket)                    # a pending ticket becomes due now
    admin.hold(ticket, after_polls=3)       # …or answers 98 three more times

A real OSE has none of this: :meth:`available` says whether the target is an osemock.
"""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlsplit

import requests
from cryptography import x509


class AdminError(Exception):
    """The mock refused a scenario request (the message carries its answer)."""


class OseAdmin:
    """A small client of the admin endpoints that exist on every osemock."""

    def __init__(self, url: str, reset: Callable[[], None] | None = None, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        self.base_url = f"{parts.scheme}://{parts.netloc}/_osemock"
        self._reset = reset
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(method, self.base_url + path, json=body, timeout=self.timeout)
        if response.status_code != 200:
            raise AdminError(f"{method} {path}: HTTP {response.status_code} {response.text.strip()}")
        return response.json() if "json" in response.headers.get("Content-Type", "") else response.content

    def available(self) -> bool:
        """The target answers ``/_osemock/health`` (it is an osemock, not a real OSE)."""
        try:
            return requests.get(self.base_url + "/health", timeout=self.timeout).status_code == 200
        except requests.RequestException:
            return False

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def certificate(self) -> x509.Certificate:
        """The certificate the mock signs its CDRs with."""
        return x509.load_pem_x509_certificate(self._call("GET", "/certificate.pem"))

    def plan_fault(self, operation: str | None = None, *, code: str | None = None, http_status: int | None = None,
                   delay_seconds: float = 0, times: int = 1) -> list[dict[str, Any]]:
        """Trouble for the next ``times`` calls of ``operation`` (any when ``None``)."""
        body: dict[str, Any] = {"operation": operation, "delay_seconds": delay_seconds, "times": times}
        if code is not None:
            body["code"] = code
        if http_status is not None:
            body["http_status"] = http_status
        return self._call("POST", "/faults", body)

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def ticket(self, ticket: str) -> dict[str, Any]:
        """A ticket's state in the mock (status 98/0/99, polls, when it becomes due)."""
        return self._call("GET", f"/tickets/{ticket}")

    def settle(self, ticket: str) -> dict[str, Any]:
        """Make a pending ticket due now: the next getStatus processes it."""
        return self._call("POST", f"/tickets/{ticket}", {})

    def hold(self, ticket: str, after_polls: int | None = None, after_seconds: float | None = None) -> dict[str, Any]:
        """Keep a pending ticket at 98 for more polls or seconds."""
        body = {k: v for k, v in (("after_polls", after_polls), ("after_seconds", after_seconds)) if v is not None}
        return self._call("POST", f"/tickets/{ticket}", body)

    def reset(self) -> None:
        """Forget every document, ticket, request and fault (only for a mock this process started)."""
        if self._reset is None:
            raise AdminError("reset needs the in-process mock (the admin API has no reset endpoint yet)")
        self._reset()
