from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "baogong.people"
    label = "people"
    verbose_name = _("People and health")

    def ready(self) -> None:
        from baogong.core import lookups
        from baogong.distribution.hooks import register_actor_check
        from baogong.people.queries import actor_health_refusals

        register_actor_check(actor_health_refusals)
        # person selects search on the server (names; never the encrypted ID or phone)
        lookups.register("people.person", fields=["name"], label=lambda p: p.name, order_by=["name", "pk"])
