"""Reading the intake mailbox over IMAP (imap-tools).

Order per message, and why: fetch with BODY.PEEK (fetching marks nothing),
ingest (the complaint and its `InboundMessage` row commit together), and only
then flag it \\Seen or move it. A crash before the commit leaves the message
unflagged: the next poll processes it. A crash after the commit but before the
flag leaves it unflagged too: the next poll finds its row by Message-ID (or
hash) and only flags it. So nothing is lost and nothing is made twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import imaplib
import logging
import re
import ssl
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxFetchError, MailboxFlagError, MailboxLoginError
from imap_tools.utils import check_command_status

from klachtbeheer.core.mailauth import AUTH_METHODS, OAUTH2, PASSWORD
from klachtbeheer.core.oauth2 import OAuth2Config, token_client, xoauth2_response
from klachtbeheer.mailintake.constants import InboundSource
from klachtbeheer.mailintake.services import IngestResult, inbound_message_ingest

logger = logging.getLogger(__name__)

PROCESSED_ACTIONS = ("seen", "move")
_INTERNALDATE = re.compile(
    rb'INTERNALDATE "\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([-+])(\d\d)(\d\d)"'
)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class OAuth2LoginRefused(Exception):
    """The IMAP server refused a fresh access token too (no permission on the mailbox?)."""


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    auth: str = PASSWORD  # or OAUTH2: XOAUTH2 with a token from core.oauth2 (Microsoft 365)
    tls: bool = True
    starttls: bool = False
    processed: str = "seen"
    processed_folder: str = "Verwerkt"
    timeout: float = 60.0

    @classmethod
    def from_settings(cls) -> ImapConfig:
        return cls(
            host=settings.MAILINTAKE_IMAP_HOST,
            port=settings.MAILINTAKE_IMAP_PORT,
            user=settings.MAILINTAKE_IMAP_USER,
            password=settings.MAILINTAKE_IMAP_PASSWORD,
            folder=settings.MAILINTAKE_IMAP_FOLDER,
            auth=settings.MAILINTAKE_IMAP_AUTH,
            tls=settings.MAILINTAKE_IMAP_TLS,
            starttls=settings.MAILINTAKE_IMAP_STARTTLS,
            processed=settings.MAILINTAKE_IMAP_PROCESSED,
            processed_folder=settings.MAILINTAKE_IMAP_PROCESSED_FOLDER,
        )

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def check(self) -> None:
        if not self.host or not self.user:
            raise ImproperlyConfigured(
                "Set MAILINTAKE_IMAP_HOST and MAILINTAKE_IMAP_USER to read the intake mailbox."
            )
        if self.auth not in AUTH_METHODS:
            raise ImproperlyConfigured("MAILINTAKE_IMAP_AUTH must be 'password' or 'oauth2'.")
        if self.auth == OAUTH2:
            OAuth2Config.from_settings().check(imap_user=self.user)
        if self.processed not in PROCESSED_ACTIONS:
            raise ImproperlyConfigured("MAILINTAKE_IMAP_PROCESSED must be 'seen' or 'move'.")
        if self.processed == "move" and self.processed_folder == self.folder:
            raise ImproperlyConfigured(
                "MAILINTAKE_IMAP_PROCESSED_FOLDER must differ from MAILINTAKE_IMAP_FOLDER."
            )


@dataclass
class PollReport:
    """What one poll did: new messages by status, repeats, and failures left for next time."""

    new: Counter = field(default_factory=Counter)
    repeated: int = 0  # processed before (after a crash, say); only flagged now
    failed: int = 0  # not stored; left unflagged in the mailbox for the next poll

    def add(self, result: IngestResult) -> None:
        if result.created:
            self.new[result.message.status] += 1
        else:
            self.repeated += 1

    @property
    def total(self) -> int:
        return sum(self.new.values()) + self.repeated

    def __str__(self) -> str:
        parts = [f"{status}={count}" for status, count in sorted(self.new.items())]
        return ", ".join([*parts, f"repeated={self.repeated}", f"failed={self.failed}"])


@dataclass(frozen=True)
class FetchedMessage:
    uid: str
    raw: bytes
    received_at: dt.datetime | None


def connect(config: ImapConfig) -> BaseMailBox:
    """A logged-in mailbox on the intake folder: TLS (default), STARTTLS, or plain for tests;
    with the password (LOGIN) or an OAuth2 access token (XOAUTH2)."""
    config.check()
    if config.tls:
        context = ssl.create_default_context()
        if config.starttls:
            mailbox = MailBoxStartTls(
                config.host, config.port, timeout=config.timeout, ssl_context=context
            )
        else:
            mailbox = MailBox(config.host, config.port, timeout=config.timeout, ssl_context=context)
    else:
        mailbox = MailBoxUnencrypted(config.host, config.port, timeout=config.timeout)
    if config.auth == OAUTH2:
        return _login_xoauth2(mailbox, config)
    return mailbox.login(config.user, config.password, initial_folder=config.folder)


def _login_xoauth2(mailbox: BaseMailBox, config: ImapConfig) -> BaseMailBox:
    """AUTHENTICATE XOAUTH2; a token the server refuses is dropped and a fresh one tried once.
    Whatever fails (no token, refused twice), the connection is closed before it is raised."""
    tokens = token_client()
    try:
        for attempt in (1, 2):
            token = tokens.token()
            try:
                result = mailbox.client.authenticate(
                    "XOAUTH2", xoauth2_response(config.user, token)
                )
                check_command_status(result, MailboxLoginError)
            except (imaplib.IMAP4.error, MailboxLoginError) as error:
                tokens.invalidate(token)
                if attempt == 2:
                    raise OAuth2LoginRefused(
                        f"The IMAP server refused the OAuth2 access token twice ({error}). "
                        "Check that the app registration may use this mailbox "
                        "(IMAP.AccessAsApp and the Exchange service principal's mailbox "
                        "permission)."
                    ) from None
                logger.warning("The IMAP server refused the OAuth2 access token; a fresh one")
                continue
            mailbox.login_result = result
            mailbox.folder.set(config.folder)
            return mailbox
    except BaseException:
        with contextlib.suppress(Exception):
            mailbox.logout()
        raise
    raise AssertionError("unreachable: the second refusal raises")


def internal_date(meta: bytes) -> dt.datetime | None:
    """INTERNALDATE ("26-Nov-2026 09:15:02 +0100"): when the server received the message,
    so the date of receipt (P2.3) even when the poll runs days later."""
    match = _INTERNALDATE.search(meta)
    if not match:
        return None
    day, month, year, hour, minute, second, sign, zone_h, zone_m = match.groups()
    try:
        offset = dt.timedelta(hours=int(zone_h), minutes=int(zone_m))
        moment = dt.datetime(
            int(year),
            _MONTHS.index(month.decode().title()) + 1,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=dt.timezone(offset if sign == b"+" else -offset),
        )
    except ValueError:
        return None
    return moment.astimezone(dt.UTC)


def fetch_message(mailbox: BaseMailBox, uid: str) -> FetchedMessage | None:
    """The exact bytes and INTERNALDATE of one message; BODY.PEEK leaves its flags alone."""
    result = mailbox.client.uid("FETCH", uid, "(UID INTERNALDATE BODY.PEEK[])")
    check_command_status(result, MailboxFetchError)
    for item in result[1] or []:
        if isinstance(item, tuple) and len(item) == 2:
            meta, raw = item
            received_at = internal_date(meta)
            return FetchedMessage(uid=uid, raw=bytes(raw), received_at=received_at)
    return None  # expunged by someone else meanwhile


def mark_processed(mailbox: BaseMailBox, uid: str, config: ImapConfig) -> None:
    """Flag or move one message; called only after its row is committed."""
    if config.processed == "move":
        mailbox.move(uid, config.processed_folder)
        return
    # Not mailbox.flag(): imap-tools expunges after flagging, which would also delete
    # messages that someone marked \Deleted in a mail program.
    result = mailbox.client.uid("STORE", uid, "+FLAGS", r"(\Seen)")
    check_command_status(result, MailboxFlagError)


def poll_mailbox(config: ImapConfig | None = None, *, limit: int | None = None) -> PollReport:
    """Process every unprocessed message in the intake folder, oldest first."""
    config = config or ImapConfig.from_settings()
    report = PollReport()
    with connect(config) as mailbox:
        if config.processed == "move" and not mailbox.folder.exists(config.processed_folder):
            mailbox.folder.create(config.processed_folder)
        criteria = "UNSEEN" if config.processed == "seen" else "ALL"
        uids = sorted(mailbox.uids(criteria), key=int)
        for uid in uids[:limit] if limit else uids:
            fetched = fetch_message(mailbox, uid)
            if fetched is None:
                continue
            try:
                result = inbound_message_ingest(
                    raw=fetched.raw,
                    source=InboundSource.IMAP,
                    received_at=fetched.received_at,
                    folder=config.folder,
                    imap_uid=uid,
                )
            except Exception:
                # Not even stored for review (the database is down?): leave it for next time.
                logger.exception("Message UID %s left in the mailbox for the next poll", uid)
                report.failed += 1
                continue
            mark_processed(mailbox, uid, config)
            report.add(result)
            logger.info(
                "Message UID %s: %s%s",
                uid,
                result.message.status,
                "" if result.created else " (processed before)",
            )
    return report
