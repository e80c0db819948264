"""Fixtures shared by every app's tests: base data, demo users, logged-in clients."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from django.test import Client
from django.test.testcases import LiveServerThread
from rest_framework.test import APIClient

from baogong.core.models import ApiToken


class _SerialWSGIServer(WSGIServer):
    """The live test server answering one request at a time. With SQLite's in-memory test
    database every server thread shares the test's one connection; two requests at once (a page
    and the dashboard's JSON fetch) hung a whole suite run in two thread's queries. Django's
    single-threaded server also closes each connection, so a browser never holds it."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


LiveServerThread.server_class = _SerialWSGIServer


def pytest_configure(config: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # route plans stop after a fixed number of search iterations, not at their time limit (1 s at
    # least, most of a fleet test): the same routes under any load (baogong.fleet.queries.plan_options)
    settings.BAOGONG_ROUTING_ITERATIONS = 500
    settings.LANGUAGE_CODE = "zh-hans"
    _sqlite_test_db_from_template(os.environ.get("BAOGONG_TEST_DB_TEMPLATE", ""))
    if os.environ.get("BAOGONG_PG_TEST_TEMPLATE") == "1":
        _postgres_test_db_from_template()
    _postgres_flush_by_delete()


def _postgres_flush_by_delete() -> None:
    """PostgreSQL's flush after a transactional test: delete the rows of the tables that have any,
    instead of one TRUNCATE of every table (about 3.6 s each time on this machine: TRUNCATE makes
    new files for all 200-odd tables and their indexes, however few rows they hold; the deletes
    take a few hundred milliseconds). ``session_replication_role = replica`` for the flush's own
    transaction lets the deletes pass the foreign keys and the ledger's append-only triggers, as
    TRUNCATE did. Needs a superuser (the test server's ``postgres``); otherwise, or when the
    sequences are to be reset too, Django's TRUNCATE as before."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(
        self: Any, style: Any, tables: Any, *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        if reset_sequences or not tables:
            return original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        quote = self.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
            if not row or not row[0]:
                return original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
            names = sorted(tables)
            cursor.execute(
                " UNION ALL ".join(f"SELECT {n} WHERE EXISTS (SELECT 1 FROM {quote(t)})" for n, t in enumerate(names))
            )
            full = [names[n] for (n,) in cursor.fetchall()]
        if not full:
            return []
        return ["SET LOCAL session_replication_role = replica"] + [f"DELETE FROM {quote(t)}" for t in full]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


def _sqlite_test_db_from_template(template: str) -> None:
    """`make test` migrates one SQLite file once (var/test-template.sqlite3, rebuilt when a
    migration changes) and each SQLite test process copies it into its in-memory test database
    with the sqlite3 backup API instead of running every migration again (half a minute each
    on this machine). Without the variable, or on PostgreSQL, the test database is made as usual."""
    if (
        not template
        or not os.path.exists(template)
        or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"
    ):
        return
    import sqlite3

    from django.db.backends.sqlite3.creation import DatabaseCreation

    def create_test_db(
        self: Any, verbosity: int = 1, autoclobber: bool = False, serialize: bool = True, keepdb: bool = False
    ) -> str:
        name = self._get_test_db_name()
        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        self.connection.ensure_connection()
        source = sqlite3.connect(f"file:{template}?mode=ro", uri=True)
        try:
            source.backup(self.connection.connection)
        finally:
            source.close()
        return name

    DatabaseCreation.create_test_db = create_test_db  # type: ignore[method-assign]


def _migrations_key() -> str:
    """What the migrated schema depends on: every migration file and the Django version."""
    import hashlib
    from pathlib import Path

    import django

    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted(Path(__file__).parent.glob("baogong/*/migrations/*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _postgres_test_db_from_template() -> None:
    """`make test` on PostgreSQL: the first run migrates as usual and keeps the migrated database
    as a template (``baogong_tmpl_<hash of the migrations>``); later runs create the test database
    from it (``CREATE DATABASE … TEMPLATE``, about a second) instead of running every migration
    (half a minute to two on this machine). A changed migration gives another hash, so another
    template; older templates are dropped when a new one is kept."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return
    from django.db.backends.postgresql.creation import DatabaseCreation

    original = DatabaseCreation.create_test_db
    template = f"baogong_tmpl_{_migrations_key()}"

    def create_test_db(
        self: Any, verbosity: int = 1, autoclobber: bool = False, serialize: bool = True, keepdb: bool = False
    ) -> str:
        if keepdb or self.connection.alias != "default":
            return original(self, verbosity, autoclobber, serialize, keepdb)
        name = self._get_test_db_name()
        quote = self.connection.ops.quote_name
        with self.connection._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            have_template = cursor.fetchone() is not None
            if have_template:
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)}")
                try:
                    cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")
                except Exception:  # noqa: BLE001 - the template went meanwhile: migrate as usual
                    have_template = False
        if not have_template:
            name = original(self, verbosity, autoclobber, serialize, keepdb)
            self.connection.close()
            with self.connection._nodb_cursor() as cursor:
                cursor.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'baogong\\_tmpl\\_%%' AND datname <> %s",
                    [template],
                )
                for (old,) in cursor.fetchall():
                    try:
                        cursor.execute(f"DROP DATABASE IF EXISTS {quote(old)}")
                    except Exception:  # noqa: BLE001 - in use by another checkout's run: left for later
                        pass
                try:
                    cursor.execute(f"CREATE DATABASE {quote(template)} TEMPLATE {quote(name)}")
                except Exception:  # noqa: BLE001 - another process made it first, or it is in use: no cache this run
                    pass
            self.connection.ensure_connection()
            return name
        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        if serialize:
            self.connection._test_serialized_contents = self.serialize_db_to_string()
        self.connection.ensure_connection()
        return name

    DatabaseCreation.create_test_db = create_test_db  # type: ignore[method-assign]


