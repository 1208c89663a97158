"""Where the data directory is when KLACHTBEHEER_DATA_DIR is not set: one rule for all.

From a source checkout (`make run`, an editable install) it is the checkout's
own `var/`, whichever folder a command is started from; from an installed
package it is `./var` in the current folder. Settings and the console script
both ask here, so `klachtbeheer report` in another folder finds the same data.
"""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    configured = os.environ.get("KLACHTBEHEER_DATA_DIR")
    if configured:
        return Path(configured).resolve()
    if (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "src" / "klachtbeheer").is_dir():
        return CHECKOUT / "var"
    return (Path.cwd() / "var").resolve()
