"""A small HTTP/1.1 load generator for `make bench` (asyncio streams, keep-alive; loopback only).

No dependency beyond the standard library: each virtual user keeps one
connection open and sends its requests one after another (a closed loop), as a
browser or a site's back end would. Latencies are measured per request (or per
form submission: the form's GET and POST together).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import statistics
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit


class HttpError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    first_byte: float = 0.0  # seconds from sending to the first byte of the answer


class Connection:
    """One keep-alive connection to 127.0.0.1 with the cookies of one user."""

    def __init__(self, base: str, *, headers: dict[str, str] | None = None):
        parts = urlsplit(base)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError("the benchmark talks to the loopback address only")
        self.host, self.port = parts.hostname, parts.port or 80
        self.cookies: dict[str, str] = {}
        self.headers = headers or {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
            self.writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        sink=None,
    ) -> Response:
        """Send one request; `sink(chunk)` receives a large body instead of keeping it."""
        for attempt in (1, 2):
            if self.writer is None:
                await self._open()
            try:
                return await self._exchange(method, path, body, headers or {}, sink)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method, path, body, headers, sink) -> Response:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        every = {**self.headers, **headers}
        if self.cookies:
            every["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body or method == "POST":
            every["Content-Length"] = str(len(body))
        lines += [f"{k}: {v}" for k, v in every.items()]
        started = time.perf_counter()
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        first_byte = time.perf_counter() - started
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        received: dict[str, str] = {}
        while True:
            line = (await self.reader.readline()).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie = SimpleCookie()
                cookie.load(value)
                for key, morsel in cookie.items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value
            received[name] = value
        chunks: list[bytes] = []
        keep = sink or chunks.append
        if received.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readline()).strip().split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                keep(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
        elif "content-length" in received:
            remaining = int(received["content-length"])
            while remaining:
                chunk = await self.reader.read(min(remaining, 1 << 16))
                if not chunk:
                    raise ConnectionError("closed in the body")
                keep(chunk)
                remaining -= len(chunk)
        else:
            while chunk := await self.reader.read(1 << 16):
                keep(chunk)
            await self.close()
        if received.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, received, b"".join(chunks), first_byte)


@dataclass
class Result:
    label: str
    concurrency: int
    seconds: float
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    def summary(self) -> dict:
        return {
            "label": self.label,
            "concurrency": self.concurrency,
            "ok": self.ok,
            "errors": self.errors,
            "rate": round(self.rate, 1),
            "p50_ms": _round(self.percentile(50)),
            "p95_ms": _round(self.percentile(95)),
            "p99_ms": _round(self.percentile(99)),
            "note": self.note,
        }


def _round(value):
    return None if value is None else round(value, 1)


async def closed_loop(label: str, concurrency: int, seconds: float, warmup: float, make_user):
    """Run `concurrency` users, each calling its `step()` until time is up; count after warm-up."""
    result = Result(label, concurrency, seconds)
    start = time.perf_counter()
    measure_from = start + warmup
    end = measure_from + seconds

    async def user(index: int) -> None:
        step, close = await make_user(index)
        try:
            while (now := time.perf_counter()) < end:
                began = now
                try:
                    ok = await step()
                except (OSError, HttpError, asyncio.IncompleteReadError, ValueError) as error:
                    ok = False
                    result.note = result.note or f"{type(error).__name__}: {error}"[:200]
                done = time.perf_counter()
                if began >= measure_from and done <= end:
                    if ok:
                        result.ok += 1
                        result.latencies.append(done - began)
                    else:
                        result.errors += 1
        finally:
            await close()

    await asyncio.gather(*(user(i) for i in range(concurrency)))
    return result


def hidden(html: str, name: str) -> str:
    match = re.search(
        rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html
    ) or re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{re.escape(name)}"', html)
    if not match:
        raise HttpError(f"no field {name} in the page")
    return match.group(1)


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = "----kbbench7MA4YWxkTrZu0gW"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"


def form_body(fields: dict[str, str]) -> tuple[bytes, str]:
    return urlencode(fields).encode(), "application/x-www-form-urlencoded"


def timings(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(p):
        return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000, 1)

    return {
        "n": len(samples),
        "p50_ms": at(50),
        "p95_ms": at(95),
        "mean_ms": round(statistics.mean(samples) * 1000, 1),
    }
