"""Bulk actions (core.bulk) on the distribution and inventory lists: each chosen row goes
through the same audited action as its own button, and the answer reports every row."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from baogong.core.models import AuditEvent
from baogong.core.tests.pdf import inflated
from baogong.distribution import actions
from baogong.distribution.choices import RequestStatus
from baogong.distribution.tests.test_shipments import allocated  # noqa: F401  (fixtures)
from baogong.inventory.choices import ReservationStatus
from baogong.inventory.models import Reservation

from .conftest import in_days

pytestmark = pytest.mark.django_db


def _post(client, action, ids, **extra):
    return client.post(reverse("core:bulk"), {"action": action, "ids": ids, "next": "/distribution/requests/", **extra})


def test_approve_many_requests_reports_each_row(rice, elderly_home, street, file, client_for, recipient_user):
    # given two submitted requests and a draft
    first = file(elderly_home, (rice, 2, in_days(1)))
    second = file(street, (rice, 3, in_days(1)))
    draft = file(street, (rice, 4, in_days(1)), submit=False)
    client = client_for("commander")
    # the list offers the action and a checkbox per row
    page = client.get(reverse("distribution:request_list")).content.decode()
    assert 'value="distribution.approve_requests"' in page and 'form="bulk-distribution-requests"' in page
    # when all three and an unknown id are approved at once
    response = _post(client, "distribution.approve_requests", [first.pk, second.pk, draft.pk, 999999])
    # then the two submitted ones are approved, each audited as approve_request by itself
    assert response.status_code == 200
    first.refresh_from_db(), second.refresh_from_db(), draft.refresh_from_db()
    assert (first.status, second.status, draft.status) == (RequestStatus.APPROVED, RequestStatus.APPROVED, "draft")
    assert AuditEvent.objects.filter(verb="approve_request").count() == 2
    # and the page lists every row with its result
    results = [(r.name, r.ok) for r in response.context["results"]]
    assert results == [
        (f"{first.number} {elderly_home.name}", True),
        (f"{second.number} {street.name}", True),
        (f"{draft.number} {street.name}", False),
        ("#999999", False),
    ]
    body = response.content.decode()
    assert "完成 2 项，未办理 2 项" in body and "返回列表" in body


def test_bulk_is_refused_without_the_permission_and_outside_the_scope(
    rice, elderly_home, street, file, client_for, client, recipient_user
):
    other = file(street, (rice, 3, in_days(1)))
    # a user without the approve permission
    client.force_login(recipient_user)
    assert _post(client, "distribution.approve_requests", [other.pk]).status_code == 403
    # bad input: no rows, not numbers, an unknown action
    commander = client_for("commander")
    assert _post(commander, "distribution.approve_requests", []).status_code == 400
    assert _post(commander, "distribution.approve_requests", ["x"]).status_code == 400
    assert _post(commander, "no.such.action", [other.pk]).status_code == 400
    other.refresh_from_db()
    assert other.status == RequestStatus.SUBMITTED


def test_print_many_delivery_notes_in_one_pdf(allocated, commander, client_for):  # noqa: F811
    shipments = actions.plan_shipments(actor=commander)
    response = client_for("commander").post(
        reverse("core:bulk"), {"action": "distribution.print_delivery_notes", "ids": [s.pk for s in shipments]}
    )
    assert response["Content-Type"] == "application/pdf"
    # one page per note (each starts a page), as many pages as the notes printed one by one
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", inflated(response.content)))
    single = client_for("commander").get(reverse("distribution:delivery_note", args=[shipments[0].pk])).content
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", inflated(single))) == 1
    assert pages == len(shipments) == 2


def test_release_many_reservations(allocated, client_for):  # noqa: F811
    open_ = list(Reservation.objects.filter(status=ReservationStatus.ACTIVE))
    assert len(open_) >= 2
    client = client_for("commander")
    response = client.post(
        reverse("core:bulk"), {"action": "inventory.release_reservations", "ids": [r.pk for r in open_] + [open_[0].pk]}
    )
    assert response.status_code == 200
    assert all(r.ok for r in response.context["results"])
    assert not Reservation.objects.filter(status=ReservationStatus.ACTIVE).exists()
    assert AuditEvent.objects.filter(verb="release_reservation").count() == len(open_)
    # released again: each row refused with the reason, nothing else changes
    again = client.post(reverse("core:bulk"), {"action": "inventory.release_reservations", "ids": [open_[0].pk]})
    assert [r.ok for r in again.context["results"]] == [False]
    assert "预留" in again.context["results"][0].message
