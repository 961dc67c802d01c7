"""The service: validation before writing, Idempotency-Key replay, jobs over the threshold."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragmono.domain import Reader
from ragmono.errors import Forbidden, InvalidInput, UnsupportedMediaType
from ragmono.modules.ingest import DocumentInput, FileInput, IngestReport, JobAccepted
from tests.support.ingest import make_collection, make_rig, words


async def test_idempotency_key_replays_the_first_result(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    await make_collection(rig.store, rig.embedder)
    docs = [DocumentInput(id="a", text="Alpha text.")]
    first, replayed = await rig.service.ingest_documents("docs", docs, idempotency_key="k-1")
    assert not replayed
    assert isinstance(first, IngestReport)
    assert first.created == 1
    # Without the key the same request runs again and finds nothing to do...
    fresh, _ = await rig.service.ingest_documents("docs", docs)
    assert isinstance(fresh, IngestReport)
    assert fresh.unchanged == 1
    # ...with it, the retry gets the first answer back.
    again, replayed = await rig.service.ingest_documents("docs", docs, idempotency_key="k-1")
    assert replayed
    assert again == first


async def test_idempotency_key_reused_for_another_request_is_422(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    await make_collection(rig.store, rig.embedder)
    await rig.service.ingest_documents("docs", [DocumentInput(text="one")], idempotency_key="k")
    with pytest.raises(InvalidInput) as caught:
        await rig.service.ingest_documents("docs", [DocumentInput(text="two")], idempotency_key="k")
    assert caught.value.field == "header.Idempotency-Key"


async def test_failures_are_not_remembered(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    docs = [DocumentInput(text="one")]
    with pytest.raises(Exception, match="does not exist"):
        await rig.service.ingest_documents("docs", docs, idempotency_key="k")
    await make_collection(rig.store, rig.embedder)
    outcome, replayed = await rig.service.ingest_documents("docs", docs, idempotency_key="k")
    assert not replayed
    assert isinstance(outcome, IngestReport)
    assert outcome.created == 1


@pytest.mark.parametrize(
    ("docs", "field"),
    [
        ([DocumentInput(text="ok"), DocumentInput(text=" \n\t ")], "body.documents[1].text"),
        (
            [DocumentInput(id="x", text="one"), DocumentInput(id="x", text="two")],
            "body.documents[1].id",
        ),
        ([DocumentInput(text="same"), DocumentInput(text="same")], "body.documents[1].id"),
    ],
)
async def test_bad_documents_are_refused_before_anything_is_written(
    tmp_path: Path, docs: list[DocumentInput], field: str
) -> None:
    rig = make_rig(tmp_path)
    await make_collection(rig.store, rig.embedder)
    with pytest.raises(InvalidInput) as caught:
        await rig.service.ingest_documents("docs", docs)
    assert caught.value.field == field
    assert await rig.store.count("docs") == 0


async def test_large_requests_become_jobs_with_inputs_on_disk_first(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, threshold=100)
    await make_collection(rig.store, rig.embedder)
    outcome, _ = await rig.service.ingest_documents("docs", [DocumentInput(text=words(20))])
    assert isinstance(outcome, JobAccepted)
    assert outcome.location == f"/api/v1/jobs/{outcome.job_id}"
    assert (rig.jobs_dir / outcome.job_id / "input.msgpack").stat().st_size > 0
    assert (await rig.runner.get(outcome.job_id)).state == "queued"
    assert await rig.store.count("docs") == 0  # the runner is not started in this test


async def test_files_each_get_a_result_and_refused_ones_write_nothing(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    await make_collection(rig.store, rig.embedder)
    files = [
        FileInput(name="good.md", data=b"# Title\n\nGood words here."),
        FileInput(name="bad.txt", data=b"\x00\x01\x02"),
        FileInput(name="odd.xyz", data=b"whatever"),
    ]
    outcome, _ = await rig.service.ingest_files("docs", files)
    assert isinstance(outcome, IngestReport)
    assert [(r.file, r.status, r.error_status) for r in outcome.results] == [
        (None, "created", None),
        ("bad.txt", "failed", 422),
        ("odd.xyz", "failed", 415),
    ]
    page, _ = await rig.store.scroll("docs", None, 10)
    assert {c.chunk.source for c in page} == {"good.md"}
    assert page[0].chunk.metadata["title"] == "Title"


async def test_when_every_file_is_refused_the_request_fails(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    await make_collection(rig.store, rig.embedder)
    with pytest.raises(UnsupportedMediaType) as one:
        await rig.service.ingest_files("docs", [FileInput(name="a.exe", data=b"MZ")])
    assert one.value.field == "body.files[0]"
    mixed = [FileInput(name="a.exe", data=b"MZ"), FileInput(name="b.txt", data=b"\x00")]
    with pytest.raises(InvalidInput) as both:
        await rig.service.ingest_files("docs", mixed)
    assert type(both.value) is InvalidInput
    assert "a.exe" in both.value.detail
    assert "b.txt" in both.value.detail
    assert await rig.store.count("docs") == 0


async def test_sync_is_refused_when_no_roots_are_allowed(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    await make_collection(rig.store, rig.embedder)
    with pytest.raises(Forbidden) as caught:
        await rig.service.sync("docs", str(tmp_path))
    assert caught.value.field == "body.path"


ANYONE = Reader()


async def test_documents_listing_reading_and_deleting(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    await make_collection(rig.store, rig.embedder)
    docs = [DocumentInput(id=f"d{i}", text=words(6, f"s{i}"), source=f"s{i % 2}") for i in range(5)]
    await rig.service.ingest_documents("docs", docs)
    seen: list[str] = []
    cursor = None
    while True:
        page = await rig.service.list_documents("docs", reader=ANYONE, limit=2, cursor=cursor)
        assert len(page.items) <= 2
        seen += [d.id for d in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == [f"d{i}" for i in range(5)]
    only = await rig.service.list_documents("docs", reader=ANYONE, source="s1")
    assert sorted(d.id for d in only.items) == ["d1", "d3"]
    assert all(d.status == "ready" for d in only.items)

    detail = await rig.service.get_document("docs", "d2", reader=ANYONE)
    assert [c.index for c in detail.items] == list(range(detail.document.chunks))
    assert " ".join(c.text for c in detail.items).startswith("s2 sentence number 0")

    version = (await rig.store.get_collection("docs")).version  # type: ignore[union-attr]
    assert await rig.service.delete_document("docs", "d2", reader=ANYONE) == detail.document.chunks
    assert (await rig.store.get_collection("docs")).version == version + 1  # type: ignore[union-attr]
    with pytest.raises(Exception, match="does not exist"):
        await rig.service.get_document("docs", "d2", reader=ANYONE)
    with pytest.raises(Exception, match="does not exist"):
        await rig.service.delete_document("docs", "d2", reader=ANYONE)
    with pytest.raises(InvalidInput):
        await rig.service.list_documents("docs", reader=ANYONE, cursor="not-a-cursor")
