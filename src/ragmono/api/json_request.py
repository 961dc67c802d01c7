"""The request class: a JSON body must be declared as JSON and be decodable, or it is a 4xx.

Litestar decodes any body as JSON whatever its ``Content-Type`` and lets two decoder failures
escape as 500s: a body nested deeper than the decoder's recursion limit (``RecursionError``) and
bytes that are not UTF-8 inside a string (``UnicodeDecodeError``). Both are client mistakes.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, HTTPException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE

__all__ = ["JsonCheckedRequest", "is_json_media_type"]


def is_json_media_type(media_type: str) -> bool:
    """``application/json`` or a ``+json`` type such as ``application/merge-patch+json``."""
    media_type = media_type.strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class JsonCheckedRequest(Request[Any, Any, Any]):
    """A Litestar request whose ``json()`` answers 415 or 400 instead of raising a 500."""

    async def json(self) -> Any:
        """The decoded JSON body; 415 unless declared as JSON, 400 when it cannot be decoded."""
        body = await self.body()
        media_type, _ = self.content_type
        if body and not is_json_media_type(media_type):
            raise HTTPException(
                status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                detail=f"send the body as application/json, not {media_type or 'untyped'}",
            )
        try:
            return await super().json()
        except RecursionError:
            raise ClientException("JSON body is nested too deeply") from None
        except UnicodeDecodeError:
            raise ClientException("JSON body is not valid UTF-8") from None
