"""Every state change of people, health tests, regimes and closed-loop stays."""

from __future__ import annotations

from baogong.people.actions.common import CLOCK_SKEW
from baogong.people.actions.deployments import deploy_person, dispatch_batch, end_closed_loop, start_closed_loop
from baogong.people.actions.guests import convert_guest_request, fulfil_guest_request, record_guest_request
from baogong.people.actions.health import REGIME_FIELDS, record_health_test, save_regime
from baogong.people.actions.lodging import add_room, check_in, check_out, log_care, log_meals, record_health_check
from baogong.people.actions.persons import PERSON_FIELDS, create_person, reveal_personal_data, update_person

__all__ = [
    "CLOCK_SKEW",
    "PERSON_FIELDS",
    "REGIME_FIELDS",
    "add_room",
    "check_in",
    "check_out",
    "convert_guest_request",
    "create_person",
    "deploy_person",
    "dispatch_batch",
    "end_closed_loop",
    "fulfil_guest_request",
    "log_care",
    "log_meals",
    "record_guest_request",
    "record_health_check",
    "record_health_test",
    "reveal_personal_data",
    "save_regime",
    "start_closed_loop",
    "update_person",
]
