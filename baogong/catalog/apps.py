from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "baogong.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from baogong.core import lookups

        lookups.register(
            "catalog.item", fields=["code", "name"], label=lambda i: f"{i.code} {i.name}", order_by=["code"]
        )
