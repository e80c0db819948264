"""Bootstrap gives every demo account work waiting on its home page, made by the real actions,
dated today, and a second run changes nothing."""

from __future__ import annotations

import datetime as dt
import io

from django.apps import apps
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from baogong.core.models import AuditEvent
from baogong.demo.actions import DEMO_ACCOUNTS
from baogong.distribution.models import Shipment
from baogong.fleet import queries as fleet_queries
from baogong.fleet.models import Driver, RoutePlan
from baogong.inventory.models import StockBalance
from baogong.people.models import Person
from baogong.reports.inbox import cards_for, has_inbox


def _state() -> dict[str, object]:
    counts: dict[str, object] = {
        m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.managed and not m._meta.proxy
    }
    counts["stock"] = StockBalance.objects.aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    counts["shipments"] = sorted(Shipment.objects.values_list("recipient__code", "status"))
    return counts


def test_bootstrap_twice_gives_the_same_workday(db, user):
    # given a first bootstrap
    first = io.StringIO()
    call_command("bootstrap", stdout=first)
    assert "demo workday: {'people': 15" in first.getvalue()
    assert "demo workday refused" not in first.getvalue()
    state = _state()

    # when it runs again
    again = io.StringIO()
    call_command("bootstrap", stdout=again)

    # then nothing changed
    assert "demo workday: {'people': 0, 'fleet': 0, 'stock': 0, 'shipments': 0" in again.getvalue()
    assert _state() == state

    # every account is a person (the daily check-in works) ...
    linked = set(Person.objects.filter(user__isnull=False).values_list("user__username", flat=True))
    assert linked == set(DEMO_ACCOUNTS)
    for username in DEMO_ACCOUNTS:
        assert user(username).person is not None
    # ... the driver a registered driver with two stops today, on the road
    driver = Driver.objects.get(user=user("driver"))
    day = RoutePlan.objects.get(routes__driver=driver).date  # today, unless midnight passed since
    assert day in (timezone.localdate(), timezone.localdate() - dt.timedelta(days=1))
    stops = list(fleet_queries.driver_stops(driver, day))
    assert [s.shipment.status for s in stops] == ["in_transit", "in_transit"]
    # the shipments at 泰兴桥 wait at each step
    assert sorted(Shipment.objects.filter(warehouse__code="WH-TXQ").values_list("status", flat=True)) == [
        "in_transit",
        "in_transit",
        "picked",
        "picked",
        "planned",
    ]
    # all of it audited, by the accounts that did the work
    actors = set(AuditEvent.objects.filter(actor__isnull=False).values_list("actor__username", flat=True))
    assert {"warehouse", "dispatcher", "procurement", "property", "fuel", "health", "commander"} <= actors
    _every_role_finds_work_on_its_home(user, day)


def _every_role_finds_work_on_its_home(user, today):
    empty = {}
    for username in DEMO_ACCOUNTS:
        account = user(username)
        if not has_inbox(account):
            continue
        waiting = {c.key: c.count for c in cards_for(account, today) if c.count}
        if username == "auditor":  # the latest changes: a list without a count
            waiting = {c.key: len(c.rows) for c in cards_for(account, today) if c.rows}
        if not waiting:
            empty[username] = waiting
    assert empty == {}
    counts = {c.key: c.count for c in cards_for(user("warehouse"), today)}
    assert counts["put_away"] == 2 and counts["picks_due"] == 1 and counts["counts"] == 1 and counts["expiring"] == 1
    counts = {c.key: c.count for c in cards_for(user("dispatcher"), today)}
    assert (counts["to_plan"], counts["to_load"], counts["to_send"], counts["on_the_road"]) == (1, 2, 0, 2)
    assert {c.key: c.count for c in cards_for(user("tenant"), today)}["my_applications"] == 1


def test_a_warehouse_under_control_holds_the_shipments_back_until_it_is_normal(db, user):
    from baogong.catalog.demo_data import load_catalog_demo
    from baogong.demo.workday import load_demo_workday
    from baogong.distribution.models import Request
    from baogong.orgs import actions as org_actions
    from baogong.orgs.models import Site

    # given 泰兴桥 under control (as after a replayed outbreak)
    load_catalog_demo()
    txq = Site.objects.get(code="WH-TXQ")
    org_actions.set_site_status(txq, "under_control", reason="阳性病例", actor=user("commander"))

    # when the workday is loaded, the shipments are refused, said why, and nothing is filed
    made, refused = load_demo_workday()
    assert made["shipments"] == 0 and made["stock"] == 6
    assert len(refused) == 1 and refused[0].startswith("shipments: 泰兴桥大仓")
    assert not Request.objects.exists()

    # then, once it is normal again, a later run ships
    org_actions.set_site_status(txq, "normal", reason="解除管控", actor=user("health"))
    made, refused = load_demo_workday()
    assert made["shipments"] == 5 and refused == []
    assert Shipment.objects.filter(warehouse=txq).count() == 5
