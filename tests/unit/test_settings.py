"""Settings load as defaults < TOML < environment, and bad values stop startup by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragmono.settings import SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]


def test_defaults_need_no_services() -> None:
    settings = load_settings(None, {})
    assert settings.vector_store.mode == "embedded"
    assert settings.embedder.provider == "local"
    assert settings.generator.provider == "extractive"
    assert settings.redis.url == ""
    assert (settings.server.host, settings.server.port) == ("127.0.0.1", 8000)


def test_shipped_config_file_matches_the_defaults() -> None:
    assert load_settings(REPO / "config" / "ragmono.toml", {}) == load_settings(None, {})


def test_environment_overrides_file(tmp_path: Path) -> None:
    file = tmp_path / "r.toml"
    file.write_text('[server]\nport = 9000\nhost = "0.0.0.0"\n')
    settings = load_settings(file, {"RAGMONO_SERVER__PORT": "9100"})
    assert settings.server.port == 9100
    assert settings.server.host == "0.0.0.0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a.example,b.example", ["a.example", "b.example"]), ('["x", "y"]', ["x", "y"])],
)
def test_lists_from_env_as_csv_or_json(value: str, expected: list[str]) -> None:
    settings = load_settings(None, {"RAGMONO_CORS__ALLOW_ORIGINS": value})
    assert settings.cors.allow_origins == expected


def test_nested_breaker_override_from_env() -> None:
    settings = load_settings(None, {"RAGMONO_BREAKERS__REDIS__FAIL_MAX": "2"})
    assert settings.breakers.redis.fail_max == 2
    assert settings.breakers.fail_max == 5


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"RAGMONO_SERVER__PORT": "eighty"}, "server.port"),
        ({"RAGMONO_SERVER__PORT": "70000"}, "server.port"),
        ({"RAGMONO_VECTOR_STORE__MODE": "sharded"}, "vector_store.mode"),
        ({"RAGMONO_SERVER__COLOUR": "blue"}, "colour"),
        ({"RAGMONO_RATE_LIMIT__DEFAULT": "lots"}, "rate_limit.default"),
    ],
)
def test_bad_values_name_the_key(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named.replace(".", r"\.")):
        load_settings(None, environ)


def test_unknown_key_in_file_is_rejected(tmp_path: Path) -> None:
    file = tmp_path / "r.toml"
    file.write_text("[storage]\ndatadir = './x'\n")
    with pytest.raises(SettingsError, match="datadir"):
        load_settings(file, {})


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "nope.toml", {})


def test_config_file_variable_is_not_taken_for_a_setting(tmp_path: Path) -> None:
    # `ragmono serve --config F` hands F to granian's worker as RAGMONO_CONFIG.
    file = tmp_path / "r.toml"
    file.write_text("[server]\nport = 9001\n")
    settings = load_settings(file, {"RAGMONO_CONFIG": str(file), "RAGMONO_SERVER__HOST": "::1"})
    assert (settings.server.port, settings.server.host) == (9001, "::1")
