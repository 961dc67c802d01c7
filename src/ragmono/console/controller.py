"""GET / (the console page) and GET /console/... (its files and Swagger UI's), outside /api."""

from __future__ import annotations

import functools
import html
from importlib.resources import files
from string import Template
from typing import Any, Final

from litestar import Request, Response, Router, get
from litestar.params import FromPath
from swagger_ui_bundle import swagger_ui_path

from ragmono.errors import NotFound

from .assets import Asset, AssetBundle
from .config import CONTENT_SECURITY_POLICY, ConsoleConfig

__all__ = ["app_bundle", "console_router", "render_page", "swagger_bundle"]

ASSET_PREFIX: Final = "console"
IMMUTABLE: Final = "public, max-age=31536000, immutable"
SWAGGER_FILES: Final = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})


@functools.cache
def app_bundle() -> AssetBundle:
    """The console's own CSS and ES modules (``static/``)."""
    return AssetBundle(files("ragmono.console") / "static")


@functools.cache
def swagger_bundle() -> AssetBundle:
    """Swagger UI's dist as shipped by the swagger-ui-bundle-v2 wheel (Apache-2.0)."""
    return AssetBundle(swagger_ui_path, only=SWAGGER_FILES)


@functools.cache
def _template(name: str) -> Template:
    return Template((files("ragmono.console") / "templates" / name).read_text(encoding="utf-8"))


def render_page(name: str, prefix: str) -> bytes:
    """An HTML template filled in for this prefix: every URL in it is relative to ``<base>``."""
    return (
        _template(name)
        .substitute(
            base=html.escape(prefix + "/", quote=True),
            app=f"{ASSET_PREFIX}/app/{app_bundle().version}",
            swagger=f"{ASSET_PREFIX}/swagger-ui/{swagger_bundle().version}",
        )
        .encode()
    )


def _page(name: str, prefix: str) -> Response[bytes]:
    return Response(
        render_page(name, prefix),
        media_type="text/html",
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"},
    )


def _serve(
    request: Request[Any, Any, Any], bundle: AssetBundle, version: str, name: str
) -> Response[bytes]:
    found: Asset | None = bundle.get(name.lstrip("/"))
    if found is None:
        raise NotFound(f"no console file {name.lstrip('/')!r}", field="path")
    # An old page may still ask for the previous release's URL: answer, but do not pin it.
    headers = {
        "ETag": found.etag,
        "Cache-Control": IMMUTABLE if version == bundle.version else "no-cache",
    }
    if request.headers.get("if-none-match") == found.etag:
        return Response(b"", status_code=304, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


def console_router(config: ConsoleConfig) -> Router:
    """The console page at ``/`` and its files under ``/console/``; none of it in the schema."""

    @get("/", include_in_schema=False, sync_to_thread=False, name="console")
    def index(request: Request[Any, Any, Any]) -> Response[bytes]:
        return _page("index.html", config.prefix(request.scope))

    @get(
        f"/{ASSET_PREFIX}/app/{{version:str}}/{{name:path}}",
        include_in_schema=False,
        sync_to_thread=False,
    )
    def app_file(
        request: Request[Any, Any, Any], version: FromPath[str], name: FromPath[str]
    ) -> Response[bytes]:
        return _serve(request, app_bundle(), version, name)

    @get(
        f"/{ASSET_PREFIX}/swagger-ui/{{version:str}}/{{name:str}}",
        include_in_schema=False,
        sync_to_thread=False,
    )
    def swagger_file(
        request: Request[Any, Any, Any], version: FromPath[str], name: FromPath[str]
    ) -> Response[bytes]:
        return _serve(request, swagger_bundle(), version, name)

    return Router(path="/", route_handlers=[index, app_file, swagger_file], include_in_schema=False)
