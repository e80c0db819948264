"""The allocation engine against the policy of DESIGN.md: worked examples and property tests."""

import functools
import itertools
import json
from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baogong.core.geo import haversine_km
from baogong.distribution.allocation import (
    BASIS_FULL,
    BASIS_NO_STOCK,
    BASIS_PRO_RATA,
    BASIS_SHORTAGE,
    ProblemError,
    allocate,
    parse_problem,
    solve,
)
from baogong.distribution.tests.problems import qty_of, req, wh

# ----------------------------------------------------------------- worked examples


def test_design_example_is_served_in_full():
    # given the example of DESIGN.md
    problem = {
        "warehouses": [{"id": "W1", "lat": 31.39, "lon": 121.44, "stock": {"N95": 900}}],
        "requests": [
            {
                "id": "R1",
                "tier": 1,
                "lat": 31.40,
                "lon": 121.47,
                "needed_by": "2022-04-02",
                "submitted_at": "2022-03-31T09:00:00",
                "lines": [{"item": "N95", "qty": 300}],
            }
        ],
    }
    # when / then
    assert allocate(problem) == {
        "lines": [{"request": "R1", "item": "N95", "qty": 300, "sources": [{"warehouse": "W1", "qty": 300}]}]
    }


def test_higher_tier_served_in_full_before_the_short_tier_shares_by_largest_remainder():
    # given 60 masks; tier 1 asks 40; tier 2 asks 10+10+10 (20 left -> 6 r20 each, 2 extra units);
    # R3 needs them earliest, R4 and R2 need them the same day but R4 was submitted first;
    # tier 3 asks 5 and gets nothing.
    problem = {
        "warehouses": [wh("W1", 0.0, {"N95": 60})],
        "requests": [
            req("R1", 1, [("N95", 40)]),
            req("R2", 2, [("N95", 10)], needed_by="2022-04-03", submitted_at="2022-03-31T10:00:00"),
            req("R3", 2, [("N95", 10)], needed_by="2022-04-01", submitted_at="2022-03-31T11:00:00"),
            req("R4", 2, [("N95", 10)], needed_by="2022-04-03", submitted_at="2022-03-31T09:00:00"),
            req("R5", 3, [("N95", 5)]),
        ],
    }
    # when
    result = solve(parse_problem(problem))
    answer = allocate(problem)
    # then
    assert qty_of(answer) == {("R1", "N95"): 40, ("R2", "N95"): 6, ("R3", "N95"): 7, ("R4", "N95"): 7}
    by_id = {r.request: r for r in result.lines}
    assert (by_id["R1"].basis, by_id["R1"].share) == (BASIS_FULL, 40)
    r2, r3, r4 = by_id["R2"], by_id["R3"], by_id["R4"]
    assert [(r.basis, r.available, r.tier_total, r.share, r.remainder) for r in (r2, r3, r4)] == [
        (BASIS_PRO_RATA, 20, 30, 6, 20)
    ] * 3
    assert [(r.rank, r.extra_unit) for r in (r3, r4, r2)] == [(1, True), (2, True), (3, False)]
    assert (by_id["R5"].basis, by_id["R5"].qty) == (BASIS_SHORTAGE, 0)


def test_largest_remainder_beats_earlier_date():
    # given 10 units for 7 + 5 + 3 = 15 (tier 1): 70/15=4 r10, 50/15=3 r5, 30/15=2 r0 -> 9, 1 left
    problem = {
        "warehouses": [wh("W1", 0.0, {"rice": 10})],
        "requests": [
            req("A", 1, [("rice", 7)], needed_by="2022-04-09"),
            req("B", 1, [("rice", 5)], needed_by="2022-04-01"),
            req("C", 1, [("rice", 3)], needed_by="2022-04-01"),
        ],
    }
    # when / then: A has the largest remainder although it needs the goods last
    assert qty_of(allocate(problem)) == {("A", "rice"): 5, ("B", "rice"): 3, ("C", "rice"): 2}


