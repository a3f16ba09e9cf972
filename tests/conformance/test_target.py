"""Who the kit is at a target when the user says nothing: each endpoint's own test user."""
from __future__ import annotations

import pytest

from osemock.conformance.connection import make_client
from osemock.conformance.factory import DocumentFactory
from osemock.conformance.target import Target


def test_a_sunat_beta_target_is_sent_as_moddatos_without_a_user(make_mock):
    """SUNAT beta takes {RUC}MODDATOS/moddatos for any RUC (ANCHORS §1.2); the kit sent the OSE test
    user BIZLINKS there, an unknown user (0103) for every case."""
    server = make_mock("sunat-beta")
    url = server.url("/ol-ti-itcpfegem-beta/billService")
    target = Target.from_env(environ={}, endpoint=url)
    assert target.credentials == ("MODDATOS", "moddatos") and target.describe().endswith("user MODDATOS")
    _, xml = DocumentFactory(target.ruc).factura()
    outcome = make_client(target, url).send_bill(xml)
    assert outcome.accepted, f"{outcome.code} {outcome.description}"
    assert Target.from_env(environ={}, endpoint="sunat-beta").credentials == ("MODDATOS", "moddatos")


@pytest.mark.parametrize("endpoint, user", [("ose-test", "BIZLINKS"), ("mock", "BIZLINKS")])
def test_an_ose_target_keeps_the_ose_test_user(endpoint, user):
    assert Target.from_env(environ={}, endpoint=endpoint).credentials[0] == user


def test_an_ose_target_is_sent_as_the_ose_test_user_whatever_the_mocks_profile():
    """--profile is the in-process mock's: an OSE URL run with --profile sunat-beta was sent as MODDATOS
    (0103 in every case)."""
    target = Target.from_env(environ={}, endpoint="ose-test", profile="sunat-beta")
    assert target.credentials == ("BIZLINKS", "TESTBIZLINKS")


@pytest.mark.parametrize("endpoint", ["sunat-prod", "sunat-prod-otroscpe",
                                      "https://e-factura.sunat.gob.pe/ol-ti-itcpfegem/billService"])
def test_sunat_production_without_a_user_is_a_usage_error(endpoint):
    """SUNAT production has no test user: MODDATOS there was an unknown user (0103) in every case."""
    with pytest.raises(ValueError, match="has no test user: give the emitter's SOL user"):
        Target.from_env(environ={}, endpoint=endpoint).credentials
    assert Target.from_env(environ={}, endpoint=endpoint, user="U", password="P").credentials == ("U", "P")


def test_given_credentials_are_sent_as_given():
    target = Target.from_env(environ={}, endpoint="sunat-beta", user="USUARIO", password="CLAVE")
    assert target.credentials == ("USUARIO", "CLAVE")


def test_a_mock_without_a_test_user_is_sent_as_the_registrys_user(tmp_path):
    """sunat-prod has no wildcard user: the in-process mock's own user, sent in a comparison (where the
    given user is the real endpoint's), is the registry's first one of the RUC that may send."""
    registry = tmp_path / "emitters.yaml"
    registry.write_text('emitters:\n  - ruc: "20123456789"\n    users:\n      - {user: OLD, password: X, active: false}\n'
                        "      - {user: USUARIO, password: CLAVE}\n", encoding="utf-8")
    assert Target.from_env(environ={}, profile="sunat-prod", registry=registry).credentials == ("USUARIO", "CLAVE")
    other = Target.from_env(environ={}, profile="sunat-prod", registry=registry, ruc="20100070970")
    with pytest.raises(ValueError, match="lists no SOL user of RUC 20100070970"):
        other.credentials
