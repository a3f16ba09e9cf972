"""Raw SOAP envelopes and calls for tests that must control every byte (malformed headers and all)."""
from __future__ import annotations

import base64
from dataclasses import dataclass

import requests
from lxml import etree

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"

CREDENTIALS = {"ose": ("BIZLINKS", "TESTBIZLINKS"), "sunat-beta": ("MODDATOS", "moddatos"),
               "sunat-prod": ("MODDATOS", "moddatos")}


def security(username: str | None, password: str | None) -> str:
    if username is None:
        return ""
    return (f'<wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken>'
            f"<wsse:Username>{username}</wsse:Username>"
            f'<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">{password}</wsse:Password>'
            "</wsse:UsernameToken></wsse:Security>")


def envelope(operation: str, fields: dict[str, str | None], header: str) -> bytes:
    children = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items() if v is not None)
    return (f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns:ser="http://service.sunat.gob.pe">'
            f"<soapenv:Header>{header}</soapenv:Header><soapenv:Body>"
            f"<ser:{operation}>{children}</ser:{operation}></soapenv:Body></soapenv:Envelope>").encode()


@dataclass
class Reply:
    status: int
    body: bytes

    @property
    def root(self) -> etree._Element:
        return etree.fromstring(self.body)

    def text(self, local: str) -> str | None:
        found = self.root.xpath(f"//*[local-name()='{local}']")
        return found[0].text if found else None

    @property
    def is_fault(self) -> bool:
        return bool(self.root.xpath("//*[local-name()='Fault']"))

    def code(self) -> str:
        """The SUNAT code of a fault in either dialect (faultcode suffix, or numeric faultstring)."""
        faultcode = self.text("faultcode") or ""
        suffix = faultcode.rsplit(".", 1)[-1]
        if suffix.isdigit():
            return suffix
        return (self.text("faultstring") or "").strip()


def call(url: str, operation: str, fields: dict[str, str | None], *, username: str | None,
         password: str | None = None, header: str | None = None,
         content_type: str = "text/xml; charset=utf-8") -> Reply:
    body = envelope(operation, fields, security(username, password) if header is None else header)
    response = requests.post(url, data=body, headers={"Content-Type": content_type, "SOAPAction": f"urn:{operation}"},
                             timeout=30)
    return Reply(response.status_code, response.content)


def send_bill(url: str, file_name: str, zip_bytes: bytes | None, *, username: str | None,
              password: str | None = None, **kwargs) -> Reply:
    content = base64.b64encode(zip_bytes).decode() if zip_bytes is not None else None
    return call(url, "sendBill", {"fileName": file_name, "contentFile": content},
                username=username, password=password, **kwargs)
