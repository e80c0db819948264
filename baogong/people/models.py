"""People (staff, volunteers, residents, guests), health tests, testing regimes, closed loop."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.core.identifiers import mask_idcard, mask_phone
from baogong.core.models import TimeStampedModel
from baogong.core.scoping import scope_by_fields
from baogong.orgs.choices import SiteKind
from baogong.people import crypto
from baogong.people.choices import (
    FEVER_CELSIUS,
    CareLogKind,
    DutyType,
    GuestRequestKind,
    GuestRequestStatus,
    HealthStatus,
    IncidentSiteControl,
    IncidentStatus,
    Meal,
    PersonKind,
    Shift,
    SiteControl,
    TestKind,
    TestResult,
    TestSource,
)


def _masked(field: models.Field[Any, Any]) -> models.Field[Any, Any]:
    """Mark a field so audit snapshots never hold its value."""
    field.audit_masked = True  # type: ignore[attr-defined]
    return field


class Person(TimeStampedModel):
    """Someone the group deploys, houses or looks after. ID and phone are stored encrypted."""

    kind = models.CharField(_("kind"), max_length=16, choices=PersonKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=64)
    organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        related_name="people",
        on_delete=models.PROTECT,
    )
    home_site = models.ForeignKey(
        "orgs.Site", verbose_name=_("home site"), null=True, blank=True, related_name="people", on_delete=models.PROTECT
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        related_name="person",
        on_delete=models.SET_NULL,
    )
    id_number_cipher = _masked(models.TextField(_("ID number (encrypted)"), blank=True, editable=False))
    id_number_hash = _masked(models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False))
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True, editable=False)
    phone_cipher = _masked(models.TextField(_("phone (encrypted)"), blank=True, editable=False))
    phone_hash = _masked(models.CharField(max_length=64, blank=True, db_index=True, editable=False))
    phone_masked = models.CharField(_("phone"), max_length=32, blank=True, editable=False)
    position = models.CharField(_("position"), max_length=64, blank=True)
    health_status = models.CharField(
        _("health status"), max_length=16, choices=HealthStatus.choices, default=HealthStatus.NORMAL, db_index=True
    )
    health_status_since = models.DateTimeField(_("health status since"), null=True, blank=True)
    isolation_until = models.DateField(_("isolation until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_org_field: ClassVar[str] = "organisation_id"
    scope_site_field: ClassVar[str] = "home_site_id"

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "id"]
        permissions = [
            ("view_health_results", "Can see health test results"),
            ("record_health_test", "Can record health tests"),
            ("manage_outbreak", "Can open incidents, lock down sites and clear people"),
            ("dispatch_people", "Can deploy and dispatch people"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False) | models.Q(home_site__isnull=False),
                name="people_person_has_org_or_site",
            )
        ]

    def __str__(self) -> str:
        return self.name

    audit_scope = scope_by_fields

    def set_id_number(self, value: str) -> None:
        number = value.strip().upper()
        self.id_number_cipher = crypto.encrypt(number)
        self.id_number_hash = crypto.lookup_hash("idcard", number) if number else None
        self.id_number_masked = mask_idcard(number) if number else ""

    def set_phone(self, value: str) -> None:
        phone = value.strip().replace(" ", "")
        self.phone_cipher = crypto.encrypt(phone)
        self.phone_hash = crypto.lookup_hash("phone", phone) if phone else ""
        self.phone_masked = mask_phone(phone) if phone else ""

    def id_number_plain(self) -> str:
        return crypto.decrypt(self.id_number_cipher)

    def phone_plain(self) -> str:
        return crypto.decrypt(self.phone_cipher)


class HealthRegime(TimeStampedModel):
    """A testing regime: which tests keep someone cleared, closed loop, contacts and recovery. A
    person's regime is the most specific active one: home site, its kind, kind of person, default."""

    name = models.CharField(_("name"), max_length=100)
    site = models.ForeignKey(
        "orgs.Site", verbose_name=_("site"), null=True, blank=True, related_name="+", on_delete=models.CASCADE
    )
    site_kind = models.CharField(_("site kind"), max_length=24, choices=SiteKind.choices, blank=True)
    person_kind = models.CharField(_("kind of person"), max_length=16, choices=PersonKind.choices, blank=True)
    pcr_valid_hours = models.PositiveSmallIntegerField(
        _("PCR valid for (hours)"), default=48, validators=[MinValueValidator(1), MaxValueValidator(24 * 14)]
    )
    antigen_same_day = models.BooleanField(_("a negative antigen test the same day clears"), default=True)
    antigen_per_day = models.PositiveSmallIntegerField(_("antigen tests due per day"), default=1)
    pcr_every_days = models.PositiveSmallIntegerField(_("a PCR test due every N days"), default=2)
    requires_closed_loop = models.BooleanField(_("closed loop required"), default=False)
    contact_lookback_days = models.PositiveSmallIntegerField(_("contact look-back (days)"), default=2)
    isolation_days = models.PositiveSmallIntegerField(_("close-contact isolation (days)"), default=7)
    recovery_negative_days = models.PositiveSmallIntegerField(
        _("negative days to recover"), default=2, validators=[MinValueValidator(1)]
    )
    site_control = models.CharField(
        _("sites touched by a positive case"),
        max_length=16,
        choices=SiteControl.choices,
        default=SiteControl.IMMEDIATE,
        help_text=_("Put the sites under control at once, or wait for the health officer to confirm."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("testing regime")
        verbose_name_plural = _("testing regimes")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def audit_scope(self) -> tuple[int | None, int | None]:
        return (self.site.organisation_id, self.site_id) if self.site_id and self.site else (None, None)


class HealthTest(models.Model):
    """One antigen or PCR result of a person."""

    person = models.ForeignKey(Person, verbose_name=_("person"), related_name="tests", on_delete=models.PROTECT)
    kind = models.CharField(_("test"), max_length=16, choices=TestKind.choices)
    taken_at = models.DateTimeField(_("taken at"), db_index=True)
    result = models.CharField(_("result"), max_length=16, choices=TestResult.choices)
    site = models.ForeignKey(
        "orgs.Site", verbose_name=_("site"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    source = models.CharField(_("source"), max_length=16, choices=TestSource.choices, default=TestSource.OFFICER)
    photo = models.FileField(_("photo"), upload_to="people/tests/%Y/%m/", blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    scope_org_field: ClassVar[str] = "person__organisation_id"
    scope_site_field: ClassVar[str] = "person__home_site_id"

    class Meta:
        verbose_name = _("health test")
        verbose_name_plural = _("health tests")
        ordering = ["-taken_at", "-id"]
        indexes = [models.Index(fields=["person", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.person} {self.get_kind_display()} {self.taken_at:%Y-%m-%d %H:%M}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.person.organisation_id, self.site_id or self.person.home_site_id


class ClosedLoopStay(models.Model):
    """A person living and working inside the closed loop of a site (闭环管理) since a time."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), related_name="closed_loop_stays", on_delete=models.PROTECT
    )
    site = models.ForeignKey("orgs.Site", verbose_name=_("site"), related_name="+", on_delete=models.PROTECT)
    started_at = models.DateTimeField(_("since"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    scope_org_field: ClassVar[str] = "site__organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("closed-loop stay")
        verbose_name_plural = _("closed-loop stays")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(ended_at__isnull=True), name="people_one_open_closed_loop"
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="people_closed_loop_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.site}"

    audit_scope = scope_by_fields


class DispatchBatch(TimeStampedModel):
    """A batch of people sent to an outside volunteer team (e.g. 区委组织部志愿服务队)."""

    number = models.PositiveIntegerField(_("batch number"))
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("sent by"), related_name="+", on_delete=models.PROTECT
    )
    destination_team = models.CharField(_("destination team"), max_length=128)
    site = models.ForeignKey(
        "orgs.Site", verbose_name=_("site"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    note = models.CharField(_("note"), max_length=255, blank=True)

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("dispatch batch")
        verbose_name_plural = _("dispatch batches")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="people_batch_number_per_org"),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="people_batch_dates"),
        ]

    def __str__(self) -> str:
        return f"第{self.number}批 → {self.destination_team}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.organisation_id, self.site_id


class Deployment(TimeStampedModel):
    """A person assigned to a duty at a site for a period and shift. Counts come from these rows."""

    person = models.ForeignKey(Person, verbose_name=_("person"), related_name="deployments", on_delete=models.PROTECT)
    duty_type = models.CharField(_("duty"), max_length=16, choices=DutyType.choices, db_index=True)
    organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    site = models.ForeignKey(
        "orgs.Site", verbose_name=_("site"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    batch = models.ForeignKey(
        DispatchBatch,
        verbose_name=pgettext_lazy("deployment", "batch"),
        null=True,
        blank=True,
        related_name="deployments",
        on_delete=models.PROTECT,
    )
    starts_on = models.DateField(_("from"), db_index=True)
    ends_on = models.DateField(_("to"), db_index=True)
    shift = models.CharField(_("shift"), max_length=8, choices=Shift.choices, default=Shift.DAY)
    note = models.CharField(_("note"), max_length=255, blank=True)

    scope_org_field: ClassVar[str] = "organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="people_deployment_dates"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_duty_type_display()} {self.starts_on}–{self.ends_on}"

    audit_scope = scope_by_fields

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


class Room(models.Model):
    """A room of a hotel, isolation point or elderly home."""

    site = models.ForeignKey("orgs.Site", verbose_name=_("site"), related_name="rooms", on_delete=models.PROTECT)
    number = models.CharField(_("room"), max_length=16)
    beds = models.PositiveSmallIntegerField(_("beds"), default=1, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(_("active"), default=True)

    scope_org_field: ClassVar[str] = "site__organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["site", "number"]
        constraints = [models.UniqueConstraint(fields=["site", "number"], name="people_room_number_per_site")]

    def __str__(self) -> str:
        return f"{self.site} {self.number}"

    audit_scope = scope_by_fields


class LodgingStay(models.Model):
    """Someone lodged at a site (staff hotel, quarantine hotel, isolation point, elderly home)."""

    person = models.ForeignKey(Person, verbose_name=_("person"), related_name="lodgings", on_delete=models.PROTECT)
    site = models.ForeignKey("orgs.Site", verbose_name=_("site"), related_name="+", on_delete=models.PROTECT)
    room = models.ForeignKey(
        Room, verbose_name=_("room"), null=True, blank=True, related_name="stays", on_delete=models.PROTECT
    )
    checked_in_at = models.DateTimeField(_("checked in"))
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=128, blank=True)

    scope_org_field: ClassVar[str] = "site__organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("lodging")
        verbose_name_plural = _("lodgings")
        ordering = ["-checked_in_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(checked_out_at__isnull=True), name="people_one_open_lodging"
            ),
            models.CheckConstraint(
                condition=models.Q(checked_out_at__isnull=True)
                | models.Q(checked_out_at__gte=models.F("checked_in_at")),
                name="people_lodging_out_after_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.room or self.site}"

    audit_scope = scope_by_fields


class MealLog(models.Model):
    """Meals served at a site: one row per site, day and meal."""

    site = models.ForeignKey("orgs.Site", verbose_name=_("site"), related_name="+", on_delete=models.PROTECT)
    served_on = models.DateField(_("day"))
    meal = models.CharField(_("meal"), max_length=16, choices=Meal.choices)
    servings = models.PositiveIntegerField(_("servings"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    scope_org_field: ClassVar[str] = "site__organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("meal log")
        verbose_name_plural = _("meal logs")
        ordering = ["-served_on", "meal"]
        constraints = [models.UniqueConstraint(fields=["site", "served_on", "meal"], name="people_one_meal_log")]

    def __str__(self) -> str:
        return f"{self.site} {self.served_on} {self.get_meal_display()} × {self.servings}"

    audit_scope = scope_by_fields


class HealthCheck(models.Model):
    """A daily check: temperature and symptoms, self-reported from a phone or taken by staff."""

    person = models.ForeignKey(Person, verbose_name=_("person"), related_name="checks", on_delete=models.PROTECT)
    checked_on = models.DateField(_("day"))
    temperature = models.DecimalField(
        _("temperature (°C)"),
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("34.0")), MaxValueValidator(Decimal("43.0"))],
    )
    symptoms = models.CharField(_("symptoms"), max_length=255, blank=True)
    site = models.ForeignKey(
        "orgs.Site", verbose_name=_("site"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    is_self_reported = models.BooleanField(_("self-reported"), default=False)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    scope_org_field: ClassVar[str] = "person__organisation_id"
    scope_site_field: ClassVar[str] = "person__home_site_id"

    class Meta:
        verbose_name = _("daily health check")
        verbose_name_plural = _("daily health checks")
        ordering = ["-checked_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["person", "checked_on"], name="people_one_check_a_day")]

    def __str__(self) -> str:
        return f"{self.person} {self.checked_on} {self.temperature}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.person.organisation_id, self.site_id or self.person.home_site_id

    @property
    def has_fever(self) -> bool:
        return self.temperature >= Decimal(FEVER_CELSIUS)


class CareLog(models.Model):
    """Waste collection and disinfection at an isolation point or hotel."""

    site = models.ForeignKey("orgs.Site", verbose_name=_("site"), related_name="+", on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=16, choices=CareLogKind.choices)
    done_at = models.DateTimeField(_("time"))
    area = models.CharField(_("area"), max_length=128, blank=True)
    waste_kg = models.DecimalField(_("waste (kg)"), max_digits=8, decimal_places=1, null=True, blank=True)
    agent = models.CharField(_("disinfectant"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    scope_org_field: ClassVar[str] = "site__organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("waste and disinfection log")
        verbose_name_plural = _("waste and disinfection logs")
        ordering = ["-done_at", "-id"]

    def __str__(self) -> str:
        return f"{self.site} {self.get_kind_display()} {self.done_at:%Y-%m-%d %H:%M}"

    audit_scope = scope_by_fields


class GuestRequest(TimeStampedModel):
    """A guest or resident asks for medicine or food; distribution may turn it into a request."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), related_name="guest_requests", on_delete=models.PROTECT
    )
    site = models.ForeignKey("orgs.Site", verbose_name=_("site"), related_name="+", on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=16, choices=GuestRequestKind.choices)
    text = models.CharField(_("what is needed"), max_length=500)
    status = models.CharField(
        _("status"), max_length=16, choices=GuestRequestStatus.choices, default=GuestRequestStatus.OPEN
    )
    handled_note = models.CharField(_("handled note"), max_length=255, blank=True)
    item = models.ForeignKey(
        "catalog.Item", verbose_name=_("item"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    qty = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    supply_request = models.ForeignKey(
        "distribution.Request",
        verbose_name=_("supply request"),
        null=True,
        blank=True,
        related_name="guest_requests",
        on_delete=models.PROTECT,
    )
    converted_at = models.DateTimeField(_("sent to distribution at"), null=True, blank=True)

    scope_org_field: ClassVar[str] = "site__organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("guest request")
        verbose_name_plural = _("guest requests")
        ordering = ["-created_at", "-id"]
        permissions = [("convert_guest_request", "Can turn guest requests into supply requests")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(qty__isnull=True) | models.Q(qty__gte=1), name="people_guest_request_qty_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(supply_request__isnull=True) | models.Q(status__in=["converted", "fulfilled"]),
                name="people_guest_request_linked_when_converted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.text[:40]}"

    audit_scope = scope_by_fields


class Incident(TimeStampedModel):
    """An outbreak incident opened by a positive test; closed when people and sites recover."""

    person = models.ForeignKey(Person, verbose_name=_("person"), related_name="incidents", on_delete=models.PROTECT)
    test = models.ForeignKey(HealthTest, verbose_name=_("test"), related_name="+", on_delete=models.PROTECT)
    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.OPEN, db_index=True
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    site = models.ForeignKey(
        "orgs.Site", verbose_name=_("site"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )

    scope_org_field: ClassVar[str] = "organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"{self.person} {self.opened_at:%Y-%m-%d}"

    audit_scope = scope_by_fields


class IncidentSite(models.Model):
    """A site the positive person worked or lodged at in the look-back window."""

    incident = models.ForeignKey(Incident, related_name="sites", on_delete=models.CASCADE)
    site = models.ForeignKey("orgs.Site", verbose_name=_("site"), related_name="+", on_delete=models.PROTECT)
    reason = models.CharField(_("why"), max_length=128)
    previous_status = models.CharField(_("status before"), max_length=16)
    control = models.CharField(
        _("control"), max_length=16, choices=IncidentSiteControl.choices, default=IncidentSiteControl.CONTROLLED
    )
    control_note = models.CharField(_("control note"), max_length=255, blank=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "site"], name="people_incident_site_once")]

    def __str__(self) -> str:
        return str(self.site)


class CloseContact(models.Model):
    """Someone who shared a site, shift or room with the positive person in the window."""

    incident = models.ForeignKey(Incident, related_name="contacts", on_delete=models.CASCADE)
    person = models.ForeignKey(Person, verbose_name=_("person"), related_name="+", on_delete=models.PROTECT)
    reason = models.CharField(_("why"), max_length=255)
    isolation_until = models.DateField(_("isolation until"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["person__name", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "person"], name="people_contact_once")]

    def __str__(self) -> str:
        return f"{self.person} ({self.reason})"