def test_full_tie_goes_to_smaller_id_and_integer_ids_compare_as_numbers():
    # given three identical lines with integer ids 10, 9, 100 and 2 units
    problem = {
        "warehouses": [wh("W1", 0.0, {"x": 2})],
        "requests": [req(10, 1, [("x", 1)]), req(9, 1, [("x", 1)]), req(100, 1, [("x", 1)])],
    }
    # when / then
    assert qty_of(allocate(problem)) == {(9, "x"): 1, (10, "x"): 1}


def test_sourcing_is_the_transport_optimum_not_nearest_first():
    # given W1 at lon 0 and W2 at lon 3 with 10 each; X at lon 1.2, Y at lon -0.5 want 10 each.
    # Nearest-first from X takes W1 (12 deg-units + 35 for Y); the optimum sends W2 to X and W1
    # to Y (18 + 5).
    problem = {
        "warehouses": [wh("W1", 0.0, {"tent": 10}), wh("W2", 3.0, {"tent": 10})],
        "requests": [req("X", 1, [("tent", 10)], lon=1.2), req("Y", 1, [("tent", 10)], lon=-0.5)],
    }
    # when
    answer = allocate(problem)
    result = solve(parse_problem(problem))
    # then
    assert answer["lines"] == [
        {"request": "X", "item": "tent", "qty": 10, "sources": [{"warehouse": "W2", "qty": 10}]},
        {"request": "Y", "item": "tent", "qty": 10, "sources": [{"warehouse": "W1", "qty": 10}]},
    ]
    assert result.total_cost == pytest.approx(10 * haversine_km(0, 1.2, 0, 3.0) + 10 * haversine_km(0, -0.5, 0, 0))


def test_a_line_may_be_split_across_warehouses():
    # given the near warehouse holds 4 and the far one 10; the request wants 6
    problem = {
        "warehouses": [wh("far", 2.0, {"x": 10}), wh("near", 0.1, {"x": 4})],
        "requests": [req("R", 1, [("x", 6)])],
    }
    # when / then: sources listed in warehouse input order
    assert allocate(problem)["lines"][0]["sources"] == [{"warehouse": "far", "qty": 2}, {"warehouse": "near", "qty": 4}]


def test_item_without_stock_and_zero_lines_are_left_out():
    problem = {
        "warehouses": [wh("W1", 0.0, {"a": 5})],
        "requests": [req("R1", 1, [("a", 0), ("b", 3), ("a", 2)])],
    }
    result = solve(parse_problem(problem))
    assert [(r.item, r.qty, r.basis) for r in result.lines] == [
        ("a", 0, BASIS_FULL),
        ("b", 0, BASIS_NO_STOCK),
        ("a", 2, BASIS_FULL),
    ]
    assert allocate(problem) == {
        "lines": [{"request": "R1", "item": "a", "qty": 2, "sources": [{"warehouse": "W1", "qty": 2}]}]
    }


def test_bad_problems_list_every_error():
    with pytest.raises(ProblemError) as exc:
        parse_problem(
            {
                "warehouses": [{"id": "W", "lat": 95, "lon": 0, "stock": {"a": -1}}, {"id": "W", "lat": 0, "lon": 0}],
                "requests": [
                    {
                        "id": "R",
                        "tier": 0,
                        "lat": 0,
                        "lon": 0,
                        "needed_by": "soon",
                        "lines": [{"item": "a", "qty": 1.5}],
                    }
                ],
            }
        )
    assert exc.value.errors == [
        "warehouses[0].lat: must be between -90 and 90",
        "warehouses[0].stock.a: must be a whole number of issue units >= 0",
        "warehouses[1].id: duplicate warehouse id 'W'",
        "requests[0].tier: must be an integer >= 1",
        "requests[0].needed_by: must be a date YYYY-MM-DD",
        "requests[0].lines[0].qty: must be a whole number of issue units >= 0",
    ]


# ----------------------------------------------------------------- reference implementation


