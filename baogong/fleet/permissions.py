from baogong.orgs.choices import Role

VIEW = [
    "fleet.view_vehicle",
    "fleet.view_driver",
    "fleet.view_vehiclepass",
    "fleet.view_routeplan",
]
MANAGE = [
    *VIEW,
    "fleet.add_vehicle",
    "fleet.change_vehicle",
    "fleet.add_driver",
    "fleet.change_driver",
    "fleet.add_vehiclepass",
    "fleet.change_vehiclepass",
    "fleet.add_routeplan",
    "fleet.change_routeplan",
    "fleet.plan_routes",
    "fleet.check_dispatch",
]

ROLE_PERMISSIONS = {
    Role.DISPATCHER: MANAGE,
    Role.COMMAND_CENTRE: MANAGE,
    Role.DRIVER: ["fleet.view_routeplan"],
    Role.AUDITOR: VIEW,
}
