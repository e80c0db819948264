from django.utils.translation import gettext_lazy as _

MENU = [
    ("command:post_list", _("Communications"), "megaphone", "command.view_communicationpost"),
    ("command:inspection_list", _("Reopening inspections"), "clipboard-check", "command.view_inspection"),
    ("command:recipient_list", _("Report recipients"), "envelope", "command.view_reportrecipient"),
    ("command:drill_list", _("Drills"), "activity", "command.view_drill"),
]
