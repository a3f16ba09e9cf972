"""The conformance kit: prove an emitter's documents and integration before production, against the
in-process mock or a real OSE test endpoint, with the same suites.

- :mod:`~osemock.conformance.plugin`: the pytest plugin (``ose_server``, ``ose_client``, ``ose_admin``…)
- :mod:`~osemock.conformance.suites`: endpoint conformance and emitter-documents suites
  (``osemock check`` or ``pytest --pyargs osemock.conformance.suites``)
- :mod:`~osemock.conformance.homologation`: SUNAT's homologation set as a dry-run
- :mod:`~osemock.conformance.report`: JUnit XML, HTML and JSON reports
"""
