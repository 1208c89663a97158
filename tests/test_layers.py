"""One direction of dependencies and one clock (issue: one definition for every rule)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "klachtbeheer"


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_the_apps_form_layers_with_arrows_only_downward():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], capture_output=True, text=True, cwd=SRC.parent.parent
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_import_of_the_project_hides_inside_a_function():
    """Lazy imports hid cycles; only an AppConfig.ready may import to register."""
    hidden = []
    for path, tree in _modules():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if function.name == "ready" and path.name == "apps.py":
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "klachtbeheer"
                ):
                    hidden.append(f"{path.relative_to(SRC)}:{node.lineno} {node.module}")
                elif isinstance(node, ast.Import) and any(
                    alias.name.startswith("klachtbeheer") for alias in node.names
                ):
                    hidden.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert hidden == []


def test_one_clock_for_the_whole_project():
    """Every "today" and "now" comes from core.clock, so a test moves one clock only."""
    private = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts or path == SRC / "core" / "clock.py":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"timezone\.now\(\)", r"timezone\.localdate\(\)", r"def _today\b"):
            for match in re.finditer(pattern, text):
                line = text.count("\n", 0, match.start()) + 1
                private.append(f"{path.relative_to(SRC)}:{line} {match.group(0)}")
    assert private == []
