"""Site status history (reports as of a past day), backfilled from the audit trail."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def backfill(apps, schema_editor):
    """One change per audited status change (``set_site_status`` events) that changed the status."""
    AuditEvent = apps.get_model("core", "AuditEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Site = apps.get_model("orgs", "Site")
    Change = apps.get_model("orgs", "SiteStatusChange")
    site_type = ContentType.objects.filter(app_label="orgs", model="site").first()
    if site_type is None:
        return
    known = set(Site.objects.values_list("pk", flat=True))
    rows = []
    events = AuditEvent.objects.filter(verb="set_site_status", object_type=site_type).order_by("at", "id")
    for event in events.iterator():
        before, after = event.before or {}, event.after or {}
        site_id = int(event.object_id) if str(event.object_id).isdigit() else None
        if site_id not in known or not after.get("status") or before.get("status") == after.get("status"):
            continue
        rows.append(
            Change(
                site_id=site_id,
                from_status=before.get("status") or "normal",
                to_status=after["status"],
                reason=(after.get("status_reason") or "")[:255],
                at=event.at,
                actor_label=event.actor_label[:150],
            )
        )
    Change.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0001_initial'),
        ('core', '0003_auditevent_append_only'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.CreateModel(
            name='SiteStatusChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_status', models.CharField(choices=[('normal', 'Normal'), ('under_control', 'Under control'), ('locked_down', 'Locked down'), ('closed', 'Closed')], max_length=16, verbose_name='from')),
                ('to_status', models.CharField(choices=[('normal', 'Normal'), ('under_control', 'Under control'), ('locked_down', 'Locked down'), ('closed', 'Closed')], max_length=16, verbose_name='to')),
                ('reason', models.CharField(blank=True, max_length=255, verbose_name='reason')),
                ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='time')),
                ('actor_label', models.CharField(blank=True, max_length=150, verbose_name='by')),
                ('site', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='status_changes', to='orgs.site', verbose_name='site')),
            ],
            options={
                'verbose_name': 'site status change',
                'verbose_name_plural': 'site status changes',
                'ordering': ['site_id', 'at', 'id'],
                'indexes': [models.Index(fields=['site', 'at'], name='orgs_statuschange_site_at')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
