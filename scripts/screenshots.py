"""Screenshots of the staff pages, to look at them as a person would.

Starts the development server on a fresh demo database in a temporary
directory, logs in with Debian's Chromium (Playwright, never a downloaded
browser) and writes PNGs to ./screenshots/. Usage: `make screenshots`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PORT = int(os.environ.get("SCREENSHOT_PORT", "8019"))
OUT = Path("screenshots")
SIZES = {"desktop": (1280, 900), "tablet": (768, 1024)}


def serve(data_dir: str) -> subprocess.Popen:
    env = {**os.environ, "KLACHTBEHEER_DATA_DIR": data_dir}
    env.pop("DATABASE_URL", None)
    cli = str(Path(sys.executable).with_name("klachtbeheer"))
    subprocess.run([cli, "migrate", "-v0"], env=env, check=True)
    subprocess.run([cli, "demo", "--if-empty"], env=env, check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen(
        [cli, "runserver", f"127.0.0.1:{PORT}", "--noreload"],
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
    OUT.mkdir(exist_ok=True)
    base = f"http://127.0.0.1:{PORT}"
    with tempfile.TemporaryDirectory() as data_dir:
        server = serve(data_dir)
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
                    page.screenshot(path=OUT / f"login-{name}.png")
                    page.fill("#id_username", "kwaliteit")
                    page.fill("#id_password", "demo-klacht-2026")
                    page.keyboard.press("Enter")
                    page.wait_for_url(f"{base}/klachten/")
                    page.screenshot(path=OUT / f"work-list-{name}.png", full_page=True)
                    first = page.locator("table a").first
                    first.click()
                    page.wait_for_load_state()
                    page.screenshot(path=OUT / f"complaint-{name}.png", full_page=True)
                    page.goto(f"{base}/klachten/nieuw/")
                    page.locator("form button[type=submit]").last.click()
                    page.wait_for_load_state()
                    page.screenshot(path=OUT / f"register-errors-{name}.png", full_page=True)
                    page.goto(f"{base}/en/klachten/?term=missed")
                    page.screenshot(path=OUT / f"work-list-missed-en-{name}.png", full_page=True)
                    if outside:
                        raise SystemExit(f"requests left our origin: {outside}")
                    page.close()
                browser.close()
        finally:
            server.terminate()
            server.wait()
    print(f"screenshots in {OUT.resolve()}")


if __name__ == "__main__":
    main()
