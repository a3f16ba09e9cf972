"""The exceptions of the CPE domain.

One exception, :class:`SunatError`, carries any code of SUNAT's catalog; the protocol layer renders it
as a SOAP fault or a rejection CDR.  The few other classes describe failures that are not (yet) a SUNAT
answer, such as a certificate that cannot be loaded.
"""
from __future__ import annotations


class CpeError(Exception):
    """Root of every error raised by osemock's domain code."""


class SunatError(CpeError):
    """Raised when a request or document earns a code of SUNAT's catalog.

    ``detail`` is the part SUNAT writes after `` - Detalle: `` in a fault, or after the message in a
    CDR note: for example ``'(nodo: "cbc:ID" valor: "F001-1")'`` or an XSD error with its line.
    """

    def __init__(self, code: str, detail: str | None = None) -> None:
        from osemock.cpe.catalog import lookup

        self.code = code
        self.detail = detail
        self.message = lookup(code).message
        super().__init__(f"{code}: {self.message}" + (f" - Detalle: {detail}" if detail else ""))


class InvalidInput(ValueError, CpeError):
    """Raised when a caller passes something that is not a CPE artefact at all (bad key, bad path)."""


class SignatureError(CpeError):
    """Raised when an XML signature is missing, malformed or does not verify."""


class ArchiveError(CpeError):
    """Raised when a ZIP cannot be built or read for reasons outside SUNAT's codes."""
