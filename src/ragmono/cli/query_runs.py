"""One search or question, run in-process (the same services as the server) or over HTTP.

Either way the result is the API's JSON body as a dict, so the printing is shared.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ragmono.domain import Reader

from .errors import EXIT_SERVER, CliError
from .remote import check, connect
from .settings_loader import load_cli_settings

if TYPE_CHECKING:
    import httpx

    from ragmono.lifespan import Services
    from ragmono.modules.query import SearchParams

__all__ = ["AskRun", "Run", "SearchRun", "run_local", "run_remote"]


@dataclass
class SearchRun:
    """``POST /api/v1/search``; ``body`` is filled by the run."""

    query: str
    collection: str
    mode: str
    top_k: int
    body: dict[str, Any] = field(default_factory=dict)

    def request(self) -> dict[str, Any]:
        """The JSON request body."""
        return {
            "query": self.query,
            "collection": self.collection,
            "mode": self.mode,
            "top_k": self.top_k,
        }


@dataclass
class AskRun(SearchRun):
    """``POST /api/v1/query``; with ``stream`` each piece goes to ``on_token`` as it comes."""

    stream: bool = False
    on_token: Callable[[str], None] = print


Run = SearchRun | AskRun


async def run_local(run: Run, data_dir: str | None, config: str | None) -> None:
    """Run in this process on the data directory (which the embedded store lets one own)."""
    overrides = {"RAGMONO_STORAGE__DATA_DIR": data_dir} if data_dir else {}
    settings = load_cli_settings(config, overrides)
    from ragmono.errors import DependencyUnavailable
    from ragmono.lifespan import build_services, open_adapters
    from ragmono.logging import configure_logging

    configure_logging(settings.logging, cache_loggers=False)  # logs on stderr
    try:
        async with open_adapters(settings) as adapters:
            services = build_services(settings, adapters)
            await (
                _ask_local(run, services)
                if isinstance(run, AskRun)
                else _search_local(run, services)
            )
    except DependencyUnavailable as exc:
        hint = ": stop the server first, or pass --url to ask it" if "in use" in exc.detail else ""
        raise CliError(f"{exc.detail}{hint}", EXIT_SERVER) from None


def _params(run: SearchRun) -> SearchParams:
    from typing import cast

    from ragmono.domain import SearchMode
    from ragmono.modules.query import SearchParams

    mode = cast(SearchMode, run.mode)  # click.Choice checked it
    # The CLI runs on the host with the data: an operator reads every document.
    return SearchParams(
        query=run.query,
        collection=run.collection,
        top_k=run.top_k,
        mode=mode,
        reader=Reader.everything(),
    )


async def _search_local(run: SearchRun, services: Services) -> None:
    import msgspec

    run.body = msgspec.to_builtins(await services.search.search(_params(run)))


async def _ask_local(run: AskRun, services: Services) -> None:
    import msgspec

    params = _params(run)
    if not run.stream:
        run.body = msgspec.to_builtins(await services.answers.answer(params))
        return
    prepared = await services.answers.prepare(params)
    events = services.answers.stream(prepared)
    try:
        async for event in events:
            _take(run, type(event).__name__, msgspec.to_builtins(event))
    finally:
        await events.aclose()


_EVENT_NAMES = {"TokenEvent": "token", "SourcesEvent": "sources", "DoneEvent": "done"}


def _take(run: AskRun, name: str, data: dict[str, Any]) -> None:
    """One streamed event into ``run``: print a token, keep the sources and the summary."""
    name = _EVENT_NAMES.get(name, name)
    if name == "token":
        run.on_token(data["text"])
    elif name in ("sources", "done"):
        run.body.update(data)
    elif name == "error":
        raise CliError(f"the answer failed: {data.get('detail', data)}", EXIT_SERVER)


async def run_remote(run: Run, url: str, token: str | None) -> None:
    """Run through the server at ``url``."""
    async with connect(url, token) as http:
        if not isinstance(run, AskRun):
            run.body = check(await http.post("/api/v1/search", json=run.request())).json()
        elif not run.stream:
            run.body = check(await http.post("/api/v1/query", json=run.request())).json()
        else:
            await _stream_remote(http, run)


async def _stream_remote(http: httpx.AsyncClient, run: AskRun) -> None:
    body = {**run.request(), "stream": True}
    async with http.stream("POST", "/api/v1/query", json=body) as response:
        if response.status_code >= 400:
            await response.aread()
            check(response)
        event, data = "message", ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
            elif not line and data:
                _take(run, event, json.loads(data))
                event, data = "message", ""
