"""The process's copies of the shared cache's entries (issue 25): a request reads the generations
in one round trip and takes its token, permissions, scope and lookups from the copies, and a bump
made by any process (here: made in the shared cache only, as another process would) leaves every
copy unreachable at the next request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from baogong.core import authentication, authz
from baogong.core.models import ApiToken
from baogong.inventory import lookups

SITES = "/api/v1/sites/"


class CountingCache:
    """The shared cache, its reads counted (one ``get_many`` is one round trip)."""

    def __init__(self) -> None:
        self.reads = 0

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        self.reads += 1
        return cache.get_many(keys)

    def get(self, key: str, default: Any = None) -> Any:
        self.reads += 1
        return cache.get(key, default)

    def __getattr__(self, name: str) -> Any:
        return getattr(cache, name)


@pytest.fixture
def counted(monkeypatch) -> Iterator[CountingCache]:
    cache.clear()
    counting = CountingCache()
    monkeypatch.setattr(authz, "cache", counting)
    with override_settings(BAOGONG_SHARED_CACHE="on"):
        yield counting
    cache.clear()


def _reads(counting: CountingCache, api: APIClient, path: str = SITES, status: int = 200) -> int:
    before = counting.reads
    with TestCase.captureOnCommitCallbacks(execute=True):  # entries are kept once committed
        response = api.get(path)
    assert response.status_code == status, response.content
    return counting.reads - before


def _bump_elsewhere(key: str) -> None:
    """What another process's :func:`authz.bump` does to the shared cache (nothing here sees it)."""
    cache.incr(f"{authz.namespace()}:{key}")


def test_a_request_reads_the_shared_cache_once(counted, api_for):
    api = api_for("warehouse")
    assert _reads(counted, api) >= 3  # generations, token, permissions and scope
    assert _reads(counted, api) == 1  # the generations only: the rest from this process's copies


def test_a_token_revoked_by_another_process_is_refused_at_the_next_request(counted, api_for):
    api = api_for("warehouse")
    assert _reads(counted, api) >= 3
    ApiToken.objects.update(is_active=False)  # no signal here: the other process bumps
    assert api.get(SITES).status_code == 200  # the copy, until the generation moves
    _bump_elsewhere(authentication.TOKENS_GENERATION_KEY)
    assert api.get(SITES).status_code == 401


def test_a_permission_taken_by_another_process_is_refused_at_the_next_request(counted, api_for, user):
    api = api_for("warehouse")
    path = "/api/v1/inventory/balances/"
    assert _reads(counted, api, path) >= 3
    group = Group.objects.get(name__in=[g.name for g in user("warehouse").groups.all()])
    Group.permissions.through.objects.filter(group=group, permission__codename="view_stockbalance").delete()
    assert api.get(path).status_code == 200  # the copy, until the generation moves
    _bump_elsewhere(authz.GENERATION_KEY)
    assert api.get(path).status_code == 403


def test_a_site_changed_by_another_process_is_read_again(counted, base, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # lookups are kept once committed
        site = lookups.site_by_code("WH-TXQ")
    assert site is not None
    type(site).objects.filter(pk=site.pk).update(name="改名 renamed")
    assert lookups.site_by_code("WH-TXQ").name == site.name
    _bump_elsewhere(lookups.GENERATION_KEY)
    assert lookups.site_by_code("WH-TXQ").name == "改名 renamed"


def test_each_read_of_a_copy_is_its_own_object(counted, base):
    key = f"{authz.namespace()}:test:{authz.generation()}:entry"
    entry = {"perms": {"a"}}
    authz.set_many({key: entry})
    entry["perms"].add("b")  # changed after it was kept: neither the cache nor the copy sees it
    first = authz.get_many([key])[key]
    assert first == {"perms": {"a"}}
    first["perms"].add("c")
    assert authz.get_many([key])[key] == {"perms": {"a"}}


def test_a_copy_lapses_and_the_shared_entry_is_read_again(counted, base, monkeypatch):
    key = f"{authz.namespace()}:test:{authz.generation()}:entry"
    authz.set_many({key: 1})
    cache.set(key, 2)  # written under the same key by another process
    assert authz.get(key) == 1
    now = authz.time.monotonic()
    monkeypatch.setattr(authz.time, "monotonic", lambda: now + authz.LOCAL_SECONDS + 1)
    assert authz.get(key) == 2


def test_a_lost_generation_starts_anew_even_when_the_clock_stands_still(counted, base):
    import time_machine

    with time_machine.travel(dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC), tick=False):
        first = authz.generation()
        key = f"{authz.namespace()}:test:{first}:entry"
        authz.set_many({key: "before the flush"})
        cache.clear()  # a flush or an eviction: the copy here outlives it
        assert authz.generation() != first
