"""The console and docs pages as served: headers, caching, prefixes, and no other origin."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from ragmono.app import create_app
from ragmono.console.controller import app_bundle
from tests.conftest import SettingsFactory, app_client

ATTRIBUTE_URL = re.compile(r"""\b(?:src|href)="([^"]+)\"""")
JS_IMPORT = re.compile(r"""\bfrom\s+"([^"]+)\"""")
ANY_ORIGIN = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
XML_NAMESPACE = re.compile(r'xmlns="[^"]*"')  # a namespace's name, never fetched


async def crawl(api: Any, start: str) -> dict[str, tuple[str, str]]:
    """Every same-origin URL reachable from ``start`` through src/href and JS imports."""
    seen: dict[str, tuple[str, str]] = {}
    todo = [start]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        response = await api.get(url)
        assert response.status_code == 200, url
        kind = response.headers["content-type"]
        seen[url] = (kind, response.text)
        base = url
        if "text/html" in kind:
            base = re.search(r'<base href="([^"]+)">', response.text).group(1)  # type: ignore[union-attr]
        found = ATTRIBUTE_URL.findall(response.text) if "html" in kind else []
        found += JS_IMPORT.findall(response.text) if "javascript" in kind else []
        for ref in found:
            assert not ANY_ORIGIN.match(ref), f"{url} links to another origin: {ref}"
            if ref.startswith(("#", "data:")):
                continue
            target = urljoin(base, ref).split("#")[0]
            if not target.endswith(".json"):
                todo.append(target)
    return seen


async def test_console_and_docs_reference_no_other_origin(client: Any) -> None:
    served = {**await crawl(client, "/"), **await crawl(client, "/schema")}
    names = {url.rsplit("/", 1)[-1] for url in served}
    assert {"app.js", "ask.js", "console.css", "swagger-ui-bundle.js", "docs.js"} <= names
    for url, (kind, text) in served.items():
        if "/swagger-ui/" in url:
            # Swagger UI's own dist: its CSS must not load anything (the browser test watches
            # its script fetch nothing from another origin).
            if "css" in kind:
                assert "@import" not in text
                assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), url
            continue
        origins = set(ANY_ORIGIN.findall(XML_NAMESPACE.sub("", text)))
        assert origins == set(), f"{url} names other origins: {origins}"


async def test_the_page_forbids_inline_script_and_other_origins(client: Any) -> None:
    for path in ("/", "/schema", "/schema/swagger"):
        response = await client.get(path)
        assert response.status_code == 200
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "default-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "<script>" not in response.text  # every script is a file
    assert (await client.get("/")).headers["cache-control"] == "no-cache"


async def test_assets_are_immutable_under_their_hash_and_answer_304(client: Any) -> None:
    version = app_bundle().version
    url = f"/console/app/{version}/app.js"
    first = await client.get(url)
    assert first.headers["content-type"].startswith("text/javascript")
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    # A page from an older release still gets the file, but it is not pinned under that URL.
    old = await client.get("/console/app/000000000000/app.js")
    assert old.status_code == 200
    assert old.headers["cache-control"] == "no-cache"
    missing = await client.get(f"/console/app/{version}/nope.js")
    assert missing.status_code == 404
    assert missing.json()["field"] == "path"


def test_the_console_stays_small() -> None:
    assert app_bundle().total_bytes < 300 * 1024


async def test_root_path_prefixes_every_link_and_the_api_servers(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(SERVER__ROOT_PATH="/rag")
    async with app_client(settings) as api:
        page = (await api.get("/")).text
        docs = (await api.get("/schema")).text
        schema = (await api.get("/schema/openapi.json")).json()
    assert '<base href="/rag/">' in page
    assert '<base href="/rag/">' in docs
    assert schema["servers"] == [{"url": "/rag"}]
    links = ATTRIBUTE_URL.findall(page.replace('<base href="/rag/">', ""))
    assert links
    assert [link for link in links if link.startswith("/")] == []  # all relative to <base>


def test_console_routes_stay_out_of_the_api_schema(make_settings: SettingsFactory) -> None:
    paths = create_app(make_settings()).openapi_schema.to_schema()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith("/console")]
