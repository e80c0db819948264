from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "baogong.orgs"
    label = "orgs"
    verbose_name = _("Organisations and sites")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from baogong.core.authz import invalidate
        from baogong.orgs.models import Grant, Organisation, Site

        # A grant, an organisation (its place in the tree) or a site changes what users may see.
        for model in (Grant, Organisation, Site):
            post_save.connect(invalidate, sender=model, dispatch_uid=f"authz-save-{model._meta.label}")
            post_delete.connect(invalidate, sender=model, dispatch_uid=f"authz-delete-{model._meta.label}")
        from baogong.core import lookups

        lookups.register(
            "orgs.site", fields=["code", "name"], label=lambda s: f"{s.name}（{s.code}）", order_by=["code"]
        )
