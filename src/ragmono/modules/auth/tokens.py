"""Credentials: service tokens (constant-time), bearer JWTs (PyJWT), and issuing both.

No hand-written crypto: HMAC comparison is ``hmac.compare_digest``, JWT signatures and claims
are PyJWT's. Error details name what is wrong with a token, never the token or a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from ragmono.domain import check_labels
from ragmono.errors import SettingsError, Unauthorized

from .schemas import ALL_SCOPES, Principal

__all__ = [
    "MIN_SECRET_LENGTH",
    "ClaimLabels",
    "JwtVerifier",
    "KeyResolver",
    "ServiceTokens",
    "issue_token",
    "new_secret",
    "parse_duration",
]

MIN_SECRET_LENGTH = 32
"""Shortest service token or HS256 secret accepted: 32 characters (``new_secret`` gives 43)."""


def new_secret() -> str:
    """A fresh random 32-byte secret, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


class ServiceTokens:
    """The accepted ``X-Service-Token`` values: ``token[:scope+scope][#label,label]``.

    Several tokens are valid at once (rotation: add the new one, deploy, drop the old one).
    A token without scopes holds all of them. Access labels after ``#`` (``group:ops``,
    ``access:all``) say which documents its caller reads; none: only public ones.
    """

    def __init__(self, entries: Sequence[str]) -> None:
        self._entries: list[tuple[bytes, Principal]] = []
        for index, entry in enumerate(entries):
            key = f"auth.service_tokens[{index}]"
            head, sep, label_text = entry.rpartition("#")
            if not sep:
                head, label_text = entry, ""
            try:
                labels = check_labels(
                    (s.strip() for s in label_text.split(",") if s.strip()), allow_all=True
                )
            except ValueError as exc:
                raise SettingsError(
                    f"invalid setting {key}: {exc} (labels follow '#', comma-separated)"
                ) from None
            token, scopes = _parse_entry(head, key)
            digest = hashlib.sha256(token.encode()).digest()
            # The subject identifies the caller in logs and rate limits without revealing it.
            subject = "service:" + digest.hex()[:12]
            principal = Principal(
                subject=subject, scopes=scopes, kind="service_token", labels=frozenset(labels)
            )
            self._entries.append((digest, principal))

    def __len__(self) -> int:
        return len(self._entries)

    def verify(self, presented: str) -> Principal | None:
        """The caller this token belongs to, or None.

        Compares SHA-256 digests (equal length) against every configured token without stopping
        at a match, so timing reveals neither which token matched nor how much of one did.
        """
        digest = hashlib.sha256(presented.encode("utf-8", "surrogateescape")).digest()
        found: Principal | None = None
        for expected, principal in self._entries:
            if hmac.compare_digest(digest, expected):
                found = principal
        return found


def _parse_entry(entry: str, key: str) -> tuple[str, frozenset[str]]:
    token, sep, scope_text = entry.rpartition(":")
    if not sep:
        token, scope_text = entry, ""
    token = token.strip()
    if len(token) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"invalid setting {key}: a service token needs at least {MIN_SECRET_LENGTH} "
            "characters (`ragmono token secret` prints one)"
        )
    if not sep:
        return token, ALL_SCOPES
    scopes = frozenset(s.strip() for s in scope_text.split("+") if s.strip())
    unknown = sorted(scopes - ALL_SCOPES)
    if unknown or not scopes:
        raise SettingsError(
            f"invalid setting {key}: unknown scope {', '.join(unknown) or '(empty)'!s}; "
            f"use token:scope+scope with scopes from {', '.join(sorted(ALL_SCOPES))}"
        )
    return token, scopes


class KeyResolver(Protocol):
    """Finds the public key for a token's ``kid`` and ``alg`` (see ``jwks.JwksKeys``)."""

    async def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK:
        """The verification key; ``Unauthorized`` when there is none."""
        ...


_ASYMMETRIC = frozenset({"RS256", "ES256"})


