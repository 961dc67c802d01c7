"""Caller access labels: from service-token entries and from configurable JWT claims."""

from __future__ import annotations

import pytest

from ragmono.domain import Reader
from ragmono.modules.auth import OPEN_ACCESS, ClaimLabels, JwtVerifier, ServiceTokens
from ragmono.settings import SettingsError
from tests.support.auth import AUDIENCE, ISSUER, JWT_SECRET, claims, hs256

TOKEN = "svc-token-0123456789abcdefghijklmnopqrstu"
OTHER = "other-token-0123456789abcdefghijklmnopqrs"


def test_service_tokens_carry_the_labels_after_the_hash() -> None:
    tokens = ServiceTokens([f"{TOKEN}:search+query#group:ops, tenant:acme", f"{OTHER}#access:all"])
    first, second = tokens.verify(TOKEN), tokens.verify(OTHER)
    assert first is not None
    assert second is not None
    assert first.scopes == {"search", "query"}
    assert first.labels == {"group:ops", "tenant:acme"}
    assert second.reader.unrestricted
    assert tokens.verify(f"{TOKEN}#group:ops") is None  # the labels are not part of the secret


def test_a_token_without_labels_reads_only_public_documents() -> None:
    principal = ServiceTokens([TOKEN]).verify(TOKEN)
    assert principal is not None
    assert principal.reader == Reader()
    assert principal.reader.sees([], "public")
    assert not principal.reader.sees(["group:ops"], "public")
    assert not principal.reader.sees([], "restricted")


@pytest.mark.parametrize("labels", ["ops", "group:", "group:a b", "everyone:x", "access:none"])
def test_a_bad_label_stops_startup_naming_the_entry(labels: str) -> None:
    with pytest.raises(SettingsError, match=r"auth\.service_tokens\[1\].*access label"):
        ServiceTokens([TOKEN, f"{OTHER}#{labels}"])


def test_the_open_dev_api_reads_everything() -> None:
    assert OPEN_ACCESS.reader.unrestricted


def _verifier(names: ClaimLabels | None = None) -> JwtVerifier:
    return JwtVerifier(secret=JWT_SECRET, issuer=ISSUER, audience=AUDIENCE, claims=names)


async def test_jwt_claims_become_labels() -> None:
    token = hs256(
        claims(sub="alice", groups=["finance", "hr"], tenant="acme", access=["role:auditor"])
    )
    principal = await _verifier().verify(token)
    assert principal.labels == {
        "user:alice",
        "group:finance",
        "group:hr",
        "tenant:acme",
        "role:auditor",
    }


async def test_claim_names_are_configurable_and_can_be_turned_off() -> None:
    names = ClaimLabels(user="", groups="roles_of", tenant="org", labels="")
    token = hs256(claims(sub="bob", roles_of="ops dev", org="globex", access=["access:all"]))
    principal = await _verifier(names).verify(token)
    assert principal.labels == {"group:ops", "group:dev", "tenant:globex"}
    assert not principal.reader.unrestricted  # the access claim is off


async def test_claim_values_that_are_not_labels_grant_nothing() -> None:
    token = hs256(claims(sub="a b", groups=["fin ance", 7, ""], tenant=["x"], access=["admin"]))
    principal = await _verifier().verify(token)
    assert principal.labels == set()
    assert not principal.reader.unrestricted
