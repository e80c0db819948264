from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from baogong.command import actions
from baogong.command.models import Inspection, Rectification
from baogong.command.tests.conftest import all_ok

pytestmark = pytest.mark.django_db


def _form_data(template, venue, failed=()):
    data = {"venue": venue.pk, "inspected_on": "2022-06-01", "note": ""}
    for item in template.items.all():
        data[f"ok_{item.code}"] = "0" if item.code in failed else "1"
        if item.code in failed:
            data[f"remark_{item.code}"] = "问题"
            data[f"owner_{item.code}"] = "物业"
            data[f"deadline_{item.code}"] = "2022-06-04"
    return data


def test_inspection_on_a_phone_form(client_for, venue, template):
    client = client_for("property")
    url = reverse("command:record_inspection")
    page = client.get(url)
    assert page.status_code == 200
    assert 'capture="environment"' in page.content.decode()
    response = client.post(url, _form_data(template, venue, failed=("training",)))
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert (inspection.items_checked, inspection.items_compliant) == (7, 6)
    assert Rectification.objects.get().owner == "物业"


def test_inspection_form_shows_field_errors_and_writes_nothing(client_for, venue, template):
    data = _form_data(template, venue)
    data["ok_capacity"] = "0"
    response = client_for("commander").post(reverse("command:record_inspection"), data)
    assert response.status_code == 400
    assert not Inspection.objects.exists()


def test_reinspect_through_page(client_for, user, venue, template):
    actions.record_inspection(
        venue, template, on=dt.date(2022, 6, 1), findings=all_ok(template, pickup="x"), actor=user("commander")
    )
    rect = Rectification.objects.get()
    client = client_for("commander")
    client.post(
        reverse("command:record_reinspection", args=[rect.pk]), {"inspected_on": "2022-06-02", "is_compliant": "on"}
    )
    rect.refresh_from_db()
    assert rect.status == "closed"


def test_compliance_page_and_permissions(client_for, user, venue, template):
    actions.record_inspection(
        venue, template, on=dt.date(2022, 6, 1), findings=all_ok(template), actor=user("commander")
    )
    response = client_for("health").get(reverse("command:compliance"))
    assert response.status_code == 200
    assert "100.0%" in response.content.decode()
    assert client_for("warehouse").get(reverse("command:compliance")).status_code == 403
    assert client_for("health").get(reverse("command:record_inspection")).status_code == 403


def test_post_log_page_totals(client_for):
    client = client_for("commander")
    response = client.post(
        reverse("command:record_post"),
        {
            "organisation": _org_pk("BSGX"),
            "kind": "own",
            "channel": "wechat",
            "published_on": "2022-04-10",
            "title": "t",
            "reads": "22000",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("command:post_list"), {"channel": "wechat"})
    assert page.context["totals"] == {"count": 1, "reads": 22000}
    assert client_for("auditor").get(reverse("command:record_post")).status_code == 403


def _org_pk(code):
    from baogong.orgs.models import Organisation

    return Organisation.objects.get(code=code).pk
