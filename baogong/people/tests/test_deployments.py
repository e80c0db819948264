import datetime as dt

import pytest

from baogong.core.models import AuditEvent
from baogong.orgs.models import Organisation, Site
from baogong.people import actions, queries
from baogong.people.demo_data import load_people_demo
from baogong.people.errors import DeploymentInvalid, PersonNotCleared
from baogong.people.models import Deployment, DispatchBatch

from .conftest import at

D = dt.date(2022, 4, 1)


def test_deploy_person_and_count_people_person_times_and_days(make_person, health, warehouse):
    a, b = make_person("甲"), make_person("乙")
    actions.deploy_person(
        a, duty_type="supply", site=warehouse, starts_on=D, ends_on=D + dt.timedelta(days=9), actor=health
    )
    actions.deploy_person(
        a,
        duty_type="supply",
        site=warehouse,
        starts_on=D + dt.timedelta(days=20),
        ends_on=D + dt.timedelta(days=21),
        actor=health,
    )
    actions.deploy_person(b, duty_type="watch", site=warehouse, shift="night", starts_on=D, ends_on=D, actor=health)
    qs = Deployment.objects.all()
    assert queries.count_deployments(qs.filter(duty_type="supply")) == queries.DeploymentCount(1, 2, 12)
    # a period cuts the days
    assert queries.count_deployments(
        qs, D + dt.timedelta(days=5), D + dt.timedelta(days=20)
    ) == queries.DeploymentCount(1, 2, 6)
    rows = queries.deployment_breakdown(qs)
    assert [
        (r["duty_type"], r["organisation_name"], r["people"], r["person_times"], r["person_days"]) for r in rows
    ] == [
        ("supply", "储运公司", 1, 2, 12),
        ("watch", "储运公司", 1, 1, 1),
    ]
    event = AuditEvent.objects.filter(verb="deploy_person").first()
    assert event is not None and event.actor == health


def test_deployment_dates_must_be_in_order(make_person, health):
    person = make_person()
    with pytest.raises(DeploymentInvalid) as exc:
        actions.deploy_person(person, duty_type="supply", starts_on=D, ends_on=D - dt.timedelta(days=1), actor=health)
    assert exc.value.details == {"ends_on": ["结束日期早于开始日期 / ends before it starts"]}
    with pytest.raises(DeploymentInvalid) as exc:
        actions.deploy_person(person, duty_type="fishing", starts_on=D, ends_on=D, actor=health)
    assert list(exc.value.details) == ["duty_type"]
    assert not Deployment.objects.exists()


def test_dispatch_batch_numbers_batches_and_refuses_positive_people(make_person, health, today):
    people = [make_person(f"志愿者{i}") for i in range(3)]
    bsgx = Organisation.objects.get(code="BSGX")
    first = actions.dispatch_batch(
        people[:2],
        organisation=bsgx,
        destination_team="区委组织部志愿服务队",
        starts_on=D,
        ends_on=D + dt.timedelta(days=6),
        actor=health,
    )
    second = actions.dispatch_batch(
        people[1:],
        organisation=bsgx,
        destination_team="区国资委志愿服务队",
        starts_on=D + dt.timedelta(days=7),
        ends_on=D + dt.timedelta(days=13),
        actor=health,
    )
    assert (first.number, second.number) == (1, 2)
    counts = queries.headcounts(Deployment.objects.all())
    assert counts["batches"] == 2
    assert counts["volunteer_team"] == queries.DeploymentCount(3, 4, 28)
    assert AuditEvent.objects.get(verb="dispatch_batch", object_id=str(first.pk)).after["people"] == sorted(
        p.pk for p in people[:2]
    )
    actions.record_health_test(people[0], kind="antigen", result="positive", taken_at=at(today, 0, 1), actor=health)
    with pytest.raises(PersonNotCleared) as exc:
        actions.dispatch_batch(
            people, organisation=bsgx, destination_team="区委组织部志愿服务队", starts_on=D, ends_on=D, actor=health
        )
    assert list(exc.value.details) == [str(people[0].pk)]
    assert DispatchBatch.objects.count() == 2


def test_dispatch_batch_needs_people_and_a_team(health):
    with pytest.raises(DeploymentInvalid) as exc:
        actions.dispatch_batch(
            [],
            organisation=Organisation.objects.get(code="BSGX"),
            destination_team=" ",
            starts_on=D,
            ends_on=D,
            actor=health,
        )
    assert set(exc.value.details) == {"people", "destination_team"}
    assert not DispatchBatch.objects.exists()


def test_demo_headcounts_match_the_article(base):
    made = load_people_demo()
    assert made["batches"] == 7
    counts = queries.headcounts(Deployment.objects.all())
    assert counts["on_duty"].people == 183
    assert counts["community"].people == 109
    assert counts["batches"] == 7
    assert counts["volunteer_team"].person_times == 29
    supply_team = Deployment.objects.filter(organisation__code="BYJT-BG", duty_type="supply")
    assert queries.count_deployments(supply_team).people == 18
    assert load_people_demo() == {"people": 0, "deployments": 0, "batches": 0}
    assert Site.objects.get(code="WH-TXQ").status == "normal"
