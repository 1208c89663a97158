"""HTML to PDF with WeasyPrint: system fonts only, nothing fetched from anywhere."""

from __future__ import annotations


def html_to_pdf(html: str) -> bytes:
    """Render a letter's self-contained HTML (Liberation Sans or DejaVu Sans from Debian).

    Any URL in the HTML (an image, a stylesheet, a font) stops the rendering:
    a letter carries everything it needs, and no request may leave the machine.
    """
    from weasyprint import HTML  # heavy import: only where a PDF is made
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url, headers=None):
            raise PermissionError(f"a letter loads nothing from outside: {url}")

    fetcher = NoFetching(fail_on_errors=True)
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
