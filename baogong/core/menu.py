from django.utils.translation import gettext_lazy as _

MENU = [
    ("core:audit_list", _("Audit log"), "journal-text", "core.view_auditevent"),
    ("core:job_list", _("Background jobs"), "hourglass-split", "core.view_job"),
]
