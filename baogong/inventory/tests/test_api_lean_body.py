"""The issue endpoint's lean body reading and answer (issue 25) agree with ``IssueIn``/``IssueOut``:
a body the lean reader takes validates to the same values through the serializer, a body the
serializer refuses is never taken by the lean reader, and the answer renders the same JSON."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baogong.inventory import api_lean
from baogong.inventory.api import IssueIn, IssueOut


def _serializer(body: Any) -> dict[str, Any] | None:
    data = IssueIn(data=body)
    if not data.is_valid():
        return None
    return json.loads(json.dumps(data.validated_data))


def _agree(body: Any) -> None:
    lean = api_lean.issue_input(body)
    expected = _serializer(body)
    if lean is not None:
        assert expected is not None, body
        assert json.loads(json.dumps(lean)) == expected


LINE = {"item": "WATER", "qty": 1}
DOC = {"warehouse": "WH-TXQ", "recipient": "FH-FCL", "lines": [LINE]}


@pytest.mark.parametrize(
    "body",
    [
        DOC,
        {**DOC, "reference": ""},
        {**DOC, "reference": "送货单 7"},
        {**DOC, "lines": [{**LINE, "lot": ""}, {**LINE, "lot": "B1", "qty": 2_000_000_000}]},
        {**DOC, "extra": 1},
        {**DOC, "warehouse": " WH-TXQ"},
        {**DOC, "warehouse": ""},
        {**DOC, "warehouse": 7},
        {**DOC, "warehouse": "W" * 65},
        {**DOC, "recipient": None},
        {**DOC, "reference": "x" * 129},
        {**DOC, "reference": "a\x00b"},
        {**DOC, "reference": "\ud800"},
        {**DOC, "lines": []},
        {**DOC, "lines": [LINE] * 5_001},
        {**DOC, "lines": "WATER"},
        {**DOC, "lines": [{**LINE, "qty": 0}]},
        {**DOC, "lines": [{**LINE, "qty": True}]},
        {**DOC, "lines": [{**LINE, "qty": "3"}]},
        {**DOC, "lines": [{**LINE, "qty": 1.0}]},
        {**DOC, "lines": [{**LINE, "qty": 2_000_000_001}]},
        {**DOC, "lines": [{**LINE, "lot": None}]},
        {**DOC, "lines": [{**LINE, "extra": 1}]},
        {**DOC, "lines": [{"item": "WATER"}]},
        {"warehouse": "WH-TXQ", "lines": [LINE]},
        [DOC],
    ],
)
def test_the_lean_reader_takes_only_what_the_serializer_takes_alike(body):
    _agree(body)


def test_plain_bodies_are_read_without_the_serializer():
    assert api_lean.issue_input(DOC) == {"warehouse": "WH-TXQ", "recipient": "FH-FCL", "lines": [LINE]}
    assert api_lean.issue_input({**DOC, "warehouse": " WH-TXQ"}) is None  # the serializer trims it


TEXT = st.one_of(st.text(max_size=70), st.sampled_from(["", " ", "WATER", "WATER ", "\x00"]), st.none(), st.integers())
QTY = st.one_of(st.integers(min_value=-2, max_value=2_000_000_002), st.booleans(), st.text(max_size=3), st.none())
LINES = st.lists(st.fixed_dictionaries({"item": TEXT, "qty": QTY}, optional={"lot": TEXT, "other": TEXT}), max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {"warehouse": TEXT, "recipient": TEXT, "lines": st.one_of(LINES, TEXT)},
        optional={"reference": st.one_of(TEXT, st.text(min_size=120, max_size=140))},
    )
)
def test_any_body_is_read_alike(body):
    _agree(body)


@pytest.mark.parametrize(
    ("expiry", "cost"), [(None, Decimal("24")), (dt.date(2027, 3, 1), Decimal("1.5")), (None, Decimal("0.12345"))]
)
def test_the_answer_renders_as_the_serializer_does(expiry, cost):
    created = dt.datetime(2026, 12, 6, 4, 5, 6, 789, tzinfo=dt.UTC)
    lines = [{"item": "WATER", "lot": "B1", "expiry": expiry, "location": "A-01", "qty": 3, "unit_cost": cost}]
    values = {"warehouse": "WH-TXQ", "recipient": "FH-FCL", "reference": "r", "created_at": created}
    lean = api_lean.issue_body(pk=7, number="IS-20261206-000007", lines=lines, **values)
    expected = IssueOut({"id": 7, "number": "IS-20261206-000007", **values, "lines": lines}).data
    assert json.dumps(lean) == json.dumps(expected)
