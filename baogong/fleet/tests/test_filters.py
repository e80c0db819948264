"""One filter per list (``fleet/filters.py``): the vehicle page and the API answer the same
vehicles for the same query."""

from __future__ import annotations

import pytest

QUERIES = [
    ("q=a12", {"沪A12345"}),
    ("kind=van", {"沪B67890"}),
    ("status=active&kind=light_truck", {"沪A12345"}),
    ("plate=沪B67890", {"沪B67890"}),
    ("", {"沪A12345", "沪B67890"}),
]


@pytest.mark.parametrize(("query", "plates"), QUERIES)
def test_the_vehicle_page_and_api_filter_alike(make_vehicle, client_for, api_for, query, plates):
    make_vehicle()
    make_vehicle("沪B67890", kind="van")
    page = client_for("dispatcher").get(f"/fleet/vehicles/?{query}")
    assert page.status_code == 200
    assert {v.plate for v in page.context["page"].object_list} == plates
    answer = api_for("dispatcher").get(f"/api/v1/fleet/vehicles/?{query}")
    assert answer.status_code == 200
    assert {v["plate"] for v in answer.json()["results"]} == plates
