"""``ragmono search`` and ``ragmono ask``: in this process, or through a server with ``--url``.

Both print for a person by default (numbered results or the answer with its numbered
sources); ``--json`` prints the API's own JSON.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .query_runs import AskRun, Run, SearchRun, run_local, run_remote

__all__ = ["ask", "search"]

_F = TypeVar("_F", bound=Callable[..., Any])
_MODES = click.Choice(["hybrid", "dense", "keyword"])


def _options(top_k_default: int, top_k_max: int) -> Callable[[_F], _F]:
    """The options ``search`` and ``ask`` share."""

    def apply(f: _F) -> _F:
        for option in reversed(
            [
                click.argument("text"),
                click.option("--collection", "-c", required=True, help="Collection to search."),
                click.option("--mode", type=_MODES, default="hybrid", show_default=True),
                click.option(
                    "--top-k",
                    "-k",
                    type=click.IntRange(1, top_k_max),
                    default=top_k_default,
                    show_default=True,
                    help="How many passages.",
                ),
                click.option("--url", help="Ask a running server (e.g. http://127.0.0.1:8000)."),
                click.option("--token", envvar="RAGMONO_TOKEN", help="X-Service-Token for --url."),
                click.option("--data-dir", help="Data directory for in-process use."),
                click.option("--config", "config", help="TOML settings file."),
                click.option("--json", "as_json", is_flag=True, help="Print the API's JSON."),
            ]
        ):
            f = option(f)
        return f

    return apply


def _run(
    run: Run, url: str | None, token: str | None, data_dir: str | None, config: str | None
) -> None:
    import asyncio

    if url:
        asyncio.run(run_remote(run, url, token))
    else:
        asyncio.run(run_local(run, data_dir, config))


@click.command()
@_options(10, 100)
def search(
    text: str,
    collection: str,
    mode: str,
    top_k: int,
    url: str | None,
    token: str | None,
    data_dir: str | None,
    config: str | None,
    as_json: bool,
) -> None:
    """Search COLLECTION for TEXT: numbered passages with source, section, page and score.

    Without --url this runs in this process on the data directory (stop the server first).
    """
    run = SearchRun(query=text, collection=collection, mode=mode, top_k=top_k)
    _run(run, url, token, data_dir, config)
    if as_json:
        click.echo(json.dumps(run.body))
        return
    results = run.body.get("results", [])
    if not results:
        click.echo("no results")
    for n, hit in enumerate(results, start=1):
        meta = hit.get("metadata") or {}
        where = _where(hit["source"], meta.get("section"), meta.get("page"))
        click.echo(f"{n:>2}. {where}  chunk {hit['chunk_index']}  score {hit['score']:.4f}")
        click.echo(f"    {_snippet(hit['text'])}")
    _note_degraded(run.body)


@click.command()
@_options(5, 20)
@click.option("--stream", is_flag=True, help="Print the answer as it is generated.")
def ask(
    text: str,
    collection: str,
    mode: str,
    top_k: int,
    url: str | None,
    token: str | None,
    data_dir: str | None,
    config: str | None,
    as_json: bool,
    stream: bool,
) -> None:
    """Answer TEXT from COLLECTION, citing its numbered sources (source, section, page).

    Without --url this runs in this process on the data directory (stop the server first).
    """
    run = AskRun(
        query=text,
        collection=collection,
        mode=mode,
        top_k=top_k,
        stream=stream and not as_json,
        on_token=lambda piece: click.echo(piece, nl=False),
    )
    _run(run, url, token, data_dir, config)
    if as_json:
        click.echo(json.dumps(run.body))
        return
    if run.stream:
        click.echo()
    else:
        click.echo(run.body.get("answer", ""))
    sources = run.body.get("sources", [])
    if sources:
        click.echo("\nSources:")
    cited = set(run.body.get("citations", []))
    for source in sources:
        mark = "*" if source["n"] in cited else " "
        where = _where(source["source"], source.get("section"), source.get("page"))
        click.echo(f"{mark}[{source['n']}] {where}  (score {source['score']:.4f})")
    _note_degraded(run.body)


def _where(source: str, section: object, page: object) -> str:
    parts = [source]
    if section:
        parts.append(f"§ {section}")
    if page is not None:
        parts.append(f"p. {page}")
    return ", ".join(parts)


def _snippet(text: str, width: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _note_degraded(body: dict[str, Any]) -> None:
    if body.get("degraded"):
        reason = body.get("degraded_reason") or "unknown"
        click.echo(f"note: degraded ({reason}); ran in {body.get('mode')} mode", err=True)
        sys.stderr.flush()
