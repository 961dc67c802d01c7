"""Every ``import`` in ``src/ragmono`` as a graph of modules, read from the source (no import).

Counts every import statement, also those inside functions and under ``TYPE_CHECKING``: a
lazy import is still a dependency, and a type-only loop is still a loop a reader must follow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass(frozen=True)
class Edge:
    """``importer`` imports ``imported`` (both dotted module names) at ``line``."""

    importer: str
    imported: str
    line: int


def module_name(path: Path) -> str:
    """``src/ragmono/api/v1.py`` -> ``ragmono.api.v1``; a package's ``__init__`` -> the package."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> dict[str, Path]:
    """Every module of the ragmono package by dotted name."""
    return {module_name(p): p for p in sorted((SRC / "ragmono").rglob("*.py"))}


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base.pop()
    for _ in range(node.level - 1):
        base.pop()
    return ".".join([*base, *([node.module] if node.module else [])])


def edges(modules: dict[str, Path] | None = None) -> Iterator[Edge]:
    """Imports of ragmono modules by ragmono modules (``from x import sub`` names ``x.sub``)."""
    modules = modules if modules is not None else source_files()
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "ragmono":
                        yield Edge(name, alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(name, path.name == "__init__.py", node)
                if target.split(".")[0] != "ragmono":
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    yield Edge(name, sub if sub in modules else target, node.lineno)


def package_of(module: str, depth: int = 2) -> str:
    """The first ``depth`` parts: ``ragmono.modules.query.cache`` -> ``ragmono.modules``."""
    return ".".join(module.split(".")[:depth])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
