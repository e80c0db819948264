"""Organisations (the group's tree and outside bodies), administrative areas, sites, grants."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.core.identifiers import validate_uscc
from baogong.core.models import TimeStampedModel, who_field
from baogong.core.scoping import scope_by_fields
from baogong.orgs.choices import (
    DEFAULT_TIER,
    ApprovalKind,
    AreaLevel,
    ChangeStatus,
    OrganisationKind,
    SiteKind,
    SiteStatus,
)


class AdministrativeArea(models.Model):
    """A district, street (街道) or town (镇), with its GB/T 2260-based code."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=AreaLevel.choices)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lon = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Organisation(TimeStampedModel):
    """A node of the organisation tree: cooperative → enterprises → departments, or outside."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    short_name = models.CharField(_("short name"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, related_name="children", on_delete=models.PROTECT
    )
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True, validators=[validate_uscc])
    is_group_member = models.BooleanField(_("member of the group"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    allows_one_person_approval = models.BooleanField(
        _("one person may make and check"),
        default=False,
        help_text=_(
            "A small site may let one person both make and check a document (separation of duties waived; "
            "every such approval is audited)."
        ),
    )

    scope_org_field: ClassVar[str] = "id"

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.short_name or self.name

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.pk, None


class Site(TimeStampedModel):
    """A place that holds stock, receives supplies or houses people."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=24, choices=SiteKind.choices, db_index=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), related_name="sites", on_delete=models.PROTECT
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    area = models.ForeignKey(
        AdministrativeArea, verbose_name=_("street/town"), null=True, blank=True, on_delete=models.PROTECT
    )
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lon = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=SiteStatus.choices, default=SiteStatus.NORMAL, db_index=True
    )
    status_reason = models.CharField(_("status reason"), max_length=255, blank=True)
    contact_name = models.CharField(_("contact"), max_length=64, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    priority_tier = models.PositiveSmallIntegerField(
        _("priority tier"), default=4, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    headcount = models.PositiveIntegerField(_("people served"), null=True, blank=True)
    receiving_from = models.TimeField(_("receiving from"), null=True, blank=True)
    receiving_until = models.TimeField(_("receiving until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_org_field: ClassVar[str] = "organisation_id"
    scope_site_field: ClassVar[str] = "id"

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["code"]
        permissions = [("set_site_status", "Can change a site's status"), ("import_sites", "Can import sites")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority_tier__gte=1, priority_tier__lte=5), name="orgs_site_tier_1_5"
            ),
            models.CheckConstraint(
                condition=models.Q(lat__isnull=True) | models.Q(lat__gte=-90, lat__lte=90), name="orgs_site_lat_range"
            ),
            models.CheckConstraint(
                condition=models.Q(lon__isnull=True) | models.Q(lon__gte=-180, lon__lte=180),
                name="orgs_site_lon_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.organisation_id, self.pk

    @staticmethod
    def default_tier(kind: str) -> int:
        return DEFAULT_TIER.get(SiteKind(kind), 4) if kind in SiteKind.values else 4

    def clean(self) -> None:
        super().clean()
        if self.kind == SiteKind.WAREHOUSE:
            # a warehouse is the source of allocation runs and routes: its distances must be known
            missing = {
                key: _("A warehouse needs its coordinates (latitude and longitude).")
                for key in ("lat", "lon")
                if getattr(self, key) is None
            }
            if missing:
                raise ValidationError(missing)


class SiteStatusChange(models.Model):
    """One change of a site's status, kept so that reports can say what was true on a past day.

    Written by ``orgs.actions.change_site_status`` (the one place a status changes) in the same
    transaction; never updated or deleted.
    """

    site = models.ForeignKey(Site, verbose_name=_("site"), related_name="status_changes", on_delete=models.PROTECT)
    from_status = models.CharField(pgettext_lazy("status", "from"), max_length=16, choices=SiteStatus.choices)
    to_status = models.CharField(pgettext_lazy("status", "to"), max_length=16, choices=SiteStatus.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor_label = models.CharField(_("by"), max_length=150, blank=True)

    scope_org_field: ClassVar[str] = "site__organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("site status change")
        verbose_name_plural = _("site status changes")
        ordering = ["site_id", "at", "id"]
        indexes = [models.Index(fields=["site", "at"], name="orgs_statuschange_site_at")]

    def __str__(self) -> str:
        return f"{self.site_id}: {self.from_status} → {self.to_status}"


class Grant(models.Model):
    """What a user may see and change: the whole system, an organisation subtree, or one site."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="grants", on_delete=models.CASCADE)
    is_global = models.BooleanField(_("everything"), default=False)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.CASCADE
    )
    site = models.ForeignKey(Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(is_global=True, organisation__isnull=True, site__isnull=True)
                    | models.Q(is_global=False, organisation__isnull=False, site__isnull=True)
                    | models.Q(is_global=False, organisation__isnull=True, site__isnull=False)
                ),
                name="orgs_grant_exactly_one_target",
            )
        ]

    def __str__(self) -> str:
        target = _("everything") if self.is_global else (self.organisation or self.site)
        return f"{self.user} → {target}"


class ApprovalLimit(models.Model):
    """The most a role may approve on one kind of document (yuan); above it, someone whose role
    has a higher limit approves. An organisation's own limits replace the group's defaults (rows
    without an organisation); a kind without any limit has none."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        related_name="approval_limits",
        on_delete=models.CASCADE,
        help_text=_("Empty: the group's default."),
    )
    kind = models.CharField(_("document"), max_length=24, choices=ApprovalKind.choices)
    group = models.ForeignKey("auth.Group", verbose_name=_("role"), related_name="+", on_delete=models.CASCADE)
    max_amount = models.DecimalField(
        _("may approve up to (yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("approval limit")
        verbose_name_plural = _("approval limits")
        ordering = ["organisation_id", "kind", "max_amount"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind", "group"], name="orgs_approvallimit_uniq"),
            models.CheckConstraint(condition=models.Q(max_amount__gte=0), name="orgs_approvallimit_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.group} ≤ {self.max_amount}"

    audit_scope = scope_by_fields


class ChangeRequest(models.Model):
    """A change to a price or a policy, made by one person and applied only when another person
    approves it (maker ≠ checker; ``baogong.orgs.governance``)."""

    content_type = models.ForeignKey("contenttypes.ContentType", related_name="+", on_delete=models.PROTECT)
    object_id = models.BigIntegerField(_("record"), null=True, blank=True, help_text=_("Empty: a new record."))
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    subject = models.CharField(_("subject"), max_length=255)
    before = models.JSONField(_("before"), default=dict, blank=True)
    changes = models.JSONField(_("changes"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.PENDING, db_index=True
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = who_field(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=255, blank=True)

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("price or policy change")
        verbose_name_plural = _("price and policy changes")
        ordering = ["-proposed_at", "-id"]
        permissions = [("decide_changerequest", "Can approve price and policy changes")]

    def __str__(self) -> str:
        return self.subject

    audit_scope = scope_by_fields
