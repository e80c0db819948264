"""Schemathesis against /api/v1/openapi.json, in positive mode (requests the schema allows) and in
negative mode (requests that break it), on whichever database the pass runs on: no 5xx, and every
response matches the schema (status code documented, content type, body).

The database holds a one-day lockdown replay (requests, shipments, suppliers with licences,
people, leases, relief applications...) so that list and detail answers carry real records, their
null fields included; in positive mode half the generated ``{id}`` path parameters name existing
rows. Each generated request runs in a savepoint that is rolled back, so every case meets the same
data. Deterministic: hypothesis derandomized, a bounded number of examples per operation, no
shrinking (the same cases every run; the old random fuzz test could find a new 500 by chance).
Not marked ``security``: it runs in both the SQLite and the PostgreSQL pass of ``make test``.
``BAOGONG_FUZZ_EXAMPLES`` raises the number of examples for a longer hunt.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.db import connection, transaction
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from baogong.core.models import ApiToken

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("BAOGONG_FUZZ_EXAMPLES", "10"))
# The role whose scope reaches each part of the API (the commander reaches most of it).
ROLES = {"/api/v1/pharmacy/": "pharmacist", "/api/v1/rent-relief/": "property", "/api/v1/property/": "property"}
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def load_schema() -> Any:
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def in_process() -> Any:
    """Requests through the WSGI handler keep the test's connection (and its transaction), as
    Django's test client does: no closing of "old" connections around each request."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(in_process: None, base: None, settings: Any) -> dict[str, str]:
    from django.contrib.auth import get_user_model

    from baogong.demo.scenario import Scenario

    # hundreds of requests from one token within a minute: lift the API rate limits
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    Scenario(seed=19, days=1).run()
    result = {}
    for username in {"commander", *ROLES.values()}:
        raw = ApiToken.generate()
        ApiToken.objects.create(
            user=get_user_model().objects.get(username=username), prefix=raw[:8], digest=ApiToken.digest_of(raw)
        )
        result[username] = raw
    return result


def role_for(path: str) -> str:
    return next((role for prefix, role in ROLES.items() if path.startswith(prefix)), "commander")


def existing_ids(path: str) -> list[int]:
    """Ids of rows the ``{id}`` of an operation's path can name (its viewset's model)."""
    try:
        match = resolve(path.replace("{id}", "1"))
    except Resolver404:
        return []
    queryset = getattr(getattr(match.func, "cls", None), "queryset", None)
    if queryset is None:
        return []
    return list(queryset.model.objects.order_by("pk").values_list("pk", flat=True)[:40])


def with_id(case: Any, pk: int) -> Any:
    case.path_parameters = {**(case.path_parameters or {}), "id": pk}
    return case


def strategy_for(operation: Any, mode: GenerationMode) -> Any:
    strategy = operation.as_strategy(generation_mode=mode)
    ids = existing_ids(operation.path) if "{id}" in operation.path else []
    if mode is GenerationMode.POSITIVE and ids:
        real = st.tuples(strategy, st.sampled_from(ids)).map(lambda pair: with_id(*pair))
        strategy = st.one_of(real, strategy)
    return strategy


def call_in_savepoint(case: Any, token: str) -> Any:
    # rolled back after each case; marked like a test case's own block so that the actions'
    # durable transactions run inside it as they do inside the test's transaction
    block = transaction.atomic()
    block._from_testcase = True
    with block:
        try:
            return case.call(headers={"Authorization": f"Bearer {token}"})
        finally:
            transaction.set_rollback(True)


def fuzz(mode: GenerationMode, tokens: dict[str, str]) -> list[str]:
    schema = load_schema()
    schema.config.generation.update(modes=[mode], deterministic=True)
    failures: list[str] = []
    operations, answered = 0, set()
    for result in schema.get_all_operations():
        operations += 1
        operation = result.ok()
        token = tokens[role_for(operation.path)]

        @FUZZ
        @given(case=strategy_for(operation, mode))
        def run(case: Any) -> None:
            response = call_in_savepoint(case, token)
            answered.add(response.status_code)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # every failing operation is reported, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
        assert not connection.needs_rollback
    # the run covered the API and met real records, and (in negative mode) refusals
    assert operations > 80 and {200, 400, 404} <= answered, (operations, answered)
    return failures


def refused_by_the_database(caplog: Any) -> list[str]:
    """Values that passed every field bound and were refused by the database (answered 400 by
    the last line of defence, logged): each is a missing bound."""
    return [r.getMessage() for r in caplog.records if r.name == "baogong.input"]


def test_valid_requests_never_error_and_match_the_schema(tokens: dict[str, str], caplog: Any) -> None:
    caplog.set_level("WARNING", logger="baogong.input")
    failures = fuzz(GenerationMode.POSITIVE, tokens)
    assert not failures, "\n\n".join(failures)
    assert refused_by_the_database(caplog) == []


def test_invalid_requests_never_error_and_match_the_schema(tokens: dict[str, str], caplog: Any) -> None:
    caplog.set_level("WARNING", logger="baogong.input")
    failures = fuzz(GenerationMode.NEGATIVE, tokens)
    assert not failures, "\n\n".join(failures)
    assert refused_by_the_database(caplog) == []
