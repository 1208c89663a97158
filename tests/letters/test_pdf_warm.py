"""The letter renderer keeps what every letter shares, and warms up at process start (issue 15)."""

from __future__ import annotations

import sys

import pytest

from klachtbeheer.letters import pdf

sys.path.insert(0, "scripts")
import bench_letter_pdf


def test_the_first_letter_after_warm_up_reuses_the_parsed_stylesheet():
    pdf._stylesheet.cache_clear()
    pdf.warm_up()
    assert pdf._stylesheet.cache_info().misses == 1
    data = pdf.html_to_pdf(bench_letter_pdf.letter_html())
    info = pdf._stylesheet.cache_info()
    assert (info.misses, info.hits) == (1, 1)  # parsed once, at warm-up
    assert data.startswith(b"%PDF")
    # The kept stylesheet lays the letter out as its own <style> block does.
    from weasyprint import HTML

    html = bench_letter_pdf.letter_html()
    kept = pdf._document(html).pages
    plain = HTML(string=html, base_url=None).render().pages
    assert len(kept) == len(plain) == 2
    assert [(p.width, p.height) for p in kept] == [(p.width, p.height) for p in plain]
    assert round(kept[0].width) == 794  # A4: 210 mm in CSS px (96 per inch)


def test_a_letter_still_loads_nothing_from_outside():
    html = bench_letter_pdf.letter_html().replace(
        "<main", '<img src="http://example.invalid/logo.png" alt=""><main', 1
    )
    with pytest.raises(BaseException) as raised:  # WeasyPrint wraps the refusal
        pdf.html_to_pdf(html)
    chain = [raised.value, raised.value.__cause__, raised.value.__context__]
    assert any("loads nothing from outside" in str(error) for error in chain if error), chain


def test_gunicorn_warms_up_each_worker_after_the_fork(monkeypatch):
    from klachtbeheer.operations import gunicorn

    called = []
    monkeypatch.setattr(gunicorn, "warm_up", lambda: called.append(True) or 0.0)

    class Log:
        def debug(self, *args):
            pass

    class Server:
        log = Log()

    class Worker:
        pid = 1

    gunicorn._post_fork(Server(), Worker())
    assert called == [True]