@dataclass(frozen=True, slots=True)
class ClaimLabels:
    """Which JWT claims become access labels (an empty name turns that mapping off).

    ``user`` (a string) -> ``user:<value>``; ``groups`` (a list or a space-separated string)
    -> ``group:<g>`` each; ``tenant`` (a string) -> ``tenant:<value>``; ``labels`` (a list)
    -> taken as they are (``access:all`` included: sign such tokens for admin tools only).
    Values that do not make a valid label are ignored.
    """

    user: str = "sub"
    groups: str = "groups"
    tenant: str = "tenant"
    labels: str = "access"

    def of(self, claims: dict[str, Any]) -> frozenset[str]:
        """The labels ``claims`` give."""
        wanted: list[str] = []
        if self.user and isinstance(value := claims.get(self.user), str) and value:
            wanted.append(f"user:{value}")
        if self.groups:
            wanted += [f"group:{g}" for g in _strings(claims.get(self.groups))]
        if self.tenant and isinstance(value := claims.get(self.tenant), str) and value:
            wanted.append(f"tenant:{value}")
        if self.labels:
            wanted += _strings(claims.get(self.labels))
        found: set[str] = set()
        for label in wanted:
            try:
                found.update(check_labels([label], allow_all=True))
            except ValueError:
                continue  # a claim value that cannot be a label grants nothing
        return frozenset(found)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class JwtVerifier:
    """Checks a bearer JWT's signature and its exp, nbf, iat, iss and aud claims.

    A token that verified is remembered (up to ``cache_size`` tokens, each for at most
    ``cache_s`` and never past its ``exp``): PyJWT spends ~100 us per decode, and clients send
    the same token request after request. Only successes are remembered, so junk tokens cannot
    fill the cache, and a key withdrawn from the JWKS stops working within ``cache_s``.
    """

    def __init__(
        self,
        *,
        secret: str = "",
        keys: KeyResolver | None = None,
        issuer: str = "",
        audience: str = "",
        leeway_s: float = 30,
        claims: ClaimLabels | None = None,
        cache_size: int = 4096,
        cache_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if secret and len(secret.encode()) < MIN_SECRET_LENGTH:
            raise SettingsError(
                f"invalid setting auth.jwt_secret: needs at least {MIN_SECRET_LENGTH} bytes "
                "(`ragmono token secret` prints one)"
            )
        self._secret = secret
        self._keys = keys
        self._issuer = issuer or None
        self._audience = audience or None
        self._leeway = leeway_s
        self._claims = claims or ClaimLabels()
        self._options: Any = {"require": ["exp"], "verify_aud": bool(audience)}
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._cache_size = cache_size
        self._cache_s = cache_s
        self._clock = clock

    async def verify(self, token: str) -> Principal:
        """The caller this token names; ``Unauthorized`` saying why when it is not valid."""
        cached = self._cache.get(token)
        if cached is not None:
            if self._clock() < cached[0]:
                return cached[1]
            del self._cache[token]
        principal, exp = await self._verify(token)
        if self._cache_size:
            if len(self._cache) >= self._cache_size:
                del self._cache[next(iter(self._cache))]  # the oldest entry
            self._cache[token] = (min(exp + self._leeway, self._clock() + self._cache_s), principal)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Unauthorized("malformed bearer token: not a JWT") from None
        alg, kid = header.get("alg"), header.get("kid")
        key: str | jwt.PyJWK
        if alg == "HS256" and self._secret:
            key = self._secret
        elif alg in _ASYMMETRIC and self._keys is not None:
            key = await self._keys.key_for(kid if isinstance(kid, str) else None, str(alg))
        else:
            raise Unauthorized(f"bearer token algorithm {alg!r} is not accepted here")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[str(alg)],
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options=self._options,
            )
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"invalid bearer token: {exc}") from None
        subject = claims.get("sub")
        principal = Principal(
            subject=f"jwt:{subject}" if isinstance(subject, str) and subject else "",
            scopes=_claimed_scopes(claims),
            kind="jwt",
            labels=self._claims.of(claims),
        )
        return principal, float(claims["exp"])


def _claimed_scopes(claims: dict[str, Any]) -> frozenset[str]:
    found: set[str] = set()
    for name in ("scope", "scopes"):
        value = claims.get(name)
        if isinstance(value, str):
            found.update(value.split())
        elif isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
    return frozenset(found) & ALL_SCOPES


def issue_token(
    secret: str,
    scopes: Iterable[str],
    *,
    ttl_s: float,
    subject: str = "",
    issuer: str = "",
    audience: str = "",
    now: float | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """An HS256 JWT holding ``scopes`` (space-separated ``scope`` claim), valid for ``ttl_s``.

    ``extra``: more claims (``groups``, ``tenant``, ``access``) merged in.
    """
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if s not in ALL_SCOPES]
    if unknown:
        raise ValueError(f"unknown scope {', '.join(unknown)}; known: {sorted(ALL_SCOPES)}")
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "scope": " ".join(wanted),
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(ttl_s),
        "jti": secrets.token_hex(8),
    }
    if subject:
        claims["sub"] = subject
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    claims.update(extra or {})
    return jwt.encode(claims, secret, algorithm="HS256")


_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """Seconds in ``90``, ``90s``, ``15m``, ``1h`` or ``7d``; ValueError otherwise."""
    match = _DURATION.match(text.lower())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 900, 15m, 1h, 7d)")
    return int(match.group(1)) * _UNIT_S[match.group(2)]
