"""Time of a decision letter as PDF (issue 15: ≤ 50 ms, the first in a process included).

Each run is a fresh Python process, as a gunicorn worker or the task worker is:
it does what the process start does (`letters.pdf.warm_up`, unless
BENCH_NO_WARM_UP=1), then renders the same two-page decision letter
BENCH_LETTERS times (default 10) and prints the first and the median in ms.
Not part of `make test`; needs no database.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

CHILD = "--child"


def letter_html() -> str:
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    paragraph = (
        "<p>Wij hebben uw klacht zorgvuldig onderzocht. U schreef dat de afspraak met uw "
        "jobcoach drie keer is verplaatst zonder dat u daarover tijdig bent gebeld, en dat "
        "de reiskosten die u maakte niet zijn vergoed. Wij hebben met de jobcoach en de "
        "leidinggevende gesproken en het dossier bekeken.</p>"
    )
    body = (
        "<p>Geachte mevrouw Van Dijk,</p>"
        + paragraph * 7
        + "<ul><li>U krijgt de reiskosten vergoed.</li><li>De planning wordt besproken.</li></ul>"
        + '<p class="closing">Met vriendelijke groet,</p>'
        + '<p class="sign-off">M. de Boer<br>Districtsmanager Midden</p>'
    )
    return render_to_string(
        "letters/letter.html",
        {
            "organisation": "Re-integratie Midden",
            "letterhead": ["Postbus 123", "3500 AA Utrecht"],
            "contact": ["030 123 45 67", "klachten@example.nl"],
            "address": ["Mevrouw M. van Dijk", "Dorpsstraat 1", "3741 AB Baarn"],
            "our_reference": "KL-2026-00042",
            "date_line": "1 december 2026",
            "subject": "Beslissing op uw klacht",
            "body_html": mark_safe(body),  # noqa: S308 (fixed text of this script)
            "questions": "Vragen? Bel 030 123 45 67 of mail klachten@example.nl.",
        },
    )


def child() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klachtbeheer.settings")
    import django

    django.setup()
    from klachtbeheer.letters import pdf

    if os.environ.get("BENCH_NO_WARM_UP") != "1":
        pdf.warm_up()
    html = letter_html()
    times = []
    for _ in range(int(os.environ.get("BENCH_LETTERS", "10"))):
        started = time.perf_counter()
        data = pdf.html_to_pdf(html)
        times.append((time.perf_counter() - started) * 1000)
        assert data.startswith(b"%PDF")
    print(f"{times[0]:.1f} {statistics.median(times):.1f} {max(times[1:]):.1f}")


def main() -> None:
    if CHILD in sys.argv:
        child()
        return
    firsts, medians = [], []
    for _ in range(int(os.environ.get("BENCH_PROCESSES", "5"))):
        out = subprocess.run(
            [sys.executable, __file__, CHILD], capture_output=True, text=True, check=True
        ).stdout.split()
        first, median, _worst = (float(v) for v in out[-3:])
        firsts.append(first)
        medians.append(median)
        print(f"first {first:6.1f} ms, median {median:6.1f} ms")
    print(
        f"\nBENCH decision letter PDF: first in a process {statistics.median(firsts):.0f} ms, "
        f"median {statistics.median(medians):.0f} ms"
    )


if __name__ == "__main__":
    main()
