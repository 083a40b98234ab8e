"""Schemathesis against the API's own OpenAPI document: requests made from the document
(every operation, valid and invalid data) through the real app, database and Redis; no
answer may be a server error, and every answer must be one the document describes."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_job, make_olt, make_user
from tests.test_runner import work
from webapp.extensions import db
from webapp.models import Alarm
from webapp.models.base import utcnow
from webapp.tokens import create_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Detection sends SNMP to the OLT's host; an OLT the fuzzer made could point anywhere, and
# tests talk to loopback only. Detection is tested against the lab in test_api.py.
NOT_FUZZED = "/api/v1/olts/{olt_id}/detect"
EXAMPLES = 10  # per operation and mode


@pytest.fixture
def api_schema(app, lab):
    """The app with real data in it (an OLT of the lab polled, a job, executions, an alarm)
    and the schema it serves."""
    app.config["API_RATE_LIMIT"] = "100000/minute"
    user = make_user("fuzz")
    app.config["FUZZ_TOKEN"] = create_token(user, "fuzz", "read,run,write", None).token
    olt = make_olt(lab)
    job = make_job([olt])
    from jobs.olts import poll_now

    poll_now(olt, user)
    work(app)
    from jobs.dispatch import run_jobs_now

    run_jobs_now([job.id], user)
    now = utcnow()
    db.session.add(
        Alarm(olt_id=olt.id, kind="olt_down", severity="critical", status="active",
              since=now, raised_at=now, detail={"why": "test"})
    )  # fmt: skip
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema.exclude(path=NOT_FUZZED)


def test_the_api_answers_as_its_document_says(api_schema, app):
    """Each operation with valid data, then with invalid data (which must be refused with
    a 4xx problem, never a 500). schemathesis' pytest plugin (from_fixture) does not run
    under pytest 9, so its strategies are driven by Hypothesis here directly."""
    token = app.config["FUZZ_TOKEN"]
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def check(case):
                response = case.call(headers={"Authorization": f"Bearer {token}"})
                db.session.rollback()  # the test's session keeps no read snapshot
                case.validate_response(response, checks=CHECKS)

            try:
                check()
            except Exception as exc:  # gather every operation's failure, then report
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
