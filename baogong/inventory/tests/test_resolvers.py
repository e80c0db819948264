"""Codes named on a receipt or an issue are resolved once (``inventory/resolvers.py``, with the
catalog's and orgs' resolvers) for the page and the API: the same unknown code gets the same
message on the same field of the same line, in both, and nothing is written."""

from __future__ import annotations

import pytest
from django.http import Http404

from baogong.catalog.resolvers import UNKNOWN_ITEM
from baogong.inventory import resolvers
from baogong.inventory.models import Issue, Lot, StockMove
from baogong.inventory.tests.conftest import in_days
from baogong.orgs import resolvers as site_resolvers

ISSUES = "/api/v1/inventory/issues/"
RECEIPTS = "/api/v1/inventory/receipts/"


@pytest.fixture
def stocked(txq, n95, water, receive):
    receive(txq, n95, "N-1", 40, expiry=in_days(100))
    return txq


def _issue_form(txq, recipient, *lines):
    data = {
        "warehouse": txq.pk,
        "recipient": recipient,
        "reference": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for i, line in enumerate(lines):
        data.update({f"lines-{i}-{k}": v for k, v in line.items()})
    return data


def test_issue_lines_name_the_unknown_item_and_batch_per_line(stocked, n95):
    inputs, errors = resolvers.issue_lines(
        [
            {"item": "N95", "qty": 2, "lot": "N-1"},
            {},
            {"item": "NOPE", "qty": 1},
            {"item": "N95", "qty": 1, "lot": "X"},
        ],
        batch_field="lot",
    )
    assert [(line.item, line.qty, line.lot) for line in inputs] == [(n95, 2, Lot.objects.get(batch="N-1"))]
    assert errors == {2: ("item", UNKNOWN_ITEM), 3: ("lot", resolvers.UNKNOWN_LOT)}


def test_receipt_lines_default_the_unit_cost_and_refuse_a_bin_of_another_kind(txq, n95):
    inputs, errors = resolvers.receipt_lines(
        txq,
        [{"item": "N95", "qty": 3, "batch": "B"}, {"item": "N95", "qty": 1, "location": "NOPE"}],
        batch_field="batch",
        stock_locations_only=True,
    )
    assert [(line.batch, line.qty, line.unit_cost) for line in inputs] == [("B", 3, n95.reference_price)]
    assert errors == {1: ("location", resolvers.UNKNOWN_LOCATION)}


def test_the_issue_page_and_the_api_refuse_the_same_codes_alike(stocked, client_for, api_for):
    page = client_for("warehouse").post(
        "/inventory/issue/",
        _issue_form(
            stocked, "NOPE", {"item": "NOPE", "qty": "1", "batch": ""}, {"item": "N95", "qty": "1", "batch": "X"}
        ),
    )
    assert page.status_code == 200
    form, lines = page.context["header"], page.context["lines"]
    assert form.errors["recipient"] == [str(site_resolvers.UNKNOWN_SITE)]
    assert lines.forms[0].errors == {"item": [str(UNKNOWN_ITEM)]}
    assert lines.forms[1].errors == {"batch": [str(resolvers.UNKNOWN_LOT)]}

    api = api_for("warehouse")
    answer = api.post(
        ISSUES,
        {
            "warehouse": "WH-TXQ",
            "recipient": "FH-FCL",
            "lines": [{"item": "NOPE", "qty": 1}, {"item": "N95", "qty": 1, "lot": "X"}],
        },
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["details"] == {
        "lines": {"0": {"item": [str(UNKNOWN_ITEM)]}, "1": {"lot": [str(resolvers.UNKNOWN_LOT)]}}
    }
    assert not Issue.objects.exists()


def test_the_receipt_api_names_an_unknown_bin(txq, n95, api_for):
    moves = StockMove.objects.count()
    answer = api_for("warehouse").post(
        RECEIPTS,
        {"warehouse": "WH-TXQ", "lines": [{"item": "N95", "qty": 1, "unit_cost": "1", "location": "NOPE"}]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["details"] == {"lines": {"0": {"location": [str(resolvers.UNKNOWN_LOCATION)]}}}
    assert StockMove.objects.count() == moves


def test_a_site_the_user_acts_at_is_scoped_a_recipient_is_any_site(base, user, wh_yy, hospital):
    keeper = user("warehouse")
    assert site_resolvers.scoped_site(keeper, "WH-TXQ").code == "WH-TXQ"
    with pytest.raises(Http404):
        site_resolvers.scoped_site(keeper, wh_yy.code)
    assert site_resolvers.site_by_code(hospital.code) == hospital
    assert site_resolvers.site_by_code("NOPE") is None
    assert site_resolvers.sites_by_code(["WH-TXQ", "NOPE"]).keys() == {"WH-TXQ"}
