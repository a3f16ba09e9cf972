"""Where to send: named endpoints (the mock, OSE test environments, SUNAT beta and production) or any URL.

An endpoint knows its billService address, which official WSDL describes it (an OSE's adds
getStatusCdr; SUNAT's has getStatusAR and keeps getStatusCdr in a separate billConsultService) and
where the consult service lives.  A bare URL is recognised by its path: ``/ol-ti-itcpe/`` is an OSE,
``itcpfegem`` SUNAT's factura service, ``otroscpe`` SUNAT's retention/perception service.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path
from urllib.parse import urlsplit

from requests.exceptions import RequestException
from requests.models import PreparedRequest

_SUNAT_CONSULT = "https://e-factura.sunat.gob.pe/ol-it-wsconscpegem/billConsultService"


@dataclass(frozen=True)
class Endpoint:
    """One billService and what comes with it."""

    name: str
    url: str
    wsdl_set: str
    """Official WSDL set (``ose``, ``sunat-beta``, ``sunat-prod``, ``sunat-otroscpe-beta``, …)."""
    consult_url: str | None = None
    """billConsultService for getStatusCdr, when billService itself does not have it (SUNAT)."""

    @property
    def is_ose(self) -> bool:
        """An OSE (or the mock) answers getStatusCdr on billService itself."""
        return self.wsdl_set == "ose"


def _mock(base: str) -> Endpoint:
    return Endpoint("mock", f"{base}/ol-ti-itcpe/billService", "ose")


KNOWN: dict[str, Endpoint] = {
    "mock": _mock("http://127.0.0.1:8080"),
    "ose-test": Endpoint("ose-test", "https://osetesting.bizlinks.com.pe/ol-ti-itcpe/billService", "ose"),
    "ose-bizlinks": Endpoint("ose-bizlinks", "https://ose.bizlinks.com.pe/ol-ti-itcpe/billService", "ose"),
    "ose-nubefact-demo": Endpoint("ose-nubefact-demo", "https://demo-ose.nubefact.com/ol-ti-itcpe/billService", "ose"),
    "sunat-beta": Endpoint("sunat-beta", "https://e-beta.sunat.gob.pe/ol-ti-itcpfegem-beta/billService", "sunat-beta"),
    "sunat-beta-otroscpe": Endpoint("sunat-beta-otroscpe",
                                    "https://e-beta.sunat.gob.pe/ol-ti-itemision-otroscpe-gem-beta/billService",
                                    "sunat-otroscpe-beta"),
    "sunat-prod": Endpoint("sunat-prod", "https://e-factura.sunat.gob.pe/ol-ti-itcpfegem/billService", "sunat-prod",
                           _SUNAT_CONSULT),
    "sunat-prod-otroscpe": Endpoint("sunat-prod-otroscpe",
                                    "https://e-factura.sunat.gob.pe/ol-ti-itemision-otroscpe-gem/billService",
                                    "sunat-otroscpe-prod", _SUNAT_CONSULT),
}


def resolve(spec: str) -> Endpoint:
    """A known endpoint name, or any billService URL (its path tells which WSDL describes it); a URL no
    request can be made to is refused here, once, rather than at each call."""
    if spec in KNOWN:
        return KNOWN[spec]
    parts = urlsplit(spec)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"unknown endpoint {spec!r}: use a URL or one of {', '.join(KNOWN)}")
    _check_url(spec)
    path = parts.path
    base = f"{parts.scheme}://{parts.netloc}"
    if "otroscpe" in path:
        wsdl = "sunat-otroscpe-beta" if "beta" in path else "sunat-otroscpe-prod"
    elif "itcpfegem" in path:
        wsdl = "sunat-beta" if "beta" in path else "sunat-prod"
    else:
        wsdl = "ose"
    consult = None if wsdl == "ose" else (f"{base}/ol-it-wsconscpegem/billConsultService"
                                          if parts.hostname in ("127.0.0.1", "localhost", "::1") else _SUNAT_CONSULT)
    return Endpoint(spec, spec, wsdl, consult)


def _check_url(url: str) -> None:
    """ValueError naming what keeps a request from being made to ``url``, as requests and urllib3 would
    find it at the first call: a port out of range or not a number, a host they cannot parse, or one
    that has an empty label (``ose..example.com``) or one too long for a name."""
    try:
        urlsplit(url).port  # reading it checks it
        PreparedRequest().prepare_url(url, None)
        (urlsplit(url).hostname or "").encode("idna")
    except (ValueError, RequestException) as error:  # UnicodeError is a ValueError
        raise ValueError(f"endpoint {url!r} is not a valid URL ({error})") from None


def wsdl_path(wsdl_set: str) -> Path:
    """The bundled official WSDL of a set (the same files the mock serves)."""
    main = "billConsultService.wsdl" if wsdl_set == "consult" else "billService.wsdl"
    resource = files("osemock.server.soap").joinpath("wsdl", wsdl_set, main)
    with as_file(resource) as path:
        return Path(path)
