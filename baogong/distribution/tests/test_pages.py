"""Pages for per-person norms and for splitting and merging planned shipments."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from baogong.core.models import AuditEvent
from baogong.distribution import actions
from baogong.distribution.choices import ShipmentStatus
from baogong.distribution.models import Norm, Shipment, ShipmentLine
from baogong.inventory import actions as inventory_actions
from baogong.inventory.actions import ReceiptLineInput
from baogong.orgs.models import Grant, Site

from .conftest import SYSTEM, in_days

# --------------------------------------------------------------------------- norms


def test_commander_creates_a_norm_on_the_page(client_for, n95):
    # given the commander on the norm list
    client = client_for("commander")
    assert client.get("/distribution/norms/").status_code == 200
    assert "N95" in client.get("/distribution/norms/new/").content.decode()
    # when they create a norm of 0.5 boxes per person
    response = client.post(
        "/distribution/norms/new/", {"item": n95.pk, "qty_per_person": "0.5", "note": "每人半盒"}, follow=True
    )
    # then it is saved through set_norm, audited and listed
    assert response.redirect_chain[-1][0] == "/distribution/norms/"
    norm = Norm.objects.get(item=n95)
    assert (norm.qty_per_person, norm.note) == (Decimal("0.5"), "每人半盒")
    event = AuditEvent.objects.get(verb="set_norm")
    assert event.actor.username == "commander"
    assert "N95" in response.content.decode() and "0.5" in response.content.decode()


def test_norm_list_search_answers_the_htmx_partial(client_for, n95, rice):
    actions.set_norm(n95, Decimal("0.5"), actor=SYSTEM)
    actions.set_norm(rice, Decimal("2"), actor=SYSTEM)
    client = client_for("auditor")
    page = client.get("/distribution/norms/", {"q": "RICE"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in page
    assert "RICE" in page and "N95" not in page


def test_editing_a_norm_shows_entitlements_and_keeps_the_item(client_for, n95, hospital):
    # given a norm and a recipient with people served
    norm = actions.set_norm(n95, Decimal("0.5"), actor=SYSTEM)
    Site.objects.filter(pk=hospital.pk).update(headcount=1_000_001)
    client = client_for("commander")
    # when the edit page is opened: 1,000,001 people × 0.5 = 500,000 boxes (rounded down)
    page = client.get(f"/distribution/norms/{norm.pk}/").content.decode()
    assert hospital.name in page and ">1000001<" in page and ">500000 盒<" in page
    # and the norm is changed (an attempt to switch the item is ignored: the field is fixed)
    response = client.post(f"/distribution/norms/{norm.pk}/", {"item": 999999, "qty_per_person": "1.25", "note": ""})
    # then
    assert response.status_code == 302
    norm.refresh_from_db()
    assert (norm.item_id, norm.qty_per_person) == (n95.pk, Decimal("1.25"))
    event = AuditEvent.objects.filter(verb="set_norm").latest("id")
    assert Decimal(event.before["qty_per_person"]) == Decimal("0.5")
    assert Decimal(event.after["qty_per_person"]) == Decimal("1.25")


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "greater than or equal to 0"), ("abc", "Enter a number"), ("0.12345", "4 decimal places")],
)
def test_bad_norm_is_refused_field_by_field_and_writes_nothing(client_for, n95, value, message):
    client = client_for("commander")
    response = client.post(
        "/distribution/norms/new/", {"item": n95.pk, "qty_per_person": value}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Norm.objects.exists()
    assert not AuditEvent.objects.filter(verb="set_norm").exists()


def test_norm_errors_are_in_chinese_for_chinese_users(client_for, n95):
    client = client_for("commander")
    response = client.post(
        "/distribution/norms/new/", {"item": n95.pk, "qty_per_person": "-1"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "确保该值大于或等于0。" in body and "每人定额" in body
    assert not Norm.objects.exists()


def test_items_with_a_norm_are_not_offered_again(client_for, n95, rice):
    actions.set_norm(n95, Decimal("0.5"), actor=SYSTEM)
    page = client_for("commander").get("/distribution/norms/new/").content.decode()
    assert f'value="{rice.pk}"' in page and f'value="{n95.pk}"' not in page


def test_norm_pages_need_their_permissions(client_for, n95):
    norm = actions.set_norm(n95, Decimal("0.5"), actor=SYSTEM)
    auditor = client_for("auditor")
    assert auditor.get("/distribution/norms/").status_code == 200
    assert auditor.get("/distribution/norms/new/").status_code == 403
    assert auditor.post(f"/distribution/norms/{norm.pk}/", {"qty_per_person": "9"}).status_code == 403
    assert client_for("warehouse").get("/distribution/norms/").status_code == 403
    assert Client().get("/distribution/norms/").status_code == 302
    norm.refresh_from_db()
    assert norm.qty_per_person == Decimal("0.5")
    assert client_for("commander").get("/distribution/norms/999999/").status_code == 404


# --------------------------------------------------------------------------- split and merge


@pytest.fixture
def planned(file, commander, hospital, n95, rice):
    """One planned shipment TXQ → hospital with three lines (two N95 lots and rice)."""
    txq = Site.objects.get(code="WH-TXQ")
    for item, batch, qty, expiry in [(n95, "EARLY", 40, in_days(30)), (n95, "LATE", 100, in_days(400))] + [
        (rice, "R1", 50, None)
    ]:
        inventory_actions.receive_stock(
            txq,
            [ReceiptLineInput(item=item, batch=batch, qty=qty, unit_cost=Decimal("10"), expiry=expiry)],
            actor=SYSTEM,
            qc_status="released",
        )
    actions.approve_request(file(hospital, (n95, 100, in_days(2)), (rice, 20, in_days(2))), actor=SYSTEM)
    actions.confirm_allocation(actions.preview_allocation([txq], actor=commander), actor=commander)
    (shipment,) = actions.plan_shipments(actor=commander)
    assert shipment.lines.count() == 3
    return shipment


def test_dispatcher_splits_a_shipment_on_the_page(client_for, planned):
    client = client_for("dispatcher")
    detail = client.get(f"/distribution/shipments/{planned.pk}/").content.decode()
    assert f"/distribution/shipments/{planned.pk}/split/" in detail
    rice_line = planned.lines.get(item__code="RICE")
    page = client.get(f"/distribution/shipments/{planned.pk}/split/").content.decode()
    assert f'value="{rice_line.pk}"' in page
    # when the rice line is moved to a new shipment
    response = client.post(f"/distribution/shipments/{planned.pk}/split/", {"line": [rice_line.pk]})
    # then
    new = Shipment.objects.exclude(pk=planned.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/distribution/shipments/{new.pk}/"
    assert list(new.lines.values_list("item__code", flat=True)) == ["RICE"]
    assert planned.lines.count() == 2
    event = AuditEvent.objects.get(verb="split_shipment")
    assert event.actor.username == "dispatcher" and event.after == {"new_shipment": new.number, "lines": [rice_line.pk]}


@pytest.mark.parametrize("choose", ["none", "all", "foreign"])
def test_bad_split_is_refused_and_changes_nothing(client_for, planned, choose):
    lines = list(planned.lines.values_list("pk", flat=True))
    posted = {"none": [], "all": lines, "foreign": [lines[0], 999999]}[choose]
    response = client_for("commander").post(
        f"/distribution/shipments/{planned.pk}/split/", {"line": posted}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Choose some, but not all, lines of this shipment." in response.content.decode()
    assert Shipment.objects.count() == 1 and planned.lines.count() == 3
    assert not AuditEvent.objects.filter(verb="split_shipment").exists()


def test_dispatcher_merges_two_shipments_on_the_page(client_for, planned, commander):
    rice_line = planned.lines.get(item__code="RICE")
    other = actions.split_shipment(planned, [rice_line.pk], actor=commander)
    client = client_for("dispatcher")
    page = client.get(f"/distribution/shipments/{planned.pk}/merge/").content.decode()
    assert other.number in page
    # when the split-off shipment is merged back
    response = client.post(f"/distribution/shipments/{planned.pk}/merge/", {"other": other.pk})
    # then
    assert response.status_code == 302
    assert planned.lines.count() == 3
    assert not Shipment.objects.filter(pk=other.pk).exists()
    event = AuditEvent.objects.get(verb="merge_shipments")
    assert event.actor.username == "dispatcher" and event.after == {"merged": other.number, "lines": 1}


def test_merge_refuses_a_shipment_that_is_no_longer_planned(client_for, planned, commander):
    other = actions.split_shipment(planned, [planned.lines.get(item__code="RICE").pk], actor=commander)
    actions.pick_shipment(other, actor=commander)
    client = client_for("commander")
    assert other.number not in client.get(f"/distribution/shipments/{planned.pk}/merge/").content.decode()
    response = client.post(f"/distribution/shipments/{planned.pk}/merge/", {"other": other.pk})
    assert response.status_code == 400
    assert Shipment.objects.get(pk=other.pk).status == ShipmentStatus.PICKED
    assert ShipmentLine.objects.filter(shipment=other).count() == 1
    assert client.post(f"/distribution/shipments/{planned.pk}/merge/", {"other": ""}).status_code == 400


def test_split_and_merge_of_a_picked_shipment_offer_nothing(client_for, planned, commander):
    actions.pick_shipment(planned, actor=commander)
    client = client_for("commander")
    for page in ("split", "merge"):
        body = client.get(f"/distribution/shipments/{planned.pk}/{page}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Only a planned shipment can be split or merged." in body
        assert '<form method="post">' not in body


def test_split_and_merge_need_the_plan_permission_and_scope(client_for, planned, hospital):
    # the warehouse keeper sees the shipment but may not plan
    keeper = client_for("warehouse")
    assert keeper.get(f"/distribution/shipments/{planned.pk}/").status_code == 200
    assert keeper.get(f"/distribution/shipments/{planned.pk}/split/").status_code == 403
    assert keeper.post(f"/distribution/shipments/{planned.pk}/merge/", {"other": planned.pk}).status_code == 403
    # a planner of another organisation gets 404
    outsider = get_user_model().objects.create_user(username="other-planner", password="x")
    Grant.objects.create(user=outsider, site=Site.objects.filter(kind="pharmacy").first())
    outsider.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["plan_shipment", "view_shipment"], content_type__app_label="distribution"
        )
    )
    client = Client()
    client.force_login(outsider)
    assert client.get(f"/distribution/shipments/{planned.pk}/split/").status_code == 404
    lines = list(planned.lines.values_list("pk", flat=True))
    assert client.post(f"/distribution/shipments/{planned.pk}/split/", {"line": lines[:1]}).status_code == 404
    assert Shipment.objects.count() == 1


def test_pages_fit_a_phone(client_for, planned, n95):
    norm = actions.set_norm(n95, Decimal("1"), actor=SYSTEM)
    client = client_for("commander")
    for url in (
        "/distribution/norms/",
        f"/distribution/norms/{norm.pk}/",
        f"/distribution/shipments/{planned.pk}/split/",
        f"/distribution/shipments/{planned.pk}/merge/",
    ):
        body = client.get(url).content.decode()
        assert 'name="viewport"' in body
        assert body.count("<table") <= body.count("table-responsive"), url
