"""The command centre's own records: communications, reopening inspections, report recipients, drills."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.command.choices import Channel, DrillStatus, PostKind, RectificationStatus
from baogong.core.models import TimeStampedModel, who_field
from baogong.core.scoping import scope_by_fields


class CommunicationPost(TimeStampedModel):
    """A news item, WeChat push, video or press piece we published, or outside coverage of us."""

    organisation = models.ForeignKey("orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=16, choices=PostKind.choices, default=PostKind.OWN)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    outlet = models.CharField(_("outlet"), max_length=128, blank=True)
    published_on = models.DateField(_("published on"), db_index=True)
    title = models.CharField(_("title"), max_length=255)
    link = models.URLField(_("link"), max_length=500, blank=True)
    reads = models.PositiveIntegerField(_("reads"), default=0)

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("communication post")
        verbose_name_plural = _("communication posts")
        ordering = ["-published_on", "-id"]

    def __str__(self) -> str:
        return self.title

    audit_scope = scope_by_fields


class ChecklistTemplate(TimeStampedModel):
    """A reopening (复商复市) checklist: the points an inspector checks at a venue."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, related_name="items", on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(pgettext_lazy("order", "position"))
    code = models.CharField(_("code"), max_length=32)
    text = models.CharField(_("check"), max_length=255)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["template", "position"]
        constraints = [models.UniqueConstraint(fields=["template", "code"], name="command_item_code_once")]

    def __str__(self) -> str:
        return self.text


class Inspection(TimeStampedModel):
    """One visit to a commercial venue with the result of every checklist point."""

    venue = models.ForeignKey(
        "orgs.Site", verbose_name=_("venue"), related_name="inspections", on_delete=models.PROTECT
    )
    template = models.ForeignKey(ChecklistTemplate, verbose_name=_("checklist"), on_delete=models.PROTECT)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("site inspection", "inspector"),
        null=True,
        on_delete=models.SET_NULL,
    )
    inspected_on = models.DateField(_("inspected on"), db_index=True)
    note = models.TextField(_("note"), blank=True)
    items_checked = models.PositiveSmallIntegerField(_("points checked"), default=0)
    items_compliant = models.PositiveSmallIntegerField(_("points compliant"), default=0)
    follows = models.ForeignKey(
        "Rectification",
        verbose_name=_("re-inspection of"),
        null=True,
        blank=True,
        related_name="reinspections",
        on_delete=models.PROTECT,
    )

    scope_org_field: ClassVar[str] = "venue__organisation_id"
    scope_site_field: ClassVar[str] = "venue_id"

    class Meta:
        verbose_name = pgettext_lazy("site inspection", "inspection")
        verbose_name_plural = pgettext_lazy("site inspection", "inspections")
        ordering = ["-inspected_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(items_compliant__lte=models.F("items_checked")), name="command_inspection_counts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.venue} {self.inspected_on}"

    audit_scope = scope_by_fields

    @property
    def is_compliant(self) -> bool:
        return self.items_checked > 0 and self.items_checked == self.items_compliant


class Finding(models.Model):
    """The result of one checklist point in one inspection."""

    inspection = models.ForeignKey(Inspection, related_name="findings", on_delete=models.CASCADE)
    item = models.ForeignKey(ChecklistItem, verbose_name=_("check"), on_delete=models.PROTECT)
    is_compliant = models.BooleanField(_("compliant"))
    remark = models.CharField(_("finding"), max_length=255, blank=True)
    photo = models.FileField(_("photo"), upload_to="command/inspections/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = pgettext_lazy("site inspection", "findings")
        ordering = ["inspection", "item__position"]
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="command_finding_once")]

    def __str__(self) -> str:
        return f"{self.item}: {'✓' if self.is_compliant else '✗'}"


class Rectification(TimeStampedModel):
    """A failed point to put right by a deadline, closed by a passing re-inspection."""

    finding = models.OneToOneField(Finding, related_name="rectification", on_delete=models.CASCADE)
    owner = models.CharField(pgettext_lazy("finding", "owner"), max_length=64)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=8, choices=RectificationStatus.choices, default=RectificationStatus.OPEN
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    scope_org_field: ClassVar[str] = "finding__inspection__venue__organisation_id"
    scope_site_field: ClassVar[str] = "finding__inspection__venue_id"

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return f"{self.finding.item} → {self.deadline}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        venue = self.finding.inspection.venue
        return venue.organisation_id, venue.pk


class ReportRecipient(TimeStampedModel):
    """Where the daily situation report goes each morning: an e-mail address and/or a group-robot webhook."""

    organisation = models.ForeignKey("orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=64)
    email = models.EmailField(_("e-mail"), blank=True)
    webhook_url = models.URLField(_("webhook"), max_length=500, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("report recipient")
        verbose_name_plural = _("report recipients")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(email="") | ~models.Q(webhook_url=""), name="command_recipient_has_target"
            )
        ]

    def __str__(self) -> str:
        return self.name

    audit_scope = scope_by_fields


class Drill(TimeStampedModel):
    """A drill (应急推演): the events rehearsed over a window, with the result beside the baseline.

    The parameters are enough to run it again: the same data and seed give the same result."""

    title = models.CharField(_("title"), max_length=128, blank=True)
    window_start = models.DateField(pgettext_lazy("date", "from"))
    days = models.PositiveSmallIntegerField(_("days"))
    seed = models.PositiveIntegerField(_("seed"), default=1)
    parameters = models.JSONField(_("parameters"))
    status = models.CharField(_("status"), max_length=8, choices=DrillStatus.choices, default=DrillStatus.QUEUED)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=255, blank=True)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = who_field(_("run by"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        ordering = ["-created_at", "-id"]
        permissions = [("run_drill", "Can run drills")]
        constraints = [
            models.CheckConstraint(condition=models.Q(days__gte=1, days__lte=60), name="command_drill_days_1_60")
        ]

    def __str__(self) -> str:
        return self.title or f"{self.window_start} +{self.days}"

    audit_scope = scope_by_fields


class PlaybookStep(models.Model):
    """One step of an incident's playbook (:mod:`baogong.command.playbooks`) ticked off: who, when,
    with what note. A step without a row is still to do."""

    incident = models.ForeignKey(
        "people.Incident", verbose_name=_("incident"), related_name="+", on_delete=models.CASCADE
    )
    code = models.CharField(_("step"), max_length=32)
    done_at = models.DateTimeField(_("done at"))
    done_by = who_field(_("done by"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    scope_org_field: ClassVar[str] = "incident__organisation_id"
    scope_site_field: ClassVar[str] = "incident__site_id"

    class Meta:
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        ordering = ["incident_id", "done_at", "id"]
        permissions = [("complete_playbook_step", "Can tick off the steps of incident playbooks")]
        constraints = [models.UniqueConstraint(fields=["incident", "code"], name="command_playbook_step_once")]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.code}"

    audit_scope = scope_by_fields
