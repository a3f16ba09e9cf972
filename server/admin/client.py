"""A Python client of the admin API, shared by ``osemock admin`` and the ``ose_admin`` pytest fixture.

    admin = AdminClient("http://127.0.0.1:8080")
    admin.scenario(action="lost", operation="sendBill", delay_seconds=3)
    admin.freeze("2026-11-20T12:00:00-05:00"); admin.advance(days=4)
"""
from __future__ import annotations

from typing import Any

import requests

from osemock.client.transport import DeadlineSession
from osemock.server.admin.api import PREFIX


class AdminError(RuntimeError):
    """Raised when the admin API answers an error (its ``message`` is the text)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class AdminClient:
    """One mock's admin API at ``base_url`` (``http://host:port``, no path).

    Each call ends within ``timeout`` seconds in all (a :class:`~osemock.client.transport.DeadlineSession`,
    unless another ``session`` is given), raising ``requests.ReadTimeout`` past it: requests' own timeout
    is per read, and a server that dripped its answer held ``osemock admin`` for ever."""

    def __init__(self, base_url: str, session: requests.Session | None = None, timeout: float = 30,
                 snapshot_timeout: float = 600) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or DeadlineSession()
        self.timeout = timeout
        self.snapshot_timeout = snapshot_timeout
        """A snapshot's export or import moves the whole store (up to ``OSE_MAX_ADMIN_BYTES``): it gets longer."""

    def call(self, method: str, path: str, json: Any = None, timeout: float | None = None, **params: Any) -> Any:
        """One request to ``/_osemock{path}``; the decoded JSON answer, :class:`AdminError` otherwise."""
        response = self.session.request(method, f"{self.base_url}{PREFIX}{path}", json=json,
                                        params={k: v for k, v in params.items() if v is not None},
                                        timeout=timeout or self.timeout)
        try:
            answer = response.json()
        except ValueError:  # not JSON: another server at that URL (its HTML error page, say)
            if response.status_code == 413:  # the HTTP server (or a proxy before it) refused the size
                size = len(response.request.body or b"")
                raise AdminError(413, f"{self.base_url} refused the request as too large (HTTP 413, {size} bytes "
                                      "sent): OSE_MAX_ADMIN_BYTES where the mock runs raises its limit (a proxy "
                                      "in front of it has its own)") from None
            kind = response.headers.get("Content-Type", "").split(";", 1)[0] or "no content type"
            raise AdminError(response.status_code, f"{self.base_url} answered HTTP {response.status_code} with {kind}, "
                                                   "not the osemock admin API: is it a running mock?") from None
        if response.status_code >= 400:
            message = answer.get("message") if isinstance(answer, dict) else None
            raise AdminError(response.status_code, str(message or answer))
        return answer

    # -- state ---------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self.call("GET", "/health")

    def reset(self, registry: bool = False) -> dict[str, Any]:
        return self.call("POST", "/reset", {"registry": registry})

    def seed(self, registry: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", "/seed", registry)

    def emitters(self) -> list[dict[str, Any]]:
        return self.call("GET", "/emitters")

    def export_snapshot(self, journal: bool = True) -> dict[str, Any]:
        return self.call("GET", "/snapshot", timeout=self.snapshot_timeout, journal=str(journal).lower())

    def import_snapshot(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        return self.call("PUT", "/snapshot", snapshot, timeout=self.snapshot_timeout)

    def journal(self, limit: int = 100, **filters: Any) -> list[dict[str, Any]]:
        return self.call("GET", "/journal", limit=limit, **filters)

    def journal_entry(self, entry_id: int) -> dict[str, Any]:
        return self.call("GET", f"/journal/{entry_id}")

    # -- clock -----------------------------------------------------------------------------------
    def clock(self) -> dict[str, Any]:
        return self.call("GET", "/clock")

    def freeze(self, at: str | None = None) -> dict[str, Any]:
        return self.call("POST", "/clock/freeze", {"at": at} if at else {})

    def advance(self, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0) -> dict[str, Any]:
        return self.call("POST", "/clock/advance", {"seconds": seconds, "minutes": minutes, "hours": hours, "days": days})

    def unfreeze(self) -> dict[str, Any]:
        return self.call("POST", "/clock/unfreeze")

    # -- tickets ---------------------------------------------------------------------------------
    def tickets(self) -> dict[str, Any]:
        return self.call("GET", "/tickets")

    def ticket(self, ticket: str) -> dict[str, Any]:
        return self.call("GET", f"/tickets/{ticket}")

    def release(self, ticket: str, after_polls: int | None = None, after_seconds: float | None = None) -> dict[str, Any]:
        """When a pending ticket becomes due; no arguments settle it now."""
        data = {k: v for k, v in (("after_polls", after_polls), ("after_seconds", after_seconds)) if v is not None}
        return self.call("POST", f"/tickets/{ticket}", data)

    def progression(self, after_polls: int | None = None, after_seconds: float | None = None) -> dict[str, Any]:
        """How new tickets progress (98 for ``after_polls`` polls and ``after_seconds`` seconds)."""
        data = {k: v for k, v in (("after_polls", after_polls), ("after_seconds", after_seconds)) if v is not None}
        return self.call("POST", "/tickets/progression", data)

    # -- scenarios -------------------------------------------------------------------------------
    def scenario(self, **spec: Any) -> dict[str, Any]:
        """Plan one scenario (see :mod:`osemock.server.admin.scenarios` for the fields)."""
        return self.call("POST", "/scenarios", spec)

    def scenarios(self, active: bool = False) -> list[dict[str, Any]]:
        return self.call("GET", "/scenarios", active=str(active).lower())

    def remove_scenario(self, scenario_id: int) -> dict[str, Any]:
        return self.call("DELETE", f"/scenarios/{scenario_id}")

    def clear_scenarios(self) -> list[Any]:
        return self.call("DELETE", "/scenarios")
