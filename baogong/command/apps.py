from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "baogong.command"
    label = "command"
    verbose_name = _("Command centre")

    def ready(self) -> None:
        from baogong.command.views import incident_playbook_section
        from baogong.people.hooks import register_incident_section

        register_incident_section(incident_playbook_section)
