"""WS-Security UsernameToken: read it from the SOAP header and check it against the registry.

SUNAT splits the username into the RUC (11 digits) and the SOL user (PROTOCOL.md §4, §13).  The
header is parsed namespace-aware and prefix-agnostic (Greenter binds two prefixes to one namespace),
the ``Type`` attribute of the password is optional and unknown headers (WS-Addressing) are ignored.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from osemock.cpe import ns
from osemock.cpe.errors import SunatError
from osemock.cpe.numbers import digits
from osemock.server.profiles import Profile
from osemock.server.store import Store


@dataclass(frozen=True)
class Credentials:
    """Username and password as sent."""

    username: str
    password: str


@dataclass(frozen=True)
class Principal:
    """Who is calling: the RUC and SOL user of an authenticated username."""

    ruc: str
    user: str

    @property
    def username(self) -> str:
        return self.ruc + self.user


def read_credentials(header: etree._Element | None) -> Credentials:
    """The UsernameToken of a SOAP header; 0101 when the security header is missing or garbled."""
    if header is None:
        raise SunatError("0101", "No se encontro el encabezado de seguridad")
    token = header.find(f"{{{ns.WSSE}}}Security/{{{ns.WSSE}}}UsernameToken")
    if token is None:
        raise SunatError("0101", "No se encontro wsse:Security/wsse:UsernameToken")
    username = token.findtext(f"{{{ns.WSSE}}}Username")
    password = token.findtext(f"{{{ns.WSSE}}}Password")
    if not username or password is None:
        raise SunatError("0101", "UsernameToken sin Username o Password")
    return Credentials(username.strip(), password)


def authenticate(credentials: Credentials, store: Store, profile: Profile) -> Principal:
    """The principal behind the credentials, or the SUNAT code that refuses them.

    Registered SOL users are checked first (0104 wrong password, 0105 inactive, 0111 no profile to
    send); otherwise the profile's wildcard user (``MODDATOS``, ``BIZLINKS``) is accepted for any
    RUC; anything else is an unknown user (0103).  Profiles without detailed codes answer 0102.
    """
    username = credentials.username
    ruc, user = username[:11], username[11:]

    def refuse(code: str, detail: str) -> SunatError:
        return SunatError(code if profile.detailed_auth_codes else "0102", detail)

    if not (digits(ruc) and len(ruc) == 11 and user):
        raise SunatError("0102", f"Usuario {username!r} no tiene la forma RUC + usuario SOL")
    registered = store.sol_user(ruc, user)
    if registered is not None:
        if credentials.password != registered.password:
            raise refuse("0104", f"Clave incorrecta para {username}")
        if not registered.active:
            raise SunatError("0105", f"Usuario {username} inactivo")
        if not registered.can_send:
            raise SunatError("0111", "Rejected by policy.")
        return Principal(ruc, registered.user)
    wildcard = profile.wildcard_user
    if wildcard and user.upper() == wildcard.upper():
        if credentials.password != profile.wildcard_password:
            raise refuse("0104", f"Clave incorrecta para {username}")
        return Principal(ruc, user)
    raise refuse("0103", f"Usuario {username} no existe")
