from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "baogong.orgs"
    label = "orgs"
    verbose_name = _("Organisations and sites")

    def ready(self) -> None:
        from baogong.core import lookups

        lookups.register(
            "orgs.site", fields=["code", "name"], label=lambda s: f"{s.name}（{s.code}）", order_by=["code"]
        )
