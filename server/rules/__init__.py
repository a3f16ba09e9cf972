"""SUNAT's business rules, as data: the workbook's rows compiled into checks, run in the workbook's order.

* :mod:`workbook` reads the rows extracted from SUNAT's official workbook (code, severity, tag, condition).
* :mod:`patterns` recognises the conditions that are simple checks (required, fixed attribute value,
  format, catalog) and compiles them — the rows themselves are the data, nothing is retyped.
* :mod:`engine` evaluates a document against the compiled rules of its sheet and returns findings.
"""
