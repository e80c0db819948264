"""Issue 8 read against the code: the overdue list follows the regime ("2+2"), the dashboard shows
the article's headcounts from deployments, recovery keeps its evidence in the audit trail, and a
person can be linked to a login for the phone check-in."""

import datetime as dt
import re

from baogong.core.models import AuditEvent
from baogong.orgs.models import Organisation
from baogong.people import actions, queries
from baogong.people.models import Incident, Person

from .conftest import at, make_id_number

ANTIGEN_SHORT = "今日抗原检测还差{n}次 / {n} antigen test(s) due today not done"
PCR_DUE = "今日应做核酸（每2天一次）/ PCR due today (every 2 days)"


def two_plus_two(health, warehouse):
    return actions.save_regime(
        {"name": "2+2 保供人员", "site": warehouse, "antigen_per_day": 2, "pcr_every_days": 2}, actor=health
    )


def on_duty(make_person, health, warehouse, today, name):
    person = make_person(name, id_number=make_id_number())
    actions.deploy_person(person, duty_type="supply", starts_on=today, ends_on=today, site=warehouse, actor=health)
    return person


def test_overdue_list_follows_the_two_plus_two_regime(make_person, health, warehouse, today, user):
    two_plus_two(health, warehouse)
    late = on_duty(make_person, health, warehouse, today, "甲")
    done = on_duty(make_person, health, warehouse, today, "乙")
    yesterday = today - dt.timedelta(days=1)
    actions.record_health_test(late, kind="antigen", result="negative", taken_at=at(today, 0, 5), actor=health)
    actions.record_health_test(done, kind="pcr", result="negative", taken_at=at(yesterday, 8), actor=health)
    actions.record_health_test(done, kind="antigen", result="negative", taken_at=at(today, 0, 5), actor=health)
    actions.record_health_test(done, kind="antigen", result="negative", taken_at=at(today, 0, 10), actor=health)

    rows = {row.person.name: row for row in queries.tests_due(user("health"), today)}
    assert (rows["甲"].due, rows["甲"].done, rows["甲"].pcr_due) == (3, 1, True)
    assert (rows["乙"].due, rows["乙"].done, rows["乙"].pcr_due) == (2, 2, False)  # PCR yesterday: not due today
    overdue = dict(queries.overdue_tests(user("health"), today))
    assert list(overdue) == [late]
    assert overdue[late] == [ANTIGEN_SHORT.format(n=1), PCR_DUE]


def test_overdue_page_lists_the_missing_tests(client_for, make_person, health, warehouse, today):
    two_plus_two(health, warehouse)
    on_duty(make_person, health, warehouse, today, "丙")
    page = client_for("health").get("/people/tests/overdue/").content.decode()
    assert "丙" in page
    # the reasons are "中文 / English" (API clients get both); the Chinese page shows the Chinese half
    assert "今日抗原检测还差2次" in page and "今日应做核酸（每2天一次）" in page
    assert "antigen test(s) due today" not in page and "PCR due today" not in page


def test_dashboard_shows_tests_due_and_the_headcounts_from_deployments(
    client_for, make_person, health, warehouse, today
):
    two_plus_two(health, warehouse)
    a = on_duty(make_person, health, warehouse, today, "丁")
    on_duty(make_person, health, warehouse, today, "戊")
    actions.record_health_test(a, kind="antigen", result="negative", taken_at=at(today, 0, 5), actor=health)
    volunteer = make_person("社区志愿者", kind="volunteer", id_number=make_id_number())
    actions.deploy_person(volunteer, duty_type="community", starts_on=today, ends_on=today, actor=health)
    batch_people = [make_person(f"队员{i}", id_number=make_id_number()) for i in range(3)]
    actions.dispatch_batch(
        batch_people,
        organisation=Organisation.objects.get(code="CYGS"),
        destination_team="区委组织部志愿服务队",
        starts_on=today,
        ends_on=today + dt.timedelta(days=6),
        actor=health,
    )
    page = client_for("health").get("/people/dashboard/").content.decode()

    def figure(name):
        return re.search(rf'data-figure="{name}">([^<]*)<', page).group(1)

    # 丁 and 戊 owe 2 antigen + 1 PCR each; the volunteer and the team owe the default 1 antigen + PCR
    assert figure("people_due") == "6"
    assert figure("tests_done") == "1"
    assert figure("staff_on_duty") == "2"
    assert figure("community_volunteers") == "1"
    assert figure("batches") == "1"
    assert figure("team_person_times") == "3"


