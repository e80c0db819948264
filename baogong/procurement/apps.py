from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcurementConfig(AppConfig):
    name = "baogong.procurement"
    label = "procurement"
    verbose_name = _("Procurement")

    def ready(self) -> None:
        from baogong.inventory.hooks import register_supplier_check
        from baogong.procurement.actions.orders import receipt_supplier_problems

        register_supplier_check(receipt_supplier_problems)

        from baogong.procurement import bulk

        bulk.register()