def reference_shares(problem):
    """An independent statement of the policy: hand out one unit at a time inside the short tier
    to the line furthest below its exact (fractional) quota, ties by needed_by, submitted_at, id."""
    got = {}
    reqs = problem["requests"]
    items = {line["item"] for r in reqs for line in r["lines"]}
    for item in items:
        supply = sum(w["stock"].get(item, 0) for w in problem["warehouses"])
        entries = [
            (ri, li, r, line["qty"])
            for ri, r in enumerate(reqs)
            for li, line in enumerate(r["lines"])
            if line["item"] == item
        ]
        left = supply
        for tier in sorted({r["tier"] for _, _, r, _ in entries}):
            group = [e for e in entries if e[2]["tier"] == tier]
            total = sum(e[3] for e in group)
            if total <= left:
                for ri, li, _, q in group:
                    got[(ri, li)] = q
                left -= total
                continue
            quota = {(ri, li): Fraction(q * left, total) for ri, li, _, q in group}
            given = {(ri, li): 0 for ri, li, _, _ in group}
            for _ in range(left):
                best = min(
                    group,
                    key=lambda e: (
                        -(quota[(e[0], e[1])] - given[(e[0], e[1])]),
                        e[2]["needed_by"],
                        e[2]["submitted_at"],
                        e[2]["id"],
                        e[1],
                    ),
                )
                given[(best[0], best[1])] += 1
            got.update(given)
            left = 0
    return got


def brute_force_cost(demand_points, stocks, warehouses_xy):
    """Minimum of sum units x km over every integer split (tiny instances only)."""

    @functools.cache
    def best(i, left):
        if i == len(demand_points):
            return 0.0
        (lat, lon), d = demand_points[i]
        result = float("inf")
        m = len(left)
        for split in itertools.product(*(range(min(d, s) + 1) for s in left)):
            if sum(split) != d:
                continue
            cost = sum(q * haversine_km(lat, lon, *warehouses_xy[w]) for w, q in enumerate(split))
            rest = tuple(left[w] - split[w] for w in range(m))
            result = min(result, cost + best(i + 1, rest))
        return result

    return best(0, tuple(stocks))


POINTS = [(31.30, 121.40), (31.35, 121.50), (31.40, 121.45), (31.32, 121.47), (31.45, 121.38)]
DATES = ["2022-04-01", "2022-04-02"]
TIMES = ["2022-03-31T09:00:00", "2022-03-31T10:00:00"]


@st.composite
def problems(draw, max_requests=7, max_qty=20, max_stock=40, items=("a", "b")):
    n_w = draw(st.integers(1, 3))
    warehouses = []
    for w in range(n_w):
        lat, lon = draw(st.sampled_from(POINTS))
        stock = {i: draw(st.integers(0, max_stock)) for i in items}
        warehouses.append({"id": f"W{w}", "lat": lat, "lon": lon, "stock": stock})
    n_r = draw(st.integers(1, max_requests))
    ids = draw(st.permutations(list(range(n_r))))
    requests = []
    for r in range(n_r):
        lat, lon = draw(st.sampled_from(POINTS))
        lines = [
            {"item": draw(st.sampled_from(items)), "qty": draw(st.integers(0, max_qty))}
            for _ in range(draw(st.integers(1, 2)))
        ]
        requests.append(
            {
                "id": f"R{ids[r]}",
                "tier": draw(st.integers(1, 3)),
                "lat": lat,
                "lon": lon,
                "needed_by": draw(st.sampled_from(DATES)),
                "submitted_at": draw(st.sampled_from(TIMES)),
                "lines": lines,
            }
        )
    return {"warehouses": warehouses, "requests": requests}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_shares_match_the_reference_policy(problem):
    result = solve(parse_problem(problem))
    expected = reference_shares(problem)
    assert {(r.request_index, r.line_index): r.qty for r in result.lines} == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_conservation_and_feasible_sources(problem):
    result = solve(parse_problem(problem))
    stock = {(w["id"], i): q for w in problem["warehouses"] for i, q in w["stock"].items()}
    used = dict.fromkeys(stock, 0)
    for r in result.lines:
        assert 0 <= r.qty <= r.requested
        assert sum(q for _, q in r.sources) == r.qty
        assert all(q > 0 for _, q in r.sources)
        for w, q in r.sources:
            used[(w, r.item)] += q
    assert all(used[k] <= stock[k] for k in stock)
    for item in {r.item for r in result.lines}:
        supply = sum(w["stock"].get(item, 0) for w in problem["warehouses"])
        demand = sum(r.requested for r in result.lines if r.item == item)
        assert sum(r.qty for r in result.lines if r.item == item) == min(supply, demand)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_requests=4, max_qty=6, max_stock=8, items=("a",)))
