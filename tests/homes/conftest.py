from baogong.conftest import system  # noqa: F401
from baogong.fleet.tests.conftest import cygs, depot, make_driver, make_person, make_vehicle  # noqa: F401
