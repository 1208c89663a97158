"""A reply without the history it quotes: what the complainant wrote this time.

Mail programs quote in two ways. Most put an attribution line ("Op 3 mrt.
2026 om 10:12 schreef …:", "On … wrote:") above `> ` lines; Outlook puts
a separator or a header block ("Van: … Verzonden: … Aan: … Onderwerp: …")
above the old message, unquoted. Everything from the first such marker on is
history; `> ` lines left above it (an answer written between the quoted
lines) are dropped too. The original message is always kept as .eml, so
nothing is lost when this trims too much; when it would leave nothing, the
whole text is kept.
"""

from __future__ import annotations

import re

ATTRIBUTIONS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^\s*on\s.{4,300}\swrote\s*:\s*$",  # On Tue, 3 Mar 2026, Jan <j@x.nl> wrote:
        r"^\s*op\s.{4,300}\sschreef\s.{0,300}:\s*$",  # Op 3 mrt 2026 schreef Jan <j@x.nl>:
        r"^\s*op\s.{4,300}\sheeft\s.{0,300}\sgeschreven\s*:\s*$",  # … heeft Jan het volgende
        r"^\s*am\s.{4,300}\sschrieb\s.{0,300}:\s*$",
        r"^\s*le\s.{4,300}\sa écrit\s*:\s*$",
        r"^.{0,200}[@<].{0,200}\s(wrote|schreef)\s*:\s*$",  # Jan <j@x.nl> schreef:
    )
]
SEPARATORS = re.compile(
    r"^\s*(-{2,}\s*(original message|oorspronkelijk bericht|origineel bericht|"
    r"ursprüngliche nachricht|message d'origine)\s*-{2,}|_{20,})\s*$",
    re.IGNORECASE,
)
# An Outlook header block: "From:/Van:" followed within a few lines by "Sent:/Verzonden:"
# or "Date:/Datum:" and "Subject:/Onderwerp:".
HEADER_FROM = re.compile(r"^\s*\*?(from|van|von|de)\s*:\*?\s+\S", re.IGNORECASE)
HEADER_SENT = re.compile(
    r"^\s*\*?(sent|verzonden|date|datum|gesendet|envoyé)\s*:\*?\s+\S", re.IGNORECASE
)
HEADER_SUBJECT = re.compile(r"^\s*\*?(subject|onderwerp|betreff|objet)\s*:", re.IGNORECASE)
QUOTED = re.compile(r"^\s*>")


def _is_attribution(line: str) -> bool:
    return any(pattern.match(line) for pattern in ATTRIBUTIONS)


def _history_starts_at(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if SEPARATORS.match(line):
            return index
        if _is_attribution(line):
            return index
        # Gmail wraps a long attribution over two lines: "Op … schreef Naam <" / "adres>:".
        if index + 1 < len(lines) and re.match(r"^\s*(on|op)\s", line, re.IGNORECASE):
            joined = f"{line.rstrip()} {lines[index + 1].strip()}"
            if _is_attribution(joined):
                return index
        if HEADER_FROM.match(line):
            window = lines[index + 1 : index + 6]
            if any(HEADER_SENT.match(w) for w in window) and any(
                HEADER_SUBJECT.match(w) for w in window
            ):
                return index
    return None


def trim_quoted(text: str) -> str:
    """The new part of a reply: quoted history and attribution lines removed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _history_starts_at(lines)
    kept = lines if cut is None else lines[:cut]
    kept = [line for line in kept if not QUOTED.match(line)]
    while kept and re.fullmatch(r"\s*([-_=*]{2,}\s*)?", kept[-1]):
        kept.pop()  # blank lines and the rule a mail program draws above the history
    result = "\n".join(kept).strip()
    result = re.sub(r"\n{3,}", "\n\n", result)
    return result or text.strip()
