from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FleetConfig(AppConfig):
    name = "baogong.fleet"
    label = "fleet"
    verbose_name = _("Fleet")

    def ready(self) -> None:
        from baogong.distribution.hooks import register_transport
        from baogong.fleet.transport import FleetTransport

        register_transport(FleetTransport())
