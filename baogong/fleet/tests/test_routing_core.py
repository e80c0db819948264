"""The planning core on plain data: capacities, windows, shift length, multiple depots."""

import math

import pytest

from baogong.core.geo import haversine_km
from baogong.fleet.routing import PlanOptions, Stop, TravelMatrix, Vehicle, evaluate_route, plan_routes

pytestmark = pytest.mark.clock_free  # no clock read: left out of the moved-clock pass (make test-clock)
TXQ = (31.3460, 121.4050)
BY = (31.3100, 121.4150)
OPTS = PlanOptions(detour_factor=1.3, speed_kmh=30, seconds=1, seed=1)


def truck(key, depot=TXQ, depot_key="TXQ", kg=1000, shift=(8 * 60, 600)):
    return Vehicle(key, depot_key, depot[0], depot[1], (kg, 0, 0), shift_start=shift[0], shift_minutes=shift[1])


def stops_around(n, centre, prefix, kg=100, window=None):
    out = []
    for i in range(n):
        angle = 2 * math.pi * i / n
        out.append(
            Stop(
                f"{prefix}{i}",
                centre[0] + 0.02 * math.sin(angle),
                centre[1] + 0.02 * math.cos(angle),
                (kg, 0, 0),
                window,
                10,
            )
        )
    return out


def test_great_circle_matrix_uses_detour_factor_and_speed():
    m = TravelMatrix.great_circle([TXQ, BY], detour_factor=1.5, speed_kmh=30)
    km = haversine_km(*TXQ, *BY) * 1.5
    assert m.metres[0][1] == m.metres[1][0] == round(km * 1000)
    assert m.seconds[0][1] == round(km / 30 * 3600)
    assert m.metres[0][0] == 0


def test_capacity_splits_the_stops_over_vehicles_and_each_stop_is_served_once():
    # given 12 stops of 100 kg and three 500 kg trucks
    stops = stops_around(12, TXQ, "s")
    vehicles = [truck("A", kg=500), truck("B", kg=500), truck("C", kg=500)]
    # when planned
    result = plan_routes(stops, vehicles, OPTS)
    # then every stop is on exactly one route and no route carries over 500 kg
    served = [v.key for r in result.routes for v in r.visits]
    assert sorted(served) == sorted(s.key for s in stops)
    assert result.unassigned == [] and result.feasible
    assert all(r.load[0] <= 500 for r in result.routes)
    assert len(result.routes) == 3
    # and km is the sum of the legs the evaluation recomputes
    for r in result.routes:
        again = evaluate_route(
            next(v for v in vehicles if v.key == r.vehicle_key),
            [s for k in [x.key for x in r.visits] for s in stops if s.key == k],
            OPTS,
        )
        assert again.km == r.km and [v.arrival for v in again.visits] == [v.arrival for v in r.visits]


def test_receiving_windows_are_met_and_etas_follow_travel_time():
    # given stops that receive only 14:00-15:00 and one that receives 09:00-10:00
    afternoon = stops_around(4, TXQ, "pm", window=(14 * 60, 15 * 60))
    morning = [Stop("am", TXQ[0] + 0.01, TXQ[1], (100, 0, 0), (9 * 60, 10 * 60), 10)]
    result = plan_routes(afternoon + morning, [truck("A")], OPTS)
    assert result.feasible
    visits = {v.key: v for r in result.routes for v in r.visits}
    assert 9 * 60 <= visits["am"].start <= 10 * 60
    for s in afternoon:
        assert 14 * 60 <= visits[s.key].start <= 15 * 60
    order = [v.key for v in result.routes[0].visits]
    assert order[0] == "am"


def test_stop_no_vehicle_can_serve_is_reported_unassigned():
    # given a stop heavier than any vehicle
    stops = [*stops_around(3, TXQ, "s"), Stop("heavy", TXQ[0] + 0.01, TXQ[1], (5000, 0, 0))]
    result = plan_routes(stops, [truck("A")], OPTS)
    assert result.unassigned == ["heavy"]
    assert sorted(v.key for r in result.routes for v in r.visits) == ["s0", "s1", "s2"]


def test_shift_length_limits_a_route():
    # given 2 h shifts and stops 30 min of service each: one truck cannot do all six
    stops = [Stop(f"s{i}", TXQ[0] + 0.001 * i, TXQ[1], (10, 0, 0), None, 30) for i in range(1, 7)]
    result = plan_routes(stops, [truck("A", shift=(8 * 60, 120)), truck("B", shift=(8 * 60, 120))], OPTS)
    assert result.feasible and len(result.routes) == 2
    for r in result.routes:
        assert r.end - r.start <= 120


def test_multi_depot_vehicles_serve_the_stops_near_their_depot():
    # given stops around 泰兴桥 and around 北翼 (4 km apart), a truck at each depot
    stops = stops_around(5, TXQ, "t", kg=10) + stops_around(5, (BY[0] - 0.03, BY[1]), "b", kg=10)
    vehicles = [truck("at-TXQ"), truck("at-BY", depot=BY, depot_key="BY")]
    result = plan_routes(stops, vehicles, OPTS)
    by_vehicle = {r.vehicle_key: {v.key[0] for v in r.visits} for r in result.routes}
    assert by_vehicle == {"at-TXQ": {"t"}, "at-BY": {"b"}}


def test_evaluate_reports_over_capacity_late_and_over_shift():
    v = truck("A", kg=150, shift=(8 * 60, 60))
    stops = [
        Stop("x", TXQ[0] + 0.05, TXQ[1], (100, 0, 0), (8 * 60, 8 * 60 + 5), 30),
        Stop("y", TXQ[0] + 0.1, TXQ[1], (100, 0, 0), None, 30),
    ]
    r = evaluate_route(v, stops, OPTS)
    assert r.problems[0] == "over capacity: 200 > 150 kg"
    assert r.problems[1] == "late at x: 10 min after the window"  # 7.2 km at 30 km/h from 08:00
    assert r.visits[0].late_minutes == 10
    assert any(p.startswith("over shift") for p in r.problems)
    assert r.load == (200, 0, 0)
    assert r.visits[-1].load_after == (0, 0, 0)


def test_osrm_table_client_reads_distances_and_durations():
    # given a local OSRM-compatible table service
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            body = json.dumps(
                {"code": "Ok", "distances": [[0, 1234.4], [1300.6, 0]], "durations": [[0, 100.2], [110.7, 0]]}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        m = TravelMatrix.osrm(f"http://127.0.0.1:{server.server_port}/", [TXQ, BY])
    finally:
        thread.join(5)
        server.server_close()
    assert seen == ["/table/v1/driving/121.405000,31.346000;121.415000,31.310000?annotations=distance,duration"]
    assert m.metres == [[0, 1234], [1301, 0]]
    assert m.seconds == [[0, 100], [111, 0]]


def test_osrm_url_must_be_http():
    with pytest.raises(ValueError, match="http"):
        TravelMatrix.osrm("file:///etc", [TXQ, BY])
