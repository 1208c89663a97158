"""Prometheus metrics at /metrics (prometheus-client); README, Observability.

Two kinds:

- **per process**, counted as requests are served: `klachtbeheer_http_requests_total`
  and `klachtbeheer_http_request_duration_seconds`, labelled by method, the URL
  *route* (the pattern, e.g. `klacht/status/<str:token>/`, never the path) and
  status. Under gunicorn with several processes these live in
  PROMETHEUS_MULTIPROC_DIR (`klachtbeheer serve` sets it up), and a scrape adds
  up every process's files (prometheus-client's multiprocess mode);
- **from the database**, read at each scrape, so the same in every process and
  after every restart: complaints received by channel, e-mail by what became of
  it, the outbox by status and the age of its oldest unsent message, open
  complaints whose next term is at risk or missed, the workers' heartbeat and lag.

Labels are fixed vocabularies (channel, status, route): no personal data.
"""

from __future__ import annotations

import datetime as dt
import os

from django.db import DatabaseError, connection
from django.db.models import Count, Min, Q
from django_tasks_db.models import DBTaskResult
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.complaints.selectors import work_calendar
from klachtbeheer.complaints.terms import at_risk_from
from klachtbeheer.complaints.workflow import OPEN_STATES
from klachtbeheer.core import clock
from klachtbeheer.core.beacons import (
    MAILBOX_POLL,
    beacon_at,
    latest_worker_beat,
    workers_seen_since,
)
from klachtbeheer.letters.models import OutgoingMessage
from klachtbeheer.mailintake.models import InboundMessage
from klachtbeheer.organisation.models import Organisation

REQUESTS = Counter(
    "klachtbeheer_http_requests_total",
    "HTTP requests served, by method, URL route and status.",
    ["method", "route", "status"],
)
DURATION = Histogram(
    "klachtbeheer_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and URL route.",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    DURATION.labels(method, route).observe(seconds)


def _seconds_since(moment) -> float:
    return -1.0 if moment is None else (clock.now() - moment).total_seconds()


class DatabaseCollector:
    """The figures read from the database at each scrape."""

    def collect(self):
        try:
            yield from self._collect()
        except DatabaseError:
            connection.close()
            up = GaugeMetricFamily(
                "klachtbeheer_database_up", "Whether the database answered this scrape."
            )
            up.add_metric([], 0)
            yield up

    def _collect(self):
        received = CounterMetricFamily(
            "klachtbeheer_complaints_received",
            "Complaints registered, by channel (web form, e-mail, post).",
            labels=["channel"],
        )
        for row in Complaint.objects.order_by().values("channel").annotate(n=Count("pk")):
            received.add_metric([row["channel"]], row["n"])
        yield received

        inbound = CounterMetricFamily(
            "klachtbeheer_inbound_emails",
            "E-mails read from the intake mailbox, by what became of them.",
            labels=["status"],
        )
        for row in InboundMessage.objects.order_by().values("status").annotate(n=Count("pk")):
            inbound.add_metric([row["status"]], row["n"])
        yield inbound

        outbox = GaugeMetricFamily(
            "klachtbeheer_outbox_messages",
            "Messages in the outbox, by status (queued, sending, sent, failed).",
            labels=["status"],
        )
        for row in OutgoingMessage.objects.order_by().values("status").annotate(n=Count("pk")):
            outbox.add_metric([row["status"]], row["n"])
        yield outbox

        oldest = OutgoingMessage.objects.filter(status__in=["queued", "sending"]).aggregate(
            oldest=Min("created_at")
        )["oldest"]
        age = GaugeMetricFamily(
            "klachtbeheer_outbox_oldest_unsent_age_seconds",
            "Age of the oldest message not sent yet (0 when the outbox is empty).",
        )
        age.add_metric([], 0.0 if oldest is None else _seconds_since(oldest))
        yield age

        today = clock.today()
        organisation = Organisation.current()
        risk_until = at_risk_from(today, organisation.at_risk_working_days, work_calendar())
        counts = (
            Complaint.objects.filter(state__in=OPEN_STATES)
            .order_by()
            .aggregate(
                missed=Count("pk", filter=Q(next_due_on__lt=today)),
                at_risk=Count("pk", filter=Q(next_due_on__gte=today, next_due_on__lte=risk_until)),
                on_schedule=Count("pk", filter=Q(next_due_on__gt=risk_until)),
            )
        )
        terms = GaugeMetricFamily(
            "klachtbeheer_open_complaints_by_term",
            "Open complaints by the state of their next term (missed, at_risk, on_schedule).",
            labels=["term"],
        )
        for name, count in counts.items():
            terms.add_metric([name], count)
        yield terms

        lag = GaugeMetricFamily(
            "klachtbeheer_worker_lag_seconds",
            "How long the oldest task that is due has waited for a worker (0: none waits).",
        )
        lag.add_metric([], _worker_lag())
        yield lag

        beat = GaugeMetricFamily(
            "klachtbeheer_worker_heartbeat_age_seconds",
            "Seconds since the last heartbeat of any worker (-1: never).",
        )
        beat.add_metric([], _seconds_since(latest_worker_beat()))
        yield beat

        alive = GaugeMetricFamily(
            "klachtbeheer_workers_alive", "Workers whose heartbeat is at most two minutes old."
        )
        alive.add_metric([], workers_seen_since(clock.now() - dt.timedelta(minutes=2)))
        yield alive

        poll = GaugeMetricFamily(
            "klachtbeheer_mailbox_last_poll_age_seconds",
            "Seconds since the intake mailbox was last read (-1: never).",
        )
        poll.add_metric([], _seconds_since(beacon_at(MAILBOX_POLL)))
        yield poll

        up = GaugeMetricFamily(
            "klachtbeheer_database_up", "Whether the database answered this scrape."
        )
        up.add_metric([], 1)
        yield up


def _worker_lag() -> float:
    """How long the longest-waiting due task has waited: from its run_after, or from when it
    was queued when it has none."""
    now = clock.now()
    due = (
        DBTaskResult.objects.filter(status="READY")
        .filter(Q(run_after__isnull=True) | Q(run_after__lte=now))
        .order_by("enqueued_at")
        .values_list("enqueued_at", "run_after")[:100]
    )
    waits = [(now - max(queued, after or queued)).total_seconds() for queued, after in due]
    return max([0.0, *waits])


def exposition() -> bytes:
    """The metrics in Prometheus' text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    return generate_latest(processes) + generate_latest(database)
