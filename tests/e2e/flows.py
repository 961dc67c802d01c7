"""What a person does in the console, step by step (shared by the open and the auth tests)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import FilePayload, Page, expect

from tests.support.documents import make_pdf

GUIDE_MD = b"""# Hiking guide

## Boots

Wear broken-in leather boots with ankle support on rocky trails.

## Water

Carry two litres of water per person for a half-day hike.
"""
HARBOUR = [
    "The harbour office opens at eight and closes at six on weekdays.",
    "Moorings are booked at the office and paid for in advance by the week.",
    "Visitors tie up on the north pontoon; the south pontoon is for fishing boats.",
    "Fuel is sold on the quay from nine until five, cash or card.",
    "Showers and toilets are behind the office; the code is on the receipt.",
    "Rubbish goes in the green bins by the slipway, oil in the marked drum.",
    "The crane lifts boats up to ten tonnes and is booked a day ahead.",
]
TIDES_PDF_PAGES = [
    "\n".join(["Harbour notes", *HARBOUR]),
    "Tides\nHigh tide comes in twice a day, about every twelve hours and twenty five minutes.",
]


def files() -> list[FilePayload]:
    """A Markdown file and a two-page PDF, as a person would drop them."""
    return [
        {"name": "guide.md", "mimeType": "text/markdown", "buffer": GUIDE_MD},
        {"name": "tides.pdf", "mimeType": "application/pdf", "buffer": make_pdf(TIDES_PDF_PAGES)},
    ]


def nav(page: Page, name: str) -> None:
    """Click a page's link in the top navigation."""
    page.get_by_role("navigation", name="Pages").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()


def create_collection(page: Page, name: str) -> None:
    """Collections page: fill the form, create, and see the row."""
    nav(page, "Collections")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Description").fill(f"{name} for the console test")
    page.get_by_label("Chunk size (tokens)").fill("120")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_have_text(f"Created {name}.")
    row = page.locator(f"tr[data-collection='{name}']")
    expect(row).to_contain_text("120 / 32")


def upload_and_wait(page: Page, screenshot: Path | None = None) -> None:
    """Upload page: pick both files, upload, watch the job's progress reach done."""
    _upload(page)
    job = page.locator(".job")
    expect(job).to_have_attribute("data-state", "succeeded", timeout=30_000)
    expect(job.locator("progress")).to_have_attribute("value", "100")
    expect(job.get_by_role("status")).to_contain_text("done · 100%")
    expect(job.get_by_role("status")).to_contain_text("2/2 documents")
    expect(job.get_by_role("button", name="Cancel")).to_be_hidden()
    if screenshot:
        page.screenshot(path=screenshot)


def upload_and_read_results(page: Page) -> None:
    """Upload page, small upload written while the browser waits: one result row per file."""
    _upload(page)
    expect(page.locator("main .view > .status")).to_have_text("2 created, 0 updated, 0 unchanged.")
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(2)
    for name in ("guide.md", "tides.pdf"):
        expect(rows.filter(has_text=name).locator("td").first).to_have_text("created")


def _upload(page: Page) -> None:
    nav(page, "Upload")
    page.get_by_label("Drop files here, or choose them").set_input_files(files())
    expect(page.locator(".chosen li")).to_have_count(2)
    page.get_by_role("button", name="Upload", exact=True).click()


def ask_and_cite(page: Page, question: str) -> str:
    """Ask page: the answer streams in as SSE; clicking [1] shows passage 1; returns its text."""
    nav(page, "Ask")
    page.get_by_label("Question", exact=True).fill(question)
    with page.expect_response(re.compile(r"/api/v1/query$")) as reply:
        page.get_by_role("button", name="Ask", exact=True).click()
    assert reply.value.headers["content-type"].startswith("text/event-stream")
    turn = page.locator("article.turn").first
    expect(turn.locator(".meta").last).to_contain_text("total", timeout=20_000)
    cite = turn.locator("button.cite", has_text="[1]").first
    expect(cite).to_be_visible()
    passage = turn.get_by_role("region", name="Cited passage")
    expect(passage).to_be_hidden()
    cite.click()
    expect(passage).to_be_visible()
    expect(passage.locator("h3")).to_contain_text("[1]")
    text = passage.locator("blockquote").inner_text()
    assert text.strip(), "the cited passage is empty"
    return passage.inner_text()
