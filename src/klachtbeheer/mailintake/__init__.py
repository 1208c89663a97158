"""E-mail intake (P2.1): a mailbox whose messages become complaints, replies that find their case.

Every message is stored as it arrived (the .eml) with what became of it
(`InboundMessage`), whether it came from the IMAP mailbox (`poll-mailbox`) or
from an MTA pipe (`ingest-email`); one pipeline (`services.inbound_message_ingest`)
handles both.
"""
