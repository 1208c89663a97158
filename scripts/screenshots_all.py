"""Every page at phone (390 px) and desktop (1280 px) width, to look at as a person would.

Starts the development server on a fresh demo database in a temporary
directory, then with Debian's Chromium (Playwright, never a downloaded browser)
photographs the public pages (form, procedure, privacy, accessibility, the
status page of a demo complaint) and every staff page the quality manager can
reach by following links from the work list (one page per kind of address).
Usage: `python scripts/screenshots_all.py OUT_DIR` (default ./screenshots/all).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SIZES = {"390": (390, 844), "1280": (1280, 900)}
SKIP = re.compile(
    r"(\.pdf|\.csv|\.xlsx|\.ics|\.eml|/uitloggen/|/beheer/|/api/|/i18n/|/origineel/|/bijlagen/|"
    r"/export\.|/jaarverslag/|/csv/|/healthz|/readyz|/metrics)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli() -> str:
    return str(Path(sys.executable).with_name("klachtbeheer"))


def serve(data_dir: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "KLACHTBEHEER_DATA_DIR": data_dir}
    env.pop("DATABASE_URL", None)
    subprocess.run([_cli(), "migrate", "-v0"], env=env, check=True)
    subprocess.run([_cli(), "demo", "--if-empty"], env=env, check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen(
        [_cli(), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the development server did not start")


def status_token(data_dir: str) -> str:
    """A status link for the first demo complaint, minted as staff would for a letter."""
    env = {**os.environ, "KLACHTBEHEER_DATA_DIR": data_dir}
    env.pop("DATABASE_URL", None)
    code = (
        "from klachtbeheer.complaints.models import Complaint\n"
        "from klachtbeheer.intake.services import status_link_create\n"
        "c = Complaint.objects.order_by('pk').first()\n"
        "print(status_link_create(actor=None, complaint=c))\n"
    )
    out = subprocess.run(
        [_cli(), "shell", "-c", code], env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def shape(path: str) -> str:
    """One screenshot per kind of address: numbers and references become placeholders."""
    path = re.sub(r"KL-\d{4}-\d+", "REF", path)
    path = re.sub(r"/\d+/", "/N/", path)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "UID", path)


def name_for(path: str) -> str:
    cleaned = shape(path).strip("/").replace("/", "_").replace("?", "_").replace("=", "-")
    return cleaned or "root"


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots/all")
    out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        server = serve(data_dir, port)
        token = status_token(data_dir)
        public = [
            "/klacht/",
            "/klachtenprocedure/",
            "/privacy/",
            "/toegankelijkheid/",
            "/klacht/link-opnieuw/",
            f"/klacht/status/{token}/",
            "/inloggen/",
        ]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
                )
                for size, (width, height) in SIZES.items():
                    context = browser.new_context(
                        viewport={"width": width, "height": height}, locale="nl-NL"
                    )
                    page = context.new_page()
                    for path in public:
                        response = page.goto(base + path)
                        if response is None or response.status == 404:
                            continue
                        label = "status" if "/status/" in path else name_for(path)
                        page.screenshot(path=out / f"public-{label}-{size}.png", full_page=True)
                    page.goto(f"{base}/inloggen/")
                    page.fill("#id_username", "kwaliteit")
                    page.fill("#id_password", "demo-klacht-2026")
                    page.keyboard.press("Enter")
                    page.wait_for_url(f"{base}/klachten/")
                    seen: set[str] = set()
                    queue = ["/klachten/"]
                    while queue and len(seen) < 60:
                        path = queue.pop(0)
                        if shape(path) in seen:
                            continue
                        seen.add(shape(path))
                        try:
                            page.goto(base + path)
                        except Exception as error:  # a download, or a page that failed
                            print(f"skipped {path}: {str(error).splitlines()[0]}")
                            continue
                        page.screenshot(
                            path=out / f"staff-{name_for(path)}-{size}.png", full_page=True
                        )
                        for href in page.eval_on_selector_all(
                            "a[href]", "els => els.map(e => e.getAttribute('href'))"
                        ):
                            parts = urlsplit(href)
                            if parts.netloc or not parts.path.startswith("/") or SKIP.search(href):
                                continue
                            if parts.path.startswith("/en/") or parts.path.startswith("/klacht/"):
                                continue
                            target = parts.path + (f"?{parts.query}" if parts.query else "")
                            if "?" in target and shape(parts.path) in seen:
                                continue
                            if shape(target) not in seen:
                                queue.append(target)
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait()
    print(f"screenshots in {out.resolve()}")


if __name__ == "__main__":
    main()
