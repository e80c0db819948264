import datetime as dt

import pytest

from baogong.core.models import AuditEvent, Notification
from baogong.orgs.models import Organisation, Site
from baogong.people import actions, outbreak, queries
from baogong.people.errors import IncidentInvalid
from baogong.people.models import CloseContact, Incident

from .conftest import at


def make_crew(make_person, health, warehouse, day):
    """Three workers of 泰兴桥大仓: two on the day shift, one on the night shift; tested on ``day``."""
    people = {}
    for name, shift in [("王建国", "day"), ("李卫东", "day"), ("赵夜班", "night")]:
        person = make_person(name)
        actions.deploy_person(
            person,
            duty_type="supply",
            site=warehouse,
            shift=shift,
            starts_on=day - dt.timedelta(days=5),
            ends_on=day,
            actor=health,
        )
        actions.record_health_test(person, kind="antigen", result="negative", taken_at=at(day, 0, 1), actor=health)
        people[name] = person
    return people


@pytest.fixture
def crew(make_person, health, warehouse, today):
    return make_crew(make_person, health, warehouse, today)


def test_positive_antigen_puts_the_warehouse_under_control_and_lists_contacts(crew, health, warehouse, today):
    worker, mate, night = crew["王建国"], crew["李卫东"], crew["赵夜班"]
    assert queries.person_clearance(worker, today) == []

    actions.record_health_test(
        worker, kind="antigen", result="positive", taken_at=at(today, 0, 30), site=warehouse, actor=health
    )

    warehouse.refresh_from_db()
    assert warehouse.status == "under_control"
    assert warehouse.status_reason == "阳性病例管控 / under control after a positive case (王建国)"
    incident = Incident.objects.get(person=worker)
    assert incident.status == "open" and incident.site == warehouse
    assert list(incident.sites.values_list("site__code", "previous_status")) == [("WH-TXQ", "normal")]
    assert [(c.person.name, c.reason) for c in incident.contacts.all()] == [
        ("李卫东", f"同场所同班次 / same site and shift: 泰兴桥大仓 {mate.deployments.get().get_shift_display()}")
    ]
    assert queries.person_clearance(worker, today) == [
        f"检测阳性，尚未康复（自 {today}）/ tested positive and not recovered (since {today})"
    ]
    until = today + dt.timedelta(days=7)
    assert queries.person_clearance(mate, today) == [
        f"密切接触者，隔离至 {until} / close contact in isolation until {until}"
    ]
    assert queries.person_clearance(night, today) == []
    note = Notification.objects.get(level="critical")
    assert note.title == "阳性病例 / positive case: 王建国"
    assert note.site_id == warehouse.pk and note.link == f"/people/incidents/{incident.pk}/"
    verbs = list(
        AuditEvent.objects.filter(verb__in=["open_incident", "set_site_status"]).values_list("verb", flat=True)
    )
    assert sorted(verbs) == ["open_incident", "set_site_status"]


def test_recovery_clears_people_incident_and_site(make_person, health, warehouse, today):
    day0 = today - dt.timedelta(days=9)
    crew = make_crew(make_person, health, warehouse, day0)
    worker, mate = crew["王建国"], crew["李卫东"]
    # re-create the story nine days ago: the positive test then two negative days
    actions.record_health_test(worker, kind="antigen", result="positive", taken_at=at(day0, 8), actor=health)
    incident = Incident.objects.get(person=worker)
    assert Site.objects.get(pk=warehouse.pk).status == "under_control"

    actions.record_health_test(
        worker, kind="pcr", result="negative", taken_at=at(day0 + dt.timedelta(days=1), 8), actor=health
    )
    worker.refresh_from_db()
    assert worker.health_status == "positive"  # one negative day is not enough (N = 2)
    actions.record_health_test(
        worker, kind="pcr", result="negative", taken_at=at(day0 + dt.timedelta(days=2), 8), actor=health
    )
    worker.refresh_from_db()
    assert worker.health_status == "normal"
    incident.refresh_from_db()
    assert incident.status == "open"  # the close contact is still isolating
    assert Site.objects.get(pk=warehouse.pk).status == "under_control"

    # the contact's isolation (7 days from day0) is over; a negative test on/after its last day clears
    actions.record_health_test(mate, kind="pcr", result="negative", taken_at=at(today, 7), actor=health)
    mate.refresh_from_db()
    assert mate.health_status == "normal"
    incident.refresh_from_db()
    assert incident.status == "closed"
    warehouse.refresh_from_db()
    assert warehouse.status == "normal" and warehouse.status_reason == ""
    assert queries.person_clearance(worker, day0 + dt.timedelta(days=2)) == []
    assert queries.person_clearance(mate, today) == []
    assert CloseContact.objects.get(incident=incident).released_at is not None
    verbs = list(
        AuditEvent.objects.filter(verb__in=["apply_recovery_rules", "close_incident"]).values_list("verb", flat=True)
    )
    assert sorted(verbs) == ["apply_recovery_rules", "apply_recovery_rules", "close_incident"]


def test_health_officer_locks_down_and_clears_by_decision(crew, health, warehouse, today):
    worker = crew["王建国"]
    actions.record_health_test(worker, kind="antigen", result="positive", taken_at=at(today, 0, 30), actor=health)
    outbreak.lock_down_site(warehouse, reason="两例阳性，全面封控", actor=health)
    warehouse.refresh_from_db()
    assert warehouse.status == "locked_down"
    with pytest.raises(IncidentInvalid):
        outbreak.clear_person(worker, reason=" ", actor=health)
    outbreak.clear_person(worker, reason="区疾控解除", actor=health)
    outbreak.clear_person(crew["李卫东"], reason="区疾控解除", actor=health)
    assert Incident.objects.get(person=worker).status == "closed"
    warehouse.refresh_from_db()
    assert warehouse.status == "normal"
    event = AuditEvent.objects.filter(verb="clear_person").first()
    assert event is not None and event.after["reason"] == "区疾控解除"


def test_lock_down_needs_a_reason(health, warehouse):
    with pytest.raises(IncidentInvalid):
        outbreak.lock_down_site(warehouse, reason="", actor=health)
    warehouse.refresh_from_db()
    assert warehouse.status == "normal"


def test_shared_room_is_a_close_contact(make_person, health, today):
    hotel = Site.objects.get(code="HT-QJ")
    room = actions.add_room(hotel, "0801", beds=2, actor=health)
    a = make_person("甲", home_site=None)
    b = make_person("乙", home_site=None, organisation=Organisation.objects.get(code="YYGS"))
    actions.check_in(a, hotel, room=room, checked_in_at=at(today - dt.timedelta(days=3)), actor=health)
    actions.check_in(b, hotel, room=room, checked_in_at=at(today - dt.timedelta(days=3)), actor=health)
    actions.record_health_test(a, kind="pcr", result="positive", taken_at=at(today, 0, 20), actor=health)
    incident = Incident.objects.get(person=a)
    assert [(c.person.name, c.reason) for c in incident.contacts.all()] == [
        ("乙", "同住 / shared lodging: 全季酒店水产路店(保供人员住宿) 0801")
    ]
    hotel.refresh_from_db()
    assert hotel.status == "under_control"
