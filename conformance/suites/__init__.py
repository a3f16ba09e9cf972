"""The suites the kit ships, each a pytest module driven by the ``osemock`` plugin's fixtures.

``test_endpoint``: what any OSE/SUNAT billService must do (WSDL, credentials, naming and ZIP
codes, fault shape, CDRs, tickets), written to run unchanged against a real test endpoint.
``test_emitter_documents``: the emitter's own documents (``--emitter-xml DIR``), and with
``--ose-compare`` the same documents against a second target.
"""
