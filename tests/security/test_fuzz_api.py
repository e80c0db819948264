"""Schemathesis against /api/v1/openapi.json with a token of each role: no 5xx, and every
response matches the schema (status codes documented, bodies conform)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from baogong.core.models import ApiToken

pytestmark = pytest.mark.security
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ["commander", "pharmacist", "tenant"]


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def tokens(base):
    from django.contrib.auth import get_user_model

    result = {}
    for username in ROLES:
        raw = ApiToken.generate()
        ApiToken.objects.create(
            user=get_user_model().objects.get(username=username), prefix=raw[:8], digest=ApiToken.digest_of(raw)
        )
        result[username] = raw
    return result


@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_errors_and_matches_its_schema(case, tokens):
    for username in ROLES:
        response = case.call(headers={"Authorization": f"Bearer {tokens[username]}"})
        assert response.status_code < 500, (username, case.method, case.path, response.text[:500])
        case.validate_response(response, checks=CHECKS)
