from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    WEBSITE = "website", _("Website")
    WECHAT = "wechat", _("WeChat account")
    VIDEO = "video", _("Video")
    PRESS = "press", _("Press")


class PostKind(models.TextChoices):
    OWN = "own", _("Our post")
    COVERAGE = "coverage", _("Outside media coverage")


class RectificationStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("finding status", "Open")
    CLOSED = "closed", _("Closed")


class DrillStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
