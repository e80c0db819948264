from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FleetConfig(AppConfig):
    name = "baogong.fleet"
    label = "fleet"
    verbose_name = _("Fleet")

    def ready(self) -> None:
        from baogong.distribution.hooks import register_after_replan, register_shipment_withdrawn, register_transport
        from baogong.fleet.actions.replanning import rerun_day_plans, withdraw_shipment_stops
        from baogong.fleet.transport import FleetTransport

        register_transport(FleetTransport())
        register_shipment_withdrawn(withdraw_shipment_stops)
        register_after_replan(rerun_day_plans)
