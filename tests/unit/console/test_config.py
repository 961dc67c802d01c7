"""Which public prefix the console's links use: the setting, or a trusted proxy's header."""

from __future__ import annotations

from typing import Any

import pytest

from ragmono.console import ConsoleConfig
from ragmono.settings import SettingsError, load_settings


def scope(peer: str, prefix: str | None = None) -> dict[str, Any]:
    headers = [(b"x-forwarded-prefix", prefix.encode())] if prefix is not None else []
    return {"type": "http", "client": (peer, 40000), "headers": headers}


def test_the_setting_is_the_prefix_when_no_proxy_is_trusted() -> None:
    config = ConsoleConfig(root_path="/rag")
    assert config.prefix(scope("10.0.0.5", "/elsewhere")) == "/rag"


def test_a_trusted_proxy_names_the_prefix() -> None:
    config = ConsoleConfig(root_path="/rag", trusted_proxies=["10.0.0.0/8"])
    assert config.prefix(scope("10.0.0.5", "/team/docs/")) == "/team/docs"
    assert config.prefix(scope("10.0.0.5")) == "/rag"


def test_an_untrusted_peer_cannot_move_the_links() -> None:
    config = ConsoleConfig(trusted_proxies=["10.0.0.0/8"])
    assert config.prefix(scope("192.0.2.7", "/evil")) == ""
    assert config.prefix(scope("testclient", "/evil")) == ""


@pytest.mark.parametrize("header", ['/x"><script>', "//evil.example", "relative", "/a b"])
def test_a_header_that_is_not_a_plain_path_is_ignored(header: str) -> None:
    config = ConsoleConfig(root_path="/rag", trusted_proxies=["127.0.0.1"])
    assert config.prefix(scope("127.0.0.1", header)) == "/rag"


@pytest.mark.parametrize("value", ["rag", "/rag/", "/r ag", "https://host/rag"])
def test_a_bad_root_path_stops_startup_naming_the_key(value: str) -> None:
    with pytest.raises(SettingsError, match=r"server\.root_path"):
        load_settings(None, {"RAGMONO_SERVER__ROOT_PATH": value})
