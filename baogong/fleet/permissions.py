from baogong.orgs.choices import Role

VIEW = [
    "fleet.view_vehicle",
    "fleet.view_driver",
    "fleet.view_vehiclepass",
    "fleet.view_routeplan",
    "fleet.view_fueltank",
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
FUEL = ["fleet.view_fueltank", "fleet.sell_fuel", "fleet.manage_fuel_station"]
# the attendant on shift: queue, sales, deliveries, roster and the daily report of the stations
# granted to them — nothing else
FUEL_ATTENDANT = FUEL

ROLE_PERMISSIONS = {
    Role.DISPATCHER: MANAGE,
    Role.COMMAND_CENTRE: [*MANAGE, *FUEL],
    # station staff are keepers of their station's stock (granted the station site)
    Role.WAREHOUSE_KEEPER: FUEL,
    Role.DRIVER: ["fleet.view_routeplan"],
    Role.FUEL_ATTENDANT: FUEL_ATTENDANT,
    Role.AUDITOR: VIEW,
}
