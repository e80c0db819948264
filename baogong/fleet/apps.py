from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FleetConfig(AppConfig):
    name = "baogong.fleet"
    label = "fleet"
    verbose_name = _("Fleet")

    def ready(self) -> None:
        from baogong.distribution.hooks import register_dispatch_check
        from baogong.fleet.queries import shipment_dispatch_refusals

        register_dispatch_check(shipment_dispatch_refusals)
