"""XML namespaces of UBL 2.1, SUNAT's extensions, SOAP and XMLDSig, with the prefixes SUNAT uses."""
from __future__ import annotations

INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
DEBIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:DebitNote-2"
APPLICATION_RESPONSE = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
SUMMARY_DOCUMENTS = "urn:sunat:names:specification:ubl:peru:schema:xsd:SummaryDocuments-1"
VOIDED_DOCUMENTS = "urn:sunat:names:specification:ubl:peru:schema:xsd:VoidedDocuments-1"
RETENTION = "urn:sunat:names:specification:ubl:peru:schema:xsd:Retention-1"
PERCEPTION = "urn:sunat:names:specification:ubl:peru:schema:xsd:Perception-1"

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"
DS = "http://www.w3.org/2000/09/xmldsig#"

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
SUNAT_SERVICE = "http://service.sunat.gob.pe"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

#: Prefixes for XPath over UBL documents, as SUNAT's workbook writes them (``cbc:ID``, ``cac:Signature``).
UBL = {"cbc": CBC, "cac": CAC, "ext": EXT, "sac": SAC, "ds": DS}


def q(ns: str, local: str) -> str:
    """Clark notation ``{ns}local`` for lxml."""
    return f"{{{ns}}}{local}"
