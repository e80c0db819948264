"""Vehicles, drivers, passes and the dispatch check (一车一证一线路)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from baogong.core.models import AuditEvent, Notification
from baogong.fleet import actions
from baogong.fleet.errors import DriverInvalid, PassInvalid, VehicleInvalid
from baogong.fleet.models import Vehicle, VehiclePass
from baogong.fleet.queries import dispatch_refusals
from baogong.orgs.models import AdministrativeArea, Organisation, Site

from .conftest import DAY


def refusals(*args):
    with translation.override("en"):
        return dispatch_refusals(*args)


def test_create_vehicle_records_an_audit_event(make_vehicle):
    vehicle = make_vehicle("沪a12345")
    assert vehicle.plate == "沪A12345"
    event = AuditEvent.objects.get(verb="create_vehicle")
    assert event.object_id == str(vehicle.pk) and event.after["capacity_kg"] == 3000
    assert event.actor.username == "dispatcher"


def test_bad_plate_and_capacity_are_refused_field_by_field(make_vehicle):
    with pytest.raises(VehicleInvalid) as exc:
        make_vehicle("ABC", capacity_kg=0)
    assert set(exc.value.details) == {"plate", "capacity_kg"}
    assert Vehicle.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="create_vehicle").exists()


def test_dispatcher_cannot_create_a_vehicle_for_another_organisation(make_vehicle):
    with pytest.raises(VehicleInvalid) as exc:
        make_vehicle(organisation=Organisation.objects.get(code="YYGS"))
    assert "organisation" in exc.value.details
    assert Vehicle.objects.count() == 0


def test_driver_licence_number_is_unique(make_driver):
    make_driver()
    with pytest.raises(DriverInvalid) as exc:
        make_driver(name="李师傅")
    assert "licence_number" in exc.value.details


def test_register_pass_with_scan_and_areas(make_vehicle, user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    vehicle = make_vehicle()
    data = {
        "number": "310113000042",
        "vehicle": vehicle,
        "valid_from": DAY,
        "valid_until": DAY + dt.timedelta(days=6),
        "issuing_body": "宝山区交通委",
    }
    scan = SimpleUploadedFile("pass.pdf", b"%PDF-1.4 scan", content_type="application/pdf")
    areas = AdministrativeArea.objects.filter(code__in=["310113103", "310113104"])
    vpass = actions.register_pass(data, areas, scan=scan, actor=user("dispatcher"))
    assert vpass.scan.name.startswith("fleet/passes/310113000042/")
    assert vpass.scan.read() == b"%PDF-1.4 scan"
    event = AuditEvent.objects.get(verb="register_pass")
    assert event.after["areas"] == ["310113103", "310113104"]


@pytest.mark.parametrize(
    ("number", "until_offset", "areas", "fields"),
    [
        ("31011300004", 3, ["310113103"], {"number"}),
        ("0101130000AB", 3, ["310113103"], {"number"}),
        ("310113000042", -1, ["310113103"], {"valid_until", "__all__"}),
        ("310113000042", 3, [], {"areas"}),
    ],
)
def test_bad_pass_is_refused_and_nothing_written(make_vehicle, user, number, until_offset, areas, fields):
    vehicle = make_vehicle()
    data = {
        "number": number,
        "vehicle": vehicle,
        "valid_from": DAY,
        "valid_until": DAY + dt.timedelta(days=until_offset),
        "issuing_body": "宝山区交通委",
    }
    with pytest.raises(PassInvalid) as exc:
        actions.register_pass(data, AdministrativeArea.objects.filter(code__in=areas), actor=user("dispatcher"))
    assert set(exc.value.details) & fields
    assert VehiclePass.objects.count() == 0


def test_dispatch_allowed_with_valid_pass_covering_the_district(make_vehicle, make_driver, make_pass):
    vehicle = make_vehicle()
    make_pass(vehicle)
    sites = Site.objects.filter(code__in=["EH-TY", "HT-WYN"])
    assert refusals(vehicle, make_driver(), DAY, sites) == []


def test_expired_pass_refuses_the_dispatch_saying_why(make_vehicle, make_driver, make_pass):
    vehicle = make_vehicle()
    make_pass(vehicle, valid_from=dt.date(2022, 4, 1), days=7)
    reasons = refusals(vehicle, make_driver(), DAY, Site.objects.filter(code="EH-TY"))
    assert reasons == ["Vehicle 沪A12345: pass 310113000001 expired on 2022-04-07."]


def test_pass_not_yet_valid_and_no_pass(make_vehicle, make_driver, make_pass):
    vehicle = make_vehicle()
    driver = make_driver()
    assert refusals(vehicle, driver, DAY, []) == ["Vehicle 沪A12345 has no valid pass on 2022-04-20."]
    make_pass(vehicle, valid_from=dt.date(2022, 4, 25))
    assert refusals(vehicle, driver, DAY, []) == ["Vehicle 沪A12345: pass 310113000001 is valid only from 2022-04-25."]


def test_revoked_pass_no_longer_counts(make_vehicle, make_driver, make_pass, user):
    vehicle = make_vehicle()
    vpass = make_pass(vehicle)
    actions.revoke_pass(vpass, actor=user("dispatcher"))
    assert refusals(vehicle, make_driver(), DAY, []) == ["Vehicle 沪A12345 has no valid pass on 2022-04-20."]
    assert AuditEvent.objects.filter(verb="revoke_pass", object_id=str(vpass.pk)).count() == 1
    with pytest.raises(PassInvalid):
        actions.revoke_pass(vpass, actor=user("dispatcher"))


def test_pass_must_cover_each_destination_area(make_vehicle, make_driver, make_pass):
    vehicle = make_vehicle()
    make_pass(vehicle, areas=("310113104",))  # 月浦镇 only
    sites = Site.objects.filter(code__in=["EH-TY", "IP-HKL"]).order_by("code")  # 月浦镇, 杨行镇
    assert refusals(vehicle, make_driver(), DAY, sites) == [
        "Vehicle 沪A12345: no valid pass covers 沪客隆隔离点 (杨行镇)."
    ]


def test_inactive_vehicle_expired_licence_and_wrong_class(make_vehicle, make_driver, make_pass, user):
    vehicle = make_vehicle(kind="heavy_truck")
    make_pass(vehicle)
    actions.set_vehicle_status(vehicle, "maintenance", actor=user("dispatcher"))
    vehicle.refresh_from_db()
    driver = make_driver(licence_class="C1", licence_expiry=dt.date(2022, 4, 19))
    assert refusals(vehicle, driver, DAY, []) == [
        "Vehicle 沪A12345 is not active (In maintenance).",
        "Driver 王师傅: licence expired on 2022-04-19.",
        "Driver 王师傅: licence class C1 does not allow a Heavy truck.",
    ]
    assert refusals(vehicle, None, DAY, [])[-1] == "No driver is assigned."


def test_refusals_are_in_chinese_by_default(make_vehicle, make_driver):
    vehicle = make_vehicle()
    with translation.override("zh-hans"):
        reasons = dispatch_refusals(vehicle, make_driver(), DAY, [])
    assert reasons == ["车辆 沪A12345 在 2022-04-20 没有有效通行证。"]


def test_driver_without_negative_test_is_refused_with_the_people_reason(make_vehicle, make_driver, make_pass):
    # given a driver whose person has no negative test within 48 h of the dispatch day
    vehicle = make_vehicle()
    make_pass(vehicle)
    driver = make_driver(tested=False)
    reasons = refusals(vehicle, driver, DAY, [])
    assert len(reasons) == 1
    assert reasons[0].startswith("无有效阴性检测（48小时内核酸")
    # and a test two days before the day no longer counts either
    assert refusals(vehicle, make_driver("李师傅", "310113198001015678"), DAY + dt.timedelta(days=3), []) != []


def test_driver_not_linked_to_a_person_is_refused(make_vehicle, make_driver, make_pass):
    vehicle = make_vehicle()
    make_pass(vehicle)
    driver = make_driver(person=None)
    assert refusals(vehicle, driver, DAY, []) == [
        "Driver 王师傅 is not linked to a person record; health clearance unknown."
    ]


def test_pass_expiry_alerts_once_per_pass_and_day(make_vehicle, make_pass, system):
    v1 = make_vehicle()
    v2 = make_vehicle("沪A54321")
    make_pass(v1, valid_from=dt.date(2022, 4, 10), days=12)  # ends 04-21
    make_pass(v2, number="310113000002", valid_from=dt.date(2022, 4, 10), days=30)
    sent = actions.send_pass_expiry_alerts(DAY, within_days=3, actor=system)
    assert [p.number for p in sent] == ["310113000001"]
    note = Notification.objects.get()
    assert "310113000001" in note.title and note.level == "warning"
    assert note.organisation_id == v1.organisation_id
    assert AuditEvent.objects.filter(verb="send_pass_expiry_alert").count() == 1
    # a second run the next day does not repeat the alert
    assert actions.send_pass_expiry_alerts(DAY + dt.timedelta(days=1), within_days=3, actor=system) == []
    assert Notification.objects.count() == 1
