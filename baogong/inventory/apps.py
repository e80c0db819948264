from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "baogong.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from baogong.inventory.lookups import connect_signals

        connect_signals()
        from baogong.inventory import bulk

        bulk.register()
