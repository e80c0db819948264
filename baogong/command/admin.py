from django.contrib import admin

from baogong.command.models import ChecklistItem, ChecklistTemplate, CommunicationPost, ReportRecipient
from baogong.core.admin import AuditedModelAdmin


@admin.register(CommunicationPost)
class CommunicationPostAdmin(AuditedModelAdmin):
    list_display = ["published_on", "kind", "channel", "title", "reads"]
    list_filter = ["kind", "channel"]


class ChecklistItemInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ChecklistItem
    extra = 0


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "is_active"]
    inlines = [ChecklistItemInline]


@admin.register(ReportRecipient)
class ReportRecipientAdmin(AuditedModelAdmin):
    list_display = ["name", "email", "webhook_url", "is_active"]
