from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    name = "baogong.distribution"
    label = "distribution"
    verbose_name = _("Distribution")

    def ready(self) -> None:
        from baogong.distribution import bulk

        bulk.register()
