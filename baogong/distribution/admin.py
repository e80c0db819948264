from django.contrib import admin

from baogong.core.admin import AuditedModelAdmin
from baogong.distribution.models import AllocationRun, Norm, Request, RequestLink, Shipment


@admin.register(Request)
class RequestAdmin(AuditedModelAdmin):
    list_display = ["number", "recipient", "status", "channel", "submitted_at"]
    list_filter = ["status", "channel"]
    search_fields = ["number", "recipient__name", "recipient__code"]
    readonly_fields = ["status", "warnings"]


@admin.register(Norm)
class NormAdmin(AuditedModelAdmin):
    list_display = ["item", "qty_per_person", "note"]


@admin.register(RequestLink)
class RequestLinkAdmin(AuditedModelAdmin):
    list_display = ["recipient", "label", "is_active", "last_used_at"]
    list_filter = ["is_active"]


@admin.register(AllocationRun)
class AllocationRunAdmin(AuditedModelAdmin):
    list_display = ["id", "status", "created_at", "confirmed_at"]
    readonly_fields = ["status", "summary", "stock_snapshot"]


@admin.register(Shipment)
class ShipmentAdmin(AuditedModelAdmin):
    list_display = ["number", "warehouse", "recipient", "status", "vehicle_plate", "delivered_at"]
    list_filter = ["status"]
    search_fields = ["number"]
    readonly_fields = ["status", "pod_token", "delivery_client_token"]
