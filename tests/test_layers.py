"""The house draws with imports pointing down: no cycles, the network in one module, the store
knowing nothing of scraper, click only in the CLI, and reparse loading no network code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("scraper", "store")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of its code (TYPE_CHECKING blocks aside)."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in node.body
        for n in ast.walk(child)
    }
    names = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: {i for i in imports(p) if i in mods and i != m} for m, p in mods.items()}


def test_no_import_cycles() -> None:
    edges = graph()
    # The packages' __init__ re-export the API; they are the top, not part of any layer.
    for m in edges:
        edges[m] -= set(PACKAGES)
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(edges[node]):
            if nxt in path:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif len(path) < 30:
                visit(nxt, [*path, nxt])

    for start in sorted(edges):
        visit(start, [start])
    assert cycles == []


def test_each_layer_imports_only_what_it_may() -> None:
    mods = modules()
    third = {m: {i.split(".")[0] for i in imports(p)} for m, p in mods.items()}
    assert sorted(m for m, i in third.items() if "httpx" in i) == ["scraper.fetch"]
    assert sorted(m for m, i in third.items() if "click" in i) == ["scraper.cli"]
    assert sorted(m for m, i in third.items() if m.startswith("store") and "scraper" in i) == []
    pure = ("scraper.parse", "scraper.discover", "scraper.observe", "scraper.identity",
            "scraper.fetched", "scraper.guards", "scraper.walk", "scraper.scheduler")  # fmt: skip
    banned = {"httpx", "sqlite3", "sqlite_utils", "click", "time"}
    assert {m: sorted(third[m] & banned) for m in pure if third[m] & banned} == {}


def test_reparse_loads_no_network_code() -> None:
    code = "import sys, scraper.reparse; print(sorted(m for m in sys.modules if m in ('httpx', 'scraper.fetch')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert (out.returncode, out.stdout.strip()) == (0, "[]")
