"""The shared cache keeps only what is committed (issue 25): a transaction that grants a permission,
a scope or a token and reads it back reads its own uncommitted rows under the new generation; when
it rolls back no bump follows, so what it read must never reach the cache. The same rows read
in a transaction that commits are kept."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from baogong.core import authz
from baogong.core.models import ApiToken
from baogong.core.scoping import user_scope
from baogong.orgs.models import Grant, Site

PERM = "orgs.delete_grant"
SITES = "/api/v1/sites/"


@contextlib.contextmanager
def _rolled_back() -> Iterator[None]:
    """A transaction (a savepoint within the test's) that rolls back at its end."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _permission() -> Permission:
    app_label, codename = PERM.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _reads(table: str, read) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as captured:
        answer = read()
    return answer, sum(1 for q in captured.captured_queries if f'FROM "{table}"' in q["sql"])


def test_a_permission_read_in_a_rolled_back_transaction_is_not_kept(
    shared_cache, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with _rolled_back():
            warehouse = user("warehouse")
            warehouse.user_permissions.add(_permission())
            assert authz.has_perms(warehouse, [PERM])  # its own change, uncommitted
        assert not authz.has_perms(user("warehouse"), [PERM])
    # what was read once committed is kept: read again from the cache, not the database
    assert _reads("auth_permission", lambda: authz.has_perms(user("warehouse"), [PERM])) == (False, 0)


def test_a_value_rolled_back_is_not_kept_with_a_later_one(shared_cache, user, django_capture_on_commit_callbacks):
    """The user object still holds the rolled-back permissions (as Django's own ``_perm_cache``
    does); the scope read after the rollback is kept without them."""
    warehouse = user("warehouse")
    with django_capture_on_commit_callbacks(execute=True):
        with _rolled_back():
            warehouse.user_permissions.add(_permission())
            assert authz.has_perms(warehouse, [PERM])
        user_scope(warehouse)
    allowed, reads = _reads("auth_permission", lambda: authz.has_perms(user("warehouse"), [PERM]))
    assert allowed is False and reads > 0  # the entry kept holds the scope only


def test_a_scope_read_in_a_rolled_back_transaction_is_not_kept(shared_cache, user, django_capture_on_commit_callbacks):
    site = Site.objects.exclude(pk__in=user_scope(user("warehouse")).site_ids).first()
    assert site is not None
    with django_capture_on_commit_callbacks(execute=True):
        with _rolled_back():
            warehouse = user("warehouse")
            Grant.objects.create(user=warehouse, site=site)
            assert site.pk in user_scope(warehouse).site_ids
        assert site.pk not in user_scope(user("warehouse")).site_ids
    scope, reads = _reads("orgs_grant", lambda: user_scope(user("warehouse")))
    assert site.pk not in scope.site_ids and reads == 0


def test_a_token_read_in_a_rolled_back_transaction_is_refused_after_it(
    shared_cache, user, django_capture_on_commit_callbacks
):
    raw = ApiToken.generate()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with django_capture_on_commit_callbacks(execute=True):
        with _rolled_back():
            ApiToken.objects.create(user=user("warehouse"), prefix=raw[:8], digest=ApiToken.digest_of(raw))
            assert api.get(SITES).status_code == 200
        assert api.get(SITES).status_code == 401
    ApiToken.objects.create(user=user("warehouse"), prefix=raw[:8], digest=ApiToken.digest_of(raw))
    with django_capture_on_commit_callbacks(execute=True):
        assert _reads("core_apitoken", lambda: api.get(SITES).status_code) == (200, 1)
    assert _reads("core_apitoken", lambda: api.get(SITES).status_code) == (200, 0)  # kept once committed


def test_an_entry_kept_from_the_old_rows_before_the_commit_is_not_read_after_it(
    shared_cache, user, django_capture_on_commit_callbacks
):
    """A grant bumps at once (its own transaction reads afresh) and again once committed: what
    another process read from the rows committed before it, meanwhile, under the first bump's
    generation, is not read after the commit."""
    warehouse = user("warehouse")
    with django_capture_on_commit_callbacks(execute=True):
        warehouse.user_permissions.add(_permission())
        stale = f"{authz.namespace()}:authz:{authz.generation()}:{warehouse.pk}:0"
        cache.set(stale, {"perms": frozenset()})  # as another process keeps it, from the old rows
        assert not authz.has_perms(user("warehouse"), [PERM])  # (what that process serves until the commit)
    assert authz.has_perms(user("warehouse"), [PERM])
