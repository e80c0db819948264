"""Hypothesis fuzzing of the JSON contracts (``baogong allocate``, the insurance quote, the
rent-relief quote) and of every Excel import: bad input gets a clear error, never a crash.

Bodies are valid examples with leaves replaced by hostile values (wrong types, huge and
negative numbers, odd text, nulls, nesting), plus free-form JSON. Not marked ``security``:
these also run in the PostgreSQL pass of ``make test``.
"""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from baogong.core.errors import DomainError
from baogong.core.excel import ImportFailed
from baogong.distribution.allocation import ProblemError, allocate
from tests.security.test_hostile_imports import SPECS

# Deterministic: derandomized, so a run tries the same cases every time.
FUZZ = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            " ",
            "1e400",
            "-1",
            "0",
            "NaN",
            "Infinity",
            "２０２２-０４-０１",
            "=1+1",
            "\u3000",
            "null",
            "9" * 400,
            "2022-02-30",
            "2022-04-01T25:00:00",
            "甲类",
            "A",
            "W1",
            "N95",
        ]
    ),
    st.text(max_size=40),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node of a JSON value (dict keys and list indexes)."""
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out.extend(paths_of(child, (*prefix, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out.extend(paths_of(child, (*prefix, i)))
    return out


@st.composite
def mutated(draw: Any, example: dict[str, Any]) -> Any:
    """The example with 1–3 nodes replaced by hostile values or deleted."""
    body = copy.deepcopy(example)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in paths_of(body) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(HOSTILE_LEAVES)
    return body


# --- baogong allocate ---------------------------------------------------------------------------
PROBLEM = {
    "warehouses": [
        {"id": "W1", "lat": 31.39, "lon": 121.44, "stock": {"N95": 900, "WATER": 10}},
        {"id": "W2", "lat": 31.30, "lon": 121.50, "stock": {"N95": 100}},
    ],
    "requests": [
        {
            "id": "R1",
            "tier": 1,
            "lat": 31.40,
            "lon": 121.47,
            "needed_by": "2022-04-02",
            "submitted_at": "2022-03-31T09:00:00",
            "lines": [{"item": "N95", "qty": 300}],
        },
        {
            "id": "R2",
            "tier": 2,
            "lat": 31.35,
            "lon": 121.40,
            "needed_by": "2022-04-03",
            "submitted_at": "2022-03-31T10:00:00",
            "lines": [{"item": "N95", "qty": 900}, {"item": "WATER", "qty": 4}],
        },
    ],
}


def attempt(function: Any, *args: Any, **kwargs: Any) -> Any:
    """The function's answer, or the domain error it raised (anything else fails the test)."""
    try:
        return function(*args, **kwargs)
    except (ProblemError, DomainError) as exc:
        return exc


def check_answer(answer: Any) -> None:
    assert isinstance(answer, dict) and isinstance(answer["lines"], list)
    for line in answer["lines"]:
        assert line["qty"] > 0 and sum(s["qty"] for s in line["sources"]) == line["qty"]


def test_the_example_problem_allocates():
    check_answer(allocate(copy.deepcopy(PROBLEM)))


@FUZZ
@given(mutated(PROBLEM))
def test_allocate_mutated_problems_answer_or_explain(problem):
    outcome = attempt(allocate, problem)
    if isinstance(outcome, ProblemError):
        assert outcome.errors and all(isinstance(e, str) and e for e in outcome.errors)
    else:
        check_answer(outcome)


@FUZZ
@given(JSON)
def test_allocate_free_form_json_answers_or_explains(problem):
    outcome = attempt(allocate, problem)
    if isinstance(outcome, ProblemError):
        assert outcome.errors
    else:
        check_answer(outcome)


@pytest.mark.parametrize("text", ["", "{", "[]", "null", '{"warehouses": 1}', '"x"', "\ufeff{}", "1e999999"])
def test_allocate_command_exits_2_with_a_message_on_bad_json(tmp_path, text, capsys):
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as caught:
        call_command("allocate", str(path))
    assert caught.value.code == 2
    assert capsys.readouterr().err.startswith("allocate: ")


def test_allocate_command_answers_the_example(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PROBLEM), encoding="utf-8")
    call_command("allocate", str(path))
    check_answer(json.loads(capsys.readouterr().out))


