"""Issue 20.5 in the browser: a positive case at 泰兴桥大仓 opens the warehouse playbook on the
incident page; the health officer ticks 消杀 off from a phone with a note, and the page shows who,
when and how far the checklist is."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from baogong.command.models import PlaybookStep
from baogong.orgs.models import Site
from baogong.people import actions
from baogong.people.models import Incident
from tests.e2e.conftest import login, no_horizontal_scroll, shot


@pytest.mark.django_db(transaction=True)
def test_health_officer_ticks_off_the_warehouse_playbook_on_a_phone(base, live_server, new_page):
    health = get_user_model().objects.get(username="health")
    warehouse = Site.objects.get(code="WH-TXQ")
    person = actions.create_person(
        {"kind": "staff", "name": "仓库工人甲", "organisation": warehouse.organisation, "home_site": warehouse},
        actor=health,
    )
    actions.record_health_test(
        person, kind="antigen", result="positive", taken_at=timezone.now(), site=warehouse, actor=health
    )
    incident = Incident.objects.get(person=person)

    page = new_page(phone=True)
    login(page, live_server.url, "health")
    page.goto(f"{live_server.url}/people/incidents/{incident.pk}/")
    page.wait_for_selector("#playbook")
    text = page.inner_text("#playbook")
    assert "处置清单" in text and "全面消杀" in text and "密接排查" in text and "通知收货单位" in text
    assert "已完成 0/7 项" in page.inner_text("#playbook-progress")
    page.fill("#step-disinfection input[name=note]", "库区及外包装终末消杀")
    page.click("#step-disinfection button[type=submit]")
    page.wait_for_selector("#step-disinfection[data-done='1']")
    row = page.inner_text("#step-disinfection")
    assert "库区及外包装终末消杀" in row and "health" in row
    assert "已完成 1/7 项" in page.inner_text("#playbook-progress")
    assert no_horizontal_scroll(page)
    shot(page, "playbook", "incident-playbook-phone")
    step = PlaybookStep.objects.get()
    assert (step.incident_id, step.code, step.done_by) == (incident.pk, "disinfection", health)
