"""Reports own no business tables; this unmanaged model only carries the reports' permission."""

from django.db import models


class ReportAccess(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_reports", "Can see the dashboard figures, daily reports and work summaries")]
