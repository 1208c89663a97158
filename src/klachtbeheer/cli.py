"""The `klachtbeheer` console script: Django's management commands."""

import os
import sys
from pathlib import Path

from klachtbeheer.datadir import data_dir


def _prepare_serve() -> None:
    """`serve` runs several processes: prometheus-client must count in files shared by them,
    and it reads PROMETHEUS_MULTIPROC_DIR when it is first imported, so set it first."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        return
    data = data_dir()
    bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
    for index, arg in enumerate(sys.argv):
        if arg == "--bind" and index + 1 < len(sys.argv):
            bind = sys.argv[index + 1]
        elif arg.startswith("--bind="):
            bind = arg.split("=", 1)[1]
    # One directory per server (per address), so two servers on one machine do not mix.
    name = "".join(c if c.isalnum() else "_" for c in bind)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(data / "run" / "prometheus" / name)


# Commands that make the database, need none, or check their set-up themselves first
# (`worker` refuses a half configuration, `backup` an output folder in use).
NO_DATABASE_NEEDED = {"migrate", "help", "version", "--help", "-h", "--version", "check",
                      "makemigrations", "makemessages", "compilemessages", "collectstatic",
                      "shell", "dbshell", "restore", "serve", "runserver", "test", "worker",
                      "backup"}  # fmt: skip


def _refuse_missing_database() -> None:
    """Say which data directory is used when its SQLite database is not there (no traceback)."""
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    url = os.environ.get("DATABASE_URL", "")
    if command in NO_DATABASE_NEEDED or (url and not url.startswith("sqlite")):
        return
    database = data_dir() / "klachtbeheer.sqlite3"
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
    if not database.exists():
        sys.stderr.write(
            f"There is no database at {database} (data directory {data_dir()}).\n"
            "Run `klachtbeheer migrate` first (or `make run`), or set KLACHTBEHEER_DATA_DIR "
            "to the data directory you mean.\n"
        )
        raise SystemExit(1)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klachtbeheer.settings")
    if sys.argv[1:2] == ["serve"]:
        _prepare_serve()
    _refuse_missing_database()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
