"""Killed between commit and flag: the next poll makes no duplicate and loses nothing.

`poll-mailbox` runs as a real process against Dovecot and a real database. A
small launcher wraps the function that flags a message so that the process
SIGKILLs itself at the second flag: the second message's complaint is
committed, its flag is not set, the third message is not touched. Then a
normal `poll-mailbox` runs, and the database and the mailbox are inspected by
a third process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from urllib.parse import quote

import pytest
from django.db import connection

from tests.mailintake.conftest import corpus

KILLER = textwrap.dedent(
    """
    import os, signal, sys
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klachtbeheer.settings")
    import django
    django.setup()
    from django.core.management import call_command
    from klachtbeheer.mailintake import imap

    flag = imap.mark_processed
    calls = 0

    def flag_or_die(mailbox, uid, config):
        global calls
        calls += 1
        if calls == int(sys.argv[1]):
            os.kill(os.getpid(), signal.SIGKILL)  # after the commit, before the flag
        flag(mailbox, uid, config)

    imap.mark_processed = flag_or_die
    call_command("poll-mailbox")
    """
)
INSPECT = textwrap.dedent(
    """
    import json, os
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klachtbeheer.settings")
    import django
    django.setup()
    from klachtbeheer.complaints.models import Complaint
    from klachtbeheer.letters.models import LetterDue
    from klachtbeheer.mailintake.models import InboundMessage

    print(json.dumps({
        "messages": sorted(
            [m.subject, m.status, m.complaint.reference if m.complaint else None]
            for m in InboundMessage.objects.select_related("complaint")
        ),
        "complaints": Complaint.objects.count(),
        "acknowledgements": LetterDue.objects.filter(kind="acknowledgement").count(),
    }))
    """
)


def _database_url(tmp_path) -> str:
    """The database the processes share: the test database on PostgreSQL (this test commits),
    a fresh SQLite file otherwise (pytest-django's SQLite test database lives in memory)."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        credentials = quote(db["USER"] or "")
        if db.get("PASSWORD"):
            credentials += ":" + quote(db["PASSWORD"])
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        return f"postgres://{credentials}@{host}/{db['NAME']}"
    return f"sqlite:///{tmp_path / 'crash.sqlite3'}"


@pytest.mark.django_db(transaction=True)
def test_killed_between_commit_and_flag_no_duplicate_no_loss(imap, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(tmp_path),
        "KLACHTBEHEER_DATA_DIR": str(tmp_path / "data"),
        "MAILINTAKE_IMAP_HOST": imap.host,
        "MAILINTAKE_IMAP_PORT": str(imap.port),
        "MAILINTAKE_IMAP_USER": imap.user,
        "MAILINTAKE_IMAP_PASSWORD": imap.password,
        "MAILINTAKE_IMAP_TLS": "false",
        "MAILINTAKE_IMAP_PROCESSED": "seen",
        "MAILINTAKE_ADDRESS": "klachten@imk.example",
    }
    kb = [sys.executable, "-m", "klachtbeheer"]

    def run(*args, **kwargs):
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, **kwargs)

    if connection.vendor != "postgresql":
        migrated = run(*kb, "migrate", "--noinput", "-v0")
        assert migrated.returncode == 0, migrated.stderr
    for name in ("plain.eml", "html-only.eml", "no-message-id.eml"):
        with imap.mailbox() as mailbox:
            mailbox.append(corpus(name), "INBOX")

    killed = run(sys.executable, "-c", KILLER, "2")
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    def state():
        inspected = run(sys.executable, "-c", INSPECT)
        assert inspected.returncode == 0, inspected.stderr
        with imap.mailbox() as mailbox:
            seen = [bool(m.flags) for m in mailbox.fetch("ALL", mark_seen=False)]
        return json.loads(inspected.stdout), seen

    after_crash, seen = state()
    # Two complaints committed; only the first flagged; the third never touched.
    assert after_crash["complaints"] == 2
    assert [m[1] for m in after_crash["messages"]] == ["complaint", "complaint"]
    assert seen == [True, False, False]

    again = run(*kb, "poll-mailbox")
    assert again.returncode == 0, again.stderr
    assert "complaint=1" in again.stdout and "repeated=1" in again.stdout

    final, seen = state()
    assert final["complaints"] == 3  # no duplicate of the second, the third not lost
    assert final["acknowledgements"] == 3
    assert sorted(m[0] for m in final["messages"]) == [
        "Klacht namens onze client",
        "Klacht over mijn re-integratietraject",
        "Klacht workshop 10 november",
    ]
    assert len({m[2] for m in final["messages"]}) == 3
    assert seen == [True, True, True]
