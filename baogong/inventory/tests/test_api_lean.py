"""The lean posting API (issue 25): permissions and scope cached and invalidated, documents of
1,000 lines in one request, many documents in one request each all-or-nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baogong.core.models import AuditEvent
from baogong.inventory import queries
from baogong.inventory.models import Issue, IssueLine, Lot, StockBalance
from baogong.orgs.models import Grant, Site

RECEIPTS = "/api/v1/inventory/receipts/"
ISSUES = "/api/v1/inventory/issues/"
BULK = "/api/v1/inventory/issues/bulk/"


@pytest.fixture
def water_stock(api_for, water):
    api = api_for("warehouse")
    response = api.post(
        RECEIPTS,
        {"warehouse": "WH-TXQ", "lines": [{"item": "WATER", "lot": "W1", "qty": 100, "unit_cost": "24.00"}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return api


def _issue(api, qty=1, warehouse="WH-TXQ"):
    return api.post(
        ISSUES,
        {"warehouse": warehouse, "recipient": "FH-FCL", "lines": [{"item": "WATER", "qty": qty}]},
        format="json",
    )


def _reads(captured, table: str) -> int:
    return sum(1 for q in captured.captured_queries if f'FROM "{table}"' in q["sql"])


def test_permissions_and_scope_are_read_once_and_forgotten_on_a_group_change(
    shared_cache, water_stock, user, django_capture_on_commit_callbacks
):
    api = water_stock
    for _ in range(2):  # the first makes the recipient location (a new location: lookups start afresh)
        # lookups are kept once their transaction commits (here: the test's own transaction stays open)
        with django_capture_on_commit_callbacks(execute=True):
            assert _issue(api).status_code == 201
    with CaptureQueriesContext(connection) as captured:
        response = _issue(api)
    assert response.status_code == 201, response.json()
    for table in ("auth_permission", "auth_group", "orgs_grant", "orgs_organisation", "orgs_site"):
        assert _reads(captured, table) == 0, table
    assert not any('"catalog_item"."code" IN' in q["sql"] for q in captured.captured_queries)
    # the response is what was written: no read of the lines again
    assert _reads(captured, "inventory_issueline") <= (1 if connection.vendor == "sqlite" else 0)
    keeper = user("warehouse")
    groups = list(keeper.groups.all())
    keeper.groups.clear()  # the role taken away: the next request is refused
    assert _issue(api).status_code == 403
    keeper.groups.add(*groups)
    assert _issue(api).status_code == 201


def test_a_grant_change_is_seen_at_the_next_request(shared_cache, water_stock, user):
    api = water_stock
    assert _issue(api).status_code == 201
    keeper = user("warehouse")
    grants = list(Grant.objects.filter(user=keeper).values_list("organisation_id", "site_id"))
    Grant.objects.filter(user=keeper).delete()
    assert _issue(api).status_code == 404  # the warehouse is outside the scope now
    for organisation_id, site_id in grants:
        Grant.objects.create(user=keeper, organisation_id=organisation_id, site_id=site_id)
    assert _issue(api).status_code == 201
    # a site granted alone is in scope at once too
    other = Site.objects.get(code="WH-YY")
    assert _issue(api, warehouse="WH-YY").status_code == 404
    Grant.objects.create(user=keeper, site=other)
    assert _issue(api, warehouse="WH-YY").status_code == 409  # in scope, no stock there


def test_a_group_losing_a_permission_is_seen_at_the_next_request(shared_cache, water_stock, user):
    api = water_stock
    assert _issue(api).status_code == 201
    group = Group.objects.get(name__in=[g.name for g in user("warehouse").groups.all()])
    permission = group.permissions.get(codename="issue_stock")
    group.permissions.remove(permission)
    assert _issue(api).status_code == 403
    group.permissions.add(permission)
    assert _issue(api).status_code == 201


def test_receipt_and_pick_list_of_a_thousand_lines_post_in_one_request(api_for, water):
    api = api_for("warehouse")
    lines = [{"item": "WATER", "lot": f"B{i:04d}", "qty": 3, "unit_cost": "1.50"} for i in range(1000)]
    response = api.post(RECEIPTS, {"warehouse": "WH-TXQ", "lines": lines}, format="json")
    assert response.status_code == 201, response.json()
    assert len(response.json()["lines"]) == 1000
    picks = [{"item": "WATER", "qty": 2, "lot": f"B{i:04d}"} for i in range(0, 1000, 2)]
    picks += [{"item": "WATER", "qty": 1} for _ in range(500)]
    response = api.post(ISSUES, {"warehouse": "WH-TXQ", "recipient": "FH-FCL", "lines": picks}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert sum(line["qty"] for line in body["lines"]) == 1500
    assert IssueLine.objects.filter(issue_id=body["id"]).count() == len(body["lines"])
    # FEFO fills the free lines from the lots the named lines left: B0000 first (no expiry, oldest lot)
    assert body["lines"][1000 // 2]["lot"] == "B0000"
    assert queries.ledger_differences() == []


def test_bulk_posts_each_document_all_or_nothing_and_answers_each(water_stock, user):
    api = water_stock
    before = AuditEvent.objects.filter(verb="issue_stock").count()
    doc = {"warehouse": "WH-TXQ", "recipient": "FH-FCL"}
    response = api.post(
        BULK,
        {
            "documents": [
                {**doc, "reference": "ok-1", "lines": [{"item": "WATER", "qty": 30}]},
                {**doc, "reference": "short", "lines": [{"item": "WATER", "qty": 10}, {"item": "WATER", "qty": 90}]},
                {**doc, "reference": "unknown", "lines": [{"item": "NOPE", "qty": 1}]},
                {**doc, "warehouse": "WH-YY", "lines": [{"item": "WATER", "qty": 1}]},
                {**doc, "reference": "ok-2", "lines": [{"item": "WATER", "qty": 70}]},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["posted"], body["refused"]) == (2, 3)
    assert [r["status"] for r in body["results"]] == [201, 409, 400, 404, 201]
    assert body["results"][1]["error"]["code"] == "insufficient_stock"
    assert body["results"][1]["error"]["details"]["lines"][0]["line"] == 1
    assert "0" in body["results"][2]["error"]["details"]["lines"]
    assert [r["issue"]["reference"] for r in body["results"] if r["status"] == 201] == ["ok-1", "ok-2"]
    # the refused document wrote nothing, not even its first line
    assert sorted(Issue.objects.values_list("reference", flat=True)) == ["ok-1", "ok-2"]
    assert StockBalance.objects.get(lot=Lot.objects.get(batch="W1"), location__site__code="WH-TXQ").on_hand == 0
    assert AuditEvent.objects.filter(verb="issue_stock").count() == before + 2
    assert queries.ledger_differences() == []


def test_bulk_input_is_bounded(water_stock):
    api = water_stock
    one = {"warehouse": "WH-TXQ", "recipient": "FH-FCL", "lines": [{"item": "WATER", "qty": 1}]}
    too_many = api.post(BULK, {"documents": [one] * 201}, format="json")
    assert too_many.status_code == 400 and "documents" in too_many.json()["details"]
    malformed = api.post(BULK, {"documents": [one, {**one, "lines": [{"item": "WATER", "qty": 0}]}]}, format="json")
    assert malformed.status_code == 400
    assert Issue.objects.count() == 0  # a malformed body posts nothing
    assert api.post(BULK, {"documents": []}, format="json").status_code == 400


def test_a_location_seen_in_a_rolled_back_transaction_is_not_kept(shared_cache, base):
    from django.db import transaction

    from baogong.inventory import lookups
    from baogong.inventory.models import Location

    site = Site.objects.get(code="FH-FCL")
    Location.objects.filter(site=site, kind="recipient").delete()
    with transaction.atomic():
        made = lookups.recipient_location(site)
        assert lookups.recipient_location(site).pk == made.pk  # read again inside: not cached yet
        transaction.set_rollback(True)
    assert not Location.objects.filter(pk=made.pk, site=site).exists()
    assert cache.get(lookups._key("recipient", site.code)) is None
    again = lookups.recipient_location(site)  # made afresh
    assert Location.objects.filter(pk=again.pk, site=site).exists()
