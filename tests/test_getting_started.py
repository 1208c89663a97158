"""Getting started (issue 14.7): the README stays inside the repository, `make run` says
where the pages are and that PORT= exists, and the console script finds the same data
directory from any folder (or says which one it used instead of a traceback)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from klachtbeheer import datadir

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("klachtbeheer")


def test_every_link_in_the_readme_points_into_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)", readme)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert local, "the README links to the procedure and the guides in docs/"
    for target in local:
        path = (ROOT / target).resolve()
        assert path.is_relative_to(ROOT), target  # no ../shared/PROCEDURE.md
        assert path.exists(), target
    assert "docs/klachtenprocedure.md" in local and "docs/complaints-procedure.md" in local


def test_make_run_says_where_the_form_is_and_that_port_exists():
    dry = subprocess.run(
        ["make", "-n", "--no-print-directory", "run", "PORT=8123"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        # make -n only prints; the recipe lines echo what `make run` says.
        env={**os.environ, "MAKEFLAGS": ""},
    ).stdout
    said = "\n".join(line for line in dry.splitlines() if line.startswith("echo "))
    assert "http://127.0.0.1:8123/klacht/" in said  # the complaint form, on the port asked
    assert "make run PORT=" in said
    assert "/inloggen/" in said and "/klachtenprocedure/" in said


def test_the_data_directory_is_the_checkouts_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("KLACHTBEHEER_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert datadir.data_dir() == ROOT / "var"
    monkeypatch.setenv("KLACHTBEHEER_DATA_DIR", str(tmp_path / "elsewhere"))
    assert datadir.data_dir() == tmp_path / "elsewhere"


def test_report_in_a_folder_without_a_database_says_which_directory_it_used(tmp_path):
    empty = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env["KLACHTBEHEER_DATA_DIR"] = str(empty)
    done = subprocess.run(
        [str(SCRIPT), "report"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "no such table" not in done.stderr
    assert f"There is no database at {empty / 'klachtbeheer.sqlite3'}" in done.stderr
    assert "klachtbeheer migrate" in done.stderr
