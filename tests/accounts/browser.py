"""Debian's Chromium through Playwright, recording every Content-Security-Policy violation.

A page that breaks the policy (an inline script or style without the nonce, a file from
elsewhere, a frame) is a test failure: `Visit.close()` asserts there were none. The
violations are caught twice: the page's own `securitypolicyviolation` events (an init
script, which the policy does not govern) and Chromium's console reports.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(
    [event.violatedDirective, event.blockedURI, event.sourceFile, event.lineNumber].join(' ')
  );
});
"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Visit:
    """One browser context; every CSP violation on our origin is kept in `violations`."""

    def __init__(self, browser, base_url: str, *, locale: str = "nl-NL"):
        self.base = base_url.rstrip("/")
        self.context = browser.new_context(locale=locale)
        self.context.add_init_script(RECORD_VIOLATIONS)
        # Nothing but loopback: the provider's development pages name a web font elsewhere.
        self.context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("http://127.0.0.1", "http://localhost", "data:"))
                else route.abort()
            ),
        )
        self.page = self.context.new_page()
        self.violations: list[str] = []
        self.page.on("console", self._console)
        self.page.on("framenavigated", lambda frame: None)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text and self.page.url.startswith(self.base):
            self.violations.append(f"{self.page.url}: {message.text}")

    def goto(self, path: str):
        response = self.page.goto(self.base + path)
        self.collect()
        return response

    def collect(self) -> None:
        """Take the violations the current page recorded (only pages of our own origin)."""
        if not self.page.url.startswith(self.base):
            return
        try:
            found = self.page.evaluate("window.__cspViolations || []")
        except Exception:  # the page navigated meanwhile; the next one reports its own
            return
        self.violations.extend(f"{self.page.url}: {v}" for v in found)
        self.page.evaluate("window.__cspViolations = []")

    def close(self) -> None:
        self.collect()
        self.context.close()
        assert self.violations == [], "Content-Security-Policy violations:\n" + "\n".join(
            self.violations
        )
