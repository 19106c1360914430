"""Schemathesis fuzzes every operation of the OpenAPI schema in-process (WSGI),
bounded in examples per operation: no server error, and every response (status,
content type, body) must match the schema."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from edu.wsgi import application

from .factories import CohortFactory, make_instructor

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# The schema is generated from the code, not from the database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def keep_test_connection_open():
    """As Django's test client does: keep the test's connection (and transaction)
    open across requests instead of closing it when each request finishes."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def instructor_token(klonopin):
    teacher = make_instructor("fuzzer")
    cohort = CohortFactory(course=klonopin)
    cohort.instructors.add(teacher)
    return AuthToken.objects.create(teacher)[1]


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, instructor_token):
    # An instructor is also a learner: every operation is reachable with this token.
    case.call_and_validate(
        headers={"Authorization": f"Token {instructor_token}"}, checks=CHECKS
    )


def test_api_stateful_workflows_conform(instructor_token):
    """The stateful phase: sequences of calls linked by the schema (start an
    attempt, then answer and submit it...), bounded in steps and examples."""
    from hypothesis.stateful import run_state_machine_as_test

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Token {instructor_token}"}}

        def validate_response(self, response, case, **kwargs):
            case.validate_response(response, checks=CHECKS)

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=15,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
