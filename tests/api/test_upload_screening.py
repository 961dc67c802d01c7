"""Uploads are screened before the 202; a job with failed files says so (issue #18, item 7).

A large upload used to go straight to a job (over ``ingest.async_threshold_bytes``), so a
zip-bomb .docx or a PDF over the page limit got a 202 and a job that ended ``succeeded`` with
``failed 1``. Type, size, decoded size and page count are now checked first: a refused upload
gets its 4xx, and a job where some files failed ends ``completed_with_errors``.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

from tests.conftest import SettingsFactory, app_client
from tests.support.documents import make_docx, make_pdf

UPLOAD = "/api/v1/collections/docs/documents/upload"


def _docx_bomb(inflated: int) -> bytes:
    """A .docx whose one part is tiny compressed and ``inflated`` bytes unpacked."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("word/document.xml", b" " * inflated)
    return out.getvalue()


async def _until_finished(http: Any, location: str) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            job: dict[str, Any] = (await http.get(location)).json()
            if job["state"] not in ("queued", "running"):
                return job
            await asyncio.sleep(0.3)


def _settings(make_settings: SettingsFactory) -> Any:
    # Every upload here is over the threshold: each would be a job without the screening.
    return make_settings(
        ingest__async_threshold_bytes="0",
        ingest__max_pdf_pages="3",
        ingest__max_decoded_bytes=str(1024 * 1024),
    )


async def test_a_refused_large_upload_is_its_4xx_not_a_job(
    make_settings: SettingsFactory,
) -> None:
    bomb = _docx_bomb(8 * 1024 * 1024)
    long_pdf = make_pdf([f"Page {n} of a long report." for n in range(6)])
    async with app_client(_settings(make_settings)) as http:
        assert (await http.post("/api/v1/collections", json={"name": "docs"})).status_code == 201
        for name, data, status, words in (
            ("bomb.docx", bomb, 413, "inflates"),
            ("long.pdf", long_pdf, 422, "pages"),
            ("tool.exe", b"MZ" * 100, 415, "unsupported"),
            ("big.txt", b"a " * (600 * 1024), 413, "over"),
        ):
            response = await http.post(UPLOAD, files=[("files", (name, data, "x/y"))])
            assert response.status_code == status, (name, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert words in response.json()["detail"], name
            assert response.json()["field"] == "body.files[0]"
        both = await http.post(
            UPLOAD,
            files=[("files", ("bomb.docx", bomb, "x/y")), ("files", ("long.pdf", long_pdf, "x/y"))],
        )
        assert both.status_code == 422, both.text
        assert (await http.get("/api/v1/jobs")).json()["items"] == []


async def test_a_job_where_some_files_failed_is_completed_with_errors(
    make_settings: SettingsFactory,
) -> None:
    good = make_docx("Memo", [("Budget", "Spend less on paper.")])
    async with app_client(_settings(make_settings)) as http:
        assert (await http.post("/api/v1/collections", json={"name": "docs"})).status_code == 201
        accepted = await http.post(
            UPLOAD,
            files=[
                ("files", ("memo.docx", good, "x/y")),
                ("files", ("bomb.docx", _docx_bomb(8 * 1024 * 1024), "x/y")),
                ("files", ("notes.txt", b"Plain notes about tides.", "text/plain")),
            ],
        )
        assert accepted.status_code == 202, accepted.text
        location = accepted.headers["location"]
        queued = (await http.get(location)).json()
        assert queued["progress"]["documents_total"] == 3  # known from the start
        job = await _until_finished(http, location)
    assert job["state"] == "completed_with_errors", job
    assert job["counts"]["created"] == 2
    assert job["counts"]["failed"] == 1
    assert job["errors"][0]["status"] == 413
    assert "bomb.docx" in job["errors"][0]["detail"]
