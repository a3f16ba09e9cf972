"""A request refused at the HTTP level, before any SOAP: what is not for the SOAP fault to say."""
from __future__ import annotations


class RequestRefused(Exception):
    """Raised when the protocol layer cannot unpack a request's body (an encoding it does not know, bytes
    that do not decompress, a multipart that is not one); the answer is ``status`` with one plain line."""

    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers
