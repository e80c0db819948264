import datetime as dt

import pytest

from baogong.core.models import AuditEvent
from baogong.people import actions, queries
from baogong.people.errors import HealthTestInvalid
from baogong.people.models import HealthTest

from .conftest import at

NO_TEST = "无有效阴性检测（48小时内核酸或当日抗原阴性） / no valid negative test (PCR within 48 h or a negative antigen test the same day)"


def test_no_test_means_not_cleared(make_person, today):
    person = make_person()
    assert queries.person_clearance(person, today) == [NO_TEST]


def test_negative_antigen_the_same_day_clears(make_person, health, today):
    person = make_person()
    actions.record_health_test(person, kind="antigen", result="negative", taken_at=at(today, 0, 5), actor=health)
    assert queries.person_clearance(person, today) == []
    assert queries.person_clearance(person, today + dt.timedelta(days=1)) == [NO_TEST]
    event = AuditEvent.objects.get(verb="record_health_test")
    assert event.actor == health and event.after["result"] == "negative"


def test_pcr_counts_while_valid_at_the_end_of_the_day(make_person, health, today):
    person = make_person()
    taken = at(today - dt.timedelta(days=1), 0, 30)
    actions.record_health_test(person, kind="pcr", result="negative", taken_at=taken, actor=health)
    assert queries.person_clearance(person, today - dt.timedelta(days=1)) == []
    assert queries.person_clearance(person, today) == []  # 00:30 yesterday + 48 h > end of today
    assert queries.person_clearance(person, today + dt.timedelta(days=1)) == [NO_TEST]


def test_window_is_configurable_by_regime(make_person, health, today, warehouse):
    person = make_person()
    actions.record_health_test(
        person, kind="pcr", result="negative", taken_at=at(today - dt.timedelta(days=1), 0, 30), actor=health
    )
    actions.save_regime(
        {"name": "24h 核酸", "site": warehouse, "pcr_valid_hours": 24, "antigen_same_day": False}, actor=health
    )
    assert queries.person_clearance(person, today) == [
        "无有效阴性检测（24小时内核酸） / no valid negative test (PCR within 24 h)"
    ]
    actions.record_health_test(person, kind="antigen", result="negative", taken_at=at(today, 0, 10), actor=health)
    assert len(queries.person_clearance(person, today)) == 1
    assert AuditEvent.objects.filter(verb="save_regime").count() == 1


def test_default_window_is_a_setting(make_person, health, today, settings):
    person = make_person()
    actions.record_health_test(
        person, kind="pcr", result="negative", taken_at=at(today - dt.timedelta(days=2), 12), actor=health
    )
    assert queries.person_clearance(person, today) == [NO_TEST]
    settings.BAOGONG_PEOPLE_DEFAULT_REGIME = {"pcr_valid_hours": 72}
    assert queries.person_clearance(person, today) == []


def test_positive_and_not_recovered(make_person, health, today):
    person = make_person()
    actions.record_health_test(person, kind="antigen", result="negative", taken_at=at(today, 0, 1), actor=health)
    actions.record_health_test(person, kind="antigen", result="positive", taken_at=at(today, 0, 2), actor=health)
    person.refresh_from_db()
    assert person.health_status == "positive"
    assert queries.person_clearance(person, today) == [
        f"检测阳性，尚未康复（自 {today}）/ tested positive and not recovered (since {today})"
    ]
    assert AuditEvent.objects.filter(verb="set_health_status", object_id=str(person.pk)).count() == 1


def test_closed_loop_required_by_regime(make_person, health, today, warehouse):
    person = make_person()
    actions.record_health_test(person, kind="antigen", result="negative", taken_at=at(today, 0, 1), actor=health)
    actions.save_regime({"name": "2+2 保供人员", "site_kind": "warehouse", "requires_closed_loop": True}, actor=health)
    assert queries.person_clearance(person, today) == ["未纳入闭环管理 / not in closed-loop management"]
    stay = actions.start_closed_loop(person, warehouse, started_at=at(today - dt.timedelta(days=3)), actor=health)
    assert queries.person_clearance(person, today) == []
    actions.end_closed_loop(stay, ended_at=at(today - dt.timedelta(days=1)), actor=health)
    assert queries.person_clearance(person, today) == ["未纳入闭环管理 / not in closed-loop management"]
    assert [e.verb for e in AuditEvent.objects.filter(verb__endswith="closed_loop").order_by("id")] == [
        "start_closed_loop",
        "end_closed_loop",
    ]


def test_most_specific_regime_wins(make_person, health, warehouse):
    person = make_person()
    actions.save_regime({"name": "默认", "pcr_valid_hours": 72}, actor=health)
    actions.save_regime({"name": "仓库", "site_kind": "warehouse", "pcr_valid_hours": 48}, actor=health)
    actions.save_regime({"name": "泰兴桥", "site": warehouse, "pcr_valid_hours": 24}, actor=health)
    actions.save_regime({"name": "居民", "person_kind": "resident", "pcr_valid_hours": 12}, actor=health)
    assert queries.regime_for(person).name == "泰兴桥"


def test_future_test_time_is_refused(make_person, health, today):
    person = make_person()
    with pytest.raises(HealthTestInvalid) as exc:
        actions.record_health_test(
            person, kind="pcr", result="negative", taken_at=at(today + dt.timedelta(days=2)), actor=health
        )
    assert exc.value.details["taken_at"] == ["检测时间不能晚于现在 / the test time cannot be in the future"]
    assert not HealthTest.objects.exists()


def test_unknown_kind_and_result_are_refused(make_person, health, today):
    person = make_person()
    with pytest.raises(HealthTestInvalid) as exc:
        actions.record_health_test(person, kind="blood", result="maybe", taken_at=at(today, 0, 1), actor=health)
    assert set(exc.value.details) == {"kind", "result"}
    assert not HealthTest.objects.exists()


def test_self_report_needs_a_photo(make_person, health, today):
    person = make_person()
    with pytest.raises(HealthTestInvalid) as exc:
        actions.record_health_test(
            person, kind="antigen", result="negative", taken_at=at(today, 0, 1), source="self", actor=health
        )
    assert "photo" in exc.value.details
    assert not HealthTest.objects.exists()
