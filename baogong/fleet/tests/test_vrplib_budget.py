"""The benchmark solver's time limit counts from the command's start and its settings by size."""

from pathlib import Path

import vrplib

from baogong.fleet.routing import VrplibParams, solve_vrplib, vrplib_params, vrplib_route_cost

DATA = Path(__file__).parent / "data"


class StepClock:
    """A clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now = 100.0
        self.step = step
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += self.step
        return self.now


def test_a_limit_already_spent_on_reading_still_answers_a_complete_solution():
    # given a limit whose whole budget went before the search (started two seconds ago, limit one)
    clock = StepClock(0.001)
    answer = solve_vrplib(DATA / "X-n101-k25.vrp", 1.0, seed=0, started=clock() - 2.0, clock=clock)
    # then the search stops at once, and the first solution is complete and correctly costed
    assert sorted(n for r in answer["routes"] for n in r) == list(range(2, 102))
    instance = vrplib.read_instance(str(DATA / "X-n101-k25.vrp"))
    assert answer["cost"] == vrplib_route_cost(instance, [[n - 1 for n in r] for r in answer["routes"]])
    assert clock.reads < 10


def test_the_search_runs_until_the_limit_on_the_given_clock():
    # given a clock moving 1 ms per read and a 0.5 s limit: about 450 checks of the clock
    clock = StepClock(0.001)
    solve_vrplib(DATA / "tiny-n13.vrp", 0.5, seed=0, clock=clock)
    assert 400 < clock.reads < 600


def test_settings_by_instance_size():
    assert vrplib_params(100, has_time_windows=False) == VrplibParams()
    assert vrplib_params(1000, has_time_windows=False).num_neighbours == 30
    assert vrplib_params(1000, has_time_windows=True).num_neighbours == 40
    assert vrplib_params(100, has_time_windows=True).num_neighbours == 50
