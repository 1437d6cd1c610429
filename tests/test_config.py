"""Settings layers: defaults < config file < ARCHIVER_* / IA_* environment < command line."""

import pytest

from archiver.config import Secret, load_settings, parse_age
from archiver.errors import ConfigError


def test_layers(tmp_path):
    cfg = tmp_path / "archiver.toml"
    cfg.write_text('db = "file.db"\n[check]\nconcurrency = 8\nper_host = 3\n'
                   '[wayback]\nwayback_url = "http://file.example"\naccess_key = "fa"\nsecret_key = "fs"\n')
    env = {"ARCHIVER_CONCURRENCY": "16", "ARCHIVER_WAYBACK_URL": "http://env.example", "IA_ACCESS_KEY": "ea"}
    s = load_settings(str(cfg), environ=env, concurrency=4, db=None)
    assert (s.db, s.concurrency, s.per_host, s.wayback_url) == ("file.db", 4, 3, "http://env.example")
    assert s.ia_access_key.reveal() == "ea" and s.ia_secret_key.reveal() == "fs" and s.has_keys


def test_defaults_without_any_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings(environ={})
    assert (s.db, s.concurrency, s.per_host, s.confirm_checks, s.has_keys) == ("archive.db", 64, 2, 3, False)


def test_the_body_budget_reaches_the_checker(tmp_path, monkeypatch):
    cfg = tmp_path / "archiver.toml"
    cfg.write_text("[check]\nbody_budget = 50331648\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert load_settings(str(cfg), environ={}).fetch_settings().body_budget == 48 << 20
    from archiver.check.fetch import FetchSettings

    assert load_settings(environ={}).fetch_settings().body_budget == FetchSettings().body_budget == 32 << 20


def test_secrets_never_print():
    s = load_settings(environ={"IA_ACCESS_KEY": "AKsecretvalue", "IA_SECRET_KEY": "SKsecretvalue"})
    text = repr(s) + str(s.ia_access_key) + f"{s.ia_secret_key}"
    assert "secretvalue" not in text and "***" in text
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(Secret("x"))


@pytest.mark.parametrize("content,message", [
    ("colour = 3\n", "unknown setting"),
    ("concurrency = 'many'\n", "not a valid int"),
    ("concurrency = 0\n", "at least 1"),
    ("[check]\nbody_budget = 0\n", "body_budget must be at least 1 byte"),
    ("[check\n", "cannot read config"),
])
def test_bad_config_is_a_clear_error(tmp_path, content, message):
    cfg = tmp_path / "archiver.toml"
    cfg.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(str(cfg), environ={})


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(str(tmp_path / "nope.toml"), environ={})


@pytest.mark.parametrize("text,seconds", [("7d", 604800), ("12h", 43200), ("30m", 1800), ("90s", 90), ("15", 15)])
def test_parse_age(text, seconds):
    assert parse_age(text) == seconds


def test_parse_age_rejects_nonsense():
    with pytest.raises(ConfigError, match="not an age"):
        parse_age("soon")
