from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "baogong.people"
    label = "people"
    verbose_name = _("People and health")

    def ready(self) -> None:
        from baogong.distribution.hooks import register_actor_check
        from baogong.people.queries import actor_health_refusals

        register_actor_check(actor_health_refusals)
