from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from baogong.core.admin import AuditedModelAdmin, NotificationChannelAdmin, NotificationChannelForm
from baogong.core.models import NotificationChannel
from baogong.orgs.models import AdministrativeArea, Grant, Organisation, Site


@admin.register(AdministrativeArea)
class AdministrativeAreaAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    search_fields = ["code", "name"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "parent", "is_group_member", "is_active"]
    list_filter = ["kind", "is_group_member"]
    search_fields = ["code", "name"]


@admin.register(Site)
class SiteAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "organisation", "area", "status", "priority_tier"]
    list_filter = ["kind", "status", "area"]
    search_fields = ["code", "name", "address"]


@admin.register(Grant)
class GrantAdmin(AuditedModelAdmin):
    list_display = ["user", "is_global", "organisation", "site"]


def _organisation_choices() -> list[tuple[Any, str]]:
    rows = [(o.pk, f"{o.code} {o.name}") for o in Organisation.objects.filter(is_active=True).order_by("code")]
    return [("", str(_("Every organisation"))), *rows]


class OrganisationChannelForm(NotificationChannelForm):
    """Core's channel form with the organisation chosen by name (core knows only the id)."""

    organisation_id = forms.TypedChoiceField(
        label=_("organisation"), coerce=int, required=False, empty_value=None, choices=_organisation_choices
    )


admin.site.unregister(NotificationChannel)


@admin.register(NotificationChannel)
class OrganisationChannelAdmin(NotificationChannelAdmin):
    form = OrganisationChannelForm
    list_display = ["name", "kind", "organisation_label", "subjects", "is_active"]

    @admin.display(description=_("organisation"))
    def organisation_label(self, obj: NotificationChannel) -> str:
        if obj.organisation_id is None:
            return str(_("Every organisation"))
        found = Organisation.objects.filter(pk=obj.organisation_id).first()
        return str(found) if found else str(obj.organisation_id)
