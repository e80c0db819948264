"""Print many decision letters in one PDF (core.bulk, issue 22.4): only decided applications the
user may see; the list's button posts the ticked rows."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from baogong.core.tests.pdf import inflated
from baogong.property import actions

from .conftest import SYSTEM

pytestmark = pytest.mark.django_db


def test_print_the_decision_letters_of_the_chosen_applications(world, client_for):
    # given two rejected applications and one still submitted
    rejected = []
    for code, unit in (("L-001", "101"), ("L-002", "102")):
        application = actions.submit_application(
            world.lease(code=code, units=(unit,)), as_of=dt.date(2022, 6, 1), actor=SYSTEM
        )
        rejected.append(actions.reject_application(application, reason="不属于减免对象", actor=SYSTEM))
    waiting = actions.submit_application(
        world.lease(code="L-003", units=("201",)), as_of=dt.date(2022, 6, 1), actor=SYSTEM
    )
    client = client_for("property")
    page = client.get("/property/").content.decode()
    assert 'value="property.print_decision_letters"' in page
    # when all three are ticked and printed
    answer = client.post(
        "/bulk/", {"action": "property.print_decision_letters", "ids": [str(a.pk) for a in [*rejected, waiting]]}
    )
    # then one PDF with a page per decided application
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", inflated(answer.content))) == 2
    # and only the undecided one: nothing to print
    none = client.post("/bulk/", {"action": "property.print_decision_letters", "ids": [str(waiting.pk)]})
    assert none.status_code == 400
