"""The console in a real browser against ``ragmono serve``: what a person clicks, end to end."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.auth import SERVICE_TOKEN
from tests.support.browser import OfflineContext
from tests.support.live_server import LiveServer
from tests.support.prefix_proxy import PrefixProxy

from .conftest import READ_ONLY_TOKEN
from .flows import ask_and_cite, create_collection, nav, upload_and_read_results, upload_and_wait


def test_upload_ask_and_cite_without_auth(
    page: Page, open_server: LiveServer, screenshots: Path
) -> None:
    page.goto(open_server.url + "/")
    expect(page.get_by_role("heading", level=1, name="Ask")).to_be_visible()
    create_collection(page, "handbook")
    upload_and_wait(page, screenshots / "console-upload.png")

    passage = ask_and_cite(page, "How often does high tide come in?")
    # The cited passage is from the PDF, with its source and the page it starts on shown.
    assert "tides.pdf" in passage
    assert re.search(r"\bpage [12] · chunk \d", passage)
    assert "twelve hours" in passage
    page.screenshot(path=screenshots / "console-ask.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshots / "console-ask-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    nav(page, "Documents")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="guide.md").click()
    chunks = page.get_by_role("region", name="Document").locator(".chunk")
    expect(chunks.first).to_contain_text("section: Hiking guide")
    page.once("dialog", lambda dialog: dialog.accept())
    rows.filter(has_text="guide.md").get_by_role("button", name="Delete").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("tides.pdf")


def test_search_status_and_delete_collection(page: Page, open_server: LiveServer) -> None:
    page.goto(open_server.url + "/#/collections")
    create_collection(page, "scratch")
    nav(page, "Search")
    page.get_by_label("Collection").select_option("scratch")
    page.get_by_label("Collection").select_option("handbook")
    page.get_by_label("Query").fill("when does the crane lift boats")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("results · mode hybrid")
    expect(page.locator(".hit mark").first).to_be_visible()
    marked = {m.lower() for m in page.locator(".hit mark").all_inner_texts()}
    assert marked == {"crane", "lift", "boats"}

    nav(page, "Status")
    expect(page.get_by_role("heading", name="Ready")).to_be_visible()
    expect(page.locator("section", has_text="Jobs").locator("tbody tr").first).to_contain_text(
        "succeeded"
    )

    nav(page, "Collections")
    messages: list[str] = []

    def accept(dialog: object) -> None:
        messages.append(dialog.message)  # type: ignore[attr-defined]
        dialog.accept()  # type: ignore[attr-defined]

    page.once("dialog", accept)
    page.locator("tr[data-collection='scratch']").get_by_role("button", name="Delete").click()
    expect(page.locator("tr[data-collection='scratch']")).to_have_count(0)
    assert 'Delete the collection "scratch"' in messages[0]


def test_auth_asks_for_a_token_then_works(page: Page, auth_server: PrefixProxy) -> None:
    # Behind the /rag proxy, which answers 404 to any URL that forgot the prefix.
    page.goto(auth_server.url + "/#/collections")
    expect(page.get_by_role("alert").first).to_contain_text("Not authorised (401)")
    token = page.get_by_label("Service token or JWT")
    expect(token).to_be_focused()

    # A token that may only search and query: writing is refused, naming the scope.
    token.fill(READ_ONLY_TOKEN)
    page.get_by_role("button", name="Use token").click()
    expect(page.get_by_role("heading", level=1, name="Collections")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("secured")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("main .status")).to_contain_text("needs scope 'ingest'")
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)  # no collection yet

    page.get_by_role("button", name="Change token").click()
    token.fill(SERVICE_TOKEN)
    page.get_by_role("button", name="Use token").click()
    create_collection(page, "secured")
    upload_and_read_results(page)
    assert "tides.pdf" in ask_and_cite(page, "How often does high tide come in?")
    flag = page.locator("article.turn").first.locator(".degraded")
    expect(flag).to_have_text("Degraded answer: generator_unavailable")
    # The token was kept for this tab only and never put in a URL.
    assert page.evaluate("sessionStorage.getItem('ragmono.token')") == SERVICE_TOKEN
    assert SERVICE_TOKEN not in page.url

    # Without the admin scope, admin actions are disabled and say why.
    page.get_by_role("button", name="Change token").click()
    token.fill(READ_ONLY_TOKEN)
    page.get_by_role("button", name="Use token").click()
    nav(page, "Collections")
    delete = page.locator("tr[data-collection='secured']").get_by_role("button", name="Delete")
    expect(delete).to_be_disabled()
    expect(delete).to_have_attribute("title", "Deleting needs the admin scope")
    nav(page, "Status")
    expect(page.get_by_text("Listing backups needs the admin scope.")).to_be_visible()


def test_api_docs_render_offline_under_a_prefix(
    offline: OfflineContext, auth_server: PrefixProxy
) -> None:
    page = offline.context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(auth_server.url + "/schema")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible(timeout=20_000)
    assert operations.count() > 20
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/query").first).to_be_visible()
    assert failed == []
