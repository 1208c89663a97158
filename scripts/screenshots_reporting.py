"""Screenshots of the register and analysis pages, and the annual report as PNG pages.

Starts the development server on a fresh demo database in a temporary directory
with two years of complaints added in bulk (klachtbeheer.reporting.bulk), logs in
with Debian's Chromium (Playwright, never a downloaded browser), and writes PNGs
to ./screenshots/reporting/; makes the annual report with `klachtbeheer report`
and turns its pages into PNGs with pdftoppm. Fails when a page requests anything
from another host. Usage: `.venv/bin/python scripts/screenshots_reporting.py`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"  # poppler-utils
PORT = int(os.environ.get("SCREENSHOT_PORT", "8029"))
OUT = Path("screenshots/reporting")
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
LOAD = """
import datetime as dt
from django.utils import timezone
from klachtbeheer.reporting import bulk
today = timezone.localdate()
bulk.load(1600, start=dt.date(today.year - 1, 1, 1), today=today, prefix="S")
"""


def cli() -> str:
    return str(Path(sys.executable).with_name("klachtbeheer"))


def serve(env: dict) -> subprocess.Popen:
    subprocess.run([cli(), "migrate", "-v0"], env=env, check=True)
    subprocess.run([cli(), "demo", "--if-empty"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([cli(), "shell", "-c", LOAD], env=env, check=True)
    server = subprocess.Popen(
        [cli(), "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(50):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the development server did not start")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{PORT}"
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "KLACHTBEHEER_DATA_DIR": data_dir}
        env.pop("DATABASE_URL", None)
        server = serve(env)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
                )
                for name, (width, height) in SIZES.items():
                    page = browser.new_page(viewport={"width": width, "height": height})
                    outside: list[str] = []
                    page.on(
                        "request",
                        lambda r, seen=outside: (
                            seen.append(r.url) if not r.url.startswith(base) else None
                        ),
                    )
                    page.goto(f"{base}/inloggen/")
                    page.fill("#id_username", "kwaliteit")
                    page.fill("#id_password", "demo-klacht-2026")
                    page.keyboard.press("Enter")
                    page.wait_for_url(f"{base}/klachten/")
                    page.goto(f"{base}/dashboard/")
                    page.screenshot(path=OUT / f"dashboard-{name}.png", full_page=True)
                    page.locator("summary.kb-chart__summary").first.click()
                    page.screenshot(path=OUT / f"dashboard-table-{name}.png")
                    for key in ("months", "terms", "categories"):
                        page.locator(f"#chart-{key}").scroll_into_view_if_needed()
                        page.screenshot(path=OUT / f"dashboard-{key}-{name}.png")
                    page.goto(f"{base}/register/?terms=missed")
                    page.screenshot(path=OUT / f"register-{name}.png", full_page=True)
                    page.goto(f"{base}/maatregelen/?show=overdue")
                    page.screenshot(path=OUT / f"measures-{name}.png", full_page=True)
                    page.locator("table a").first.click()
                    page.wait_for_load_state()
                    page.screenshot(path=OUT / f"measure-{name}.png", full_page=True)
                    if outside:
                        raise SystemExit(f"requests left our origin: {outside}")
                    page.close()
                browser.close()
            year = time.localtime().tm_year
            subprocess.run(
                [cli(), "report", "--year", str(year), "--output-dir", str(OUT)],
                env=env,
                check=True,
            )
            pdf = OUT / f"klachtenjaarverslag-{year}.pdf"
            subprocess.run(
                [PDFTOPPM, "-png", "-r", "60", str(pdf), str(OUT / "report")], check=True
            )
        finally:
            server.terminate()
            server.wait()
    print(f"screenshots in {OUT.resolve()}")


if __name__ == "__main__":
    main()
