"""One bad record never stops the lockdown replay: an open request naming a site without
coordinates (created through the API, which accepts it for a receiving site) is set aside by
each allocation run and reported, and the replay goes on to allocate, ship and deliver the rest."""

from __future__ import annotations

import datetime as dt

from baogong.core.audit import SystemActor
from baogong.demo.scenario import Scenario
from baogong.distribution import actions
from baogong.distribution.actions import LineInput
from baogong.distribution.models import Request, Shipment
from baogong.orgs import actions as org_actions
from baogong.orgs.models import Organisation

SYSTEM = SystemActor("tests")


def test_the_replay_sets_aside_and_reports_a_request_for_a_site_without_coordinates(base):
    from baogong.catalog import actions as catalog_actions

    # given a delivery point without coordinates and an approved request for it
    site = org_actions.create_site(
        {
            "code": "DP-NOGEO",
            "name": "无坐标收货点",
            "kind": "delivery_point",
            "organisation": Organisation.objects.get(code="BSGX"),
        },
        actor=SYSTEM,
    )
    item = catalog_actions.create_item({"code": "BAD-RICE", "name": "大米", "unit": "袋"}, actor=SYSTEM)
    needed = dt.date.today() + dt.timedelta(days=1)
    bad = actions.approve_request(
        actions.file_request(site, [LineInput(item=item, qty=5, needed_by=needed)], actor=SYSTEM, submit=True),
        actor=SYSTEM,
    )
    # when a day is replayed
    outcome = Scenario(seed=5, days=1).run()
    # then it finished, shipped to the others, and reported the request it set aside
    assert outcome.days == 1
    assert outcome.shipments > 0 and Shipment.objects.exists()
    assert outcome.refused_allocations == []
    assert outcome.set_aside and all(f"{bad.number} DP-NOGEO: no_coordinates" in entry for entry in outcome.set_aside)
    assert Request.objects.get(pk=bad.pk).status == "approved"
