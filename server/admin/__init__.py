"""The mock's admin side: scenarios (planned misbehaviour), a clock shared by every process of a store,
snapshots, and the JSON API under ``/_osemock`` that drives them (plus its client and CLI; the ``ose_admin``
pytest fixture that uses the client is the conformance kit's, :mod:`osemock.conformance.plugin`).

Decisions live in plain modules (:mod:`scenarios`, :mod:`shared_clock`, :mod:`snapshot`, :mod:`reset`); :mod:`api` only
unpacks JSON and renders it.
"""
