"""Reading a message: text, charsets, HTML, attachments, automatic mail, quoted history."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from klachtbeheer.mailintake.constants import describe
from klachtbeheer.mailintake.htmltext import html_to_text
from klachtbeheer.mailintake.parsing import Limits, parse_message
from klachtbeheer.mailintake.quoting import trim_quoted
from tests.mailintake.conftest import corpus

LIMITS = Limits(max_message_bytes=15 * 2**20, max_body_chars=100_000, max_attachment_bytes=2**20)


def parse(raw: bytes, **kwargs):
    return parse_message(raw, limits=kwargs.pop("limits", LIMITS), **kwargs)


def message(body: str = "Mijn klacht.", **headers) -> bytes:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Jan Jansen <jan@example.nl>")
    msg["To"] = headers.pop("To", "klachten@imk.example")
    msg["Subject"] = headers.pop("Subject", "Klacht")
    msg["Message-ID"] = headers.pop("Message_ID", "<m1@example.nl>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


# --- text and charsets ------------------------------------------------------------------------


def test_plain_text_is_preferred_over_html():
    raw = corpus("multipart-attachments.eml")
    parsed = parse(raw)
    assert parsed.body.startswith("Geachte mevrouw Visser,\n\nHierbij mijn klacht")
    assert "<p>" not in parsed.body


def test_latin1_label_is_read_as_windows_1252_like_browsers_do():
    raw = (
        b"From: a@example.nl\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nPrijs \x80 12, \x93zo\x94 caf\xe9\r\n"
    )
    assert parse(raw).body == "Prijs € 12, “zo” café"


def test_mislabelled_utf8_is_read_as_utf8():
    raw = (
        b"From: a@example.nl\r\nSubject: x\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        + "café €".encode()
    )
    assert parse(raw).body == "café €"


def test_bytes_invalid_in_the_declared_charset_are_replaced_and_reported():
    raw = (
        b"From: a@example.nl\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nkapot \xff\xfe tekst\r\n"
    )
    parsed = parse(raw)
    assert "\ufffd" in parsed.body
    assert parsed.problems == [{"code": "bad_charset", "params": {"charset": "utf-8"}}]


def test_8bit_headers_and_nul_bytes_never_reach_the_database():
    raw = (
        b"From: =?utf-8?Q?Ren=C3=A9?= <rene@example.nl>\r\nSubject: caf\xc3\xa9 \xe9\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nnul\x00byte\r\n"
    )
    parsed = parse(raw)
    assert parsed.sender_name == "René"
    assert "\x00" not in parsed.body
    assert not any("\ud800" <= ch <= "\udfff" for ch in parsed.subject)
    parsed.subject.encode("utf-8")  # storable


def test_html_is_sanitised_and_laid_out_as_text():
    text = html_to_text(
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Eerste&nbsp;alinea.</p><p>Regel<br>twee</p><ol><li>een</li><li>twee</li></ol>"
        '<a href="https://imk.example/x" onclick="steal()">link</a>'
        '<img src="https://tracker.example/p.gif"><iframe src="https://evil.example"></iframe>'
        "<blockquote>oud bericht</blockquote></body></html>"
    )
    assert text == (
        "Eerste alinea.\n\nRegel\ntwee\n\n1. een\n2. twee\n\nlink (https://imk.example/x)\n\n"
        "> oud bericht"
    )


def test_a_huge_body_waits_for_review():
    parsed = parse(
        message("x" * 2000), limits=Limits(max_message_bytes=10**7, max_body_chars=1000,
                                            max_attachment_bytes=10**6)
    )  # fmt: skip
    assert [p["code"] for p in parsed.problems] == ["body_too_long"]


# --- attachments and structure ----------------------------------------------------------------


def test_every_attachment_with_its_name_including_rfc2231_and_forwarded_messages():
    msg = EmailMessage()
    msg["From"] = "a@example.nl"
    msg["Subject"] = "x"
    msg.set_content("Zie bijlagen.")
    msg.add_attachment(b"%PDF-1.4 a", maintype="application", subtype="pdf",
                       filename="Brief – maart.pdf")  # fmt: skip
    forwarded = EmailMessage()
    forwarded["Subject"] = "doorgestuurd"
    forwarded.set_content("oud bericht")
    msg.add_attachment(forwarded)
    msg.add_attachment(b"\x00\x01", maintype="application", subtype="octet-stream")
    parsed = parse(msg.as_bytes())
    names = [(a.filename, a.content_type) for a in parsed.attachments]
    assert names == [
        ("Brief – maart.pdf", "application/pdf"),
        ("bericht-2.eml", "message/rfc822"),
        ("bijlage-3.bin", "application/octet-stream"),
    ]
    assert parsed.body == "Zie bijlagen."


def test_a_path_in_an_attachment_name_is_dropped():
    msg = EmailMessage()
    msg["From"] = "a@example.nl"
    msg.set_content("x")
    msg.add_attachment(b"abc", maintype="text", subtype="plain", filename="..\\..\\etc/passwd")
    assert parse(msg.as_bytes()).attachments[0].filename == "passwd"


def test_broken_mime_is_reported():
    parsed = parse(corpus("broken-mime.eml"))
    assert parsed.problems[0]["code"] == "broken_mime"
    assert "StartBoundaryNotFoundDefect" in describe(parsed.problems[0])
    # What the sender wrote stays readable for the person who reviews it.
    assert "Mijn klacht staat in de bijlage" in parsed.body


def test_an_attachment_over_the_limit_waits_for_review():
    msg = EmailMessage()
    msg["From"] = "a@example.nl"
    msg.set_content("x")
    msg.add_attachment(b"0" * (2**20 + 1), maintype="application", subtype="pdf", filename="a.pdf")
    assert [p["code"] for p in parse(msg.as_bytes()).problems] == ["attachment_too_large"]


def test_nothing_to_read_and_no_sender_are_reported():
    parsed = parse(b"Subject: leeg\r\n\r\n")
    assert {p["code"] for p in parsed.problems} == {"no_sender", "empty"}


def test_garbage_is_described_not_raised():
    parsed = parse(b"\x00\xff\xfe garbage without headers \r\n\r\n\r\n--x--")
    assert {p["code"] for p in parsed.problems} >= {"no_sender"}


# --- identity ---------------------------------------------------------------------------------


def test_key_is_the_message_id_else_the_content_hash():
    with_id = parse(message(Message_ID="<abc@example.nl>"))
    assert with_id.message_id == "abc@example.nl"
    assert with_id.key.startswith("mid:")
    resent = parse(message(Message_ID="<abc@example.nl>", Received="from elsewhere"))
    assert resent.key == with_id.key  # the same message delivered twice
    raw = corpus("no-message-id.eml")
    assert parse(raw).key == "sha:" + parse(raw).sha256


# --- automatic mail (RFC 3834) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Auto_Submitted": "auto-replied"}, "auto_submitted"),
        ({"Auto_Submitted": "auto-generated; owner-email=x@y"}, "auto_submitted"),
        ({"Precedence": "bulk"}, "precedence"),
        ({"Precedence": "junk"}, "precedence"),
        ({"X_Autoreply": "yes"}, "autoreply_header"),
        ({"X_Autorespond": "Afwezig"}, "autoreply_header"),
        ({"List_Id": "<lijst.example.nl>"}, "mailing_list"),
        ({"X_Failed_Recipients": "x@example.nl"}, "failed_recipients"),
        ({"Return_Path": "<>"}, "null_sender"),
        ({"From": "MAILER-DAEMON@mx.example.nl"}, "mailer_daemon"),
        ({"From": "postmaster@example.nl"}, "mailer_daemon"),
        ({"From": "klachten+KL-2026-00001@imk.example"}, "own_address"),
    ],
)
def test_automatic_messages_are_recognised(headers, code):
    parsed = parse(message(**headers), own_addresses=("klachten@imk.example",))
    assert code in [p["code"] for p in parsed.automatic]


@pytest.mark.parametrize("headers", [{"Auto_Submitted": "no"}, {"Precedence": "first-class"}, {}])
def test_a_person_s_message_is_not_automatic(headers):
    assert parse(message(**headers)).automatic == []


def test_a_subject_that_only_looks_automatic_waits_for_a_person():
    parsed = parse(message(Subject="Out of Office: ik ben weg"))
    assert parsed.automatic == []
    assert [p["code"] for p in parsed.problems] == ["looks_automatic"]


# --- references -------------------------------------------------------------------------------


def test_references_from_subject_and_plus_address():
    parsed = parse(
        message(
            Subject="Re: kl-2026-00042 en meer", To="Klachten <klachten+KL-2026-00007@imk.example>"
        )
    )
    assert parsed.subject_references() == ["KL-2026-00042"]
    assert parsed.address_references("klachten@imk.example") == ["KL-2026-00007"]
    assert parsed.address_references("klachten@elders.example") == []


# --- quoted history ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Prima.\n\nOn Tue, 3 Mar 2026 at 10:12, Klachten <klachten@imk.example> wrote:\n> oud",
            "Prima.",
        ),
        ("Ja.\n\nOp 3 mrt. 2026 om 10:12 heeft IMK het volgende geschreven:\n\n> oud", "Ja."),
        ("Ja.\n-----Oorspronkelijk bericht-----\nVan: IMK\nOnderwerp: x\n\noud", "Ja."),
        ("Ja.\n________________________________\nFrom: IMK\nSent: today\nSubject: x", "Ja."),
        ("> vraag\nantwoord\n> vraag 2\nantwoord 2", "antwoord\nantwoord 2"),
        ("Alleen nieuw.\n\n-- \nJan Jansen", "Alleen nieuw.\n\n-- \nJan Jansen"),
        ("> alles geciteerd", "> alles geciteerd"),  # nothing new: keep it all
        (
            "In de brief schreef u:\ndat het goed kwam.",
            "In de brief schreef u:\ndat het goed kwam.",
        ),
    ],
)
def test_quoted_history_is_trimmed(text, expected):
    assert trim_quoted(text) == expected
