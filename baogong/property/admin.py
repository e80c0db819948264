from django.contrib import admin

from baogong.core.admin import AuditedModelAdmin
from baogong.orgs.admin import GovernedModelAdmin
from baogong.property.models import Lease, Policy, Property, ReliefApplication, Tenant, Unit


@admin.register(Policy)
class PolicyAdmin(GovernedModelAdmin):
    list_display = ["code", "effective_from", "effective_to", "base_months", "extra_months_with_proof", "is_active"]


@admin.register(Property)
class PropertyAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "owner", "area", "is_state_owned"]
    search_fields = ["code", "name", "address"]


@admin.register(Unit)
class UnitAdmin(AuditedModelAdmin):
    list_display = ["property", "code", "floor_area", "use"]


@admin.register(Tenant)
class TenantAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "industry", "organisation"]
    search_fields = ["code", "name", "uscc"]
    exclude = ["operator_id_number"]


@admin.register(Lease)
class LeaseAdmin(AuditedModelAdmin):
    list_display = ["code", "tenant", "rent", "period_months", "start", "end", "parent"]
    search_fields = ["code", "tenant__name"]


@admin.register(ReliefApplication)
class ReliefApplicationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["number", "tenant", "policy", "status", "approved_amount", "topped_up_amount"]
    list_filter = ["status", "policy"]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: object) -> bool:
        return False
