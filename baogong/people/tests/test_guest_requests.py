"""Guest requests at quarantine hotels, isolation points and elderly homes become distribution
requests: one transaction, linked both ways, audited."""

import datetime as dt
from decimal import Decimal

import pytest

from baogong.catalog import actions as catalog_actions
from baogong.core.audit import SystemActor
from baogong.core.errors import PermissionDenied
from baogong.core.models import AuditEvent
from baogong.distribution.models import Request
from baogong.orgs.models import Site
from baogong.people import actions
from baogong.people.errors import OccupancyInvalid
from baogong.people.models import GuestRequest

SYSTEM = SystemActor("tests")


@pytest.fixture
def hotel():
    return Site.objects.get(code="HT-WYN")


@pytest.fixture
def medicine(base):
    return catalog_actions.create_item(
        {"code": "AMLO-5", "name": "氨氯地平片", "unit": "盒", "reference_price": Decimal("12")}, actor=SYSTEM
    )


@pytest.fixture
def guest(make_person, hotel):
    return make_person("隔离宾客", kind="guest", organisation=None, home_site=hotel)


def test_staff_convert_a_guest_request_into_a_submitted_distribution_request(guest, health, hotel, medicine, today):
    room = actions.add_room(hotel, "0508", actor=health)
    actions.check_in(guest, hotel, room=room, actor=health)
    asked = actions.record_guest_request(guest, hotel, kind="medicine", text="降压药 一盒", actor=health)
    assert (asked.status, asked.supply_request_id) == ("open", None)

    converted = actions.convert_guest_request(
        asked, item=medicine, qty=2, needed_by=today + dt.timedelta(days=2), actor=health
    )

    supply = Request.objects.get()
    assert converted.supply_request == supply
    assert (converted.status, converted.item, converted.qty) == ("converted", medicine, 2)
    assert (supply.recipient, supply.status, supply.channel) == (hotel, "submitted", "staff")
    assert supply.number.startswith("RQ")
    assert supply.note == f"宾客需求 / guest request #{asked.pk} · {hotel.name} 0508: 降压药 一盒"
    assert list(supply.lines.values_list("item__code", "qty", "needed_by")) == [
        ("AMLO-5", 2, today + dt.timedelta(days=2))
    ]
    assert list(supply.guest_requests.all()) == [converted]
    event = AuditEvent.objects.get(verb="convert_guest_request")
    assert event.before == {"status": "open", "supply_request": None}
    assert event.after["supply_request"] == supply.number
    assert event.after["item"] == "AMLO-5"
    assert AuditEvent.objects.filter(verb="file_request", object_id=str(supply.pk)).count() == 1


def test_a_guest_request_naming_an_item_converts_at_once(guest, health, hotel, medicine, today):
    made = actions.record_guest_request(
        guest, hotel, kind="medicine", text="降压药", item=medicine, qty=1, actor=health
    )
    made.refresh_from_db()
    assert made.status == "converted"
    supply = made.supply_request
    assert supply is not None and supply.status == "submitted"
    assert list(supply.lines.values_list("qty", "needed_by")) == [(1, today + dt.timedelta(days=1))]
    assert AuditEvent.objects.filter(verb__in=["record_guest_request", "convert_guest_request"]).count() == 2


def test_converting_twice_is_refused_and_files_nothing_more(guest, health, hotel, medicine):
    asked = actions.record_guest_request(guest, hotel, kind="food", text="面包", actor=health)
    actions.convert_guest_request(asked, item=medicine, qty=1, actor=health)
    with pytest.raises(OccupancyInvalid) as exc:
        actions.convert_guest_request(asked, item=medicine, qty=1, actor=health)
    assert exc.value.details == {"status": ["该需求已处理 / this request was already handled"]}
    assert Request.objects.count() == 1


@pytest.mark.parametrize(
    ("qty", "field"),
    [(0, "qty"), (None, "qty"), (1.5, "qty")],
)
def test_bad_quantity_writes_nothing(guest, health, hotel, medicine, qty, field):
    asked = actions.record_guest_request(guest, hotel, kind="medicine", text="药", actor=health)
    with pytest.raises(OccupancyInvalid) as exc:
        actions.convert_guest_request(asked, item=medicine, qty=qty, actor=health)
    assert set(exc.value.details) == {field}
    assert Request.objects.count() == 0
    assert GuestRequest.objects.get(pk=asked.pk).status == "open"


def test_missing_or_inactive_item_and_past_date_are_refused(guest, health, hotel, medicine, today):
    asked = actions.record_guest_request(guest, hotel, kind="medicine", text="药", actor=health)
    with pytest.raises(OccupancyInvalid) as exc:
        actions.convert_guest_request(asked, qty=1, needed_by=today - dt.timedelta(days=1), actor=health)
    assert set(exc.value.details) == {"item", "needed_by"}
    type(medicine).objects.filter(pk=medicine.pk).update(is_active=False)
    medicine.refresh_from_db()
    with pytest.raises(OccupancyInvalid) as exc:
        actions.convert_guest_request(asked, item=medicine, qty=1, actor=health)
    assert set(exc.value.details) == {"item"}
    assert Request.objects.count() == 0


