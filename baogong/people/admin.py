from django.contrib import admin

from baogong.core.admin import AuditedModelAdmin
from baogong.orgs.admin import GovernedModelAdmin
from baogong.people.models import HealthRegime, Incident, Person


@admin.register(Person)
class PersonAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "organisation", "home_site", "id_number_masked", "phone_masked", "health_status"]
    list_filter = ["kind", "health_status"]
    search_fields = ["name"]
    readonly_fields = ["id_number_masked", "phone_masked", "health_status", "health_status_since", "isolation_until"]


@admin.register(HealthRegime)
class HealthRegimeAdmin(GovernedModelAdmin):
    list_display = ["name", "site", "site_kind", "person_kind", "pcr_valid_hours", "requires_closed_loop", "is_active"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["person", "status", "opened_at", "closed_at", "site"]
    readonly_fields = ["person", "test", "status", "opened_at", "closed_at", "organisation", "site"]

    def has_add_permission(self, request: object) -> bool:
        return False
