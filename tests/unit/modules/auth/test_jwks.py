"""RS256/ES256 bearer tokens checked against a real JWKS served on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization

from ragmono.adapters.jwks_http import HttpJwksSource
from ragmono.errors import DependencyUnavailable, Unauthorized
from ragmono.modules.auth import JwksKeys, JwtVerifier
from tests.support.auth import JwksServer, SigningKey, claims

RSA_KEY = SigningKey("rsa-1", "RS256")
EC_KEY = SigningKey("ec-1", "ES256")


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer([RSA_KEY, EC_KEY]).start()
    yield server
    server.stop()


def verifier(server: JwksServer, *, min_refresh_s: float = 0.0) -> JwtVerifier:
    keys = JwksKeys(HttpJwksSource(server.url), cache_s=300, min_refresh_s=min_refresh_s)
    return JwtVerifier(keys=keys, issuer="https://issuer.test", audience="ragmono")


async def test_rs256_and_es256_tokens_verify_with_one_fetch(jwks: JwksServer) -> None:
    check = verifier(jwks)
    assert (await check.verify(RSA_KEY.sign(claims(["query"])))).scopes == {"query"}
    assert (await check.verify(EC_KEY.sign(claims(["ingest"])))).scopes == {"ingest"}
    assert jwks.requests == 1


async def test_an_unknown_kid_refetches_so_rotated_keys_work(jwks: JwksServer) -> None:
    check = verifier(jwks)
    await check.verify(RSA_KEY.sign(claims()))
    rotated = SigningKey("rsa-2", "RS256")
    jwks.keys = [rotated]
    assert (await check.verify(rotated.sign(claims(sub="rotated")))).subject == "jwt:rotated"
    assert jwks.requests == 2


async def test_unknown_kids_refetch_at_most_once_per_interval(jwks: JwksServer) -> None:
    check = verifier(jwks, min_refresh_s=60)
    stranger = SigningKey("ec-unknown", "ES256")
    for _ in range(5):
        with pytest.raises(Unauthorized, match="not in the key set"):
            await check.verify(stranger.sign(claims()))
    assert jwks.requests == 1


async def test_a_key_of_the_set_cannot_be_used_with_another_algorithm(jwks: JwksServer) -> None:
    # A token claiming ES256 but naming the RSA key's kid finds no ES256 key under that kid.
    forged = EC_KEY.sign(claims(), kid="rsa-1")
    with pytest.raises(Unauthorized):
        await verifier(jwks).verify(forged)


async def test_hs256_signed_with_the_public_key_is_refused(jwks: JwksServer) -> None:
    # The classic algorithm-confusion attack: the RSA public key used as an HMAC secret.
    pem = RSA_KEY.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(Unauthorized, match="HS256"):
        await verifier(jwks).verify(_hmac_token(pem))


def _hmac_token(secret: bytes) -> str:
    # PyJWT refuses to sign with a PEM as an HMAC key, so the token is built by hand.
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    body = b64(json.dumps(claims(["admin"])).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


async def test_cached_keys_keep_working_when_the_idp_fails(jwks: JwksServer) -> None:
    check = verifier(jwks)
    await check.verify(RSA_KEY.sign(claims()))
    jwks.status = 503
    assert (await check.verify(EC_KEY.sign(claims()))).kind == "jwt"
    jwks.stop()
    assert (await check.verify(RSA_KEY.sign(claims()))).kind == "jwt"


async def test_without_any_keys_a_dead_idp_is_503_not_401(jwks: JwksServer) -> None:
    jwks.stop()
    with pytest.raises(DependencyUnavailable) as raised:
        await verifier(jwks).verify(RSA_KEY.sign(claims()))
    assert raised.value.dependency == "jwks"


async def test_a_junk_key_set_is_503(jwks: JwksServer) -> None:
    jwks.keys = []
    with pytest.raises(DependencyUnavailable):
        await verifier(jwks).verify(RSA_KEY.sign(claims()))


async def test_a_withdrawn_key_stops_working_once_the_token_cache_lapses(
    jwks: JwksServer,
) -> None:
    now = [1000.0]
    keys = JwksKeys(HttpJwksSource(jwks.url), cache_s=0, min_refresh_s=0)  # keys always fresh
    check = JwtVerifier(keys=keys, cache_s=60, clock=lambda: now[0])
    token = RSA_KEY.sign(claims())
    await check.verify(token)
    jwks.keys = [EC_KEY]  # the IdP withdraws the RSA key
    assert (await check.verify(token)).kind == "jwt"  # remembered for up to 60 s
    now[0] += 61
    with pytest.raises(Unauthorized, match="not in the key set"):
        await check.verify(token)
