"""`ragmono token secret|create` and the early auth check of `ragmono serve`."""

from __future__ import annotations

import time

import jwt
from click.testing import CliRunner

from ragmono.cli import main
from tests.support.auth import AUDIENCE, ISSUER, JWT_SECRET


def test_token_secret_prints_a_fresh_32_byte_secret() -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["token", "secret"])
    second = runner.invoke(main, ["token", "secret"])
    assert first.exit_code == 0
    assert len(first.output.strip()) == 43
    assert first.output != second.output


def test_token_create_signs_with_the_configured_secret() -> None:
    env = {
        "RAGMONO_AUTH__JWT_SECRET": JWT_SECRET,
        "RAGMONO_AUTH__ISSUER": ISSUER,
        "RAGMONO_AUTH__AUDIENCE": AUDIENCE,
    }
    result = CliRunner().invoke(
        main,
        ["token", "create", "--scope", "search", "--scope", "query", "--ttl", "2h", "--sub", "ci"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    claims = jwt.decode(
        result.output.strip(), JWT_SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
    )
    assert claims["scope"] == "query search"
    assert claims["sub"] == "ci"
    assert claims["exp"] - claims["iat"] == 7200
    assert abs(claims["iat"] - time.time()) < 60


def test_token_create_refuses_without_a_secret_or_with_bad_input() -> None:
    runner = CliRunner()
    no_secret = runner.invoke(main, ["token", "create", "--scope", "search"], env={})
    assert no_secret.exit_code == 2
    assert "auth.jwt_secret is not set" in no_secret.output
    env = {"RAGMONO_AUTH__JWT_SECRET": JWT_SECRET}
    bad_scope = runner.invoke(main, ["token", "create", "--scope", "root"], env=env)
    assert bad_scope.exit_code == 2
    bad_ttl = runner.invoke(
        main, ["token", "create", "--scope", "search", "--ttl", "soon"], env=env
    )
    assert bad_ttl.exit_code == 2
    assert "--ttl" in bad_ttl.output


def test_serve_in_prod_without_auth_stops_before_starting() -> None:
    result = CliRunner().invoke(main, ["serve", "--port", "0"], env={"RAGMONO_PROFILE": "prod"})
    assert result.exit_code == 2
    assert 'profile = "prod" needs auth configured' in result.output
