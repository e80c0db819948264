"""One filter per list (``procurement/filters.py``): the supplier page and the API answer the same
suppliers for the same query."""

from __future__ import annotations

import pytest

from baogong.procurement.tests.conftest import GOOD_USCC, OTHER_USCC

QUERIES = [
    ("status=pending", {"另一家"}),
    ("status=approved", {"上海康安医疗器械有限公司"}),
    ("q=另一", {"另一家"}),
    (f"q={OTHER_USCC[-6:].lower()}", {"另一家"}),
    (f"uscc={GOOD_USCC}", {"上海康安医疗器械有限公司"}),
    ("", {"另一家", "上海康安医疗器械有限公司"}),
]


@pytest.fixture
def suppliers(make_supplier):
    make_supplier()
    make_supplier(uscc=OTHER_USCC, name="另一家", approve=False)


@pytest.mark.parametrize(("query", "names"), QUERIES)
def test_the_supplier_page_and_api_filter_alike(suppliers, client_for, api_for, query, names):
    page = client_for("procurement").get(f"/procurement/suppliers/?{query}")
    assert page.status_code == 200
    assert {s.name for s in page.context["page"].object_list} == names
    answer = api_for("procurement").get(f"/api/v1/procurement/suppliers/?{query}")
    assert answer.status_code == 200
    assert {s["name"] for s in answer.json()["results"]} == names


def test_the_order_api_refuses_an_unknown_status(suppliers, api_for):
    assert api_for("procurement").get("/api/v1/procurement/orders/?status=nope").status_code == 400
