"""The calendar file that goes with a meeting invitation (P3.5)."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

from icalendar import Calendar, Event, vCalAddress, vText

from klachtbeheer.complaints.models import Complaint

MEETING_LENGTH = dt.timedelta(hours=1)


def meeting_calendar(
    *,
    complaint: Complaint,
    at: dt.datetime,
    location: str,
    organiser_email: str,
    organisation: str,
    domain: str,
    sequence: int,
    stamp: dt.datetime,
) -> str:
    """One VEVENT; the UID is the complaint's, so a re-planned meeting replaces the old one."""
    calendar = Calendar()
    calendar.add("prodid", "-//Klachtbeheer//Uitnodiging//NL")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"gesprek-{complaint.reference}@{domain}")
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", at.astimezone(dt.UTC))
    event.add("dtend", (at + MEETING_LENGTH).astimezone(dt.UTC))
    event.add("summary", f"Gesprek over uw klacht {complaint.reference} ({organisation})")
    event.add("location", vText(location))
    event.add(
        "description",
        f"Persoonlijk gesprek over uw klacht met kenmerk {complaint.reference}.",
    )
    # DEFAULT_FROM_EMAIL may be "Name <address>": the URI takes the address alone (RFC 5545).
    display, address = parseaddr(organiser_email)
    organiser = vCalAddress(f"mailto:{address or organiser_email.strip()}")
    organiser.params["CN"] = organisation or display
    event.add("organizer", organiser)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
