"""Vehicles, drivers, vehicle passes (一车一证一线路) and route plans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.core.models import TimeStampedModel
from baogong.core.scoping import scope_by_fields
from baogong.fleet.choices import LicenceClass, PlanStatus, ShiftSlot, VehicleKind, VehicleStatus
from baogong.orgs.models import AdministrativeArea, Organisation, Site

PASS_NUMBER_VALIDATOR = RegexValidator(
    r"^[1-8][0-9]{5}[0-9]{6}$",
    _("A pass number is 12 digits: a 6-digit area code and a 6-digit serial."),
    code="pass_number",
)
PLATE_VALIDATOR = RegexValidator(
    r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6}$",
    _("A plate is a province character, a letter and 5 or 6 letters or digits (沪A12345, 沪AD12345)."),
    code="plate",
)


class Vehicle(TimeStampedModel):
    organisation = models.ForeignKey(Organisation, verbose_name=_("owner"), on_delete=models.PROTECT)
    plate = models.CharField(_("plate"), max_length=16, unique=True, validators=[PLATE_VALIDATOR])
    kind = models.CharField(_("type"), max_length=16, choices=VehicleKind.choices)
    capacity_kg = models.PositiveIntegerField(_("capacity (kg)"), validators=[MinValueValidator(1)])
    capacity_m3 = models.DecimalField(
        _("capacity (m³)"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)], default=0
    )
    capacity_cases = models.PositiveIntegerField(_("capacity (cases)"), default=0)
    cold_chain = models.BooleanField(_("cold chain"), default=False)
    home_depot = models.ForeignKey(
        Site, verbose_name=_("home depot"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=VehicleStatus.choices, default=VehicleStatus.ACTIVE)

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["plate"]
        permissions = [
            ("plan_routes", "Can plan delivery routes"),
            ("check_dispatch", "Can check dispatch eligibility"),
        ]

    def __str__(self) -> str:
        return self.plate

    audit_scope = scope_by_fields


class Driver(TimeStampedModel):
    """A driver; until the people records land, a plain record with name and licence."""

    organisation = models.ForeignKey(Organisation, verbose_name=_("employer"), on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=64)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    person = models.OneToOneField(
        "people.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fleet_driver",
        help_text=_("The person record whose health tests and closed loop clear the driver."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fleet_driver",
    )
    licence_number = models.CharField(_("licence number"), max_length=32, unique=True)
    licence_class = models.CharField(_("licence class"), max_length=4, choices=LicenceClass.choices)
    licence_expiry = models.DateField(_("licence valid until"))
    is_active = models.BooleanField(_("active"), default=True)

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("driver")
        verbose_name_plural = _("drivers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    audit_scope = scope_by_fields


def pass_upload_path(instance: VehiclePass, filename: str) -> str:
    return f"fleet/passes/{instance.number}/{filename}"


class VehiclePass(TimeStampedModel):
    """重点物资运输车辆通行证: one pass per vehicle per route (一车一证一线路)."""

    number = models.CharField(_("pass number"), max_length=12, unique=True, validators=[PASS_NUMBER_VALIDATOR])
    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), related_name="passes", on_delete=models.PROTECT)
    areas = models.ManyToManyField(AdministrativeArea, verbose_name=_("areas covered"), related_name="+")
    route_description = models.CharField(_("route"), max_length=255, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    issuing_body = models.CharField(_("issuing body"), max_length=128)
    scan = models.FileField(_("scanned copy"), upload_to=pass_upload_path, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)
    expiry_alert_sent = models.BooleanField(_("expiry alert sent"), default=False)

    scope_org_field: ClassVar[str] = "vehicle__organisation_id"

    class Meta:
        verbose_name = _("vehicle pass")
        verbose_name_plural = _("vehicle passes")
        ordering = ["-valid_until", "number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")), name="fleet_pass_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.number

    audit_scope = scope_by_fields


class RoutePlan(TimeStampedModel):
    """The routes of one dispatch day for one organisation's fleet."""

    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT)
    date = models.DateField(_("dispatch day"))
    status = models.CharField(_("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    detour_factor = models.DecimalField(_("detour factor"), max_digits=4, decimal_places=2, default=Decimal("1.30"))
    speed_kmh = models.DecimalField(_("average speed (km/h)"), max_digits=5, decimal_places=1, default=Decimal("30.0"))
    time_limit_s = models.PositiveIntegerField(_("time limit (s)"), default=30)
    shift_start = models.TimeField(_("shift start"), default=dt.time(8, 0))
    shift_minutes = models.PositiveIntegerField(_("shift length (min)"), default=600)
    vehicles = models.ManyToManyField(Vehicle, verbose_name=_("vehicles"), related_name="+")
    total_km = models.DecimalField(_("total km"), max_digits=10, decimal_places=3, default=0)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("route plan")
        verbose_name_plural = _("route plans")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.organisation} {self.date}"

    audit_scope = scope_by_fields


class PlannedRoute(models.Model):
    plan = models.ForeignKey(RoutePlan, related_name="routes", on_delete=models.CASCADE)
    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), on_delete=models.PROTECT, related_name="+")
    driver = models.ForeignKey(
        Driver, verbose_name=_("driver"), null=True, blank=True, on_delete=models.PROTECT, related_name="routes"
    )
    km = models.DecimalField(_("km"), max_digits=10, decimal_places=3, default=0)
    start = models.TimeField(_("leaves depot"), null=True, blank=True)
    end = models.TimeField(_("back at depot"), null=True, blank=True)
    load_kg = models.PositiveIntegerField(_("load (kg)"), default=0)
    load_litres = models.PositiveIntegerField(_("load (litres)"), default=0)
    load_cases = models.PositiveIntegerField(_("load (cases)"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)

    scope_org_field: ClassVar[str] = "plan__organisation_id"

    class Meta:
        verbose_name = _("planned route")
        verbose_name_plural = _("planned routes")
        ordering = ["plan", "vehicle__plate"]
        constraints = [models.UniqueConstraint(fields=["plan", "vehicle"], name="fleet_route_one_per_vehicle")]

    def __str__(self) -> str:
        return f"{self.plan} {self.vehicle}"

    audit_scope = scope_by_fields


class RouteStop(models.Model):
    """A delivery of the plan; ``route`` is empty while unassigned."""

    plan = models.ForeignKey(RoutePlan, related_name="stops", on_delete=models.CASCADE)
    route = models.ForeignKey(PlannedRoute, null=True, blank=True, related_name="stops", on_delete=models.SET_NULL)
    position = models.PositiveIntegerField(pgettext_lazy("stop order", "position"), default=0)
    site = models.ForeignKey(Site, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("delivery note"), max_length=64, blank=True)
    shipment = models.ForeignKey(
        "distribution.Shipment",
        verbose_name=_("shipment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    demand_kg = models.PositiveIntegerField(_("kg"), default=0)
    demand_litres = models.PositiveIntegerField(_("volume (litres)"), default=0)
    demand_cases = models.PositiveIntegerField(_("cases"), default=0)
    service_minutes = models.PositiveIntegerField(_("service (min)"), default=10)
    eta = models.TimeField(_("ETA"), null=True, blank=True)
    departure = models.TimeField(_("departs"), null=True, blank=True)
    km_from_previous = models.DecimalField(_("km from previous"), max_digits=8, decimal_places=3, default=0)
    late_minutes = models.PositiveIntegerField(_("late (min)"), default=0)

    scope_org_field: ClassVar[str] = "plan__organisation_id"

    class Meta:
        verbose_name = _("route stop")
        verbose_name_plural = _("route stops")
        ordering = ["plan", "route", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.site} {self.reference}".strip()

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.plan.organisation_id, self.site_id


# --- fuel stations (凤凰 FS-FH, 彩达 FS-CD) -------------------------------------------------------


class FuelTank(TimeStampedModel):
    """A tank of one fuel grade at a station; its stock in litres is the ledger balance of its location."""

    station = models.ForeignKey(Site, verbose_name=_("station"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("catalog.Item", verbose_name=_("fuel grade"), on_delete=models.PROTECT, related_name="+")
    location = models.OneToOneField(
        "inventory.Location", verbose_name=_("ledger location"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("tank"), max_length=16)
    capacity_litres = models.PositiveIntegerField(_("capacity (litres)"), validators=[MinValueValidator(1)])
    low_level_litres = models.PositiveIntegerField(_("low level (litres)"))
    low_alert_sent = models.BooleanField(_("low-level alert sent"), default=False)

    scope_org_field: ClassVar[str] = "station__organisation_id"
    scope_site_field: ClassVar[str] = "station_id"

    class Meta:
        verbose_name = _("fuel tank")
        verbose_name_plural = _("fuel tanks")
        ordering = ["station", "code"]
        permissions = [("sell_fuel", "Can log fuel sales"), ("manage_fuel_station", "Can manage a fuel station")]
        constraints = [
            models.UniqueConstraint(fields=["station", "item"], name="fleet_tank_one_per_grade"),
            models.UniqueConstraint(fields=["station", "code"], name="fleet_tank_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.station.code} {self.code}"

    audit_scope = scope_by_fields


class FuelShift(models.Model):
    """The 24-hour roster: who staffs a station in each 8-hour slot of a day."""

    station = models.ForeignKey(Site, verbose_name=_("station"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    slot = models.CharField(_("shift"), max_length=8, choices=ShiftSlot.choices)
    attendant = models.CharField(_("attendant"), max_length=64)

    scope_org_field: ClassVar[str] = "station__organisation_id"
    scope_site_field: ClassVar[str] = "station_id"

    class Meta:
        verbose_name = _("station shift")
        verbose_name_plural = _("station shifts")
        ordering = ["station", "date", "slot", "attendant"]
        constraints = [
            models.UniqueConstraint(fields=["station", "date", "slot", "attendant"], name="fleet_shift_unique")
        ]

    def __str__(self) -> str:
        return f"{self.station.code} {self.date} {self.slot} {self.attendant}"

    audit_scope = scope_by_fields


class FuelQueueTicket(models.Model):
    """A vehicle waiting at a station; supply vehicles with a valid pass take the green channel."""

    station = models.ForeignKey(Site, verbose_name=_("station"), on_delete=models.PROTECT, related_name="+")
    plate = models.CharField(_("plate"), max_length=16)
    vehicle = models.ForeignKey(Vehicle, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    vehicle_pass = models.ForeignKey(VehiclePass, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    green_channel = models.BooleanField(_("green channel"), default=False)
    arrived_at = models.DateTimeField(_("arrived"))
    served_at = models.DateTimeField(_("served"), null=True, blank=True)

    scope_org_field: ClassVar[str] = "station__organisation_id"
    scope_site_field: ClassVar[str] = "station_id"

    class Meta:
        verbose_name = _("queue ticket")
        verbose_name_plural = _("queue tickets")
        ordering = ["served_at", "-green_channel", "arrived_at", "pk"]

    def __str__(self) -> str:
        return self.plate

    audit_scope = scope_by_fields


class FuelSale(models.Model):
    tank = models.ForeignKey(FuelTank, verbose_name=_("tank"), on_delete=models.PROTECT, related_name="sales")
    plate = models.CharField(_("plate"), max_length=16)
    vehicle = models.ForeignKey(Vehicle, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    vehicle_pass = models.ForeignKey(
        VehiclePass, verbose_name=_("pass"), null=True, blank=True, on_delete=models.PROTECT, related_name="fuelling"
    )
    green_channel = models.BooleanField(_("green channel"), default=False)
    litres = models.PositiveIntegerField(_("litres"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("price per litre"), max_digits=8, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    sold_at = models.DateTimeField(_("time"))
    slot = models.CharField(_("shift"), max_length=8, choices=ShiftSlot.choices)
    issue = models.ForeignKey("inventory.Issue", on_delete=models.PROTECT, related_name="+")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_org_field: ClassVar[str] = "tank__station__organisation_id"
    scope_site_field: ClassVar[str] = "tank__station_id"

    class Meta:
        verbose_name = _("fuel sale")
        verbose_name_plural = _("fuel sales")
        ordering = ["-sold_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.plate} {self.litres} L"

    audit_scope = scope_by_fields
