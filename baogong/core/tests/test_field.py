"""The offline field kit's server side: the service worker at the root with its headers, the
manifest, the icons, photos kept by checksum."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from baogong.core import field
from baogong.core.audit import SystemActor
from baogong.core.models import AuditEvent, FieldPhoto

ICONS = Path(__file__).resolve().parents[1] / "static" / "core" / "icons"


@pytest.mark.django_db
def test_the_service_worker_is_served_from_the_root_under_the_strict_policy():
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]
    body = response.content.decode()
    assert "/static/core/field.js" in body and "/field/offline/" in body
    assert "eval(" not in body and "importScripts" not in body


@pytest.mark.django_db
def test_the_manifest_names_the_app_in_chinese_with_its_icons():
    response = Client().get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["name"] == "保供应急保障平台" and manifest["short_name"] == "保供"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for size in (192, 512):
        with Image.open(ICONS / f"baogong-{size}.png") as image:
            assert image.size == (size, size)


@pytest.mark.django_db
def test_the_offline_page_is_public():
    response = Client().get("/field/offline/")
    assert response.status_code == 200 and "field-queue" in response.content.decode()


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.django_db
def test_a_photo_is_kept_once_by_its_checksum_and_a_damaged_one_is_refused():
    actor = SystemActor("phone")
    data = png((1, 2, 3))
    digest = hashlib.sha256(data).hexdigest()
    with pytest.raises(field.PhotoChecksumMismatch):
        field.store_photo(data + b"x", claimed_sha256=digest, actor=actor)
    with pytest.raises(field.ValidationFailed):
        field.store_photo(data, claimed_sha256="not-a-checksum", actor=actor)
    assert not FieldPhoto.objects.exists()
    first = field.store_photo(data, claimed_sha256=digest.upper(), actor=actor)
    again = field.store_photo(data, claimed_sha256=digest, actor=actor)
    assert first.pk == again.pk and first.sha256 == digest and first.kind == "png"
    with first.file.open("rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == digest
    assert AuditEvent.objects.filter(verb="upload_field_photo").count() == 1
    assert field.photo_by_checksum(digest) == first
    assert field.photo_by_checksum("zz") is None


@pytest.mark.parametrize(
    ("username", "shown"),
    [("dispatcher", True), ("warehouse", True), ("pharmacist", True), ("tenant", False), ("health", False)],
)
def test_the_offline_conflicts_page_is_in_the_menu_of_those_who_review_a_kind_of_them(client_for, username, shown):
    home = client_for(username).get("/")
    assert ('href="/field/conflicts/"' in home.content.decode()) is shown


def test_a_phones_clock_is_trusted_for_a_day_at_most(rf):
    from django.utils import timezone

    now = timezone.now()
    recent = (now - dt.timedelta(hours=2)).isoformat()
    assert abs((field.made_at(rf.post("/", {"made_at": recent})) - (now - dt.timedelta(hours=2))).total_seconds()) < 1
    for value in (
        "",
        "yesterday",
        "2999-01-01T00:00:00+00:00",
        (now - dt.timedelta(days=2)).isoformat(),
        "2026-01-01T10:00",
    ):
        assert abs((field.made_at(rf.post("/", {"made_at": value})) - timezone.now()).total_seconds()) < 5