def pytest_report_header(config: Any) -> str | None:
    offset = os.environ.get("BAOGONG_CLOCK_OFFSET")
    if not offset:
        return None
    from django.utils import timezone

    return f"clock moved by {float(offset) / 86400:+.3f} days (BAOGONG_TEST_CLOCK): now {timezone.localtime():%Y-%m-%d %H:%M %Z}"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    on_postgres = (os.environ.get("DATABASE_URL") or "").startswith("postgres")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _load_base() -> None:
    from baogong.demo.actions import load_base_data, load_demo_accounts

    load_base_data()
    load_demo_accounts()
    reseed_data_migrations()


# The base data is loaded once per session, committed, so that every test's rolled-back
# transaction starts from it; a transactional test's flush empties the database, so the next
# test gets it back first (outside any test transaction). On SQLite from a snapshot taken after
# the first load (the same rows, ids and triggers): 0.05 s instead of 4 s through the actions.
_BASE_STALE = False
_BASE_SNAPSHOT: Any = None


def _base_state() -> None:
    """Put the base data in place: from the snapshot once there is one, else loaded."""
    global _BASE_SNAPSHOT
    if connection.vendor == "sqlite":
        _create_ledger_trigger()
    if _BASE_SNAPSHOT is not None:
        from django.contrib.contenttypes.models import ContentType

        _restore_snapshot(_BASE_SNAPSHOT)
        ContentType.objects.clear_cache()  # the flush's post_migrate made new rows; ids are back
        return
    _load_base()
    if os.environ.get("BAOGONG_TEST_NO_SNAPSHOT") != "1":
        _BASE_SNAPSHOT = _take_snapshot()


def _take_snapshot() -> Any:
    """SQLite: a copy of the whole database in memory (backup API). PostgreSQL: none; loading the
    base data again (0.8 s) was measured as fast as copying every table back from a schema."""
    if connection.vendor != "sqlite":
        return None
    import sqlite3

    snapshot = sqlite3.connect(":memory:", check_same_thread=False)
    connection.connection.backup(snapshot)
    return snapshot


def _restore_snapshot(snapshot: Any) -> None:
    connection.ensure_connection()
    snapshot.backup(connection.connection)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        _base_state()