def test_sourcing_cost_equals_brute_force_optimum(problem):
    result = solve(parse_problem(problem))
    demand_points = tuple(
        ((problem["requests"][r.request_index]["lat"], problem["requests"][r.request_index]["lon"]), r.qty)
        for r in result.lines
        if r.qty > 0
    )
    stocks = [w["stock"]["a"] for w in problem["warehouses"]]
    xy = [(w["lat"], w["lon"]) for w in problem["warehouses"]]
    optimum = brute_force_cost(demand_points, stocks, xy)
    assert result.total_cost == pytest.approx(optimum, rel=1e-9, abs=1e-6)
    # each line's cost is what its sources say
    for r in result.lines:
        req_ = problem["requests"][r.request_index]
        wxy = {w["id"]: (w["lat"], w["lon"]) for w in problem["warehouses"]}
        assert r.cost_km == pytest.approx(
            sum(q * haversine_km(req_["lat"], req_["lon"], *wxy[w]) for w, q in r.sources)
        )


def test_sourcing_on_a_larger_constrained_instance_is_no_worse_than_nearest_first():
    # given 30 requests at distinct places, 3 warehouses whose nearest-assignment overloads one
    base = datetime(2022, 3, 31, 9)
    warehouses = [
        wh("W1", 121.40, {"a": 100}, lat=31.30),
        wh("W2", 121.60, {"a": 200}, lat=31.40),
        wh("W3", 121.30, {"a": 60}, lat=31.50),
    ]
    requests = [
        req(
            f"R{i:02d}",
            1,
            [("a", 5 + i % 7)],
            lon=121.38 + 0.003 * i,
            lat=31.31 + 0.002 * i,
            submitted_at=(base + timedelta(minutes=i)).isoformat(),
        )
        for i in range(30)
    ]
    problem = {"warehouses": warehouses, "requests": requests}
    # when
    result = solve(parse_problem(problem))
    # then: feasibility and no worse than nearest-first greedy in input order
    stock = {"W1": 100, "W2": 200, "W3": 60}
    greedy_cost = 0.0
    left = dict(stock)
    for r in requests:
        need = r["lines"][0]["qty"]
        for w in sorted(warehouses, key=lambda w: haversine_km(r["lat"], r["lon"], w["lat"], w["lon"])):
            take = min(need, left[w["id"]])
            left[w["id"]] -= take
            need -= take
            greedy_cost += take * haversine_km(r["lat"], r["lon"], w["lat"], w["lon"])
    assert sum(r.qty for r in result.lines) == sum(5 + i % 7 for i in range(30))
    assert result.total_cost <= greedy_cost + 1e-9
    assert date(2022, 4, 2) == parse_problem(problem).requests[0].needed_by


def highs_transport_cost(costs, demand, supply):
    """Independent optimum: the transportation LP solved by HiGHS."""
    import highspy
    import numpy as np

    n, m = len(demand), len(supply)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n * m, n + m
    lp.col_cost_ = np.asarray([c for row in costs for c in row], dtype=float)
    lp.col_lower_, lp.col_upper_ = np.zeros(n * m), np.full(n * m, inf)
    lp.row_lower_ = np.asarray([float(d) for d in demand] + [-inf] * m)
    lp.row_upper_ = np.asarray([float(d) for d in demand] + [float(s) for s in supply])
    index = np.empty(2 * n * m, dtype=np.int32)
    index[0::2] = np.repeat(np.arange(n, dtype=np.int32), m)
    index[1::2] = n + np.tile(np.arange(m, dtype=np.int32), n)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * n * m + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = np.ones(2 * n * m)
    h.passModel(lp)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda m: st.tuples(
            st.lists(
                st.lists(st.floats(0, 50, allow_nan=False).map(lambda x: round(x, 3)), min_size=m, max_size=m),
                min_size=1,
                max_size=40,
            ),
            st.lists(st.integers(0, 60), min_size=m, max_size=m),
            st.data(),
        )
    )
)
def test_transport_matches_the_highs_lp_optimum(args):
    from baogong.distribution.allocation import _transport

    # given random costs (with ties: rounded), capacities and demands that fit in total
    costs, supply, data = args
    total = sum(supply)
    demand = []
    for _ in costs:
        d = data.draw(st.integers(0, min(30, total)))
        demand.append(d)
        total -= d
    # when
    flows = _transport(costs, demand, supply)
    # then: feasible, integral and as cheap as the LP optimum
    assert [sum(row) for row in flows] == demand
    assert all(sum(flows[i][w] for i in range(len(costs))) <= supply[w] for w in range(len(supply)))
    assert all(q >= 0 for row in flows for q in row)
    cost = sum(q * c for row, crow in zip(flows, costs, strict=True) for q, c in zip(row, crow, strict=True))
    assert cost == pytest.approx(highs_transport_cost(costs, demand, supply), rel=1e-9, abs=1e-6)


