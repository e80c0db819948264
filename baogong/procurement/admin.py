from django.contrib import admin

from baogong.core.admin import AuditedModelAdmin
from baogong.orgs.admin import GovernedModelAdmin
from baogong.procurement.models import ApprovalLevel, BlacklistEntry, ProcurementPolicy, Supplier, SupplierLicence


@admin.register(Supplier)
class SupplierAdmin(AuditedModelAdmin):
    list_display = ["name", "uscc", "organisation", "status"]
    list_filter = ["status"]
    search_fields = ["name", "uscc"]
    readonly_fields = ["status", "status_reason", "status_decided_by", "status_decided_at", "uscc_warnings"]


@admin.register(SupplierLicence)
class SupplierLicenceAdmin(AuditedModelAdmin):
    list_display = ["supplier", "kind", "number", "expires_on"]
    list_filter = ["kind"]


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(AuditedModelAdmin):
    list_display = ["uscc", "name", "reason", "organisation", "decided_at"]
    search_fields = ["uscc", "name"]


@admin.register(ApprovalLevel)
class ApprovalLevelAdmin(GovernedModelAdmin):
    list_display = ["organisation", "level", "name", "min_amount"]
    filter_horizontal = ["approvers"]


@admin.register(ProcurementPolicy)
class ProcurementPolicyAdmin(GovernedModelAdmin):
    list_display = ["organisation", "max_markup_percent", "licence_alert_days"]
