"""Issue 20.3: loading and dispatch take a registered vehicle and a registered (person) driver, and
check the pass, the driver's clearance and the sites at load and again at dispatch, field by field."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone, translation

from baogong.core.excel import ImportFailed
from baogong.core.models import AuditEvent
from baogong.distribution import actions
from baogong.distribution.choices import ShipmentStatus
from baogong.distribution.errors import DispatchRefused, ShipmentInvalid
from baogong.distribution.models import Shipment
from baogong.fleet.tests.registered import SYSTEM, registered_driver, registered_transport, registered_vehicle
from baogong.inventory.models import StockBalance
from baogong.orgs.models import AdministrativeArea, Organisation, Site
from baogong.people import actions as people_actions

from .test_shipments import allocated  # noqa: F401  (fixtures)


@pytest.fixture
def picked(allocated, commander):  # noqa: F811
    shipment = actions.plan_shipments(actor=commander)[0]  # TXQ → the field hospital
    return actions.pick_shipment(shipment, actor=commander)


def unchanged(shipment, before_events):
    shipment.refresh_from_db()
    assert (shipment.status, shipment.vehicle_id, shipment.driver_id, shipment.vehicle_plate) == (
        ShipmentStatus.PICKED,
        None,
        None,
        "",
    )
    assert AuditEvent.objects.filter(verb="load_shipment").count() == before_events


def test_loading_writes_the_registered_vehicle_and_driver_and_audits_them(picked, commander):
    transport = registered_transport("沪A12345", "李师傅")
    loaded = actions.load_shipment(picked, actor=commander, **transport)
    assert (loaded.status, loaded.vehicle_id, loaded.driver_id) == (
        ShipmentStatus.LOADED,
        transport["vehicle_id"],
        transport["driver_id"],
    )
    assert (loaded.vehicle_plate, loaded.driver_name, loaded.transport_legacy) == ("沪A12345", "李师傅", False)
    event = AuditEvent.objects.get(verb="load_shipment")
    assert event.before["vehicle_id"] is None
    assert (event.after["vehicle_id"], event.after["driver_id"]) == (transport["vehicle_id"], transport["driver_id"])
    assert actions.dispatch_shipment(loaded, actor=commander).status == ShipmentStatus.IN_TRANSIT


def test_loading_without_a_vehicle_or_driver_is_a_field_error(picked, commander):
    with translation.override("zh-hans"), pytest.raises(ShipmentInvalid) as exc:
        actions.load_shipment(picked, actor=commander)
    assert exc.value.details == {"vehicle_id": ["请选择已登记的车辆。"], "driver_id": ["请选择已登记的司机。"]}
    unchanged(picked, 0)


def test_unregistered_ids_and_a_driver_without_a_person_are_refused(picked, commander):
    from baogong.fleet import actions as fleet_actions

    vehicle = registered_vehicle()
    no_person = fleet_actions.create_driver(
        {
            "organisation": Organisation.objects.get(code="CYGS"),
            "name": "外协司机",
            "licence_number": "X-1",
            "licence_class": "B2",
            "licence_expiry": timezone.localdate() + dt.timedelta(days=30),
        },
        actor=SYSTEM,
    )
    with translation.override("en"), pytest.raises(ShipmentInvalid) as exc:
        actions.load_shipment(picked, actor=commander, vehicle_id=vehicle.pk + 1000, driver_id=no_person.pk)
    assert set(exc.value.details) == {"vehicle_id", "driver_id"}
    assert "registered" in exc.value.details["vehicle_id"][0]
    unchanged(picked, 0)


def test_a_keeper_may_use_the_warehouse_company_trucks_but_not_another_companys(picked, user):
    keeper = user("warehouse")  # 泰兴桥 only; the warehouse belongs to 储运公司 (CYGS)
    driver = registered_driver()
    foreign = registered_vehicle("沪C54321")
    from baogong.fleet.models import Vehicle

    Vehicle.objects.filter(pk=foreign.pk).update(organisation=Organisation.objects.get(code="YYGS"))
    with pytest.raises(ShipmentInvalid) as exc:
        actions.load_shipment(picked, actor=keeper, vehicle_id=foreign.pk, driver_id=driver.pk)
    assert set(exc.value.details) == {"vehicle_id"}
    own = registered_vehicle("沪A22222")
    assert actions.load_shipment(picked, actor=keeper, vehicle_id=own.pk, driver_id=driver.pk).status == "loaded"


def test_a_positive_driver_is_refused_at_load_on_the_driver_field(picked, commander):
    transport = registered_transport()
    from baogong.fleet.models import Driver

    person = Driver.objects.get(pk=transport["driver_id"]).person
    people_actions.record_health_test(person, kind="antigen", result="positive", taken_at=timezone.now(), actor=SYSTEM)
    with translation.override("zh-hans"), pytest.raises(DispatchRefused) as exc:
        actions.load_shipment(picked, actor=commander, **transport)
    assert list(exc.value.details) == ["driver_id", "reasons"]
    assert "检测阳性" in exc.value.details["driver_id"][0]
    unchanged(picked, 0)


def test_a_close_contact_driver_is_refused(picked, commander):
    transport = registered_transport()
    from baogong.fleet.models import Driver

    driver = Driver.objects.get(pk=transport["driver_id"])
    case = people_actions.create_person(
        {"kind": "staff", "name": "病例", "organisation": driver.organisation}, actor=SYSTEM
    )
    today = timezone.localdate()
    site = Site.objects.get(code="WH-TXQ")
    for who in (case, driver.person):
        people_actions.deploy_person(
            who, duty_type="supply", starts_on=today - dt.timedelta(days=1), ends_on=today, site=site, actor=SYSTEM
        )
    people_actions.record_health_test(case, kind="antigen", result="positive", taken_at=timezone.now(), actor=SYSTEM)
    Site.objects.filter(pk=site.pk).update(status="normal")  # only the driver is tested here, not the site
    with translation.override("en"), pytest.raises(DispatchRefused) as exc:
        actions.load_shipment(picked, actor=commander, **transport)
    assert "close contact" in exc.value.details["driver_id"][0]


def test_a_driver_without_a_valid_test_is_refused(picked, commander):
    vehicle = registered_vehicle()
    driver = registered_driver(tested=False)
    with translation.override("en"), pytest.raises(DispatchRefused) as exc:
        actions.load_shipment(picked, actor=commander, vehicle_id=vehicle.pk, driver_id=driver.pk)
    assert "no valid negative test" in exc.value.details["driver_id"][0]


def test_a_pass_that_does_not_cover_the_destination_is_refused_on_the_vehicle_field(picked, commander):
    hospital = picked.recipient
    chain = set()
    area = hospital.area
    while area is not None:
        chain.add(area.pk)
        area = area.parent
    elsewhere = AdministrativeArea.objects.exclude(pk__in=chain).exclude(level="district").order_by("code")[:1]
    vehicle = registered_vehicle(pass_areas=elsewhere)
    driver = registered_driver()
    with translation.override("en"), pytest.raises(DispatchRefused) as exc:
        actions.load_shipment(picked, actor=commander, vehicle_id=vehicle.pk, driver_id=driver.pk)
    assert list(exc.value.details) == ["vehicle_id", "reasons"]
    assert "no valid pass covers" in exc.value.details["vehicle_id"][0]


def test_a_vehicle_without_a_pass_is_refused(picked, commander):
    vehicle = registered_vehicle(with_pass=False)
    driver = registered_driver()
    with translation.override("en"), pytest.raises(DispatchRefused) as exc:
        actions.load_shipment(picked, actor=commander, vehicle_id=vehicle.pk, driver_id=driver.pk)
    assert "has no valid pass" in exc.value.details["vehicle_id"][0]


def test_dispatch_checks_again_a_driver_who_tested_positive_after_loading(picked, commander):
    transport = registered_transport()
    loaded = actions.load_shipment(picked, actor=commander, **transport)
    from baogong.fleet.models import Driver

    person = Driver.objects.get(pk=transport["driver_id"]).person
    people_actions.record_health_test(person, kind="antigen", result="positive", taken_at=timezone.now(), actor=SYSTEM)
    balances = list(StockBalance.objects.order_by("pk").values_list("on_hand", "reserved"))
    with pytest.raises(DispatchRefused) as exc:
        actions.dispatch_shipment(loaded, actor=commander)
    assert "driver_id" in exc.value.details
    loaded.refresh_from_db()
    assert loaded.status == ShipmentStatus.LOADED
    assert list(StockBalance.objects.order_by("pk").values_list("on_hand", "reserved")) == balances


def test_dispatch_checks_again_a_warehouse_put_under_control_after_loading(picked, commander):
    loaded = actions.load_shipment(picked, actor=commander, **registered_transport())
    Site.objects.filter(pk=loaded.warehouse_id).update(status="under_control")
    with pytest.raises(DispatchRefused) as exc:
        actions.dispatch_shipment(loaded, actor=commander)
    assert list(exc.value.details) == ["warehouse", "reasons"]


def test_a_route_plan_assignment_is_used_and_checked_at_load(picked, commander):
    from django.db import transaction

    from baogong.distribution.shipments import Transport, assign_transport

    transport = registered_transport()
    with transaction.atomic():
        assign_transport(
            {picked.pk: Transport(transport["vehicle_id"], "沪A12345", transport["driver_id"], "李师傅")},
            "accept_plan",
            actor=SYSTEM,
        )
    loaded = actions.load_shipment(picked, actor=commander)
    assert (loaded.vehicle_id, loaded.driver_id) == (transport["vehicle_id"], transport["driver_id"])


# --- the data migration of free-text rows -----------------------------------------------------


def test_free_text_rows_are_matched_where_certain_and_flagged_otherwise(allocated, commander):  # noqa: F811
    migration = importlib.import_module("baogong.distribution.migrations.0004_match_free_text_transport")
    vehicle = registered_vehicle("沪A12345")
    driver = registered_driver("李师傅")  # phone 13700000001
    registered_driver("王师傅", licence_number="W-1")
    registered_driver("王师傅", licence_number="W-2")  # two 王师傅 with the same phone: not certain
    first, second = actions.plan_shipments(actor=commander)
    Shipment.objects.filter(pk=first.pk).update(
        vehicle_plate="沪a 12345", driver_name="李师傅", driver_phone="13700000001"
    )
    Shipment.objects.filter(pk=second.pk).update(
        vehicle_plate="沪Z99999", driver_name="王师傅", driver_phone="13700000001"
    )
    migration.match_transport(apps, None)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.vehicle_id, first.driver_id, first.transport_legacy) == (vehicle.pk, driver.pk, False)
    assert (second.vehicle_id, second.driver_id, second.transport_legacy) == (None, None, True)
    assert (second.vehicle_plate, second.driver_name) == ("沪Z99999", "王师傅")  # text kept, not dropped


# --- page and API -------------------------------------------------------------------------------


def test_the_load_page_offers_only_registered_transport_in_scope_and_shows_refusals_on_the_field(picked, client_for):
    transport = registered_transport("沪A12345", "李师傅")
    foreign = registered_vehicle("沪C54321")
    from baogong.fleet.models import Driver, Vehicle

    Vehicle.objects.filter(pk=foreign.pk).update(organisation=Organisation.objects.get(code="YYGS"))
    client = client_for("warehouse")
    page = client.get(f"/distribution/shipments/{picked.pk}/").content.decode()
    assert 'name="vehicle_id"' in page and "沪A12345" in page and "沪C54321" not in page
    assert 'name="driver_id"' in page and "李师傅" in page and 'name="vehicle_plate"' not in page
    person = Driver.objects.get(pk=transport["driver_id"]).person
    people_actions.record_health_test(person, kind="antigen", result="positive", taken_at=timezone.now(), actor=SYSTEM)
    response = client.post(f"/distribution/shipments/{picked.pk}/", {"step": "load", **transport})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="driver_id"' in body and "检测阳性" in body
    unchanged(picked, 0)
    foreign_post = client.post(
        f"/distribution/shipments/{picked.pk}/",
        {"step": "load", "vehicle_id": foreign.pk, "driver_id": transport["driver_id"]},
    )
    assert foreign_post.status_code == 400 and 'data-field="vehicle_id"' in foreign_post.content.decode()
    unchanged(picked, 0)


def test_the_api_answers_field_errors(picked, api_for):
    api = api_for("dispatcher")
    url = f"/api/v1/distribution/shipments/{picked.pk}/load/"
    missing = api.post(url, {}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["details"]) == {"vehicle_id", "driver_id"}
    transport = registered_transport()
    from baogong.fleet.models import Driver

    person = Driver.objects.get(pk=transport["driver_id"]).person
    people_actions.record_health_test(person, kind="antigen", result="positive", taken_at=timezone.now(), actor=SYSTEM)
    refused = api.post(url, transport, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "dispatch_refused" and "driver_id" in refused.json()["details"]
    unchanged(picked, 0)
    drivers = api.get("/api/v1/fleet/drivers/").json()
    assert [(d["id"], d["person"]) for d in drivers["results"]] == [(transport["driver_id"], person.pk)]


def test_a_loaded_shipment_is_loaded_again_with_another_driver_before_dispatch(picked, commander):
    transport = registered_transport()
    loaded = actions.load_shipment(picked, actor=commander, **transport)
    from baogong.fleet.models import Driver

    people_actions.record_health_test(
        Driver.objects.get(pk=transport["driver_id"]).person,
        kind="antigen",
        result="positive",
        taken_at=timezone.now(),
        actor=SYSTEM,
    )
    with pytest.raises(DispatchRefused):
        actions.dispatch_shipment(loaded, actor=commander)
    other = registered_driver("赵师傅", licence_number="Z-1")
    reloaded = actions.load_shipment(loaded, actor=commander, driver_id=other.pk)
    assert (reloaded.vehicle_id, reloaded.driver_id, reloaded.driver_name) == (
        transport["vehicle_id"],
        other.pk,
        "赵师傅",
    )
    assert actions.dispatch_shipment(reloaded, actor=commander).status == ShipmentStatus.IN_TRANSIT
    assert AuditEvent.objects.filter(verb="load_shipment").count() == 2


# --- the Excel import of loads -----------------------------------------------------------------


def load_sheet(*rows):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from baogong.core.excel import workbook_bytes

    return SimpleUploadedFile("loads.xlsx", workbook_bytes("loads", actions.LOAD_COLUMNS, rows))


def test_the_load_import_takes_registered_transport_by_plate_and_name_all_or_nothing(picked, commander, client_for):
    transport = registered_transport("沪A12345", "李师傅")
    from baogong.fleet.models import Driver

    second = actions.pick_shipment(Shipment.objects.exclude(pk=picked.pk).get(), actor=commander)
    positive = registered_driver("病号司机", licence_number="P-1")
    people_actions.record_health_test(
        positive.person, kind="antigen", result="positive", taken_at=timezone.now(), actor=SYSTEM
    )
    # a free-text plate, and a positive driver: nothing is loaded, each reason on its row and field
    with translation.override("en"), pytest.raises(ImportFailed) as exc:
        actions.import_loads(
            load_sheet([picked.number, "沪B99999", "李师傅"], [second.number, "沪A12345", "病号司机"]),
            actor=commander,
        )
    rows = exc.value.details["rows"]
    assert [(r["row"], r["field"]) for r in rows] == [(2, "vehicle"), (3, "driver")]
    assert "registered" in rows[0]["message"] and "positive" in rows[1]["message"]
    unchanged(picked, 0)
    second.refresh_from_db()
    assert second.status == ShipmentStatus.PICKED
    # when every row is good, both load (audited), through the page
    client = client_for("dispatcher")
    response = client.post(
        "/distribution/shipments/import-loads/",
        {
            "file": load_sheet(
                [picked.number, "沪a12345", "李师傅", "13700000001"], [second.number, "沪A12345", "李师傅"]
            )
        },
    )
    assert response.status_code == 302
    assert list(Shipment.objects.order_by("pk").values_list("status", "vehicle_id", "driver_id")) == [
        (ShipmentStatus.LOADED, transport["vehicle_id"], transport["driver_id"]),
        (ShipmentStatus.LOADED, transport["vehicle_id"], transport["driver_id"]),
    ]
    assert AuditEvent.objects.filter(verb="load_shipment").count() == 2
    assert AuditEvent.objects.filter(verb="import_loads").count() == 1
    assert Driver.objects.count() == 2
