"""Lock conflicts are retried at the action boundary, audited once; what still loses answers 503
"busy" (JSON on the API, a page in the site's look), never a 500."""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import DatabaseError, OperationalError, connection, transaction
from django.test import Client, override_settings
from django.urls import path

from baogong.core import audit
from baogong.core.audit import SystemActor
from baogong.core.models import AuditEvent
from baogong.core.retry import ATTEMPTS, is_lock_conflict, retry_on_conflict
from baogong.orgs.models import Organisation

SYSTEM = SystemActor("test")


def deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


def test_only_lock_conflicts_count():
    assert is_lock_conflict(deadlock())
    serialization = OperationalError("could not serialize")
    serialization.__cause__ = psycopg.errors.SerializationFailure("x")
    assert is_lock_conflict(serialization)
    assert is_lock_conflict(OperationalError("database is locked"))
    assert not is_lock_conflict(OperationalError("no such table: x"))
    unique = DatabaseError("duplicate key")
    unique.__cause__ = psycopg.errors.UniqueViolation("x")
    assert not is_lock_conflict(unique)


@pytest.mark.django_db(transaction=True)
def test_a_conflict_is_tried_again_and_the_winner_is_audited_once(base):
    calls = []

    @retry_on_conflict
    def rename(org: Organisation) -> None:
        with transaction.atomic(durable=True):
            calls.append(1)
            Organisation.objects.filter(pk=org.pk).update(short_name="改名")
            audit.record("rename_organisation", org, actor=SYSTEM, after={"short_name": "改名"})
            if len(calls) < 3:
                raise deadlock()

    org = Organisation.objects.order_by("pk").first()
    rename(org)

    assert len(calls) == 3
    assert AuditEvent.objects.filter(verb="rename_organisation").count() == 1


@pytest.mark.django_db(transaction=True)
def test_other_errors_and_endless_conflicts_are_not_hidden(base):
    calls = []

    @retry_on_conflict
    def broken() -> None:
        calls.append(1)
        raise OperationalError("no such table: x")

    @retry_on_conflict
    def always_losing() -> None:
        calls.append(2)
        raise deadlock()

    with pytest.raises(OperationalError, match="no such table"):
        broken()
    with pytest.raises(OperationalError, match="deadlock"):
        always_losing()
    assert calls == [1] + [2] * ATTEMPTS


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_caller_decides(base):
    calls = []

    @retry_on_conflict
    def inner() -> None:
        calls.append(1)
        raise deadlock()

    with pytest.raises(OperationalError):
        inner()  # the test's transaction is the boundary here
    assert calls == [1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_deadlock_between_two_actions_ends_with_both_done(base):
    """Two actions lock the same two rows in opposite orders (what the lock order forbids): PostgreSQL
    aborts one of them, which runs again and succeeds."""
    first, second = Organisation.objects.order_by("pk")[:2]
    barrier = threading.Barrier(2)
    attempts: list[str] = []
    failures: list[BaseException] = []

    @retry_on_conflict
    def touch(a: Organisation, b: Organisation, name: str) -> None:
        with transaction.atomic(durable=True):
            attempts.append(name)
            Organisation.objects.select_for_update().get(pk=a.pk)
            try:
                barrier.wait(timeout=5)
            except threading.BrokenBarrierError:
                pass  # a retry runs alone
            Organisation.objects.select_for_update().get(pk=b.pk)
            audit.record("touch_organisations", a, actor=SYSTEM, after={"by": name})

    def run(a: Organisation, b: Organisation, name: str) -> None:
        try:
            touch(a, b, name)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(first, second, "ab")),
        threading.Thread(target=run, args=(second, first, "ba")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    assert len(attempts) == 3  # one of the two was aborted once and ran again
    assert AuditEvent.objects.filter(verb="touch_organisations").count() == 2


def _losing_view(request):
    raise deadlock()


urlpatterns = [path("busy/", _losing_view), path("api/v1/busy/", _losing_view)]


@override_settings(ROOT_URLCONF=__name__)
def test_what_still_loses_answers_busy_not_500(db):
    client = Client(raise_request_exception=False)

    page = client.get("/busy/")
    api = client.get("/api/v1/busy/")

    assert page.status_code == 503 and page["Retry-After"] == "2"
    assert "系统繁忙" in page.content.decode()
    assert api.status_code == 503 and api.json()["code"] == "busy"


# Functions that commit more than one transaction in a row: a retry would repeat the committed
# part, so they are not wrapped (docs/decisions/0003-lock-order.md) until they become one.
SEVERAL_TRANSACTIONS = {"handle"}


@pytest.mark.clock_free
def test_every_action_that_opens_a_durable_transaction_retries_lock_conflicts():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    missing = []
    for module in root.rglob("*.py"):
        if "/tests/" in str(module) or "/migrations/" in str(module):
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name in SEVERAL_TRANSACTIONS:
                continue
            durable = any(
                isinstance(sub, ast.With)
                and any(
                    isinstance(i.context_expr, ast.Call) and any(k.arg == "durable" for k in i.context_expr.keywords)
                    for i in sub.items
                )
                for sub in ast.walk(node)
            )
            decorated = any("retry_on_conflict" in ast.unparse(d) for d in node.decorator_list)
            if durable and not decorated:
                missing.append(f"{module.relative_to(root)}:{node.name}")
    assert missing == []


def test_a_unique_value_taken_meanwhile_is_checked_again_once():
    from django.db import IntegrityError

    calls = []

    @retry_on_conflict
    def create() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("UNIQUE constraint failed: catalog_item.code")
        raise ValueError("the action's own check: this code is already used")

    with pytest.raises(ValueError):
        create()
    assert len(calls) == 2

    calls.clear()

    @retry_on_conflict
    def always() -> None:
        calls.append(1)
        raise IntegrityError("UNIQUE constraint failed: catalog_item.code")

    with pytest.raises(IntegrityError):
        always()
    assert len(calls) == 2  # once more, not five times: a constraint is not a lock


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_people_creating_one_code_at_once_get_one_item_and_field_errors(base, api_for):
    """Eight clients create item PPE-RACE together: every check passes before any insert commits,
    so seven inserts hit the unique index; each answers the code's field error, not a 500."""
    from baogong.catalog.models import Item
    from baogong.core.tests.threads import run_threads

    assert connection.vendor == "postgresql"
    clients = [api_for("commander") for _ in range(8)]
    answers: list[int] = []
    bodies: list[dict] = []

    def body(i: int) -> None:
        response = clients[i].post(
            "/api/v1/catalog/items/", {"code": "PPE-RACE", "name": "防护服", "unit": "套"}, format="json"
        )
        answers.append(response.status_code)
        if response.status_code != 201:
            bodies.append(response.json())

    assert run_threads(8, body) == []
    assert sorted(answers) == [201] + [400] * 7, answers
    assert all("code" in b["details"] for b in bodies), bodies
    assert Item.objects.filter(code="PPE-RACE").count() == 1
    assert AuditEvent.objects.filter(verb="create_item").count() == 1
