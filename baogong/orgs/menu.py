from django.utils.translation import gettext_lazy as _

MENU = [
    ("orgs:site_list", _("Sites"), "geo-alt", "orgs.view_site"),
    ("orgs:organisation_list", _("Organisations"), "diagram-3", "orgs.view_organisation"),
    ("orgs:change_list", _("Price and policy changes"), "check2-square", "orgs.view_changerequest"),
]