# --- quotes over the API ------------------------------------------------------------------------
INSURANCE = {
    "lines": [
        {"drug": "连花清瘟胶囊", "unit_price": "26.80", "qty": 2, "class": "B"},
        {"drug": "布洛芬", "unit_price": "9.99", "qty": 1, "class": "A"},
    ],
    "fees": "5.00",
    "account": {"current_year": "20.00", "prior_years": "35.00"},
}
RELIEF = {
    "as_of": "2022-06-01",
    "tenant": {
        "type": "enterprise",
        "industry": "零售业",
        "employees": 12,
        "revenue_wan": "150",
        "assets_wan": "80",
        "state_owned": False,
        "subsidiary_of_large_group": False,
        "role": "final_occupier",
        "in_arrears": False,
    },
    "property": {"state_owned": True},
    "lease": {"start": "2022-07-01", "end": "2023-06-30", "rent": "30000.00", "period_months": 3, "rent_free": []},
    "proof": {"risk_area": False, "sealed_or_closed": False, "full_year_loss": False},
}
QUOTES = {
    "insurance": ("/api/v1/pharmacy/insurance-quote", INSURANCE, "pharmacist"),
    "relief": ("/api/v1/rent-relief/quote", RELIEF, "property"),
}


def check_quote_answer(response: Any) -> None:
    assert response.status_code in (200, 400), (response.status_code, response.content[:500])
    body = response.json()
    if response.status_code == 400:
        assert set(body) == {"code", "message", "details"} and body["message"]


@pytest.mark.parametrize("name", list(QUOTES))
def test_the_example_quotes_answer(api_for, name):
    url, example, username = QUOTES[name]
    assert api_for(username).post(url, example, format="json").status_code == 200


@pytest.mark.parametrize("name", list(QUOTES))
def test_quotes_answer_mutated_bodies_with_a_clear_error(api_for, name):
    url, example, username = QUOTES[name]
    api = api_for(username)

    @FUZZ
    @given(mutated(example))
    def run(body):
        check_quote_answer(api.post(url, body, format="json"))

    run()


@pytest.mark.parametrize("name", list(QUOTES))
def test_quotes_answer_free_form_json_and_broken_bodies(api_for, name):
    url, _example, username = QUOTES[name]
    api = api_for(username)

    @FUZZ
    @given(JSON)
    def run(body):
        check_quote_answer(api.post(url, json.dumps(body), content_type="application/json"))

    run()
    for raw in (b"{", b"\xff\xfe", b"[1,2", b"null", b"1e999999"):
        check_quote_answer(api.post(url, raw, content_type="application/json"))


# --- every Excel import ---------------------------------------------------------------------------
CELLS = st.one_of(
    st.none(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    st.sampled_from(["=1+1", "１２３", "\u3000", "2022/4/1", "2022年4月1日", "-1", "0", "1e308", "N95", "FH-FCL"]),
)


@st.composite
def import_rows(draw: Any, spec: Any, columns: list[Any]) -> list[list[Any]]:
    """1–4 rows: random cells, or a row valid on the base data with some cells made hostile
    (so that good and bad rows meet in one file)."""
    rows = []
    for number in range(draw(st.integers(min_value=1, max_value=4))):
        if spec.valid and draw(st.booleans()):
            valid = spec.row(number + 1)
            row = [valid.get(c.key) for c in columns]
            for index in draw(st.sets(st.integers(min_value=0, max_value=len(columns) - 1), max_size=2)):
                row[index] = draw(CELLS)
        else:
            row = draw(st.lists(CELLS, min_size=len(columns), max_size=len(columns)))
        rows.append(row)
    return rows


def in_savepoint(work: Any) -> Any:
    """``work()`` in a block rolled back afterwards (marked like the test's own block, so the
    importers' durable transactions run inside it): every example meets the same data."""
    from django.db import transaction

    block = transaction.atomic()
    block._from_testcase = True
    with block:
        try:
            return work()
        finally:
            transaction.set_rollback(True)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_import_reports_or_imports_random_cells_never_crashes_nor_half_writes(base, user, spec):
    from baogong.catalog import actions as catalog_actions
    from baogong.core.audit import SystemActor
    from baogong.core.models import AuditEvent
    from tests.security.test_hostile_imports import model_of

    catalog_actions.create_item({"code": "N95", "name": "医用防护口罩", "unit": "盒"}, actor=SystemActor("tests"))
    function, columns = spec.load()
    actor = user(spec.user)
    model = model_of(spec)

    @settings(
        max_examples=15,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(import_rows(spec, columns))
    def run(rows):
        book = Workbook()
        sheet = book.active
        sheet.append([c.header for c in columns])
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        buffer.seek(0)

        def attempt_import() -> None:
            before = (model.objects.count(), AuditEvent.objects.count())
            outcome = attempt(function, buffer, actor=actor)
            if isinstance(outcome, DomainError):  # a report or an action's own refusal: nothing written
                assert (model.objects.count(), AuditEvent.objects.count()) == before, rows
                assert outcome.message
            if isinstance(outcome, ImportFailed):
                assert outcome.details.get("rows") is not None
                for entry in outcome.details["rows"]:
                    assert {"row", "field", "message"} <= set(entry)

        in_savepoint(attempt_import)

    run()
