"""Files in, documents out: parsing off the event loop, failures kept per file."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ragmono.errors import InvalidInput, RagmonoError

from .documents import DocumentInput, DocumentResult, FileInput
from .identity import document_id_for
from .parsing import ParseLimits, parse_file, screen_file

__all__ = ["failed_file", "file_document", "read_files", "screen_files"]


async def file_document(file: FileInput, limits: ParseLimits, *, field: str) -> DocumentInput:
    """Parse one file into a document (on a worker thread, within the time limit)."""
    try:
        parsed = await asyncio.wait_for(
            asyncio.to_thread(parse_file, file.name, file.data, limits, field=field),
            # The parser stops itself at the deadline between pages; this catches the rest.
            timeout=limits.timeout_s + 5,
        )
    except TimeoutError:
        raise InvalidInput(
            f"{file.name}: text extraction took longer than {limits.timeout_s:g}s", field=field
        ) from None
    source = file.source or file.name
    return DocumentInput(
        id=file.document_id or document_id_for(source, ""),
        text=parsed.text,
        source=source,
        metadata={**parsed.metadata, "filename": file.name.rsplit("/", 1)[-1], **file.metadata},
        markdown=parsed.markdown,
    )


def failed_file(file: FileInput, exc: RagmonoError) -> DocumentResult:
    """The per-file result of a file that could not be read."""
    source = file.source or file.name
    return DocumentResult(
        id=file.document_id or document_id_for(source, ""),
        status="failed",
        source=source,
        file=file.name,
        error_status=exc.status_code,
        error=exc.detail,
    )


async def read_files(
    files: Sequence[FileInput], limits: ParseLimits
) -> list[tuple[FileInput, DocumentInput | RagmonoError]]:
    """Parse every file; each gets its document or the error that refused it."""
    out: list[tuple[FileInput, DocumentInput | RagmonoError]] = []
    for i, file in enumerate(files):
        try:
            out.append((file, await file_document(file, limits, field=f"body.files[{i}]")))
        except RagmonoError as exc:
            out.append((file, exc))
    return out


async def screen_files(
    files: Sequence[FileInput], limits: ParseLimits
) -> list[tuple[FileInput, RagmonoError]]:
    """The files a job would refuse, each with its error, found without extracting text."""

    def screen() -> list[tuple[FileInput, RagmonoError]]:
        refused: list[tuple[FileInput, RagmonoError]] = []
        for i, file in enumerate(files):
            try:
                screen_file(file.name, file.data, limits, field=f"body.files[{i}]")
            except RagmonoError as exc:
                refused.append((file, exc))
        return refused

    return await asyncio.to_thread(screen)
