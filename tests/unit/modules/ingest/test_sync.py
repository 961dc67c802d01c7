"""Sync paths stay inside the allowed roots; the scan skips what it must."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragmono.errors import Forbidden, InvalidInput
from ragmono.modules.ingest import sync


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    (base / "docs" / "sub").mkdir(parents=True)
    (base / "docs" / "a.md").write_text("# A\n\nalpha")
    (base / "docs" / "sub" / "b.txt").write_text("beta")
    (base / "docs" / "image.png").write_bytes(b"\x89PNG")
    (base / "docs" / ".hidden.txt").write_text("secret")
    (base / "docs" / ".git").mkdir()
    (base / "docs" / ".git" / "c.txt").write_text("git internals")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.txt").write_text("not yours")
    (base / "docs" / "escape.txt").symlink_to(outside / "x.txt")
    (base / "link-out").symlink_to(outside)
    return base


def test_relative_and_absolute_paths_inside_a_root(root: Path) -> None:
    target = sync.resolve("docs", [str(root)])
    assert (target.root, target.directory, target.prefix) == (root, root / "docs", "docs/")
    assert sync.resolve(str(root), [str(root)]).prefix == ""


@pytest.mark.parametrize(
    ("path", "error", "words"),
    [
        ("docs/../..", InvalidInput, "'..'"),
        ("../outside", InvalidInput, "'..'"),
        ("/etc", Forbidden, "outside the allowed roots"),
        ("link-out", Forbidden, "outside the allowed roots"),
        ("docs/a.md", InvalidInput, "not a directory"),
        ("missing", InvalidInput, "not a directory"),
        ("", InvalidInput, "empty"),
    ],
)
def test_escapes_and_bad_paths_are_refused_naming_the_field(
    root: Path, path: str, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words) as caught:
        sync.resolve(path, [str(root)])
    assert caught.value.field == "body.path"  # type: ignore[attr-defined]


def test_sync_is_forbidden_without_roots(root: Path) -> None:
    with pytest.raises(Forbidden, match="disabled"):
        sync.resolve(str(root), [])


def test_scan_lists_supported_files_and_flags_links_out(root: Path) -> None:
    found = sync.scan(sync.resolve("docs", [str(root)]), max_file_bytes=1024)
    by_source = {f.source: f.problem for f in found.files}
    assert by_source == {
        "docs/a.md": None,
        "docs/escape.txt": "symbolic link points outside the allowed root",
        "docs/sub/b.txt": None,
    }
    assert found.skipped == 1  # image.png; dot-files and .git are not even counted


def test_scan_flags_files_over_the_size_limit(root: Path) -> None:
    found = sync.scan(sync.resolve("docs", [str(root)]), max_file_bytes=5)
    assert "over the limit" in (
        next(f for f in found.files if f.source == "docs/a.md").problem or ""
    )


def test_globs_select_by_path_relative_to_the_folder() -> None:
    accept = sync.selector(["*.md", "notes/*"], ["drafts/*"])
    assert accept("a.md")
    assert accept("deep/er/b.md")  # * crosses folders
    assert accept("notes/c.txt")
    assert not accept("c.txt")
    assert not accept("drafts/d.md")
    assert sync.selector([], [])("anything.txt")


def test_scan_paths_reads_only_the_named_paths_and_names_their_scopes(root: Path) -> None:
    target = sync.resolve("docs", [str(root)])
    (root / "docs" / "sub" / "c.md").write_text("gamma")
    found, scopes = sync.scan_paths(
        target,
        ["sub", "a.md", "gone.md", "image.png", ".git/c.txt", "../x", "escape.txt"],
        max_file_bytes=1000,
        accept=sync.selector([], []),
    )
    by_source = {f.source: f.problem for f in found.files}
    assert by_source == {
        "docs/a.md": None,
        "docs/sub/b.txt": None,
        "docs/sub/c.md": None,
        "docs/escape.txt": "symbolic link points outside the allowed root",
    }
    assert found.skipped == 1  # image.png
    assert scopes == ["docs/sub", "docs/a.md", "docs/gone.md", "docs/image.png", "docs/escape.txt"]
    assert all(f.mtime > 0 for f in found.files if f.problem is None)