def test_recovery_keeps_its_evidence_in_the_audit_trail(make_person, health, warehouse, today):
    day0 = today - dt.timedelta(days=3)
    worker = make_person("阳性员工", id_number=make_id_number())
    actions.deploy_person(worker, duty_type="supply", starts_on=day0, ends_on=day0, site=warehouse, actor=health)
    actions.record_health_test(worker, kind="antigen", result="positive", taken_at=at(day0, 8), actor=health)
    first = actions.record_health_test(
        worker, kind="pcr", result="negative", taken_at=at(day0 + dt.timedelta(days=1), 8), actor=health
    )
    second = actions.record_health_test(
        worker, kind="pcr", result="negative", taken_at=at(day0 + dt.timedelta(days=2), 8), actor=health
    )
    assert Person.objects.get(pk=worker.pk).health_status == "normal"
    event = AuditEvent.objects.get(verb="apply_recovery_rules", object_id=str(worker.pk))
    assert event.before["health_status"] == "positive"
    assert event.after["rule"] == "2天阴性 / negative on 2 distinct days"
    assert event.after["negative_tests"] == [
        {"test": first.pk, "kind": "pcr", "date": (day0 + dt.timedelta(days=1)).isoformat()},
        {"test": second.pk, "kind": "pcr", "date": (day0 + dt.timedelta(days=2)).isoformat()},
    ]
    incident = Incident.objects.get(person=worker)
    assert incident.status == "closed"
    cleared = AuditEvent.objects.get(verb="clear_incident_site", object_id=str(incident.pk))
    assert cleared.after["site"] == warehouse.code
    assert cleared.after["site_status"] == "normal"
    assert cleared.after["held_by_another_incident"] is False


def test_a_login_is_linked_on_registration_and_checks_in_from_the_phone(client_for, user, warehouse):
    client = client_for("health")
    unknown = client.post(
        "/people/new/", {"kind": "staff", "name": "司机小张", "home_site": warehouse.pk, "login": "nobody-here"}
    )
    assert unknown.status_code == 400
    assert "未知的登录名 / unknown login" in unknown.content.decode()
    assert not Person.objects.exists()
    made = client.post(
        "/people/new/", {"kind": "staff", "name": "司机小张", "home_site": warehouse.pk, "login": "driver"}
    )
    assert made.status_code == 302
    person = Person.objects.get()
    assert person.user == user("driver")

    phone = client_for("driver")
    assert phone.get("/people/check-in/").status_code == 200
    response = phone.post("/people/check-in/", {"form": "check", "temperature": "36.6", "symptoms": ""})
    assert response.status_code == 302
    assert person.checks.get().is_self_reported is True


def test_api_links_and_unlinks_a_login(api_for, make_person, user):
    person = make_person()
    api = api_for("health")
    linked = api.patch(f"/api/v1/people/persons/{person.pk}/", {"login": "driver"}, format="json")
    assert linked.status_code == 200 and linked.json()["login"] == "driver"
    assert Person.objects.get(pk=person.pk).user == user("driver")
    other = make_person("另一人", id_number=make_id_number())
    taken = api.patch(f"/api/v1/people/persons/{other.pk}/", {"login": "driver"}, format="json")
    assert taken.status_code == 400 and "user" in taken.json()["details"]
    unlinked = api.patch(f"/api/v1/people/persons/{person.pk}/", {"login": ""}, format="json")
    assert unlinked.status_code == 200 and unlinked.json()["login"] is None
    assert Person.objects.get(pk=person.pk).user is None
