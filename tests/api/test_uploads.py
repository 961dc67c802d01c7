"""POST .../documents/upload: every file type, per-file results, hostile files refused."""

from __future__ import annotations

from typing import Any

from tests.conftest import SettingsFactory, app_client
from tests.support.documents import make_docx, make_pdf, make_pdf_bomb

UPLOAD = "/api/v1/collections/docs/documents/upload"


async def _create(http: Any) -> None:
    assert (await http.post("/api/v1/collections", json={"name": "docs"})).status_code == 201


async def _points(http: Any) -> int:
    return int((await http.get("/api/v1/collections/docs")).json()["stats"]["points"])


async def test_each_file_type_is_parsed_with_its_title(client: Any) -> None:
    await _create(client)
    files = [
        ("files", ("notes.txt", b"Plain text notes about tides.", "text/plain")),
        ("files", ("guide.md", b"# Hiking Guide\n\n## Boots\n\nWear good boots.", "text/markdown")),
        (
            "files",
            ("page.html", b"<title>Web Page</title><h1>Birds</h1><p>Robins sing.</p>", "text/html"),
        ),
        (
            "files",
            (
                "report.pdf",
                make_pdf(["Annual report text."], title="Report 2025"),
                "application/pdf",
            ),
        ),
        (
            "files",
            (
                "memo.docx",
                make_docx("Memo", [("Budget", "Spend less.")]),
                "application/octet-stream",
            ),
        ),
    ]
    response = await client.post(UPLOAD, files=files)
    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 5
    assert body["failed"] == 0
    ids = {r["source"]: r["id"] for r in body["results"]}
    titles = {}
    for source, doc_id in ids.items():
        detail = (await client.get(f"/api/v1/collections/docs/documents/{doc_id}")).json()
        titles[source] = detail["document"]["metadata"].get("title")
        assert detail["document"]["metadata"]["filename"] == source
    assert titles == {
        "notes.txt": None,
        "guide.md": "Hiking Guide",
        "page.html": "Web Page",
        "report.pdf": "Report 2025",
        "memo.docx": "Memo",
    }
    guide = (await client.get(f"/api/v1/collections/docs/documents/{ids['guide.md']}")).json()
    assert guide["items"][0]["metadata"]["section"] == "Hiking Guide > Boots"
    pdf = (await client.get(f"/api/v1/collections/docs/documents/{ids['report.pdf']}")).json()
    assert pdf["items"][0]["metadata"]["page"] == 1


async def test_one_bad_file_does_not_fail_the_others(client: Any) -> None:
    await _create(client)
    files = [
        ("files", ("../../up/good.txt", b"Good content survives.", "text/plain")),
        ("files", ("evil.txt", b"MZ\x90\x00binary", "text/plain")),
        ("files", ("tool.exe", b"MZ", "application/octet-stream")),
    ]
    response = await client.post(UPLOAD, files=files)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["status"], r.get("error_status")) for r in results] == [
        ("created", None),
        ("failed", 422),
        ("failed", 415),
    ]
    assert "NUL" in results[1]["error"]
    assert results[0]["source"] == "up/good.txt"  # a label only: no root, no '..'

    assert await _points(client) == 1


HOSTILE = [
    ("empty.txt", b"", 422, "no text"),
    ("blank.md", b"  \n\n  ", 422, "no text"),
    ("binary.txt", bytes(range(256)) * 4, 422, "binary"),
    ("latin1.txt", b"caf\xe9", 422, "UTF-8"),
    ("archive.zip", b"PK\x03\x04", 415, "unsupported"),
    ("broken.pdf", b"%PDF-1.7 garbage", 422, "PDF"),
]


async def test_a_hostile_file_alone_is_its_own_4xx_and_writes_nothing(client: Any) -> None:
    await _create(client)
    for name, data, status, words in HOSTILE:
        response = await client.post(
            UPLOAD, files=[("files", (name, data, "application/octet-stream"))]
        )
        assert response.status_code == status, name
        assert response.headers["content-type"].startswith("application/problem+json")
        assert words in response.json()["detail"], name
        assert response.json()["field"] == "body.files[0]"
    assert await _points(client) == 0
    assert (await client.get("/api/v1/collections/docs/documents")).json()["items"] == []


async def test_a_pdf_bomb_is_413(make_settings: SettingsFactory) -> None:
    settings = make_settings(ingest__max_decoded_bytes=str(1024 * 1024))
    async with app_client(settings) as http:
        await _create(http)
        bomb = make_pdf_bomb(8 * 1024 * 1024)
        response = await http.post(UPLOAD, files=[("files", ("bomb.pdf", bomb, "application/pdf"))])
        assert response.status_code == 413
        assert "decompresses past the limit" in response.json()["detail"]
        assert await _points(http) == 0


async def test_a_50_mb_upload_is_413_at_the_configured_limit(client: Any) -> None:
    await _create(client)
    big = b"a" * (50 * 1024 * 1024 + 1)  # one byte over server.max_upload_bytes (50 MiB)
    response = await client.post(UPLOAD, files=[("files", ("big.txt", big, "text/plain"))])
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await _points(client) == 0


async def test_the_upload_limit_follows_settings(make_settings: SettingsFactory) -> None:
    async with app_client(make_settings(server__max_upload_bytes="4096")) as http:
        await _create(http)
        ok = await http.post(UPLOAD, files=[("files", ("a.txt", b"small file", "text/plain"))])
        assert ok.status_code == 200
        big = await http.post(UPLOAD, files=[("files", ("b.txt", b"b" * 8192, "text/plain"))])
        assert big.status_code == 413
        assert await _points(http) == 1


RST_MANUAL = b"""Tidewatch Manual
================

Tidewatch records water levels at a harbour gauge.

Installation
------------

The gauge daemon needs a serial port and a writable spool
directory. Readings are written to the spool every ninety
seconds and are kept for fourteen days before they are
rotated away.

::

    tidewatch --port /dev/ttyS0
"""


async def test_restructuredtext_upload_is_answered_with_whole_sentences(client: Any) -> None:
    await _create(client)
    upload = [("files", ("tidewatch.rst", RST_MANUAL, "text/x-rst"))]
    response = await client.post(UPLOAD, files=upload)
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["status"] == "created"
    detail = (await client.get(f"/api/v1/collections/docs/documents/{result['id']}")).json()
    assert detail["document"]["metadata"]["title"] == "Tidewatch Manual"
    assert detail["document"]["metadata"]["format"] == "rst"
    assert detail["items"][0]["metadata"]["section"].startswith("Tidewatch Manual")

    asked = await client.post(
        "/api/v1/query",
        json={"collection": "docs", "query": "How long are readings kept before rotation?"},
    )
    assert asked.status_code == 200
    answer = asked.json()["answer"]
    assert (
        "Readings are written to the spool every ninety seconds and are kept for fourteen "
        "days before they are rotated away. [1]"
    ) in answer
