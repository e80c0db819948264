"""Supply re-planned around a warehouse under control (issue 20 point 2): such a warehouse is never
an allocation source (the preview says why), and 重新调配 re-sources its open reservations and
planned shipments from the other warehouses — a diff first, then one audited transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from baogong.core.models import AuditEvent, Notification
from baogong.distribution import actions
from baogong.distribution.choices import RequestStatus
from baogong.distribution.errors import AllocationInvalid, AllocationStale, ReplanInvalid, ReplanStale
from baogong.distribution.models import AllocationReservation, Shipment
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.inventory.choices import ReservationStatus
from baogong.inventory.models import Reservation, StockBalance
from baogong.inventory.queries import ledger_differences
from baogong.orgs import actions as org_actions
from baogong.orgs.models import Site

from .conftest import SYSTEM, in_days


def receive(site, item, qty, batch="B1"):
    inventory_actions.receive_stock(
        site,
        [ReceiptLineInput(item=item, batch=batch, qty=qty, unit_cost=Decimal("10"), expiry=in_days(300))],
        actor=SYSTEM,
        qc_status="released",
    )


def reserved_at(code):
    return sum(StockBalance.objects.filter(location__site__code=code).values_list("reserved", flat=True), 0)


def control(site, reason="阳性病例管控 / under control after a positive case (王建国)"):
    return org_actions.set_site_status(site, "under_control", reason=reason, actor=SYSTEM)


@pytest.fixture
def warehouses(base):
    return {code: Site.objects.get(code=code) for code in ("WH-TXQ", "WH-BY", "WH-YY")}


@pytest.fixture
def supplied(file, commander, warehouses, hospital, elderly_home, n95):
    """TXQ holds 100 N95 and serves the field hospital (50, tier 1) and the elderly home (40, tier
    2); 北翼 holds 60. The allocation is confirmed from TXQ and the shipments planned."""
    receive(warehouses["WH-TXQ"], n95, 100)
    receive(warehouses["WH-BY"], n95, 60)
    h = actions.approve_request(file(hospital, (n95, 50, in_days(2))), actor=SYSTEM)
    e = actions.approve_request(file(elderly_home, (n95, 40, in_days(2))), actor=SYSTEM)
    actions.confirm_allocation(actions.preview_allocation([warehouses["WH-TXQ"]], actor=commander), actor=commander)
    planned = actions.plan_shipments(actor=commander)
    assert len(planned) == 2
    return {"hospital": h, "elderly": e, "shipments": planned}


def test_allocation_never_sources_from_a_site_under_control(file, commander, warehouses, hospital, n95):
    receive(warehouses["WH-TXQ"], n95, 100)
    receive(warehouses["WH-BY"], n95, 100)
    actions.approve_request(file(hospital, (n95, 30, in_days(2))), actor=SYSTEM)
    control(warehouses["WH-TXQ"])
    # when the command centre previews from every warehouse
    run = actions.preview_allocation(list(warehouses.values()), actor=commander)
    # then only the normal ones are sources, and the preview says why TXQ is not
    assert sorted(run.warehouses.values_list("code", flat=True)) == ["WH-BY", "WH-YY"]
    assert run.summary["held"] == [
        {
            "code": "WH-TXQ",
            "name": "泰兴桥大仓",
            "status": "under_control",
            "reason": "阳性病例管控 / under control after a positive case (王建国)",
        }
    ]
    line = run.lines.get()
    assert [s["code"] for s in line.sources] == ["WH-BY"] and line.qty == 30
    # only TXQ chosen: a field error, nothing stored
    with pytest.raises(AllocationInvalid) as refused:
        actions.preview_allocation([warehouses["WH-TXQ"]], actor=commander)
    assert "warehouses" in refused.value.details


def test_confirm_refuses_a_preview_whose_source_went_under_control(file, commander, warehouses, hospital, n95):
    receive(warehouses["WH-TXQ"], n95, 100)
    actions.approve_request(file(hospital, (n95, 30, in_days(2))), actor=SYSTEM)
    run = actions.preview_allocation([warehouses["WH-TXQ"]], actor=commander)
    control(warehouses["WH-TXQ"])
    with pytest.raises(AllocationStale):
        actions.confirm_allocation(run, actor=commander)
    assert reserved_at("WH-TXQ") == 0
    run.refresh_from_db()
    assert run.status == "preview"


def test_replan_preview_shows_the_diff_and_changes_nothing(supplied, commander, warehouses):
    control(warehouses["WH-TXQ"])
    before = (reserved_at("WH-TXQ"), reserved_at("WH-BY"), Shipment.objects.count())
    replan = actions.preview_replan(warehouses["WH-TXQ"], actor=commander)
    assert (reserved_at("WH-TXQ"), reserved_at("WH-BY"), Shipment.objects.count()) == before == (90, 0, 2)
    # 北翼's 60 go to the hospital first (tier 1 in full), the elderly home gets the rest
    assert [(m.recipient, m.tier, m.from_warehouse, m.to_warehouse, m.qty) for m in replan.moves] == [
        ("FH-FCL", 1, "WH-TXQ", "WH-BY", 50),
        ("EH-TY", 2, "WH-TXQ", "WH-BY", 10),
    ]
    assert [(s.recipient, s.tier, s.qty) for s in replan.shorts] == [("EH-TY", 2, 30)]
    assert replan.short_by_tier() == {2: 30}
    assert replan.units == 90 and replan.moved_units == 60
    assert sorted(replan.shipments) == sorted(s.number for s in supplied["shipments"])
    assert replan.sources == ["WH-BY", "WH-YY"]
    expected_extra = round(sum(m.qty * (m.km_after - m.km_before) for m in replan.moves), 3)
    assert replan.extra_unit_km == pytest.approx(expected_extra, abs=0.01)


def test_replan_confirms_in_one_transaction(supplied, commander, warehouses, n95):
    control(warehouses["WH-TXQ"])
    shown = actions.preview_replan(warehouses["WH-TXQ"], actor=commander)
    # when the diff is confirmed
    done = actions.replan_warehouse(warehouses["WH-TXQ"], actor=commander, expected=shown.fingerprint)
    # then TXQ holds nothing reserved, 北翼 holds the moved units, the planned shipments are gone
    assert done.fingerprint == shown.fingerprint
    assert (reserved_at("WH-TXQ"), reserved_at("WH-BY")) == (0, 60)
    assert not Shipment.objects.filter(warehouse=warehouses["WH-TXQ"]).exists()
    active = AllocationReservation.objects.filter(reservation__status=ReservationStatus.ACTIVE)
    assert sorted(active.values_list("warehouse__code", "qty")) == [("WH-BY", 10), ("WH-BY", 50)]
    # the short units are outstanding again: the elderly home is partly allocated
    h, e = supplied["hospital"], supplied["elderly"]
    h.refresh_from_db()
    e.refresh_from_db()
    assert (h.status, e.status) == (RequestStatus.ALLOCATED, RequestStatus.PARTLY_ALLOCATED)
    assert [(line.allocated_qty, line.shipped_qty, line.outstanding) for line in e.lines.all()] == [(10, 10, 30)]
    # the moved units are planned at once from 北翼; nothing is left to plan
    planned = Shipment.objects.filter(status="planned").order_by("pk")
    assert sorted((s.warehouse.code, s.recipient.code, sum(li.qty for li in s.lines.all())) for s in planned) == [
        ("WH-BY", "EH-TY", 10),
        ("WH-BY", "FH-FCL", 50),
    ]
    assert actions.plan_shipments(actor=commander) == []
    event = AuditEvent.objects.get(verb="replan_warehouse")
    assert event.after["moved_units"] == 60 and event.after["short_by_tier"] == {"2": 30}
    assert AuditEvent.objects.filter(verb="withdraw_shipment").count() == 2
    note = Notification.objects.get(title="重新调配 / re-planned: 泰兴桥大仓")
    assert note.level == "warning" and "第2级 / tier 2: 30" in note.body
    assert Reservation.objects.filter(location__site__code="WH-TXQ", status=ReservationStatus.ACTIVE).count() == 0
    assert ledger_differences() == []


def test_replan_refuses_a_changed_diff_and_writes_nothing(supplied, commander, warehouses, n95):
    control(warehouses["WH-TXQ"])
    shown = actions.preview_replan(warehouses["WH-TXQ"], actor=commander)
    receive(warehouses["WH-YY"], n95, 30)  # more stock elsewhere since the diff was shown
    events = AuditEvent.objects.count()
    with pytest.raises(ReplanStale):
        actions.replan_warehouse(warehouses["WH-TXQ"], actor=commander, expected=shown.fingerprint)
    assert (reserved_at("WH-TXQ"), reserved_at("WH-BY"), Shipment.objects.count()) == (90, 0, 2)
    assert AuditEvent.objects.count() == events


def test_replan_of_a_normal_warehouse_is_refused(supplied, commander, warehouses):
    with pytest.raises(ReplanInvalid) as refused:
        actions.preview_replan(warehouses["WH-TXQ"], actor=commander)
    assert "warehouse" in refused.value.details
    with pytest.raises(ReplanInvalid):
        actions.replan_warehouse(warehouses["WH-TXQ"], actor=commander)
    assert reserved_at("WH-TXQ") == 90


def test_replan_page_shows_the_diff_then_confirms(supplied, client_for, warehouses):
    control(warehouses["WH-TXQ"])
    client = client_for("commander")
    page = client.get(f"/distribution/replan/{warehouses['WH-TXQ'].pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "重新调配" in html and "北翼集团配送仓" in html and "医用防护口罩" in html
    fingerprint = page.context["replan"].fingerprint
    response = client.post(f"/distribution/replan/{warehouses['WH-TXQ'].pk}/", {"fingerprint": fingerprint})
    assert response.status_code == 302
    assert reserved_at("WH-TXQ") == 0


def test_replan_api_previews_then_confirms(supplied, api_for, warehouses):
    control(warehouses["WH-TXQ"])
    api = api_for("commander")
    url = f"/api/v1/distribution/replan/{warehouses['WH-TXQ'].code}/"
    shown = api.get(url)
    assert shown.status_code == 200
    body = shown.json()
    assert body["moved_units"] == 60 and body["short_by_tier"] == {"2": 30}
    assert reserved_at("WH-TXQ") == 90
    stale = api.post(url, {"fingerprint": "0" * 16}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "replan_stale"
    done = api.post(url, {"fingerprint": body["fingerprint"]}, format="json")
    assert done.status_code == 200 and done.json()["moved_units"] == 60
    assert reserved_at("WH-TXQ") == 0
    # another organisation's warehouse keeper: not found
    assert api_for("pharmacist").get(url).status_code in (403, 404)


def test_a_shipment_withdrawn_by_a_replan_is_not_found(supplied, commander, warehouses):
    from baogong.core.errors import NotFound

    control(warehouses["WH-TXQ"])
    withdrawn = supplied["shipments"][0]
    actions.replan_warehouse(warehouses["WH-TXQ"], actor=commander)
    with pytest.raises(NotFound):
        actions.pick_shipment(withdrawn, actor=commander)
