"""Each spam rule alone holds a submission for review (P2.2); together they never drop one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.intake import altcha, ratelimit, spam
from klachtbeheer.intake.models import RateBucket, RateLimitSalt, Submission, SubmissionState
from tests.intake.conftest import form_data, solved, started_long_ago

pytestmark = pytest.mark.django_db


def post(client, **overrides):
    response = client.post(reverse("intake:form"), form_data(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Submission.objects.order_by("-id").first()


def test_a_clean_submission_passes_every_rule(client, world):
    submission = post(client)
    assert submission.state == SubmissionState.REGISTERED
    assert submission.spam_reasons == []


def test_honeypot_alone(client, world):
    submission = post(client, website="ja")
    assert submission.state == SubmissionState.PENDING
    assert submission.spam_reasons == ["honeypot"]
    assert not Complaint.objects.exists()


def test_minimum_fill_in_time_alone(client, world, settings):
    settings.INTAKE_MIN_FILL_SECONDS = 5
    submission = post(client, started=started_long_ago(seconds=1))
    assert submission.spam_reasons == ["too_fast"]


def test_a_forged_start_time_alone(client, world):
    submission = post(client, started="123.forged")
    assert submission.spam_reasons == ["no_start"]


def test_missing_proof_of_work_alone(client, world):
    submission = post(client, altcha="")
    assert submission.spam_reasons == ["pow_missing"]


def test_wrong_proof_of_work_alone(client, world):
    challenge = altcha.new_challenge()
    challenge["parameters"]["keyPrefix"] = "f"  # tampered: the signature no longer fits
    import base64
    import json

    payload = base64.b64encode(
        json.dumps(
            {"challenge": challenge, "solution": {"counter": 1, "derivedKey": "00"}}
        ).encode()
    ).decode()
    submission = post(client, altcha=payload)
    assert submission.spam_reasons == ["pow_invalid"]
    submission = post(client, altcha="bm90IGpzb24=")
    assert submission.spam_reasons == ["pow_invalid"]
    test_mode = base64.b64encode(b'{"challenge": null, "solution": null, "test": true}').decode()
    submission = post(client, altcha=test_mode)
    assert submission.spam_reasons == ["pow_invalid"]


def test_a_proof_of_work_counts_once(client, world):
    payload = solved()
    assert post(client, altcha=payload).spam_reasons == []
    assert post(client, altcha=payload).spam_reasons == ["pow_reused"]


def test_an_expired_proof_of_work(client, world, settings):
    settings.ALTCHA_EXPIRY_MINUTES = -1
    payload = solved()
    assert post(client, altcha=payload).spam_reasons == ["pow_invalid"]


def test_rate_limit_alone(client, world, settings):
    settings.INTAKE_SUBMISSIONS_PER_HOUR = 2
    assert post(client).spam_reasons == []
    assert post(client).spam_reasons == []
    third = post(client)
    assert third.spam_reasons == ["rate_limited"]
    assert third.state == SubmissionState.PENDING
    # Another address is not affected.
    response = client.post(reverse("intake:form"), form_data(), REMOTE_ADDR="192.0.2.77")
    assert response.status_code == 302
    assert Submission.objects.order_by("-id").first().spam_reasons == []


def test_the_rate_limit_stores_no_address_and_forgets_after_a_day(world):
    assert ratelimit.hit("form", "198.51.100.7", limit=5)
    bucket = RateBucket.objects.get()
    assert "198.51.100.7" not in bucket.key_hash
    assert len(bucket.key_hash) == 64
    salt = RateLimitSalt.objects.get()
    # A day later the bucket and the salt are gone at the next use.
    later = timezone.now() + dt.timedelta(hours=25)
    ratelimit.purge(later)
    assert not RateBucket.objects.exists()
    assert not RateLimitSalt.objects.filter(pk=salt.pk).exists()


def test_the_same_address_hashes_differently_under_a_new_salt(world):
    ratelimit.hit("form", "198.51.100.7", limit=5)
    first = RateBucket.objects.get().key_hash
    RateLimitSalt.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    ratelimit.forget_salt()  # a process reads it again at least every SALT_READ_SECONDS
    ratelimit.hit("form", "198.51.100.7", limit=5)
    assert RateBucket.objects.exclude(key_hash=first).exists()


def test_the_status_page_is_rate_limited(client, world, settings):
    settings.INTAKE_STATUS_VIEWS_PER_HOUR = 3
    url = reverse("intake:status", kwargs={"token": "x" * 43})
    assert [client.get(url).status_code for _ in range(4)] == [404, 404, 404, 429]


def test_reason_labels_exist_for_every_code():
    for code in [
        "honeypot",
        "too_fast",
        "no_start",
        "pow_missing",
        "pow_invalid",
        "pow_reused",
        "rate_limited",
    ]:
        assert spam.reason_labels([code])[0] != code
