"""The emitter side: sign, name, zip and send CPE documents; poll tickets; read and verify CDRs.

    from osemock.client import OseClient, Status
    client = OseClient("mock", ruc="20123456789", user="BIZLINKS", password="TESTBIZLINKS")
    outcome = client.send_bill(xml_bytes)          # Outcome(status=Status.ACCEPTED, code="0", …)

Endpoints: ``mock``, ``ose-test`` (Bizlinks osetesting), ``sunat-beta``, ``sunat-prod`` (and their
``-otroscpe`` services) or any billService URL.  See :mod:`osemock.client.client`.
"""
from osemock.client.client import ClientError, OseClient, RetryPolicy, Unanswered
from osemock.client.documents import Prepared, load_certificate, prepare
from osemock.client.endpoints import KNOWN as ENDPOINTS, Endpoint, resolve
from osemock.client.outcome import Observation, Outcome, Status, fault_code, read_cdr

__all__ = ["OseClient", "RetryPolicy", "ClientError", "Unanswered", "Outcome", "Observation", "Status", "Prepared",
           "prepare", "load_certificate", "Endpoint", "ENDPOINTS", "resolve", "read_cdr", "fault_code"]
