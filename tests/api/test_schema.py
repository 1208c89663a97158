"""Schemathesis against our own OpenAPI document, with every check that applies.

Each operation gets schemathesis' coverage cases (boundaries, missing and wrong
values, undeclared methods) and a bounded number of generated requests, valid
and invalid, with the tokens of a quality manager and of an integrating site,
on complaints in every state and with categories kept. So the runs get past
authentication into the forms, the services and the serialisation. Checks:
no 5xx; status code, content type, headers and body as documented; a body
the schema forbids is refused; one it allows is not refused for its shape
(see `positive_data_acceptance_beyond_the_schema`); missing credentials are
401; an undeclared method is 405 with `Allow`.
"""

from __future__ import annotations

import collections
import itertools
import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from klachtbeheer.complaints.models import Category
from klachtbeheer.complaints.workflow import TRANSITIONS, State, Step
from klachtbeheer.intake import services
from tests.api.conftest import token_for
from tests.factories import PATH_TO, ComplaintFactory

# Generated requests per operation and mode, besides the coverage cases: the whole run
# stays well under a minute per database. `make fuzz` (FUZZ=1) runs the same test long,
# random instead of derandomised, and counts the requests it made (FUZZ_REPORT).
FUZZING = os.environ.get("FUZZ") == "1"
EXAMPLES = int(os.environ.get("FUZZ_API_EXAMPLES", "450")) if FUZZING else 8
REQUESTS: collections.Counter = collections.Counter()

# Rules of the forms that JSON Schema cannot state, per operation and field: rows that must
# exist (a handler, a district manager, a category), a date against today, what a file
# really is, a real phone number, and fields that depend on each other (an e-mail address
# or a postal address; the verdict's measures). A request the schema allows may be refused
# with 422 for these, and only for these; every other 422 to a valid request is a failure.
CONTENT_RULES: dict[str, set[str]] = {
    "POST /api/v1/complaints": {
        "email",
        "street_address",
        "postcode",
        "city",
        "phone",
        "attachments",
    },
    "POST /api/v1/registrations": {
        "email",
        "phone",
        "received_on",
        "manager_concerned",
        "attachment",
    },
    "POST /api/v1/complaints/{reference}/steps/record-verdict": {
        "categories",
        "measure_owner",
        "measures",
        "no_measures",
    },
    "POST /api/v1/complaints/{reference}/steps/reassign": {"handler"},
    # Removing the manager concerned takes the choice and a reason together (P3.2).
    "POST /api/v1/complaints/{reference}/steps/person-concerned": {
        "manager_concerned",
        "clear_manager_concerned",
        "reason",
    },
}


@schemathesis.check
def positive_data_acceptance_beyond_the_schema(ctx, response, case):
    """`positive_data_acceptance`, except a 422 for a rule the schema cannot state: a form's
    (CONTENT_RULES), or an Idempotency-Key that an earlier request used with another body."""
    if response.status_code == 422 and case.meta and case.meta.generation.mode.is_positive:
        body = response.json()
        fields = {error["field"].split(".")[0] for error in body.get("errors", [])}
        allowed = CONTENT_RULES.get(case.operation.label, set())
        if body.get("code") == "idempotency_key_reused":
            return None
        if body.get("code") == "invalid" and fields and fields <= allowed:
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance_beyond_the_schema,
    missing_required_header,
    ignored_auth,
    unsupported_method,
    # Not here, because they cannot apply to this API:
    # - use_after_free and ensure_resource_availability follow OpenAPI links between
    #   operations in the stateful phase; the document declares no links, and nothing is
    #   ever deleted (complaints are kept, P5.1).
    # - object_level_authorization compares what two configured identities may read; who
    #   sees which complaint is tested role by role in tests/api/test_api.py.
    # - allow_header_conformance needs OPTIONS requests, which the API does not serve.
    # - max_response_time needs a limit; a slow case would show in the run's duration.
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
    _key, site_key = services.api_key_create(actor=world.qm, name="schemathesis")
    return {"Authorization": f"Bearer {token_for(world.qm)}", "X-API-Key": site_key}


def _states_for(label: str) -> list[State]:
    """Complaints in the states where the operation's step is allowed (two at most, the
    shortest walks), else one just received."""
    path = label.partition(" ")[2]
    if "/steps/" not in path:
        return [State.RECEIVED]
    step = Step(path.rpartition("/")[2].replace("-", "_"))
    allowed = sorted(TRANSITIONS[step], key=lambda state: len(PATH_TO[state]))
    return allowed[:2]


@pytest.fixture
def references(request, world) -> itertools.cycle:
    """The complaints the operation's cases take in turn, and one that does not exist."""
    label = request.node.name.partition("[")[2].removesuffix("]")
    made = [ComplaintFactory(postcode="3741 AB", state=state) for state in _states_for(label)]
    if label.endswith("/record-verdict"):
        Category.objects.create(name="Bejegening")  # so the verdict needs a category
    return itertools.cycle([c.reference for c in made] + ["KL-1999-00001"])


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(scope="module", autouse=True)
def _count_requests():
    yield
    report = os.environ.get("FUZZ_REPORT")
    if report and REQUESTS:
        with open(report, "a", encoding="utf-8") as handle:
            handle.write(f"api_requests {sum(REQUESTS.values())}\n")
            handle.write(f"api_operations {len(REQUESTS)}\n")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not FUZZING,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_every_operation_keeps_its_schema(case, credentials, references):
    parameters = case.path_parameters or {}
    if "reference" in parameters and not (
        case.meta and case.meta.is_negative_at(ParameterLocation.PATH)
    ):
        # Random text never names a complaint: take the complaints in turn.
        parameters["reference"] = next(references)
    REQUESTS[case.operation.label] += 1
    case.call_and_validate(headers=credentials, checks=CHECKS)
