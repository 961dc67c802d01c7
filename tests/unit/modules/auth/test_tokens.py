"""Service tokens and bearer JWTs: what is accepted, what is refused and why."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import jwt
import pytest

from ragmono.errors import Unauthorized
from ragmono.modules.auth import (
    ALL_SCOPES,
    JwtVerifier,
    ServiceTokens,
    issue_token,
    new_secret,
    parse_duration,
)
from ragmono.settings import SettingsError
from tests.support.auth import AUDIENCE, ISSUER, JWT_SECRET, OTHER_SECRET, claims, hs256

OLD = "old-token-0123456789abcdefghijklmnopqrstuv"
NEW = "new-token-0123456789abcdefghijklmnopqrstuv"


def test_rotation_keeps_old_and_new_tokens_valid_with_their_scopes() -> None:
    tokens = ServiceTokens([f"{OLD}:search+query", NEW])
    old, new = tokens.verify(OLD), tokens.verify(NEW)
    assert old is not None
    assert new is not None
    assert old.scopes == {"search", "query"}
    assert new.scopes == ALL_SCOPES
    assert old.subject != new.subject
    assert old.subject.startswith("service:")
    assert OLD not in old.subject
    assert tokens.verify(OLD[:-1]) is None
    assert tokens.verify(OLD + "x") is None
    assert tokens.verify("") is None


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ("short", "auth.service_tokens[0]"),
        (f"{OLD}:search+superuser", "superuser"),
        (f"{OLD}:", "auth.service_tokens[0]"),
    ],
)
def test_bad_service_token_entries_stop_startup_by_name(entry: str, named: str) -> None:
    with pytest.raises(SettingsError, match=named.replace("[", r"\[").replace("]", r"\]")):
        ServiceTokens([entry])


def verifier(**kwargs: object) -> JwtVerifier:
    options: dict[str, object] = {
        "secret": JWT_SECRET,
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "leeway_s": 30,
    }
    options.update(kwargs)
    return JwtVerifier(**options)  # type: ignore[arg-type]


async def test_a_valid_jwt_yields_its_subject_and_scopes() -> None:
    principal = await verifier().verify(hs256(claims(["search", "query", "bogus"], sub="bob")))
    assert principal.subject == "jwt:bob"
    assert principal.scopes == {"search", "query"}
    assert principal.kind == "jwt"


async def test_scopes_may_come_as_a_list() -> None:
    body = claims([])
    body.pop("scope")
    token = hs256({**body, "scopes": ["ingest", "admin"]})
    assert (await verifier().verify(token)).scopes == {"ingest", "admin"}


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda: hs256(claims(), OTHER_SECRET), "Signature verification failed"),
        (lambda: hs256(claims(ttl_s=-3600)), "expired"),
        (lambda: hs256(claims(nbf=int(time.time()) + 3600)), "not yet valid"),
        (lambda: hs256(claims(iat=int(time.time()) + 3600)), "not yet valid"),
        (lambda: hs256(claims(issuer="https://evil.test")), "issuer"),
        (lambda: hs256(claims(audience="someone-else")), "(?i)audience"),
        (lambda: hs256(claims(exp=None)), "exp"),
        (lambda: hs256(claims(issuer=None)), "iss"),
        (lambda: "not-a-jwt", "malformed"),
        (lambda: jwt.encode(claims(), None, algorithm="none"), "'none' is not accepted"),
    ],
    ids=[
        "signature",
        "expired",
        "nbf",
        "iat",
        "issuer",
        "audience",
        "no-exp",
        "no-iss",
        "garbage",
        "alg-none",
    ],
)
async def test_invalid_jwts_are_unauthorized_with_the_reason(
    make_token: Callable[[], str], reason: str
) -> None:
    # Tokens are made when the test runs, not at collection: a long suite outlives their exp.
    with pytest.raises(Unauthorized, match=reason):
        await verifier().verify(make_token())


async def test_leeway_tolerates_small_clock_skew() -> None:
    almost = hs256(claims(exp=int(time.time()) - 10))
    assert (await verifier().verify(almost)).subject == "jwt:alice"
    with pytest.raises(Unauthorized, match="expired"):
        await verifier(leeway_s=0).verify(almost)


async def test_unset_issuer_and_audience_are_not_checked() -> None:
    token = hs256(claims(issuer="anyone", audience="anything"))
    principal = await JwtVerifier(secret=JWT_SECRET).verify(token)
    assert principal.scopes == {"search"}


def test_a_short_jwt_secret_stops_startup() -> None:
    with pytest.raises(SettingsError, match=r"auth\.jwt_secret"):
        JwtVerifier(secret="too-short")


async def test_issued_tokens_verify_and_carry_what_was_asked() -> None:
    token = issue_token(
        JWT_SECRET, ["query", "search"], ttl_s=3600, subject="ci", issuer=ISSUER, audience=AUDIENCE
    )
    body = jwt.decode(token, JWT_SECRET, algorithms=["HS256"], audience=AUDIENCE)
    assert body["exp"] - body["iat"] == 3600
    assert body["scope"] == "query search"
    assert (await verifier().verify(token)).subject == "jwt:ci"
    with pytest.raises(ValueError, match="unknown scope"):
        issue_token(JWT_SECRET, ["root"], ttl_s=60)


def test_new_secrets_are_random_32_bytes_urlsafe() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert len(first) == 43
    assert all(c.isalnum() or c in "-_" for c in first)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("7d", 604800)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "1w", "-5m", "soon"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


async def test_a_remembered_token_still_expires_on_time() -> None:
    check = verifier(leeway_s=0)
    exp = int(time.time()) + 2  # whole seconds: +1 leaves as little as no time before expiry
    token = hs256(claims(exp=exp))
    assert (await check.verify(token)).subject == "jwt:alice"
    assert (await check.verify(token)).subject == "jwt:alice"  # from the cache
    await asyncio.sleep(max(0.0, exp - time.time()) + 0.05)
    with pytest.raises(Unauthorized, match="expired"):
        await check.verify(token)
