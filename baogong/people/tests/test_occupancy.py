import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.core.models import AuditEvent, Notification
from baogong.orgs.models import Organisation, Site
from baogong.people import actions
from baogong.people.errors import ClosedLoopInvalid, HealthTestInvalid, OccupancyInvalid
from baogong.people.models import CareLog, HealthCheck, LodgingStay, MealLog

from .conftest import at


@pytest.fixture
def hotel():
    return Site.objects.get(code="HT-WYN")


def test_quarantine_hotel_rooms_check_in_full_room_and_check_out(make_person, health, hotel, today):
    room = actions.add_room(hotel, "0301", beds=1, actor=health)
    guest = make_person("隔离宾客", kind="guest", organisation=None, home_site=hotel)
    other = make_person("第二位", kind="guest", organisation=None, home_site=hotel)
    stay = actions.check_in(guest, hotel, room=room, reason="密接隔离", actor=health)
    with pytest.raises(OccupancyInvalid) as exc:
        actions.check_in(other, hotel, room=room, actor=health)
    assert exc.value.details == {"room": ["房间已满 / the room is full"]}
    with pytest.raises(OccupancyInvalid):
        actions.check_in(guest, hotel, actor=health)
    actions.check_out(stay, actor=health)
    assert LodgingStay.objects.get(pk=stay.pk).checked_out_at is not None
    actions.check_in(other, hotel, room=room, actor=health)
    assert LodgingStay.objects.filter(checked_out_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(verb="check_in").count() == 2
    with pytest.raises(OccupancyInvalid):
        actions.add_room(hotel, "0301", actor=health)


def test_guest_requests_are_recorded_and_fulfilled_once(make_person, health, hotel):
    guest = make_person("隔离宾客", kind="guest", organisation=None, home_site=hotel)
    request = actions.record_guest_request(guest, hotel, kind="medicine", text="降压药 氨氯地平 一盒", actor=health)
    actions.fulfil_guest_request(request, note="医药公司配送", actor=health)
    request.refresh_from_db()
    assert (request.status, request.handled_note) == ("fulfilled", "医药公司配送")
    with pytest.raises(OccupancyInvalid):
        actions.fulfil_guest_request(request, actor=health)
    with pytest.raises(OccupancyInvalid) as exc:
        actions.record_guest_request(guest, hotel, kind="toys", text="", actor=health)
    assert set(exc.value.details) == {"kind", "text"}


def test_meals_three_a_day_logged_and_corrected(health, today):
    point = Site.objects.get(code="IP-HKL")
    for meal in ("breakfast", "lunch", "dinner"):
        actions.log_meals(point, today, meal, 58, actor=health)
    actions.log_meals(point, today, "lunch", 60, actor=health)
    assert dict(MealLog.objects.filter(site=point).values_list("meal", "servings")) == {
        "breakfast": 58,
        "lunch": 60,
        "dinner": 58,
    }
    event = AuditEvent.objects.filter(verb="log_meals").order_by("-id").first()
    assert event.before == {"servings": 58} and event.after == {"servings": 60, "meal": "lunch"}
    with pytest.raises(OccupancyInvalid):
        actions.log_meals(point, today, "supper", 1, actor=health)


def test_waste_and_disinfection_logs(health):
    point = Site.objects.get(code="IP-HKL")
    actions.log_care(point, kind="waste", waste_kg="35.5", area="一楼", actor=health)
    actions.log_care(point, kind="disinfection", agent="含氯消毒液 500mg/L", area="走廊", actor=health)
    assert list(CareLog.objects.order_by("id").values_list("kind", "waste_kg", "agent")) == [
        ("waste", Decimal("35.5"), ""),
        ("disinfection", None, "含氯消毒液 500mg/L"),
    ]
    with pytest.raises(OccupancyInvalid) as exc:
        actions.log_care(point, kind="disinfection", actor=health)
    assert list(exc.value.details) == ["agent"]
    with pytest.raises(OccupancyInvalid) as exc:
        actions.log_care(point, kind="waste", waste_kg="-1", actor=health)
    assert list(exc.value.details) == ["waste_kg"]
    assert CareLog.objects.count() == 2


def test_elderly_home_fever_raises_an_alert(make_person, health, today):
    home = Site.objects.get(code="EH-TY")
    resident = make_person("张阿婆", kind="resident", organisation=None, home_site=home)
    actions.record_health_check(resident, temperature="36.6", actor=health)
    assert not Notification.objects.exists()
    actions.record_health_check(
        resident, temperature="38.2", symptoms="咳嗽", checked_on=today + dt.timedelta(days=1), actor=health
    )
    note = Notification.objects.get()
    assert note.title == "健康异常 / health alert: 张阿婆 38.2℃"
    assert note.site_id == home.pk and note.level == "warning"
    with pytest.raises(OccupancyInvalid) as exc:
        actions.record_health_check(resident, temperature="36.5", actor=health)
    assert exc.value.details == {"checked_on": ["今天已打卡 / already checked in for this day"]}
    with pytest.raises(OccupancyInvalid):
        actions.record_health_check(resident, temperature="50", checked_on=today - dt.timedelta(days=1), actor=health)
    assert HealthCheck.objects.count() == 2


def test_self_check_in_only_for_yourself(make_person, user, health):
    driver = user("driver")
    me = make_person("司机小王", user=driver)
    other = make_person("别人")
    actions.record_health_check(me, temperature="36.5", is_self_reported=True, actor=driver)
    with pytest.raises(OccupancyInvalid):
        actions.record_health_check(other, temperature="36.5", is_self_reported=True, actor=driver)
    assert HealthCheck.objects.get().is_self_reported is True


def test_self_reported_test_with_photo(make_person, user, health, today, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    driver = user("driver")
    me = make_person("司机小王", user=driver)
    photo = SimpleUploadedFile("antigen.jpg", b"\xff\xd8\xff\xe0fakejpeg", content_type="image/jpeg")
    test = actions.record_health_test(
        me, kind="antigen", result="negative", taken_at=at(today, 0, 5), source="self", photo=photo, actor=driver
    )
    assert test.photo.name.startswith("people/tests/")
    assert test.recorded_by == driver
    other = make_person("别人")
    with pytest.raises(HealthTestInvalid):
        actions.record_health_test(
            other, kind="antigen", result="negative", taken_at=at(today, 0, 5), source="self", photo=photo, actor=driver
        )
    assert other.tests.count() == 0


def test_closed_loop_start_twice_at_same_site_is_refused(make_person, health, warehouse, today):
    person = make_person()
    actions.start_closed_loop(person, warehouse, started_at=at(today, 0, 1), actor=health)
    with pytest.raises(ClosedLoopInvalid):
        actions.start_closed_loop(person, warehouse, actor=health)
    moved = actions.start_closed_loop(person, Site.objects.get(code="HT-QJ"), started_at=at(today, 0, 2), actor=health)
    assert person.closed_loop_stays.filter(ended_at__isnull=True).get() == moved
    assert Organisation.objects.filter(code="CYGS").exists()
