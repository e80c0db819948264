from django.utils.translation import gettext_lazy as _

MENU = [
    ("reports:dashboard", _("Command dashboard"), "speedometer2", "reports.view_reports"),
    ("reports:daily", _("Daily report"), "file-earmark-text", "reports.view_reports"),
    ("reports:summary", _("Work summary"), "journal-richtext", "reports.view_reports"),
]
