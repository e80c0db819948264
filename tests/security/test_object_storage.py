"""Uploads in an S3-compatible object store (moto's server on a local port, real HTTP): the same
guard on every write, the same record-level check before every read, served streamed, by a signed
short-lived link or through nginx; backup and restore carry the bucket's files."""

from __future__ import annotations

import urllib.request
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from baogong.core.storage import is_object_store, iter_names, media_storage, read_head
from baogong.core.uploads import UploadRefused
from tests.objectstore import make_bucket, s3_server, storage_options
from tests.security.test_uploads import HTML, PDF, PNG, cost_line, mission  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def endpoint():
    with s3_server() as url:
        yield url


@pytest.fixture
def bucket(endpoint, settings):
    name = f"baogong-{uuid.uuid4().hex[:12]}"
    make_bucket(endpoint, name)
    settings.STORAGES = {**settings.STORAGES, "default": storage_options(endpoint, name)}
    assert is_object_store(media_storage())
    return name


def test_the_object_store_refuses_what_the_guard_refuses(bucket):
    with pytest.raises(UploadRefused):
        default_storage.save("pod/evil.jpg", ContentFile(HTML))
    assert list(iter_names()) == []
    name = default_storage.save("pod/2026/ok.pdf", ContentFile(PDF))
    assert list(iter_names()) == [name]
    assert read_head(name, 5) == b"%PDF-"


def test_a_file_in_the_bucket_is_served_only_after_the_record_check(bucket, mission, client_for, user):  # noqa: F811
    line = cost_line(mission, "发票.pdf", PDF)
    assert line.attachment.url.startswith("/media/finance/costs/"), "never a bucket link in pages"
    response = client_for("commander").get(line.attachment.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client_for("warehouse").get(line.attachment.url).status_code == 404


def test_redirect_mode_hands_out_a_signed_short_lived_link(bucket, mission, client_for, settings):  # noqa: F811
    settings.BAOGONG_MEDIA_SERVING = "redirect"
    settings.BAOGONG_MEDIA_URL_SECONDS = 120
    line = cost_line(mission, "receipt.png", PNG)
    response = client_for("commander").get(line.attachment.url)
    assert response.status_code == 302
    link = response["Location"]
    assert "X-Amz-Signature=" in link and "X-Amz-Expires=120" in link
    with urllib.request.urlopen(link, timeout=10) as answer:  # the store itself answers the link
        assert answer.read() == PNG
        assert answer.headers["Content-Type"] == "image/png"
        assert answer.headers["Content-Disposition"].startswith("inline;")
    # (moto does not check signatures: that the store refuses a tampered link is S3's promise)
    assert client_for("warehouse").get(line.attachment.url).status_code == 404


def test_accel_mode_hands_the_file_to_nginx(bucket, mission, client_for, settings):  # noqa: F811
    settings.BAOGONG_MEDIA_SERVING = "accel"
    line = cost_line(mission, "a.pdf", PDF)
    response = client_for("commander").get(line.attachment.url)
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == "/protected-media/" + line.attachment.name
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_carry_the_bucket(bucket, base, tmp_path):
    kept = default_storage.save("licences/营业执照.pdf", ContentFile(PDF))
    archive = tmp_path / "b.tar.gz"
    call_command("backup", output=str(archive))
    default_storage.delete(kept)
    default_storage.save("stray/x.png", ContentFile(PNG))
    call_command("restore", str(archive), yes=True)
    assert sorted(iter_names()) == [kept]
    with default_storage.open(kept, "rb") as handle:
        assert handle.read() == PDF
