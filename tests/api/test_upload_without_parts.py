"""An upload whose multipart body holds no parts is a clear 422, not Litestar's IndexError 500."""

from __future__ import annotations

from tests.conftest import SettingsFactory, app_client


async def test_an_empty_multipart_upload_names_the_field(make_settings: SettingsFactory) -> None:
    boundary = "c637e12e2b1a998d80d1b087531af51c"
    async with app_client(make_settings()) as http:
        await http.post("/api/v1/collections", json={"name": "docs"})
        response = await http.post(
            "/api/v1/collections/docs/documents/upload",
            content=f"--{boundary}--\r\n".encode(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    assert response.status_code == 422
    assert response.json()["field"] == "body.files"
