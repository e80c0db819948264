"""Admin edits are audited too (invariant 4)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from baogong.core import audit
from baogong.core.models import ApiToken, AuditEvent, Job, NotificationChannel, NotificationDelivery


class AuditedModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        before = audit.snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else None
        super().save_model(request, obj, form, change)
        audit.record(
            "admin_change" if change else "admin_add", obj, actor=request.user, before=before, after=audit.snapshot(obj)
        )

    def delete_model(self, request: Any, obj: Any) -> None:
        before = audit.snapshot(obj)
        audit.record("admin_delete", obj, actor=request.user, before=before)
        super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for obj in queryset:
            audit.record("admin_delete", obj, actor=request.user, before=audit.snapshot(obj))
        super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Records written only by actions (audit events, ledger rows, orders): the admin may look."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "verb", "object_repr", "request_id"]
    list_filter = ["verb"]
    search_fields = ["object_repr", "actor_label", "object_id", "request_id"]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "is_active"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "kind", "status", "progress", "created_at"]


class NotificationChannelForm(forms.ModelForm):  # type: ignore[type-arg]
    subjects = forms.MultipleChoiceField(
        label=_("subjects"), choices=NotificationChannel.Subject.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = NotificationChannel
        fields = ["name", "kind", "organisation_id", "target", "secret", "subjects", "mentions", "is_active"]


@admin.register(NotificationChannel)
class NotificationChannelAdmin(AuditedModelAdmin):
    """The settings page of notification channels: per organisation and subject."""

    form = NotificationChannelForm

    list_display = ["name", "kind", "organisation_id", "subjects", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "notification", "kind", "status", "attempts", "last_error"]
    list_filter = ["status", "kind"]
