from pathlib import Path

import pytest

from osemock.server.profiles import builtin_profiles, load_profile
from osemock.server.settings import Settings, env_bool


@pytest.mark.parametrize("name", builtin_profiles())
def test_builtin_profiles_load(name):
    profile = load_profile(name)
    assert profile.name == name
    assert profile.fault_dialect in ("ose", "sunat")


def test_sunat_prod_extends_beta():
    prod, beta = load_profile("sunat-prod"), load_profile("sunat-beta")
    assert prod.rejections_as_cdr and not beta.rejections_as_cdr
    assert prod.fault_dialect == beta.fault_dialect == "sunat"
    assert prod.wildcard_user is None and beta.wildcard_user == "MODDATOS"


def test_user_profile_extends_a_builtin(tmp_path):
    path = tmp_path / "nubefact.yaml"
    path.write_text("extends: ose\nname: nubefact\nwildcard_user: MODDATOS\nwildcard_password: moddatos\nfault_http_status: 406\n")
    profile = load_profile(str(path))
    assert (profile.name, profile.wildcard_user, profile.fault_http_status, profile.cdr_style) == (
        "nubefact", "MODDATOS", 406, "ose")


def test_unknown_profile_and_keys_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown profile"):
        load_profile("nope")
    path = tmp_path / "typo.yaml"
    path.write_text("extends: ose\nfault_dialct: sunat\n")
    with pytest.raises(ValueError, match="fault_dialct"):
        load_profile(str(path))


def test_settings_from_environment():
    settings = Settings.from_env({"OSE_DB": "/tmp/x.sqlite3", "OSE_PROFILE": "sunat-beta", "OSE_JOURNAL_BODIES": "false"})
    assert settings.db == Path("/tmp/x.sqlite3") and settings.profile == "sunat-beta" and not settings.journal_bodies
    assert settings.keys_dir == Path("/tmp")
    assert Settings.from_env({"OSE_PROFILE": "sunat-beta"}, profile="ose").profile == "ose"


@pytest.mark.parametrize("text, value", [("1", True), ("yes", True), ("false", False), ("0", False), ("", True)])
def test_env_bool(text, value):
    assert env_bool(text, True) is value
