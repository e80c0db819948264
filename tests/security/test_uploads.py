"""Uploaded files: checked by content and size wherever they are stored, and served at
``/media/<name>`` only to users who may see the record holding them, with safe headers.

Not marked ``security``: these also run in the PostgreSQL pass of ``make test``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from baogong.core.scoping import scoped
from baogong.core.uploads import GuardedFileSystemStorage, UploadRefused, check_upload, sniff
from baogong.finance import actions as finance_actions
from baogong.finance.models import CostLine
from baogong.orgs.models import Organisation, Site

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- checks on upload -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (PNG, "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"GIF89a\x01\x00", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (PDF, "pdf"),
        (b"PK\x03\x04\x14\x00", "zip"),
        (HTML, None),
        (SVG, None),
        (b"MZ\x90\x00", None),
        (b"", None),
        (b"\xd0\xcf\x11\xe0", None),
    ],
)
def test_sniff_names_the_kind_by_content(head, kind):
    assert sniff(head) == kind


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.jpg", HTML, "文件内容不是可接受的类型（JPEG, PNG, GIF, WEBP, PDF, XLSX/DOCX/OFD）。"),
        ("scan.png", SVG, "文件内容不是可接受的类型（JPEG, PNG, GIF, WEBP, PDF, XLSX/DOCX/OFD）。"),
        ("a.pdf", b"MZ\x90\x00", "文件内容不是可接受的类型（JPEG, PNG, GIF, WEBP, PDF, XLSX/DOCX/OFD）。"),
        ("empty.png", b"", "文件为空。"),
    ],
)
def test_check_upload_refuses_by_content_not_by_name(name, content, message):
    with pytest.raises(UploadRefused) as caught:
        check_upload(SimpleUploadedFile(name, content), field="photo")
    assert caught.value.details == {"photo": [message]}


def test_check_upload_answers_in_english_too():
    from django.utils import translation

    with translation.override("en"), pytest.raises(UploadRefused) as caught:
        check_upload(SimpleUploadedFile("x.jpg", HTML), field="photo", kinds=("jpeg", "png"))
    assert caught.value.details == {"photo": ["The file's content is not an accepted type (JPEG, PNG)."]}


def test_check_upload_accepts_a_renamed_but_genuine_file_and_limits_kinds():
    assert check_upload(SimpleUploadedFile("scan.bin", PDF)) == "pdf"
    with pytest.raises(UploadRefused):
        check_upload(SimpleUploadedFile("scan.pdf", PDF), kinds=("jpeg", "png"))


def test_check_upload_refuses_a_file_over_the_size_limit(settings):
    settings.BAOGONG_MAX_UPLOAD_BYTES = 1024
    check_upload(SimpleUploadedFile("ok.pdf", PDF + b"0" * 900))
    with pytest.raises(UploadRefused) as caught:
        check_upload(SimpleUploadedFile("big.pdf", PDF + b"0" * 1024))
    assert caught.value.details["file"][0].startswith("文件超过 1.0")
    from django.utils import translation

    with translation.override("en"), pytest.raises(UploadRefused) as caught:
        check_upload(SimpleUploadedFile("big.pdf", PDF + b"0" * 1024))
    assert caught.value.details == {"file": ["The file is larger than 1.0\xa0KB."]}


def test_the_default_storage_is_the_guarded_one():
    assert isinstance(default_storage, GuardedFileSystemStorage) or isinstance(
        default_storage._wrapped, GuardedFileSystemStorage
    )


@pytest.mark.parametrize("content", [HTML, SVG, b"MZ\x90\x00 executable", b"#!/bin/sh\nrm -rf /\n"])
def test_the_storage_writes_nothing_that_is_not_an_accepted_kind(media, content):
    with pytest.raises(UploadRefused):
        default_storage.save("pod/2026/11/evil.jpg", ContentFile(content))
    assert not any(p.is_file() for p in Path(media).rglob("*"))


def test_the_storage_refuses_an_oversized_file(media, settings):
    settings.BAOGONG_MAX_UPLOAD_BYTES = 100
    with pytest.raises(UploadRefused):
        default_storage.save("pod/big.pdf", ContentFile(PDF + b"0" * 200))
    assert default_storage.save("pod/small.pdf", ContentFile(PDF)) == "pod/small.pdf"


# --- serving --------------------------------------------------------------------------------------
@pytest.fixture
def mission(base):
    return finance_actions.create_mission(
        {
            "code": "M-UPL",
            "name": "上传测试任务",
            "kind": "field_hospital",
            "organisation": Organisation.objects.get(code="BSGX"),
            "funder": Organisation.objects.get(code="BSZF-WJW"),
            "budget": Decimal("1000.00"),
            "starts_on": dt.date(2022, 4, 1),
            "ends_on": dt.date(2022, 5, 31),
        },
        recipients=[Site.objects.get(code="FH-FCL")],
        actor=_commander(),
    )


def _commander():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="commander")


def cost_line(mission, name: str, content: bytes) -> CostLine:
    return finance_actions.add_cost_line(
        mission,
        {"category": "lodging", "amount": Decimal("88"), "incurred_on": dt.date(2022, 4, 3), "invoice_number": name},
        attachment=SimpleUploadedFile(name, content),
        actor=_commander(),
    )


def test_a_document_is_served_as_a_download_with_safe_headers(media, mission, client_for):
    line = cost_line(mission, "发票.pdf", PDF)
    assert line.attachment.url.startswith("/media/finance/costs/")
    response = client_for("commander").get(line.attachment.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%8F%91%E7%A5%A8" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        response["Content-Security-Policy"].startswith("default-src 'none'")
        and "sandbox" in response["Content-Security-Policy"]
    )
    assert response["Cache-Control"] == "private, no-store"


def test_an_image_is_shown_inline_with_the_type_of_its_content(media, mission, client_for):
    line = cost_line(mission, "receipt.png", PNG)
    response = client_for("auditor").get(line.attachment.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_anonymous_visitors_are_sent_to_the_login(media, mission, client):
    line = cost_line(mission, "a.pdf", PDF)
    response = client.get(line.attachment.url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_users_who_may_not_see_the_record_get_404(media, mission, client_for, user):
    line = cost_line(mission, "a.pdf", PDF)
    # without the view permission
    assert not user("warehouse").has_perm("finance.view_costline")
    assert client_for("warehouse").get(line.attachment.url).status_code == 404
    # with the permission but outside the record's organisation
    keeper = user("warehouse")
    keeper.user_permissions.add(Permission.objects.get(codename="view_costline", content_type__app_label="finance"))
    keeper = type(keeper).objects.get(pk=keeper.pk)  # fresh permission cache
    assert keeper.has_perm("finance.view_costline")
    assert not scoped(CostLine.objects.filter(pk=line.pk), keeper).exists()
    client = Client()
    client.force_login(keeper)
    assert client.get(line.attachment.url).status_code == 404


def test_files_no_record_holds_and_path_tricks_are_404(media, mission, client_for):
    cost_line(mission, "a.pdf", PDF)
    (Path(media) / "orphan.pdf").write_bytes(PDF)
    (Path(media).parent / "outside.pdf").write_bytes(PDF)
    client = client_for("commander")
    assert client.get("/media/orphan.pdf").status_code == 404
    assert client.get("/media/../outside.pdf").status_code == 404
    assert client.get("/media/%2e%2e/outside.pdf").status_code == 404
    assert client.get("/media/finance/costs/no-such.pdf").status_code == 404
