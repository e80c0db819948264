"""People (staff, volunteers, residents, guests), health tests, testing regimes, closed loop."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from baogong.core.identifiers import mask_idcard, mask_phone
from baogong.core.models import TimeStampedModel
from baogong.orgs.choices import SiteKind
from baogong.people import crypto
from baogong.people.choices import HealthStatus, PersonKind, TestKind, TestResult, TestSource


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

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.organisation_id, self.home_site_id

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
    """A testing regime: which tests keep someone cleared, closed loop, contacts and recovery.

    The regime of a person is the most specific active one: their home site, then its kind,
    then their kind of person, then the default (no filter).
    """

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

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.site.organisation_id, self.site_id
