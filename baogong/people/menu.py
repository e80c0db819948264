from django.utils.translation import gettext_lazy as _

MENU = [
    ("people:dashboard", _("Health dashboard"), "heart-pulse", "people.view_person"),
    ("people:person_list", _("People"), "people", "people.view_person"),
    ("people:deployment_list", _("Deployments"), "person-badge", "people.view_person"),
    ("people:incident_list", _("Incidents"), "exclamation-octagon", "people.view_person"),
    ("people:check_in", _("Daily check-in"), "thermometer-half", None),
]
