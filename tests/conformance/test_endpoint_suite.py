"""The endpoint suite judging an endpoint: what makes a case fail."""
from __future__ import annotations

from osemock.conformance.admin import OseAdmin
from tests.conformance.helpers import run


def test_an_endpoint_whose_authentication_service_is_down_fails_the_wrong_password_case(tmp_path, make_mock):
    """0109 ("el servicio de autenticación no está disponible") is a system error: the endpoint could not
    judge the password at all, so it proves nothing about refusing a wrong one (the case passed on it)."""
    server = make_mock("ose")
    OseAdmin(server.url()).plan_fault("sendBill", code="0109", times=100)
    result = run(["pytest", "-p", "no:cacheprovider", "-q", "--pyargs", "osemock.conformance.suites.test_endpoint",
                  "--ose-target", server.url("/ol-ti-itcpe/billService"), "-k", "wrong_password"], tmp_path)
    assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout[-2000:]
    assert "got 0109" in result.stdout
