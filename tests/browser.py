"""The one set-up of Debian's Chromium through Playwright, for every browser test.

`browser` (a module-scoped fixture, offered to every test by tests/conftest.py) launches
/usr/bin/chromium, never a downloaded browser; skipped locally when it is missing and a
failure in CI. `Visit` is one browser context that records, on our own origin:

- every request that leaves the origin (`outside`): a public page must load nothing
  from elsewhere (UX.md). With `other_origins="loopback"` a test may visit another
  server on this machine (the OpenID provider of the sign-in tests); anything beyond
  loopback is then refused rather than recorded;
- every Content-Security-Policy violation (`violations`), both from the page's own
  `securitypolicyviolation` events (an init script, which the policy does not govern)
  and from Chromium's console reports.

`close()` asserts there were none of either. `check_accessibility()` runs axe-core
(vendored) on the page; `shoot()` saves screenshots when INTAKE_SCREENSHOTS is set;
`page_height()` is the page's full height in CSS pixels.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

AXE = Path(__file__).parent / "intake" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(
    [event.violatedDirective, event.blockedURI, event.sourceFile, event.lineNumber].join(' ')
  );
});
"""
LOOPBACK = ("http://127.0.0.1", "http://localhost")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are safe.
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
    """One browser context on our site; see the module's docstring for what it records."""

    def __init__(
        self,
        browser,
        base_url: str,
        *,
        javascript: bool = True,
        viewport: dict | None = None,
        locale: str = "nl-NL",
        other_origins: str = "none",
    ):
        assert other_origins in ("none", "loopback")
        self.base = base_url.rstrip("/")
        self.context = browser.new_context(
            java_script_enabled=javascript, viewport=viewport or DESKTOP, locale=locale
        )
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.outside: list[str] = []
        self.violations: list[str] = []
        if other_origins == "loopback":
            # The provider's development pages name a web font elsewhere: refuse, not record.
            self.context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith((*LOOPBACK, "data:"))
                    else route.abort()
                ),
            )
        self.page = self.context.new_page()
        if other_origins == "none":
            origin = urlsplit(self.base)
            self.page.on("request", lambda request: self._seen(request.url, origin))
        self.page.on("console", self._console)

    def _seen(self, url: str, origin) -> None:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            self.outside.append(url)

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
            self.page.evaluate("window.__cspViolations = []")
        except Exception:  # the page navigated meanwhile; the next one reports its own
            return
        self.violations.extend(f"{self.page.url}: {v}" for v in found)

    def page_height(self) -> int:
        """The whole page's height in CSS pixels, as a full-page screenshot would be."""
        return self.page.evaluate("Math.ceil(document.documentElement.scrollHeight)")

    def shoot(self, name: str, folder: str | Path | None = None) -> None:
        folder = folder or os.environ.get("INTAKE_SCREENSHOTS")
        if not folder:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        viewport = self.page.viewport_size or DESKTOP
        kind = "phone" if viewport["width"] < 600 else "desktop"
        self.page.screenshot(path=Path(folder) / f"{name}-{kind}.png", full_page=True)
        if kind == "phone":  # the first screen, at a size one can read
            self.page.screenshot(path=Path(folder) / f"{name}-{kind}-top.png")

    def check_accessibility(self) -> None:
        """axe-core (vendored, injected from the file) finds no WCAG 2.2 AA violation."""
        # Evaluated through the browser's protocol: an inline <script> tag would (rightly) be
        # refused by the page's Content-Security-Policy.
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            AXE_TAGS,
        )
        violations = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
            for v in result["violations"]
        ]
        assert violations == [], f"{self.page.url}: {violations}"

    def close(self) -> None:
        self.collect()
        self.context.close()
        assert self.outside == [], f"requests left the origin: {self.outside}"
        assert self.violations == [], "Content-Security-Policy violations:\n" + "\n".join(
            self.violations
        )
