"""The API does what its OpenAPI document says: a bounded schemathesis run over every operation,
authenticated, on each engine. Zero failures allowed of: no server error, a documented status code,
a documented content type, and a body that matches the documented schema.

Bounded on purpose (``EXAMPLES`` generated requests per operation — a few hundred in all) so it costs
seconds, derandomised so a failure reproduces; the adversarial review ran over 20,000 requests with
the same checks (``schemathesis run`` against a served app does that, see docs/SECURITY.md)."""

from __future__ import annotations

import contextvars
import json

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = 3
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def test_every_operation_answers_as_documented(app, auth_headers):
    headers = auth_headers("police_officer")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    statuses: list[int] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @SETTINGS
        @given(case=operation.as_strategy())
        def exercise(case) -> None:
            # In a context of its own, like every real request (see conftest.IsolatedClient).
            response = contextvars.Context().run(case.call, headers=headers)
            statuses.append(response.status_code)
            case.validate_response(response, checks=CHECKS)

        try:
            exercise()
        except Exception as failure:  # collected: one report naming every operation that failed
            failures.append(f"{operation.label}: {failure}")
    assert operations > 100
    assert len(statuses) >= EXAMPLES * operations
    # Authenticated: most requests get past the login (a run of 401s would prove nothing).
    assert sum(status != 401 for status in statuses) > len(statuses) / 2
    assert not failures, f"{len(failures)} operations broke their contract:\n\n" + "\n\n".join(failures)


def _spec(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def test_errors_are_documented_as_json_problems(client):
    spec = _spec(client)
    default = spec["components"]["responses"]["DEFAULT_ERROR"]
    assert list(default["content"]) == ["application/problem+json"]
    problem = spec["components"]["schemas"]["HttpProblem"]
    assert {"type", "title", "status", "detail", "code", "errors"} <= set(problem["properties"])
    assert problem.get("additionalProperties", True) is not False  # extension members (rows)
    answer = client.get("/api/v1/items")  # not logged in
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"


def test_the_pagination_header_is_documented_as_the_json_text_it_is(client, auth_headers):
    spec = _spec(client)
    header = spec["components"]["headers"]["PAGINATION"]
    assert header["schema"]["type"] == "string"
    sent = client.get("/api/v1/items", headers=auth_headers("police_officer")).headers["X-Pagination"]
    assert set(json.loads(sent)) >= {"total", "total_pages"}


def test_only_standard_keywords_and_real_integer_bounds(client):
    text = json.dumps(_spec(client))
    assert "x-minimum" not in text
    assert "x-maximum" not in text
    ids = _spec(client)["paths"]["/api/v1/items/{item_id}"]["parameters"][0]["schema"]
    assert ids["type"] == "integer"
    assert ids["minimum"] == 0
    assert ids["maximum"] == 2**63 - 1


def test_trace_and_other_unknown_methods_answer_405_with_allow(client):
    for path in ("/api/v1/items", "/api/v1/me", "/login"):
        answer = client.open(path, method="TRACE")
        assert answer.status_code == 405, path
        assert "GET" in answer.headers["Allow"], path
    assert "TRACE" not in client.open("/api/v1/items", method="TRACE").headers["Allow"]
