from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "baogong.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from baogong.core import authentication
        from baogong.core.authz import connect_auth_signals

        connect_auth_signals()
        authentication.connect_signals()
