"""A garbled job ``state.json`` never deletes an accepted job (issue #18, item 2)."""

from __future__ import annotations

from pathlib import Path

from ragmono.domain import Job
from ragmono.modules.ingest.documents import DocumentInput
from ragmono.modules.ingest.job_files import DocumentsPayload, JobFiles
from tests.conftest import SettingsFactory, app_client


async def test_a_garbled_state_file_quarantines_the_job_and_keeps_it_listed(
    make_settings: SettingsFactory, data_dir: Path
) -> None:
    documents = [DocumentInput(id=f"d{i}", text=f"Document number {i}.") for i in range(300)]
    job = Job(id="a" * 32, kind="documents", collection="docs", created_at=1.0, updated_at=1.0)
    jobs = data_dir / "jobs"
    JobFiles(jobs).create(job, DocumentsPayload(documents))  # as an accepted 202 left it
    (jobs / job.id / "state.json").write_bytes(b'{"id": "aaaa", "kind": "docu')  # cut short
    for _ in range(2):  # and it stays so across another restart
        async with app_client(make_settings()) as http:
            view = await http.get(f"/api/v1/jobs/{job.id}")
            listed = [j["id"] for j in (await http.get("/api/v1/jobs")).json()["items"]]
        assert view.status_code == 200, view.text
        body = view.json()
        assert body["state"] == "failed"
        assert "state.json" in body["detail"]
        assert f"jobs/.quarantine/{job.id}" in body["detail"]
        assert job.id in listed
    kept = jobs / ".quarantine" / job.id / "input.msgpack"
    assert kept.is_file()
    assert len(JobFiles(jobs / ".quarantine").load_payload(job.id).documents) == 300  # type: ignore[union-attr]
