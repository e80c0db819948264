"""Bearer tokens kept in the shared cache (issue 25): read once, forgotten when the token or its
user changes (revoked, deleted, user deactivated), and never kept when the cache is per process."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from baogong.core.models import ApiToken

SITES = "/api/v1/sites/"


def _client(username: str) -> tuple[APIClient, ApiToken]:
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=get_user_model().objects.get(username=username), prefix=raw[:8], digest=ApiToken.digest_of(raw)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client, token


def _token_reads(client: APIClient) -> tuple[int, int]:
    # the request's transaction commits (a token is kept only then), as it does outside a test's
    with CaptureQueriesContext(connection) as captured, TestCase.captureOnCommitCallbacks(execute=True):
        status = client.get(SITES).status_code
    return status, sum(1 for q in captured.captured_queries if 'FROM "core_apitoken"' in q["sql"])


def test_a_token_is_read_once_then_from_the_cache(shared_cache, base):
    client, _token = _client("warehouse")
    assert _token_reads(client) == (200, 1)
    assert _token_reads(client) == (200, 0)


def test_a_revoked_token_is_refused_at_the_next_request(shared_cache, base):
    client, token = _client("warehouse")
    assert _token_reads(client) == (200, 1)
    call_command("token", "revoke", token.prefix, stdout=None)
    assert client.get(SITES).status_code == 401


def test_a_deleted_token_is_refused_at_the_next_request(shared_cache, base):
    client, token = _client("warehouse")
    assert client.get(SITES).status_code == 200
    token.delete()
    assert client.get(SITES).status_code == 401


def test_a_deactivated_user_is_refused_at_the_next_request(shared_cache, base):
    client, token = _client("warehouse")
    assert client.get(SITES).status_code == 200
    user = token.user
    user.is_active = False
    user.save()
    assert client.get(SITES).status_code == 401
    user.is_active = True
    user.save()
    assert client.get(SITES).status_code == 200


def test_someone_signing_in_on_the_web_keeps_the_cached_tokens(shared_cache, base, client):
    api, _token = _client("warehouse")
    assert _token_reads(api) == (200, 1)
    assert client.post("/login/", {"username": "commander", "password": "baogong-demo"}).status_code == 302
    assert _token_reads(api) == (200, 0)
    user = get_user_model().objects.get(username="warehouse")
    user.first_name = "仓管"
    user.save(update_fields=["first_name"])  # any other change of the user: read again
    assert _token_reads(api) == (200, 1)


def test_without_a_shared_cache_every_request_reads_the_token(base):
    cache.clear()
    with override_settings(BAOGONG_SHARED_CACHE="off"):
        client, _token = _client("warehouse")
        assert _token_reads(client) == (200, 1)
        assert _token_reads(client) == (200, 1)
