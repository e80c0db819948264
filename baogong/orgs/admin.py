from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from baogong.core.admin import AuditedModelAdmin, NotificationChannelAdmin, NotificationChannelForm, ReadOnlyAdmin
from baogong.core.models import NotificationChannel
from baogong.orgs import governance
from baogong.orgs.models import AdministrativeArea, ApprovalLimit, ChangeRequest, Grant, Organisation, Site


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


class GovernedModelAdmin(AuditedModelAdmin):
    """The admin of a price or a policy (``baogong.orgs.governance``): saving a governed field
    proposes the change for another person to approve instead of saving it; other fields save
    as usual. Policies end (a date, "active") rather than being deleted."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        entry = governance.governed(type(obj))
        if entry is None or not governance.is_person(request.user) or (not change and not entry.new_records):
            super().save_model(request, obj, form, change)
            return
        names = [n for n in form.changed_data if n in entry.fields] if change else list(entry.fields)
        if not names:
            super().save_model(request, obj, form, change)
            return
        meta = type(obj)._meta
        values = {
            n: form.cleaned_data[n] if meta.get_field(n).many_to_many else getattr(obj, meta.get_field(n).attname)
            for n in names
        }
        if change:
            stored = type(obj).objects.get(pk=obj.pk)
            for name in names:
                field = meta.get_field(name)
                if field.many_to_many:  # save_related keeps what is stored until approved
                    form.cleaned_data[name] = list(getattr(stored, name).all())
                else:
                    setattr(obj, field.attname, getattr(stored, field.attname))
            if set(form.changed_data) - set(names):
                super().save_model(request, obj, form, change)
            proposal = governance.propose(stored, values, actor=request.user)
        else:
            proposal = governance.propose(None, values, actor=request.user, model=type(obj))
        request._governed_proposal = proposal
        messages.info(
            request, _("Change %(number)s is waiting for another person to approve it.") % {"number": proposal.pk}
        )

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        if form.instance.pk is not None:  # a new record waiting for approval has nothing to relate yet
            super().save_related(request, form, formsets, change)

    def _after_proposal(self, request: Any) -> HttpResponse | None:
        if getattr(request, "_governed_proposal", None) is None:
            return None
        return HttpResponseRedirect(reverse("orgs:change_list"))

    def response_add(self, request: Any, obj: Any, post_url_continue: Any = None) -> HttpResponse:
        return self._after_proposal(request) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request: Any, obj: Any) -> HttpResponse:
        return self._after_proposal(request) or super().response_change(request, obj)

    def log_addition(self, request: Any, obj: Any, message: Any) -> Any:
        return None if obj.pk is None else super().log_addition(request, obj, message)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ApprovalLimit)
class ApprovalLimitAdmin(GovernedModelAdmin):
    list_display = ["kind", "group", "max_amount", "organisation"]
    list_filter = ["kind", "organisation"]


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ["subject", "status", "proposed_by", "proposed_at", "decided_by", "decided_at"]
    list_filter = ["status"]


def _organisation_choices() -> list[tuple[Any, str]]:
    rows = [(o.pk, f"{o.code} {o.name}") for o in Organisation.objects.filter(is_active=True).order_by("code")]
    return [("", str(_("Every organisation"))), *rows]


class OrganisationChannelForm(NotificationChannelForm):
    """Core's channel form with the organisation chosen by name (core knows only the id)."""

    organisation_id = forms.TypedChoiceField(
        label=gettext_lazy("organisation"), coerce=int, required=False, empty_value=None, choices=_organisation_choices
    )


admin.site.unregister(NotificationChannel)


@admin.register(NotificationChannel)
class OrganisationChannelAdmin(NotificationChannelAdmin):
    form = OrganisationChannelForm
    list_display = ["name", "kind", "organisation_label", "subjects", "is_active"]

    @admin.display(description=gettext_lazy("organisation"))
    def organisation_label(self, obj: NotificationChannel) -> str:
        if obj.organisation_id is None:
            return str(_("Every organisation"))
        found = Organisation.objects.filter(pk=obj.organisation_id).first()
        return str(found) if found else str(obj.organisation_id)
