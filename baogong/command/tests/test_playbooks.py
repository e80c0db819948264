"""Issue 20.5: each incident opens the playbook of its kind; steps are ticked off (who, when, note),
shown on the incident page and counted in the daily situation report."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from baogong.command import actions, queries
from baogong.command.errors import PlaybookStepInvalid
from baogong.command.models import PlaybookStep
from baogong.core.errors import NotFound
from baogong.core.models import AuditEvent
from baogong.orgs.models import Organisation, Site
from baogong.people import actions as people_actions
from baogong.people.models import Incident
from baogong.reports.documents import DAILY, build_report, to_markdown
from baogong.reports.figures import Period

SUPPLY_STEPS = [
    "site_status",
    "disinfection",
    "stock_check",
    "contacts",
    "closed_loop_staffing",
    "re_sourcing",
    "notify_recipients",
]


def positive_case(user, site_code: str | None, name: str = "张三") -> Incident:
    health = user("health")
    site = Site.objects.get(code=site_code) if site_code else None
    person = people_actions.create_person(
        {
            "kind": "staff",
            "name": name,
            "organisation": site.organisation if site else Organisation.objects.get(code="CYGS"),
            "home_site": site,
        },
        actor=health,
    )
    people_actions.record_health_test(
        person, kind="antigen", result="positive", taken_at=timezone.now(), site=site, actor=health
    )
    return Incident.objects.get(person=person)


@pytest.fixture
def warehouse_incident(user):
    return positive_case(user, "WH-TXQ")


def test_a_warehouse_incident_opens_the_supply_site_playbook_with_nothing_done(warehouse_incident):
    playbook = queries.playbook_for(warehouse_incident)
    assert playbook.kind == "supply_site"
    assert [row.code for row in playbook.rows] == SUPPLY_STEPS
    assert (playbook.done, playbook.total, playbook.is_complete) == (0, 7, False)


@pytest.mark.parametrize(
    ("site_code", "kind", "extra"),
    [("EH-TY", "care_site", "residents_care"), ("FC-NZ", "farm", "farm_work"), (None, "general", None)],
)
def test_each_incident_kind_has_its_playbook_with_the_articles_lessons(user, site_code, kind, extra):
    incident = positive_case(user, site_code)
    codes = [row.code for row in queries.playbook_for(incident).rows]
    assert queries.playbook_for(incident).kind == kind
    assert {"disinfection", "contacts", "closed_loop_staffing", "re_sourcing", "notify_recipients"} <= set(codes)
    assert (extra in codes) if extra else len(codes) == 6


def test_ticking_a_step_records_who_when_and_the_note_and_audits_it(warehouse_incident, user):
    health = user("health")
    step = actions.complete_playbook_step(warehouse_incident, "disinfection", note="仓库全面终末消杀", actor=health)
    assert (step.code, step.done_by, step.note) == ("disinfection", health, "仓库全面终末消杀")
    assert step.done_at <= timezone.now()
    event = AuditEvent.objects.get(verb="complete_playbook_step")
    assert event.object_id == str(warehouse_incident.pk) and event.actor == health
    assert (event.after["step"], event.after["note"]) == ("disinfection", "仓库全面终末消杀")
    playbook = queries.playbook_for(warehouse_incident)
    assert (playbook.done, playbook.total) == (1, 7)


def test_a_step_done_twice_or_not_in_the_playbook_is_refused_and_writes_nothing(warehouse_incident, user):
    health = user("health")
    actions.complete_playbook_step(warehouse_incident, "contacts", actor=health)
    for code in ("contacts", "farm_work", "nonsense"):
        with pytest.raises(PlaybookStepInvalid) as exc:
            actions.complete_playbook_step(warehouse_incident, code, actor=health)
        assert list(exc.value.details) == ["code"]
    with pytest.raises(PlaybookStepInvalid) as exc:
        actions.complete_playbook_step(warehouse_incident, "disinfection", note="x" * 501, actor=health)
    assert list(exc.value.details) == ["note"]
    assert list(PlaybookStep.objects.values_list("code", flat=True)) == ["contacts"]
    assert AuditEvent.objects.filter(verb="complete_playbook_step").count() == 1


def test_reopening_needs_a_reason_and_is_audited(warehouse_incident, user):
    health = user("health")
    actions.complete_playbook_step(warehouse_incident, "re_sourcing", actor=health)
    with pytest.raises(PlaybookStepInvalid) as exc:
        actions.reopen_playbook_step(warehouse_incident, "re_sourcing", reason=" ", actor=health)
    assert list(exc.value.details) == ["reason"]
    actions.reopen_playbook_step(warehouse_incident, "re_sourcing", reason="仍有两张发运单未改派", actor=health)
    assert not PlaybookStep.objects.exists()
    event = AuditEvent.objects.get(verb="reopen_playbook_step")
    assert (event.before["step"], event.after["reason"]) == ("re_sourcing", "仍有两张发运单未改派")
    with pytest.raises(PlaybookStepInvalid):
        actions.reopen_playbook_step(warehouse_incident, "re_sourcing", reason="again", actor=health)


def test_an_incident_outside_the_users_scope_is_not_there(warehouse_incident, user):
    with pytest.raises(NotFound):
        actions.complete_playbook_step(warehouse_incident, "disinfection", actor=user("pharmacist"))
    assert not PlaybookStep.objects.exists()


def test_the_incident_page_shows_the_playbook_and_ticks_steps(warehouse_incident, client_for, settings):
    settings.ROOT_URLCONF = "baogong.urls"  # the incident page is people's
    client = client_for("health")
    url = f"/people/incidents/{warehouse_incident.pk}/"
    page = client.get(url).content.decode()
    assert 'id="playbook"' in page and "消杀" in page
    assert page.count('name="do" value="complete"') == 7
    response = client.post(
        f"/command/incidents/{warehouse_incident.pk}/playbook/notify_recipients/",
        {"do": "complete", "note": "已电话通知富长路方舱医院"},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"{url}#playbook")
    page = client.get(url).content.decode()
    assert "已电话通知富长路方舱医院" in page and 'name="do" value="reopen"' in page
    assert PlaybookStep.objects.get().done_by.username == "health"
    # the auditor reads it without forms; someone without the permission cannot post
    auditor = client_for("auditor")
    assert 'id="playbook"' in auditor.get(url).content.decode()
    assert 'name="do"' not in auditor.get(url).content.decode()
    assert auditor.post(f"/command/incidents/{warehouse_incident.pk}/playbook/contacts/", {}).status_code == 403
    # another organisation's user gets 404
    assert client_for("pharmacist").post(
        f"/command/incidents/{warehouse_incident.pk}/playbook/contacts/", {}
    ).status_code in (403, 404)


def test_the_daily_report_counts_playbook_steps_done_and_still_open(warehouse_incident, user):
    commander = user("commander")
    actions.complete_playbook_step(warehouse_incident, "disinfection", actor=user("health"))
    actions.complete_playbook_step(warehouse_incident, "contacts", actor=user("health"))
    today = timezone.localdate()
    report = build_report(commander, DAILY, Period(today, today))
    figures = {f.key: f.value for f in report.figures}
    assert (figures["playbook_steps_done"], figures["playbook_steps_open"]) == (2, 5)
    with translation.override("zh-hans"):
        assert "处置清单尚有5项未完成" in to_markdown(report)
    # as of the day before the incident, nothing was open
    yesterday = today - dt.timedelta(days=1)
    before = {f.key: f.value for f in build_report(commander, DAILY, Period(yesterday, yesterday)).figures}
    assert (before["playbook_steps_done"], before["playbook_steps_open"]) == (0, 0)
