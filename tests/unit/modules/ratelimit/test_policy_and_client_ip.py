"""Rates from settings, and the client address behind trusted proxies only."""

from __future__ import annotations

import pytest

from ragmono.modules.ratelimit import ClientAddressResolver, Rate, RatePolicy, parse_rate
from ragmono.settings import RateLimitSettings, SettingsError


@pytest.mark.parametrize(
    ("text", "rate"),
    [("100/minute", Rate(100, 60)), ("5/second", Rate(5, 1)), ("1 / day", Rate(1, 86400))],
)
def test_rates_parse(text: str, rate: Rate) -> None:
    assert parse_rate(text, key="k") == rate


@pytest.mark.parametrize("text", ["0/minute", "ten/minute", "10/fortnight", "10"])
def test_bad_rates_name_the_key(text: str) -> None:
    with pytest.raises(SettingsError, match=r"rate_limit\.routes\.ingest"):
        parse_rate(text, key="rate_limit.routes.ingest")


def test_groups_override_the_default_and_unknown_groups_stop_startup() -> None:
    settings = RateLimitSettings(default="100/minute", routes={"ingest": "10/hour"})
    policy = RatePolicy.parse(settings.default, settings.routes, groups={"search", "ingest"})
    assert policy.rate_for("ingest") == Rate(10, 3600)
    assert policy.rate_for("search") == Rate(100, 60)
    with pytest.raises(SettingsError, match=r"rate_limit\.routes\.uploads"):
        RatePolicy.parse("100/minute", {"uploads": "1/second"}, groups={"x"})


PROXIES = ["10.0.0.0/8", "2001:db8::/32"]


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    resolver = ClientAddressResolver([])
    assert not resolver.trusts_proxies
    assert resolver.resolve("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_an_untrusted_peer_cannot_claim_another_address() -> None:
    resolver = ClientAddressResolver(PROXIES)
    assert resolver.resolve("198.51.100.7", "203.0.113.1") == "198.51.100.7"


@pytest.mark.parametrize(
    ("xff", "client"),
    [
        ("203.0.113.1", "203.0.113.1"),
        ("203.0.113.1, 10.0.0.2", "203.0.113.1"),  # a second trusted hop is skipped
        ("1.1.1.1, 203.0.113.1", "203.0.113.1"),  # the client prepended a lie
        ("203.0.113.1:5555", "203.0.113.1"),
        ("10.0.0.3, 10.0.0.2", "10.0.0.3"),  # all trusted: the leftmost
        ("", "10.0.0.9"),
    ],
)
def test_x_forwarded_for_from_a_trusted_proxy_is_read_right_to_left(xff: str, client: str) -> None:
    assert ClientAddressResolver(PROXIES).resolve("10.0.0.9", xff) == client


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        ("for=203.0.113.1;proto=https", "203.0.113.1"),
        ('for="[2001:db9::1]:4711", for=10.0.0.2', "2001:db9::1"),
        ("for=1.1.1.1, for=203.0.113.1;by=10.0.0.9", "203.0.113.1"),
        ('For="203.0.113.1:80"', "203.0.113.1"),
    ],
)
def test_forwarded_header_when_configured(forwarded: str, client: str) -> None:
    resolver = ClientAddressResolver(PROXIES, header="forwarded")
    assert resolver.header == b"forwarded"
    assert resolver.resolve("2001:db8::5", forwarded) == client


def test_bad_proxy_networks_stop_startup_by_name() -> None:
    with pytest.raises(SettingsError, match=r"trusted_proxies\[1\]"):
        ClientAddressResolver(["10.0.0.0/8", "the-load-balancer"])
