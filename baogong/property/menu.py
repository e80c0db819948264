from django.utils.translation import gettext_lazy as _

MENU = [
    ("property:application_list", _("Rent relief"), "house-check", "property.view_reliefapplication"),
    ("property:lease_list", _("Leases"), "building", "property.view_lease"),
    ("property:progress", _("Relief progress"), "bar-chart", "property.handle_reliefapplication"),
]
