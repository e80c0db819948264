from django.contrib import admin

from baogong.core.admin import AuditedModelAdmin
from baogong.finance.models import ClaimPayment, CostLine, Mission, ReimbursementClaim


@admin.register(Mission)
class MissionAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "organisation", "funder", "budget", "starts_on", "ends_on"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


@admin.register(CostLine)
class CostLineAdmin(AuditedModelAdmin):
    list_display = ["mission", "category", "amount", "incurred_on", "invoice_number", "status"]
    list_filter = ["category", "status"]


@admin.register(ReimbursementClaim)
class ReimbursementClaimAdmin(AuditedModelAdmin):
    list_display = ["number", "mission", "status", "amount", "amount_received"]
    list_filter = ["status"]


@admin.register(ClaimPayment)
class ClaimPaymentAdmin(AuditedModelAdmin):
    list_display = ["claim", "amount", "received_on", "reference"]
