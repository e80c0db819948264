from django.utils.translation import gettext_lazy as _

MENU = [
    ("finance:mission_list", _("Missions and costs"), "cash-coin", "finance.view_mission"),
]
