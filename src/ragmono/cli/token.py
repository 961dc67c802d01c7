"""``ragmono token secret|create``: secrets and bearer tokens for the API."""

from __future__ import annotations

import sys

import click

from .settings_loader import load_cli_settings

__all__ = ["token"]


@click.group()
def token() -> None:
    """Make secrets and bearer tokens for the API."""


@token.command("secret")
def token_secret() -> None:
    """Print a new random 32-byte secret (for auth.jwt_secret or auth.service_tokens)."""
    from ragmono.modules.auth import new_secret

    click.echo(new_secret())


@token.command("create")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(["search", "query", "ingest", "admin"]),
    help="A scope the token holds (repeat for several).",
)
@click.option("--ttl", default="1h", show_default=True, help="Lifetime: 900, 15m, 1h, 7d.")
@click.option("--sub", "subject", default="", help="Subject (sub claim): who the token is for.")
@click.option("--group", "groups", multiple=True, help="A group (groups claim); repeatable.")
@click.option("--tenant", default="", help="The tenant (tenant claim).")
@click.option(
    "--access", "labels", multiple=True, help="An access label as is, e.g. access:all (repeat)."
)
@click.option("--config", "config", help="TOML settings file (default: config/ragmono.toml).")
def token_create(
    scopes: tuple[str, ...],
    ttl: str,
    subject: str,
    groups: tuple[str, ...],
    tenant: str,
    labels: tuple[str, ...],
    config: str | None,
) -> None:
    """Print an HS256 JWT signed with auth.jwt_secret (iss and aud from the settings).

    ``--group``/``--tenant``/``--access`` go into the claims named by ``auth.jwt_groups_claim``,
    ``auth.jwt_tenant_claim`` and ``auth.jwt_access_claim``: the documents it may read.
    """
    from ragmono.modules.auth import issue_token, parse_duration

    settings = load_cli_settings(config, {})
    if not settings.auth.jwt_secret:
        click.echo(
            "ragmono: auth.jwt_secret is not set (`ragmono token secret` prints one)", err=True
        )
        sys.exit(2)
    try:
        ttl_s = parse_duration(ttl)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--ttl") from None
    auth = settings.auth
    extra: dict[str, object] = {}
    for claim, value in (
        (auth.jwt_groups_claim, list(groups)),
        (auth.jwt_tenant_claim, tenant),
        (auth.jwt_access_claim, list(labels)),
    ):
        if value and not claim:
            raise click.UsageError("that claim is turned off in the settings (an empty name)")
        if value:
            extra[claim] = value
    click.echo(
        issue_token(
            settings.auth.jwt_secret,
            scopes,
            ttl_s=ttl_s,
            subject=subject,
            issuer=settings.auth.issuer,
            audience=settings.auth.audience,
            extra=extra,
        )
    )