def test_missing_dates_sort_after_real_dates():
    # given two identical lines, one without needed_by, and 1 unit
    problem = {
        "warehouses": [wh("W1", 0.0, {"x": 1})],
        "requests": [req("A", 1, [("x", 1)], needed_by=None), req("B", 1, [("x", 1)])],
    }
    # when / then: B (with a date) wins although A has the smaller id
    assert qty_of(allocate(problem)) == {("B", "x"): 1}


# ----------------------------------------------------------------- fast paths give the same answers


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_requests=6))
def test_fast_parser_builds_what_the_checked_parser_builds(problem):
    from baogong.distribution.allocation import _parse_checked, _parse_fast

    # given a valid problem (some requests without dates, one with an aware time)
    problem["requests"][0]["needed_by"] = None
    problem["requests"][-1]["submitted_at"] = "2022-03-31T10:00:00+08:00"
    # when / then
    fast = _parse_fast(problem)
    assert fast is not None
    assert fast == _parse_checked(problem)
    assert fast.requests[-1].submitted_at == datetime(2022, 3, 31, 2, 0)


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["requests"][0].update(tier=True),
        lambda p: p["requests"][0].update(lat=91),
        lambda p: p["requests"][0]["lines"][0].update(qty=-1),
        lambda p: p["requests"][0]["lines"][0].update(item=7),
        lambda p: p["requests"][0].update(needed_by="2022-13-01"),
        lambda p: p["warehouses"][0]["stock"].update(a=1.5),
        lambda p: p["requests"].append(dict(p["requests"][0])),
    ],
)
def test_fast_parser_leaves_anything_unusual_to_the_checked_parser(change):
    from baogong.distribution.allocation import _parse_fast

    # given a problem with one unusual value
    problem = {"warehouses": [wh("W1", 0.0, {"a": 3})], "requests": [req("R1", 1, [("a", 5)])]}
    assert _parse_fast(problem) is not None
    change(problem)
    # when / then: the fast parser gives up, and parse_problem answers as the checked parser does
    assert _parse_fast(problem) is None


def test_integer_items_still_parse_through_the_checked_parser():
    problem = {"warehouses": [wh("W1", 0.0, {"7": 3})], "requests": [req("R1", 1, [(7, 5)])]}
    assert qty_of(allocate(problem)) == {("R1", "7"): 3}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.booleans())
def test_answer_text_is_json_dumps_of_the_answer(problem, integer_ids):
    from baogong.distribution.allocation import answer_text

    # given ids that are integers or need escaping
    for i, r in enumerate(problem["requests"]):
        r["id"] = i if integer_ids else f'R"{i}\\é'
    result = solve(parse_problem(problem))
    # when / then
    assert answer_text(result) == json.dumps(allocate(problem), ensure_ascii=False)


def test_transport_with_given_ranking_matches_without():
    from baogong.distribution.allocation import _transport

    costs = [[3.0, 1.0, 2.0], [1.0, 1.0, 5.0], [4.0, 2.0, 0.5], [2.0, 3.0, 1.0]]
    demand, supply = [5, 4, 6, 3], [6, 5, 7]
    ranked = [sorted(range(3), key=row.__getitem__) for row in costs]
    flows = _transport(costs, demand, supply, ranked)
    assert flows == _transport(costs, demand, supply)
    assert [sum(row) for row in flows] == demand
    assert sum(q * c for row, crow in zip(flows, costs) for q, c in zip(row, crow)) == pytest.approx(
        highs_transport_cost(costs, demand, supply)
    )