@pytest.fixture
def base(db: Any) -> None:
    """The Baoshan base data and demo accounts (loaded once per session through the real actions)."""
    if not get_user_model().objects.filter(username="commander").exists():
        _load_base()


def reseed_data_migrations() -> None:
    """Rows that data migrations seed (category tree, policies, checklist) are emptied by the
    flush after a transactional test; put them back, idempotently, for the tests after it."""
    import importlib

    from django.apps import apps as registry

    from baogong.catalog.actions import ensure_categories
    from baogong.core.audit import SystemActor
    from baogong.property.actions import load_default_policies

    system = SystemActor("tests")
    ensure_categories(actor=system)
    load_default_policies(actor=system)
    importlib.import_module("baogong.pharmacy.migrations.0002_default_insurance_policy").seed(registry, None)
    importlib.import_module("baogong.command.migrations.0002_default_checklist").create(registry, None)
    importlib.import_module("baogong.inventory.migrations.0005_seed_qc_rules").seed(registry, None)


@pytest.fixture
def user(base: None) -> Callable[[str], Any]:
    def get(username: str) -> Any:
        return get_user_model().objects.get(username=username)

    return get


@pytest.fixture
def client_for(base: None) -> Callable[[str], Client]:
    def make(username: str) -> Client:
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        return client

    return make


@pytest.fixture
def api_for(base: None) -> Callable[[str], APIClient]:
    """An API client authenticated with a real bearer token of the user."""

    def make(username: str) -> APIClient:
        user = get_user_model().objects.get(username=username)
        raw = ApiToken.generate()
        ApiToken.objects.create(user=user, prefix=raw[:8], digest=ApiToken.digest_of(raw))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Rate-limit counters (in the cache) start at zero in every test: the whole suite comes from
    one address and must not add up to a limit. Tests of the limits lower them themselves."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def shared_cache() -> Iterator[None]:
    """The cross-request cache on (``BAOGONG_SHARED_CACHE``; a single test process shares its one
    cache), cleared before and after."""
    from django.core.cache import cache
    from django.test import override_settings

    cache.clear()
    with override_settings(BAOGONG_SHARED_CACHE="on"):
        yield
    cache.clear()


# The SQLite triggers that make tables append-only: the ledger's moves and the audit log.
APPEND_ONLY_MIGRATIONS = (
    "baogong.inventory.migrations.0002_stockmove_append_only",
    "baogong.core.migrations.0003_auditevent_append_only",
)


def _ledger_trigger_sql() -> tuple[list[str], list[str]]:
    import importlib

    forward: list[str] = []
    backward: list[str] = []
    for name in APPEND_ONLY_MIGRATIONS:
        migration = importlib.import_module(name)
        forward += migration.SQLITE_FORWARD
        backward += migration.SQLITE_BACKWARD
    return forward, backward


@pytest.fixture(autouse=True)
def _sqlite_ledger_flush(request: Any) -> Any:
    """SQLite's flush after a transactional test deletes every table, and the append-only
    triggers (ledger moves, audit events) refuse deletes: drop them just before the flush and
    put them back before the next test. (PostgreSQL flushes with TRUNCATE, which row triggers
    do not see.)"""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    uses_db = marker is not None or any(n in request.fixturenames for n in ("db", "transactional_db", "live_server"))
    if not uses_db:
        yield
        return
    global _BASE_STALE
    request.getfixturevalue("django_db_setup")
    if _BASE_STALE:
        with request.getfixturevalue("django_db_blocker").unblock():
            _base_state()
        _BASE_STALE = False
    request.getfixturevalue("_django_db_helper")  # set up before us, so torn down after us
    if connection.vendor == "sqlite":
        _create_ledger_trigger()
    yield
    if transactional:
        _BASE_STALE = True
        if connection.vendor == "sqlite":
            _forward, backward = _ledger_trigger_sql()
            with connection.cursor() as cursor:
                for sql in backward:
                    cursor.execute(sql)


def _create_ledger_trigger() -> None:
    forward, _backward = _ledger_trigger_sql()
    with connection.cursor() as cursor:
        for sql in forward:
            cursor.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))
