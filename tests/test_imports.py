"""Every top-level package imports alone, and the packages form layers without cycles.

Module-level imports only (lazy imports inside functions, and ``TYPE_CHECKING`` blocks, run
no code at import time); the CLI (``debate.cli``, ``debate.commands``) is the top layer and
may use everything.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("debate", "protocols", "transcripts", "judges", "evals")
LAYERS = {"debate": 0, "protocols": 1, "transcripts": 1, "judges": 2, "evals": 3, "cli": 4}
"""Lower layers never import higher ones at module level."""


def _component(module: str) -> str | None:
    top = module.split(".")[0]
    if module == "debate.cli" or module.startswith("debate.commands"):
        return "cli"
    return top if top in PACKAGES else None


def _module_level_imports(tree: ast.Module) -> list[str]:
    found: list[str] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append(node.module)
            elif isinstance(node, ast.If):
                test = ast.unparse(node.test)
                if "TYPE_CHECKING" not in test:
                    visit(node.body)
                    visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)

    visit(tree.body)
    return found


def _edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(
                ".__init__"
            )
            source = _component(module)
            assert source is not None
            for target_module in _module_level_imports(ast.parse(path.read_text())):
                target = _component(target_module)
                if target is not None and target != source:
                    edges.setdefault((source, target), []).append(f"{module} -> {target_module}")
    return edges


def test_packages_import_only_downward() -> None:
    upward = {edge: where for edge, where in _edges().items() if LAYERS[edge[0]] <= LAYERS[edge[1]]}
    assert not upward, f"imports against the layers: {upward}"


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_alone_in_a_fresh_interpreter(package: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", f"import {package}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
