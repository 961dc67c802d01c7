"""The layering rules, checked on the import graph read from the source.

HTTP -> controller -> service -> port <- adapter; settings stop at the composition root
(``lifespan/``, ``app.py``, ``asgi.py``, the CLI); modules never import adapters; imports
between top-level packages, and between files, run one way (no cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.architecture.import_graph import (
    Edge,
    cycles,
    edges,
    module_name,
    package_of,
    source_files,
)

SETTINGS = "ragmono.settings"
COMPOSITION_ROOT = ("ragmono.lifespan", "ragmono.app", "ragmono.asgi", "ragmono.cli")
NO_SETTINGS = ("ragmono.modules", "ragmono.adapters", "ragmono.resilience")
ROOT = "ragmono"  # the package itself (``__version__``), above every layer


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


@pytest.fixture(scope="module")
def graph() -> list[Edge]:
    return list(edges())


def settings_importers(graph: list[Edge]) -> list[Edge]:
    return [e for e in graph if _under(e.imported, (SETTINGS,)) and e.importer != SETTINGS]


def test_modules_adapters_and_resilience_do_not_import_settings(graph: list[Edge]) -> None:
    bad = [e for e in settings_importers(graph) if _under(e.importer, NO_SETTINGS)]
    assert bad == []


def test_only_the_composition_root_imports_settings(graph: list[Edge]) -> None:
    bad = [e for e in settings_importers(graph) if not _under(e.importer, COMPOSITION_ROOT)]
    assert bad == []


def test_modules_do_not_import_adapters(graph: list[Edge]) -> None:
    bad = [
        e
        for e in graph
        if _under(e.importer, ("ragmono.modules",)) and _under(e.imported, ("ragmono.adapters",))
    ]
    assert bad == []


def test_the_app_does_not_import_an_adapter(graph: list[Edge]) -> None:
    bad = [
        e
        for e in graph
        if _under(e.importer, ("ragmono.app", "ragmono.api"))
        and _under(e.imported, ("ragmono.adapters",))
    ]
    assert bad == []


def test_no_import_cycle_between_top_level_packages(graph: list[Edge]) -> None:
    packages: dict[str, set[str]] = {}
    for e in graph:
        a, b = package_of(e.importer), package_of(e.imported)
        if a != b and ROOT not in (a, b):
            packages.setdefault(a, set()).add(b)
    assert cycles(packages) == []


def test_no_import_cycle_between_files(graph: list[Edge]) -> None:
    files: dict[str, set[str]] = {}
    for e in graph:
        if e.importer != e.imported and e.imported != ROOT:
            files.setdefault(e.importer, set()).add(e.imported)
    assert cycles(files) == []


# The checks must be able to fail: the same functions on a small tree with each fault.


def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {_name(tmp_path, p): p for p in sorted(tmp_path.rglob("*.py"))}


def _name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_graph_sees_relative_lazy_and_type_only_imports(tmp_path: Path) -> None:
    modules = _tree(
        tmp_path,
        {
            "ragmono/__init__.py": "",
            "ragmono/settings.py": "",
            "ragmono/modules/__init__.py": "",
            "ragmono/modules/a/__init__.py": "from .service import x\n",
            "ragmono/modules/a/service.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from ragmono.settings import Settings\n"
                "def f():\n    from ragmono.adapters import memory\n"
            ),
            "ragmono/adapters/__init__.py": "",
            "ragmono/adapters/memory.py": "from ragmono.modules.a import service\n",
        },
    )
    found = {(e.importer, e.imported) for e in edges(modules)}
    assert ("ragmono.modules.a", "ragmono.modules.a.service") in found
    assert ("ragmono.modules.a.service", "ragmono.settings") in found
    assert ("ragmono.modules.a.service", "ragmono.adapters.memory") in found
    assert settings_importers(list(edges(modules)))[0].importer == "ragmono.modules.a.service"
    packages: dict[str, set[str]] = {}
    for e in edges(modules):
        a, b = package_of(e.importer), package_of(e.imported)
        if a != b:
            packages.setdefault(a, set()).add(b)
    assert cycles(packages) == [["ragmono.adapters", "ragmono.modules"]]


def test_module_names_follow_the_source_tree() -> None:
    files = source_files()
    assert files["ragmono.cli"].name == "__init__.py"
    assert module_name(files["ragmono.api.v1"]) == "ragmono.api.v1"
    for path in files.values():  # every file parses: a syntax error would hide its imports
        ast.parse(path.read_text(encoding="utf-8"))
