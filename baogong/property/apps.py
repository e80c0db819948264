from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PropertyConfig(AppConfig):
    name = "baogong.property"
    label = "property"
    verbose_name = _("Property and rent relief")

    def ready(self) -> None:
        from baogong.property import bulk

        bulk.register()
