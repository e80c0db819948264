"""A backup restores every record and file."""

import pytest
from django.core.management import call_command

from baogong.core.models import AuditEvent
from baogong.orgs.models import Site


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(base, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "media" / "licences").mkdir(parents=True)
    (tmp_path / "media" / "licences" / "营业执照.pdf").write_bytes(b"%PDF-1.4 licence")
    before_sites = list(Site.objects.order_by("pk").values())
    before_events = AuditEvent.objects.count()
    archive = tmp_path / "b.tar.gz"

    call_command("backup", output=str(archive))
    # personal data: the archive is readable by its owner only, whatever the umask
    assert archive.stat().st_mode & 0o077 == 0

    Site.objects.filter(code="WH-TXQ").update(name="被改坏的名字")
    Site.objects.filter(code__startswith="PH-").delete()
    (tmp_path / "media" / "licences" / "营业执照.pdf").write_bytes(b"corrupted")
    (tmp_path / "media" / "stray.txt").write_text("x")

    call_command("restore", str(archive), yes=True)

    assert list(Site.objects.order_by("pk").values()) == before_sites
    assert AuditEvent.objects.count() == before_events
    assert (tmp_path / "media" / "licences" / "营业执照.pdf").read_bytes() == b"%PDF-1.4 licence"
    assert not (tmp_path / "media" / "stray.txt").exists()
