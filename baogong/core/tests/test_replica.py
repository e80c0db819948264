"""Reports, dashboards and exports read from the replica (DATABASE_REPLICA_URL); writes, sessions
and users always from the primary; a replica that does not answer leaves the primary in charge.

The replica here is a second alias on the same PostgreSQL test database (as a streaming replica
looks to Django): which connection ran each query proves the routing."""

from __future__ import annotations

import pytest
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from baogong.core import dbrouter
from baogong.core.dbrouter import REPLICA, replica_reads
from baogong.orgs.models import Site

# The alias is declared as settings.py declares it (a test mirror of the primary), before the test
# databases are set up; only on PostgreSQL (the only pass these tests run in).
if "postgresql" in connections.settings["default"]["ENGINE"] and REPLICA not in connections.settings:
    _primary = connections.settings["default"]
    connections.settings[REPLICA] = {**_primary, "TEST": {**_primary.get("TEST", {}), "MIRROR": "default"}}

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, databases=["default", REPLICA])]


@pytest.fixture
def replica(settings):
    settings.DATABASE_ROUTERS = ["baogong.core.dbrouter.ReplicaRouter"]
    dbrouter._down_until[0] = 0.0
    port = connections[REPLICA].settings_dict.get("PORT")
    yield connections[REPLICA]
    connections[REPLICA].close()
    connections[REPLICA].settings_dict["PORT"] = port
    dbrouter._down_until[0] = 0.0


def _tables(queries):
    return " ".join(q["sql"] for q in queries)


def test_the_dashboard_and_the_daily_report_read_from_the_replica(replica, base, client_for):
    client = client_for("commander")
    for url in (reverse("reports:dashboard_data"), reverse("reports:daily")):
        with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
            assert client.get(url).status_code == 200
        assert '"orgs_site"' in _tables(on_replica.captured_queries), url
        primary = _tables(on_primary.captured_queries)
        assert '"orgs_site"' not in primary and '"inventory_' not in primary, url
        assert '"django_session"' in primary  # sessions and users: always the primary


def test_writes_and_reads_in_a_transaction_stay_on_the_primary(replica, base):
    with replica_reads() as used:
        assert used
        assert router.db_for_read(Site) == REPLICA
        assert router.db_for_write(Site) == "default"
        from django.contrib.sessions.models import Session

        assert router.db_for_read(Session) == "default"
        with transaction.atomic():
            assert router.db_for_read(Site) == "default"
    assert router.db_for_read(Site) == "default"  # outside a report: the primary


def test_pages_other_than_reports_read_from_the_primary(replica, base, client_for):
    with CaptureQueriesContext(replica) as on_replica:
        assert client_for("commander").get("/sites/").status_code == 200
    assert on_replica.captured_queries == []


def test_a_replica_that_does_not_answer_leaves_the_primary_in_charge(replica, base, client_for):
    connections[REPLICA].close()
    connections[REPLICA].settings_dict["PORT"] = "1"  # nothing listens
    with CaptureQueriesContext(connections["default"]) as on_primary:
        assert client_for("commander").get(reverse("reports:dashboard_data")).status_code == 200
    assert '"orgs_site"' in _tables(on_primary.captured_queries)
    assert not dbrouter.replica_available()  # remembered: not retried on every request


def test_what_the_shared_cache_keeps_is_read_from_the_primary(replica, base, user, settings):
    """A scope or a token kept under the current generation comes from the primary: a replica
    behind it would give the rows a committed (and bumped) change replaced, kept until the next."""
    from django.core.cache import cache
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from baogong.core.authentication import BearerTokenAuthentication
    from baogong.core.models import ApiToken
    from baogong.core.scoping import user_scope

    settings.BAOGONG_SHARED_CACHE = "on"
    cache.clear()
    raw = ApiToken.generate()
    ApiToken.objects.create(user=user("warehouse"), prefix=raw[:8], digest=ApiToken.digest_of(raw))
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {raw}"))
    with replica_reads() as used, CaptureQueriesContext(replica) as on_replica:
        assert used
        warehouse, _token = BearerTokenAuthentication().authenticate(request)
        user_scope(warehouse)
    cache.clear()
    read = _tables(on_replica.captured_queries)
    assert '"orgs_grant"' not in read and '"core_apitoken"' not in read
