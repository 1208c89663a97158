"""HTML mail as plain text: sanitised by nh3 (Ammonia), then laid out as text.

nh3 parses whatever the sender's mail program produced the way a browser
does and keeps only harmless structure: scripts, styles and their contents,
comments, forms, images and event handlers are gone before we read it. The
text keeps paragraphs, line breaks, lists, table rows and link targets;
a quoted block (`<blockquote>`, as mail programs quote a reply) becomes
`> ` lines so the reply trimmer recognises the history.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

# What survives sanitising: structure that changes the text layout, links.
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "span",
    "strong", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}}
# Removed with everything inside them, not only the tags.
DROPPED_WITH_CONTENT = {"script", "style", "head", "title", "template", "noscript", "iframe"}

BLOCK = {
    "blockquote", "caption", "dd", "div", "dl", "dt", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "table", "tr", "ul",
}  # fmt: skip


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        clean_content_tags=DROPPED_WITH_CONTENT,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.pre_depth = 0
        self.lists: list[list[int | None]] = []  # per open list: [next number or None]
        self.link_href: str | None = None
        self.link_text: list[str] = []
        self.in_cell = False

    # -- output helpers --
    def _flush(self) -> None:
        text = "".join(self.current)
        if not self.pre_depth:
            text = re.sub(r"[ \t\r\n\f\v]+", " ", text).strip()
        prefix = "> " * self.quote_depth
        if text or self.pre_depth:
            for line in text.split("\n"):
                self.lines.append((prefix + line).rstrip())
        self.current = []

    def _break(self, blank: bool = False) -> None:
        self._flush()
        if blank and self.lines and self.lines[-1].strip("> ") != "":
            self.lines.append(("> " * self.quote_depth).rstrip())

    # -- parser callbacks --
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._flush()
            return
        if tag == "a":
            self.link_href = dict(attrs).get("href")
            self.link_text = []
            return
        if tag in ("td", "th"):
            if self.in_cell and self.current and "".join(self.current).strip():
                self.current.append(" | ")
            self.in_cell = True
            return
        if tag in BLOCK:
            self._break(blank=tag in ("p", "blockquote", "table", "ul", "ol", "pre", "hr"))
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag == "pre":
            self.pre_depth += 1
        elif tag == "hr":
            self.lines.append("----")
        elif tag == "ul":
            self.lists.append([None])
        elif tag == "ol":
            self.lists.append([1])
        elif tag == "li":
            marker = "-"
            if self.lists and self.lists[-1][0] is not None:
                number = self.lists[-1][0]
                marker = f"{number}."
                self.lists[-1][0] = number + 1
            self.current.append("  " * max(0, len(self.lists) - 1) + marker + " ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            text = "".join(self.link_text).strip()
            href = (self.link_href or "").strip()
            target = href[len("mailto:") :] if href.lower().startswith("mailto:") else href
            if href and target and target not in text:
                self.current.append(f" ({target})")
            self.link_href = None
            return
        if tag in ("td", "th"):
            return
        if tag == "tr":
            self.in_cell = False
        if tag in BLOCK:
            self._break(blank=tag in ("p", "blockquote", "table", "ul", "ol", "pre"))
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()

    def handle_data(self, data: str) -> None:
        if self.link_href is not None:
            self.link_text.append(data)
        self.current.append(data)

    def text(self) -> str:
        self._flush()
        out: list[str] = []
        for line in self.lines:
            if not line.strip("> ") and out and not out[-1].strip("> "):
                continue  # at most one empty line in a row
            out.append(line)
        while out and not out[-1].strip("> "):
            out.pop()
        while out and not out[0].strip("> "):
            out.pop(0)
        return "\n".join(out)


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML mail body, after sanitising it."""
    writer = _TextWriter()
    writer.feed(sanitise(html))
    writer.close()
    return writer.text().replace("\xa0", " ")