def test_distribution_refusal_rolls_the_whole_conversion_back(guest, health, hotel, medicine):
    asked = actions.record_guest_request(guest, hotel, kind="medicine", text="药", actor=health)
    Site.objects.filter(pk=hotel.pk).update(is_active=False)
    with pytest.raises(OccupancyInvalid) as exc:
        actions.convert_guest_request(asked, item=medicine, qty=1, actor=health)
    assert "site" in exc.value.details
    assert Request.objects.count() == 0
    assert GuestRequest.objects.get(pk=asked.pk).status == "open"
    assert not AuditEvent.objects.filter(verb__in=["convert_guest_request", "file_request"]).exists()


def test_only_users_allowed_to_convert_may_convert(guest, health, hotel, medicine, user):
    asked = actions.record_guest_request(guest, hotel, kind="medicine", text="药", actor=health)
    with pytest.raises(PermissionDenied):
        actions.convert_guest_request(asked, item=medicine, qty=1, actor=user("auditor"))
    assert Request.objects.count() == 0


def test_a_converted_request_can_still_be_marked_fulfilled(guest, health, hotel, medicine):
    made = actions.record_guest_request(guest, hotel, kind="medicine", text="药", item=medicine, qty=1, actor=health)
    done = actions.fulfil_guest_request(made, note="已送到房间", actor=health)
    assert (done.status, done.supply_request_id) == ("fulfilled", made.supply_request_id)
    assert AuditEvent.objects.get(verb="fulfil_guest_request").before == {"status": "converted"}


def test_occupancy_page_converts_and_shows_the_number_and_status(client_for, guest, health, hotel, medicine, today):
    asked = actions.record_guest_request(guest, hotel, kind="medicine", text="降压药", actor=health)
    client = client_for("health")
    page = client.get(f"/people/sites/{hotel.pk}/occupancy/").content.decode()
    assert 'id="convert-guest-request"' in page
    response = client.post(
        f"/people/sites/{hotel.pk}/occupancy/",
        {"form": "convert", "request": asked.pk, "item": medicine.pk, "qty": "3", "needed_by": today.isoformat()},
    )
    assert response.status_code == 302
    supply = Request.objects.get()
    page = client.get(f"/people/sites/{hotel.pk}/occupancy/").content.decode()
    row = page.split(f'id="guest-request-{asked.pk}"')[1].split("</tr>")[0]
    assert supply.number in row
    assert "已提交" in row or "Submitted" in row
    assert "氨氯地平片 × 3" in row


def test_occupancy_page_field_errors_and_refusal_without_permission(client_for, guest, health, hotel, medicine):
    asked = actions.record_guest_request(guest, hotel, kind="medicine", text="降压药", actor=health)
    client = client_for("health")
    bad = client.post(
        f"/people/sites/{hotel.pk}/occupancy/",
        {"form": "convert", "request": asked.pk, "item": medicine.pk, "qty": "0"},
    )
    assert bad.status_code == 400
    assert Request.objects.count() == 0
    refused = client_for("auditor").post(
        f"/people/sites/{hotel.pk}/occupancy/",
        {"form": "convert", "request": asked.pk, "item": medicine.pk, "qty": "1"},
    )
    assert refused.status_code == 403
    assert Request.objects.count() == 0


def test_guest_request_form_with_an_item_sends_it_at_once(client_for, guest, hotel, medicine):
    client = client_for("health")
    response = client.post(
        f"/people/sites/{hotel.pk}/occupancy/",
        {"form": "request", "person": guest.pk, "kind": "medicine", "text": "降压药", "item": medicine.pk, "qty": "1"},
    )
    assert response.status_code == 302
    assert GuestRequest.objects.get().supply_request == Request.objects.get()
    half = client.post(
        f"/people/sites/{hotel.pk}/occupancy/",
        {"form": "request", "person": guest.pk, "kind": "medicine", "text": "药", "item": medicine.pk},
    )
    assert half.status_code == 400
    assert GuestRequest.objects.count() == 1


def test_guest_request_api_create_convert_and_list(api_for, guest, hotel, medicine, today):
    api = api_for("health")
    created = api.post(
        "/api/v1/people/guest-requests/",
        {"person": guest.pk, "site": hotel.code, "kind": "food", "text": "无糖饼干"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["status"] == "open" and created.json()["supply_request"] is None
    pk = created.json()["id"]
    converted = api.post(
        f"/api/v1/people/guest-requests/{pk}/convert/",
        {"item": "AMLO-5", "qty": 2, "needed_by": (today + dt.timedelta(days=1)).isoformat()},
        format="json",
    )
    assert converted.status_code == 200
    supply = Request.objects.get()
    assert converted.json()["supply_request"] == supply.number
    assert converted.json()["supply_request_status"] == "submitted"
    assert converted.json()["item"] == "AMLO-5"
    unknown = api.post(
        "/api/v1/people/guest-requests/",
        {"person": guest.pk, "site": hotel.code, "kind": "food", "text": "x", "item": "NOPE", "qty": 1},
        format="json",
    )
    assert unknown.status_code == 400
    assert unknown.json()["details"] == {"item": ["未知的物资编码 / unknown item code: NOPE"]}
    listed = api.get("/api/v1/people/guest-requests/").json()
    assert [r["id"] for r in listed["results"]] == [pk]
    assert api_for("auditor").post(f"/api/v1/people/guest-requests/{pk}/convert/", {}, format="json").status_code == 403
