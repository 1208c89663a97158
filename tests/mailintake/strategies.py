"""Hypothesis strategies for e-mail as the internet sends it: well-formed, broken and hostile."""

from __future__ import annotations

import base64
import quopri

from hypothesis import strategies as st

CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "us-ascii", "utf-16", "x-unknown", "koi8-r",
            "", '"utf-8"', "utf-8'nl'", "shift_jis", "gb2312"]  # fmt: skip
TRICKY = [
    "\r\n", "\n", "\r", "\x00", "\u202e", "\u2028", "\ufeff", ":", ",", ";", "<", ">", '"', "@",
    "=?", "?=", "\\", "(", ")", "From: derde@partij.example", "Bcc: x@y.example", " ", "\t",
    "é", "€", "𝔘", "\udcff",
]  # fmt: skip
ADDRESSES = ["jan@example.nl", "a.de-vries@gemeente.example", "x@[127.0.0.1]", "@", "a@b",
             "mailer-daemon@example.nl", "klachten@imk.example",
             "klachten+KL-2026-00001@imk.example", "", "jan@example.nl, piet@example.nl", "<>",
             "undisclosed-recipients:;"]  # fmt: skip
CONTENT_TYPES = ["text/plain", "text/html", "multipart/mixed", "multipart/alternative",
                 "multipart/related", "message/rfc822", "application/pdf", "image/png",
                 "multipart/report", "message/delivery-status", "application/octet-stream",
                 "text/x-garbage", "multipart/", "/"]  # fmt: skip
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "binary", "x-uuencode", "bogus"]

hostile_text = st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=12)), max_size=8).map(
    "".join
)


def _encoded_word(text: str, charset: str, kind: str) -> str:
    raw = text.encode("utf-8", "surrogatepass")
    if kind == "b":
        payload = base64.b64encode(raw).decode()
    else:
        payload = quopri.encodestring(raw, header=True).decode().replace("\n", "")
    return f"=?{charset or 'utf-8'}?{kind}?{payload}?="


header_value = st.one_of(
    hostile_text,
    st.builds(_encoded_word, hostile_text, st.sampled_from(CHARSETS), st.sampled_from("bqBQ")),
    st.builds(
        lambda word, address: f"{word} <{address}>",
        st.builds(_encoded_word, hostile_text, st.sampled_from(CHARSETS), st.sampled_from("bq")),
        st.sampled_from(ADDRESSES),
    ),
    st.sampled_from(ADDRESSES),
)
HEADER_NAMES = ["From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References",
                "Date", "Auto-Submitted", "Precedence", "Return-Path", "List-Id",
                "Content-Disposition", "X-Autoreply", "Reply-To", "Sender"]  # fmt: skip


@st.composite
def headers(draw) -> list[str]:
    lines = [f"From: {draw(header_value)}"] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 6))):
        lines.append(f"{draw(st.sampled_from(HEADER_NAMES))}: {draw(header_value)}")
    return lines


@st.composite
def part(draw, depth: int = 0) -> str:
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    lines = draw(headers()) if depth == 0 else []
    params = ""
    if draw(st.booleans()):
        params += f"; charset={draw(st.sampled_from(CHARSETS))}"
    if draw(st.booleans()):
        name = draw(hostile_text)
        lines.append(
            f"Content-Disposition: {draw(st.sampled_from(['attachment', 'inline', 'x']))}; "
            f"filename=\"{name}\"; filename*=utf-8''{name.encode('utf-8', 'replace').hex()}"
        )
    if draw(st.booleans()):
        lines.append(f"Content-Transfer-Encoding: {draw(st.sampled_from(ENCODINGS))}")
    if content_type.startswith("multipart/") and depth < 4:
        boundary = draw(st.sampled_from(["b", "grens", "=_x", "", "a b", "--"]))
        lines.append(f'Content-Type: {content_type}; boundary="{boundary}"{params}')
        children = draw(st.lists(part(depth + 1), max_size=4))
        body = "".join(f"\r\n--{boundary}\r\n{child}" for child in children)
        if draw(st.booleans()):
            body += f"\r\n--{boundary}--\r\n"
    else:
        lines.append(f"Content-Type: {content_type}{params}")
        body = draw(hostile_text)
    return "\r\n".join(lines) + "\r\n\r\n" + body


def _to_bytes(text: str, eight_bit: bytes) -> bytes:
    return text.encode("utf-8", "surrogateescape") + eight_bit


emails = st.one_of(
    st.binary(max_size=2000),
    st.builds(_to_bytes, part(), st.binary(max_size=40)),
    st.builds(lambda text: text.encode("utf-8", "surrogateescape"), part()),
)
