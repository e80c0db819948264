"""The fleet app's fixtures (vehicles, drivers) for the driver's home."""

from baogong.fleet.tests.conftest import cygs, depot, make_driver, make_person, make_vehicle, system  # noqa: F401
