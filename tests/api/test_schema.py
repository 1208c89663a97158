"""A bounded schemathesis run against our own OpenAPI document: no 500, no schema violation.

Every operation gets generated requests (valid and invalid) with the tokens of a
quality manager and of an integrating site, so the runs get past authentication
into validation, the services and the serialisation of real complaints.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.intake import services
from tests.api.conftest import token_for
from tests.factories import ComplaintFactory

# Generated requests per operation: the whole run stays well under a minute.
EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def _keep_the_test_connection():
    """As Django's test client does: a request must not close the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(world, _keep_the_test_connection) -> dict[str, str]:
    for postcode in ("3741 AB", "5611 CD", ""):
        ComplaintFactory(postcode=postcode)
    _key, site_key = services.api_key_create(actor=world.qm, name="schemathesis")
    return {"Authorization": f"Bearer {token_for(world.qm)}", "X-API-Key": site_key}


def _with_reference(pair):
    case, reference = pair
    case.path_parameters = {**(case.path_parameters or {}), "reference": reference}
    return case


def test_the_api_never_fails_and_keeps_its_schema(credentials):
    references = list(Complaint.objects.values_list("reference", flat=True))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures: dict[str, str] = {}
    for operation in operations:
        strategy = operation.as_strategy()
        if "{reference}" in operation.path:
            # Random text never names a complaint: most cases get a real reference.
            strategy = st.tuples(strategy, st.sampled_from([*references, "KL-1999-00001"])).map(
                _with_reference
            )

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            case.call_and_validate(headers=credentials, checks=CHECKS)

        try:
            call()
        except Exception as error:
            failures[operation.label] = str(error)[:3000]
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
