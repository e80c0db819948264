from django.utils.translation import gettext_lazy as _

MENU = [
    ("reports:daily", _("Daily report"), "file-earmark-text", "reports.view_reports"),
    ("reports:summary", _("Work summary"), "journal-richtext", "reports.view_reports"),
]
