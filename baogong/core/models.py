"""Shared kernel models: audit events, idempotency records, background jobs, API tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from baogong.core.scoping import scope_by_fields


def who_field(verbose_name: Any) -> models.ForeignKey[Any, Any]:
    """The person who did something to a record (created, reviewed, decided it): optional (a system
    actor leaves it empty), kept as history when the user goes (``SET_NULL``), no reverse accessor."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One state change: who did what to which object, with the values before and after.

    Rows are append-only; ``organisation_id`` and ``site_id`` let the audit page be scoped
    like every other list.
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    verb = models.CharField(_("verb"), max_length=64)
    # covered by the (object_type, object_id, at) index below
    object_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    site_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    scope_org_field: ClassVar[str] = "organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        permissions = [("reveal_personal_data", "Can reveal masked personal data")]
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"]),
            # exact-match indexes only: no query looks these up by prefix (db_index=True would add a
            # varchar_pattern_ops twin on PostgreSQL)
            models.Index(fields=["verb"], name="core_audit_verb"),
            models.Index(fields=["object_id"], name="core_audit_object_id"),
            models.Index(fields=["request_id"], name="core_audit_request_id"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.verb} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Audit events are append-only.")


class IdempotencyRecord(models.Model):
    """The stored answer to a creating POST sent with an ``Idempotency-Key`` header."""

    scope = models.CharField(max_length=128)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=128, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="core_idempotency_scope_key_uniq")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class ApiToken(models.Model):
    """A bearer token for machine clients. Only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        return "bg_" + secrets.token_urlsafe(32)


class Job(models.Model):
    """A long-running piece of work with progress the UI can show."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    message = models.CharField(_("message"), max_length=255, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]
        permissions = [("run_demo_job", "Can start the demonstration background job")]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}


class Notification(models.Model):
    """An in-app notice for the command centre (or a user); also pushed to the group webhook."""

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    site_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    is_read = models.BooleanField(_("read"), default=False)
    webhook_status = models.CharField(max_length=64, blank=True)

    scope_org_field: ClassVar[str] = "organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class NotificationChannel(TimeStampedModel):
    """Where notifications about some subjects go: a WeCom, DingTalk or Feishu group robot or
    e-mail addresses, for one organisation (or every one), set up by an administrator."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot")
        DINGTALK = "dingtalk", _("DingTalk group robot")
        FEISHU = "feishu", _("Feishu group robot")
        EMAIL = "email", _("E-mail")

    class Subject(models.TextChoices):
        DAILY_REPORT = "daily_report", _("Daily report")
        OUTBREAK = "outbreak", _("Outbreak")
        RECALL = "recall", _("Recall")
        SHORTAGE = "shortage", _("Shortage")

    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    organisation_id = models.BigIntegerField(
        _("organisation"), null=True, blank=True, db_index=True, help_text=_("Empty: every organisation.")
    )
    target = models.CharField(
        _("webhook or addresses"),
        max_length=500,
        help_text=_("The robot's webhook address, or e-mail addresses separated by commas."),
    )
    secret = models.CharField(
        _("signing secret"), max_length=200, blank=True, help_text=_("DingTalk 加签 (SEC…) or Feishu 签名校验 secret.")
    )
    subjects = models.JSONField(_("subjects"), default=list)
    mentions = models.CharField(
        _("mobiles to mention"), max_length=300, blank=True, help_text=_("Mobile numbers separated by commas.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    scope_org_field: ClassVar[str] = "organisation_id"

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    audit_scope = scope_by_fields


class NotificationDelivery(models.Model):
    """One notification sent (or being sent) to one channel: every attempt is counted here."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Delivered")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(NotificationChannel, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(_("kind"), max_length=16, choices=NotificationChannel.Kind.choices)
    target = models.CharField(max_length=500)
    subject = models.CharField(_("subject"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    site_id = models.BigIntegerField(null=True, blank=True)

    scope_org_field: ClassVar[str] = "organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.notification_id} → {self.get_kind_display()}"


class FieldPhoto(models.Model):
    """A photo a field page took offline, uploaded apart from its event and kept by its SHA-256
    (the browser computed it; the server checked it on arrival). The event that uses the photo
    names it by that checksum, so a retried upload stores nothing twice."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    file = models.FileField(_("file"), upload_to="field-photos/%Y/%m/")
    size = models.PositiveIntegerField(_("size"))
    kind = models.CharField(_("kind"), max_length=8)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    uploaded_by = models.CharField(_("uploaded by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("field photo")
        verbose_name_plural = _("field photos")

    def __str__(self) -> str:
        return self.sha256[:12]


class FieldConflict(models.Model):
    """An action a phone recorded offline that no longer fits the record when it arrived (the
    shipment was re-planned or delivered meanwhile, the stock changed). It is not applied: a
    person with ``permission`` in the record's organisation or site reviews it."""

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        RESOLVED = "resolved", _("Reviewed")

    created_at = models.DateTimeField(_("arrived at"), default=timezone.now, db_index=True)
    event_id = models.CharField(_("device event id"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32)
    object_label = models.CharField(_("record"), max_length=200)
    link = models.CharField(_("link"), max_length=300, blank=True)
    permission = models.CharField(max_length=100)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    site_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    based_on = models.CharField(_("version the phone saw"), max_length=64)
    current = models.CharField(_("version on arrival"), max_length=64)
    reason = models.CharField(_("reason"), max_length=255)
    payload = models.JSONField(_("what the phone sent"), default=dict)
    submitted_by = models.CharField(_("submitted by"), max_length=150, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    resolution = models.CharField(_("review note"), max_length=255, blank=True)

    scope_org_field: ClassVar[str] = "organisation_id"
    scope_site_field: ClassVar[str] = "site_id"

    class Meta:
        verbose_name = _("offline conflict")
        verbose_name_plural = _("offline conflicts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.object_label} ({self.event_id[:8]})"

    audit_scope = scope_by_fields
