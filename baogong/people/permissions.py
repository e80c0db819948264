"""What each role may do with people, health tests and outbreak response."""

from baogong.orgs.choices import Role

VIEW = [
    "people.view_person",
    "people.view_healthtest",
    "people.view_healthregime",
    "people.view_closedloopstay",
]
MANAGE = [
    *VIEW,
    "people.add_person",
    "people.change_person",
    "people.view_health_results",
    "people.record_health_test",
    "people.manage_outbreak",
    "people.dispatch_people",
    "people.convert_guest_request",
    "people.add_healthregime",
    "people.change_healthregime",
    "people.add_closedloopstay",
    "people.change_closedloopstay",
]

ROLE_PERMISSIONS = {
    Role.HEALTH_OFFICER: MANAGE,
    Role.COMMAND_CENTRE: MANAGE,
    Role.AUDITOR: VIEW,
    Role.DISPATCHER: ["people.view_person"],
    Role.WAREHOUSE_KEEPER: ["people.view_person"],
}
