from baogong.conftest import n95, system  # noqa: F401
from baogong.fleet.tests.conftest import cygs, depot, make_driver, make_person, make_vehicle  # noqa: F401
