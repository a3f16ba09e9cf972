"""UBL 2.1 and SUNAT 2.0 XML schemas, as package data (see PROVENANCE.md)."""
