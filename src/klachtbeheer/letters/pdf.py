"""HTML to PDF with WeasyPrint: system fonts only, nothing fetched from anywhere.

Fast from the first letter of a process (issue 15: ≤ 50 ms): what costs the same
for every letter is made once per process and kept, namely the URL fetcher
(which refuses every URL; building one sets up TLS), the font configuration and
the letter's stylesheet, parsed once per distinct text. `warm_up` renders a
short letter at process start (gunicorn's post_fork, the worker's start), so the
first real request does not pay for loading WeasyPrint, fontconfig and the fonts.
"""

from __future__ import annotations

import functools
import logging
import re
import time

logger = logging.getLogger(__name__)

# The one <style> block of a letter (letters/letter.html); parsed once per text.
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


class _Kept:
    """WeasyPrint's objects that every letter of this process shares."""

    @functools.cached_property
    def fetcher(self):
        from weasyprint.urls import URLFetcher

        class NoFetching(URLFetcher):
            def fetch(self, url, headers=None):
                raise PermissionError(f"a letter loads nothing from outside: {url}")

        return NoFetching(fail_on_errors=True)

    @functools.cached_property
    def fonts(self):
        from weasyprint.text.fonts import FontConfiguration

        return FontConfiguration()


_kept = _Kept()


@functools.lru_cache(maxsize=16)
def _stylesheet(text: str):
    from weasyprint import CSS

    return CSS(string=text, url_fetcher=_kept.fetcher, font_config=_kept.fonts)


def html_to_pdf(html: str) -> bytes:
    """Render a letter's self-contained HTML (Liberation Sans or DejaVu Sans from Debian).

    Any URL in the HTML (an image, a stylesheet, a font) stops the rendering:
    a letter carries everything it needs, and no request may leave the machine.
    """
    return _document(html).write_pdf()


def _document(html: str):
    """The laid-out pages of `html` (WeasyPrint's Document), with the shared objects."""
    from weasyprint import HTML  # heavy import: only where a PDF is made

    stylesheets = []
    match = _STYLE.search(html)
    if match:
        # The same rules, as an author stylesheet parsed once instead of per letter.
        stylesheets.append(_stylesheet(match.group(1)))
        html = html[: match.start()] + html[match.end() :]
    document = HTML(string=html, base_url=None, url_fetcher=_kept.fetcher)
    return document.render(stylesheets=stylesheets, font_config=_kept.fonts)


def warm_up() -> float:
    """Render a short letter now, so the first real one is as fast as the rest; seconds taken."""
    from django.template.loader import render_to_string

    started = time.perf_counter()
    try:
        html = render_to_string(
            "letters/letter.html",
            {
                "organisation": "Klachtbeheer",
                "letterhead": ["Postbus 1"],
                "address": ["Adres"],
                "our_reference": "KL-0000-00000",
                "date_line": "1 januari 2026",
                "subject": "Opwarmen",
                "body_html": "<p>Geachte heer, <b>mevrouw</b> – ëïé €.</p>",
                "questions": "Vragen?",
            },
        )
        html_to_pdf(html)
    except Exception:  # a failed warm-up only costs the first letter its speed
        logger.exception("Warming up the PDF renderer failed")
    return time.perf_counter() - started
