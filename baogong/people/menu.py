from django.utils.translation import gettext_lazy as _

MENU = [
    ("people:dashboard", _("Health dashboard"), "heart-pulse", "people.view_person"),
    ("people:person_list", _("People"), "people", "people.view_person"),
    ("people:deployment_list", _("Deployments"), "person-badge", "people.view_person"),
    ("people:incident_list", _("Incidents"), "exclamation-octagon", "people.view_person"),
    ("people:check_in", _("Daily check-in"), "thermometer-half", None),
]


def _has_person(user: object) -> bool:
    from baogong.people.queries import has_person

    return has_person(user)


# The check-in answers 404 to an account that is not linked to a person record: not shown to it.
VISIBLE = {"people:check_in": _has_person}
