"""A real OpenID provider for the tests: npm `oidc-provider` under Node.js, on loopback.

`tests/oidc/provider.mjs` is started with a configuration file (clients, accounts, and
optionally a wrong audience) and prints the issuer it listens on. `.ci/run` installs its
packages (`npm ci` in tests/oidc) when they are missing; locally the tests skip then.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent.parent / "oidc"


def _node() -> str:
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "Node.js is not installed"
    elif not (HERE / "node_modules" / "oidc-provider").exists():
        missing = "tests/oidc has no node_modules (run `npm ci` there)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing + "; CI must run the single sign-on tests")
        pytest.skip(missing)
    return node


class Provider:
    def __init__(self, *, clients: list[dict], accounts: list[dict], wrong_audience=False):
        self.config = {"clients": clients, "accounts": accounts, "wrongAudience": wrong_audience}
        self.process: subprocess.Popen | None = None
        self.issuer = ""

    def start(self) -> Provider:
        node = _node()
        handle, path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(handle, "w") as file:
            json.dump(self.config, file)
        self._config_path = path
        self.process = subprocess.Popen(
            [node, str(HERE / "provider.mjs"), path],
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        seen = []
        for _ in range(20):  # warnings may come first
            line = self.process.stdout.readline().strip()
            seen.append(line)
            if line.startswith("listening ") or not line:
                break
        if not line.startswith("listening "):
            self.stop()
            raise AssertionError(f"the OpenID provider did not start: {seen}")
        self.issuer = line.split(" ", 1)[1]
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
        if getattr(self, "_config_path", None):
            Path(self._config_path).unlink(missing_ok=True)
