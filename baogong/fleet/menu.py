from django.utils.translation import gettext_lazy as _

MENU = [
    ("fleet:plan_list", _("Route plans"), "signpost-split", "fleet.view_routeplan"),
    ("fleet:my_shipments", _("My shipments today"), "truck-front", "fleet.view_routeplan"),
    ("fleet:vehicle_list", _("Vehicles & passes"), "truck", "fleet.view_vehicle"),
    ("fleet:driver_list", _("Drivers"), "person-badge", "fleet.view_driver"),
    ("fleet:station_list", _("Fuel stations"), "fuel-pump", "fleet.view_fueltank"),
]

# Who reviews this app's offline conflicts (core's 离线冲突复核 page): fuel sales.
FIELD_REVIEW = ["fleet.manage_fuel_station"]
