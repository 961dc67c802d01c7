"""README drift: the API table lists every route of the live OpenAPI document (and nothing
else), and the scope table gives every /api/ route the scope its handler declares.

A new route fails here until README.md has its row.
"""

from __future__ import annotations

import re
from pathlib import Path

from litestar.testing import AsyncTestClient

from ragmono.app import create_app
from ragmono.modules.auth import scoped_routes
from ragmono.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
_ROUTE = re.compile(r"`([A-Z]+(?:/[A-Z]+)*) (/[^`?\s]*)[^`]*`")
_SCOPE = re.compile(r"`(search|query|ingest|admin)`")
_METHODS = {"get", "post", "put", "patch", "delete"}


def _normal(path: str) -> str:
    """``/jobs/{job_id:str}`` and ``/jobs/{id}`` are the same route."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def _table_rows(header: str) -> list[tuple[str, str]]:
    """(first cell, second cell) of the README table whose header row is ``header``."""
    lines = README.read_text().splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows.append((cells[0], cells[1]))
    return rows


def _routes(cell: str) -> set[tuple[str, str]]:
    return {
        (method, _normal(path))
        for methods, path in _ROUTE.findall(cell)
        for method in methods.split("/")
    }


def _api_table() -> set[tuple[str, str]]:
    return set().union(*(_routes(route) for route, _ in _table_rows("| method and path | what |")))


async def _openapi_routes(client: AsyncTestClient[object]) -> set[tuple[str, str]]:
    doc = (await client.get("/schema/openapi.json")).json()
    return {
        (method.upper(), _normal(path))
        for path, operations in doc["paths"].items()
        for method in operations
        if method in _METHODS
    }


async def test_every_openapi_route_is_in_the_readme_api_table(
    client: AsyncTestClient[object],
) -> None:
    missing = sorted(await _openapi_routes(client) - _api_table())
    assert not missing, f"add README rows (## API (v1)) for {missing}"


async def test_every_readme_api_row_is_a_route(client: AsyncTestClient[object]) -> None:
    stale = sorted(_api_table() - await _openapi_routes(client))
    assert not stale, f"README's API table lists routes the app does not have: {stale}"


def test_the_scope_table_gives_each_api_route_its_declared_scope(settings: Settings) -> None:
    table: dict[tuple[str, str], str] = {}
    for routes, scope in _table_rows("| route | scope |"):
        (named,) = _SCOPE.findall(scope)
        for route in _routes(routes):
            table[route] = named
    declared = {
        (method, _normal(path)): scope
        for method, path, scope in scoped_routes(create_app(settings))
        if path.startswith("/api/")
    }
    wrong = {route: (table.get(route), scope) for route, scope in declared.items()}
    wrong = {route: pair for route, pair in wrong.items() if pair[0] != pair[1]}
    assert not wrong, f"README scope table (readme, declared) differs: {wrong}"
    assert set(table) <= set(declared), sorted(set(table) - set(declared))
