from pathlib import Path

import pytest

from osemock.server.profiles import builtin_profiles, load_profile
from osemock.server.settings import Settings, SettingError, env_bool, env_int


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
    # production's CDR dates itself (the reception); beta's carries the document's issue date and time
    assert (prod.cdr_style, beta.cdr_style) == ("sunat", "sunat-beta")


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


@pytest.mark.parametrize("line, message", [
    ("ose_ruc: 7", "ose_ruc must be an 11-digit RUC, not 7"),
    ("rejections_as_cdr: 5", "rejections_as_cdr must be bool, not 5"),
    ("fault_dialect: soap", "fault_dialect must be one of ose, sunat, not 'soap'"),
    ("fault_http_status: 200", r"fault_http_status must be an HTTP error status \(400–599\), not 200"),
    ("max_days_late: -1", "max_days_late must not be negative, not -1"),
    ("ticket_after_polls: '3'", "ticket_after_polls must be int, not '3'"),
    ("wildcard_user: 5", "wildcard_user must be str or null, not 5"),
    # these passed the start-up check, then every sendBill (timedelta) or sendSummary (the ticket's due
    # moment, SQLite's integers) answered 0100, and the admin API's ticket list was not JSON (NaN)
    ("max_days_late: 1000000000", r"max_days_late must be at most 376199 \(the days the clock spans\), not 1000000000"),
    ("ticket_after_seconds: .nan", "ticket_after_seconds must be a finite number, not nan"),
    ("ticket_after_seconds: .inf", "ticket_after_seconds must be a finite number, not inf"),
    ("ticket_after_seconds: 1.0e+12", r"ticket_after_seconds must be at most 86400 \(a day, as the admin API's after_seconds\)"),
    ("ticket_after_polls: 100000000000000000000", r"ticket_after_polls must be at most 1000000 \(as the admin API's"),
    # an impossible date, or a tag its value cannot take, was PyYAML's ValueError, naming no key
    ("ose_ruc: 2026-02-30", "ose_ruc must be an 11-digit RUC, not '2026-02-30'"),
    ("max_days_late: !!int x", "is not YAML: line 2, column 16: not a valid !!int: 'x'"),
])
def test_a_profile_value_of_the_wrong_kind_is_named(tmp_path, line, message):
    path = tmp_path / "typo.yaml"
    path.write_text(f"extends: ose\n{line}\n")
    with pytest.raises(ValueError, match=message):
        load_profile(str(path))


def test_a_profile_that_is_not_yaml_is_one_line_naming_the_file_and_line(tmp_path):
    """Before: PyYAML's six lines, naming "<unicode string>" instead of the file."""
    path = tmp_path / "broken.yaml"
    path.write_text("extends: ose\nname: [x\n")
    with pytest.raises(ValueError) as raised:
        load_profile(str(path))
    assert str(raised.value) == (f"profile {str(path)!r} is not YAML: line 3, column 1: expected ',' or ']', but got "
                                 "'<stream end>' (while parsing a flow sequence at line 2)")


def test_a_profile_takes_the_largest_values_the_admin_api_takes(tmp_path):
    path = tmp_path / "patient.yaml"
    path.write_text("extends: ose\nname: patient\nticket_after_polls: 1000000\nticket_after_seconds: 86400\n"
                    "max_days_late: 376199\n")
    profile = load_profile(str(path))
    assert (profile.ticket_after_polls, profile.ticket_after_seconds, profile.max_days_late) == (1_000_000, 86_400, 376_199)


def test_a_profile_takes_an_unquoted_ruc_and_a_null_user(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("extends: ose\nname: mine\nose_ruc: 20123456789\nwildcard_user: null\nticket_after_seconds: 1.5\n")
    profile = load_profile(str(path))
    assert (profile.ose_ruc, profile.wildcard_user, profile.ticket_after_seconds) == ("20123456789", None, 1.5)


@pytest.mark.parametrize("environ, message", [
    ({"OSE_MAX_REQUEST_BYTES": "abc"}, "OSE_MAX_REQUEST_BYTES must be a whole number of 1024 or more, not 'abc'"),
    ({"OSE_MAX_REQUEST_BYTES": "100"}, "OSE_MAX_REQUEST_BYTES must be a whole number of 1024 or more, not '100'"),
    ({"OSE_MAX_ADMIN_BYTES": "1e9"}, "OSE_MAX_ADMIN_BYTES must be a whole number of 1024 or more, not '1e9'"),
    ({"OSE_JOURNAL_BODIES": "maybe"}, "OSE_JOURNAL_BODIES must be 1/true/yes/on or 0/false/no/off, not 'maybe'"),
    ({"OSE_CLOCK": "yesterday"}, r"clock \(--clock, OSE_CLOCK\) must be an ISO date-time"),
    ({"OSE_CLOCK": "3500-01-01"}, "must read between 1970-01-01 and 2999-12-31, not '3500-01-01'"),
    ({"OSE_PROFILE": "nope"}, r"unknown profile 'nope'.* \(--profile, OSE_PROFILE\)"),
])
def test_settings_a_server_cannot_start_with_are_named(environ, message):
    with pytest.raises(SettingError, match=message):
        Settings.from_env(environ).check()


def test_settings_that_work_pass_the_check():
    settings = Settings.from_env({"OSE_MAX_REQUEST_BYTES": "2048", "OSE_MAX_ADMIN_BYTES": "4096",
                                  "OSE_CLOCK": "2026-11-20T12:00:00"})
    assert settings.check() is settings and (settings.max_request_bytes, settings.max_admin_bytes) == (2048, 4096)


@pytest.mark.parametrize("text, number", [("", 2), (" 3 ", 3), ("1", 1)])
def test_env_int(text, number):
    assert env_int(text, 2, "OSE_THREADS", 1) == number


def test_a_profile_extends_a_file_beside_it_and_never_itself(tmp_path, monkeypatch):
    """extends was read from the working folder, and a loop (a extends b extends a) was a RecursionError."""
    (tmp_path / "base.yaml").write_text("extends: ose\nname: base\nose_name: BASE SAC\n")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nname: child\n")
    monkeypatch.chdir("/")
    assert load_profile(str(tmp_path / "child.yaml")).ose_name == "BASE SAC"
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    with pytest.raises(ValueError, match=r"extends itself: .*a\.yaml -> .*b\.yaml -> .*a\.yaml"):
        load_profile(str(tmp_path / "a.yaml"))
    (tmp_path / "odd.yaml").write_text("extends: [ose]\nname: odd\n")
    with pytest.raises(ValueError, match="extends names a profile"):
        load_profile(str(tmp_path / "odd.yaml"))

