"""The `klachtbeheer` console script: Django's management commands."""

import os
import sys
from pathlib import Path


def _prepare_serve() -> None:
    """`serve` runs several processes: prometheus-client must count in files shared by them,
    and it reads PROMETHEUS_MULTIPROC_DIR when it is first imported, so set it first."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        return
    data = Path(os.environ.get("KLACHTBEHEER_DATA_DIR", Path.cwd() / "var")).resolve()
    bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
    for index, arg in enumerate(sys.argv):
        if arg == "--bind" and index + 1 < len(sys.argv):
            bind = sys.argv[index + 1]
        elif arg.startswith("--bind="):
            bind = arg.split("=", 1)[1]
    # One directory per server (per address), so two servers on one machine do not mix.
    name = "".join(c if c.isalnum() else "_" for c in bind)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(data / "run" / "prometheus" / name)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klachtbeheer.settings")
    if sys.argv[1:2] == ["serve"]:
        _prepare_serve()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
