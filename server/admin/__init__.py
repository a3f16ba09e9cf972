"""The mock's admin side: scenarios (planned misbehaviour), a clock shared by every process of a store,
snapshots, and the JSON API under ``/_osemock`` that drives them (plus its client, CLI and pytest fixture).

Decisions live in plain modules (:mod:`scenarios`, :mod:`shared_clock`, :mod:`snapshot`, :mod:`reset`); :mod:`api` only
unpacks JSON and renders it.
"""
