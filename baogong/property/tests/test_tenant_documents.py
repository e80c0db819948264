"""A tenant's licences and certificates on file (issue 22.4): several files of several kinds in one
submission from the lease page, each checked by content, all kept or none, each audited; the
tenant's own portal user may add them too, another landlord's staff may not see them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from baogong.core.models import AuditEvent
from baogong.property import actions
from baogong.property.errors import DocumentInvalid
from baogong.property.models import TenantDocument

from .conftest import SYSTEM, pdf

pytestmark = pytest.mark.django_db


def test_several_licences_in_one_submission_from_the_lease_page(world, client_for):
    lease = world.lease()
    client = client_for("property")
    page = client.get(f"/property/leases/{lease.pk}/").content.decode()
    assert 'id="tenant-document-form"' in page and "files_business_licence" in page
    # when the licence (two sides) and the fire certificate are sent at once
    answer = client.post(
        f"/property/leases/{lease.pk}/tenant-documents/",
        {
            "files_business_licence": [pdf("执照正面.pdf"), pdf("执照背面.pdf")],
            "files_fire_safety": [pdf("消防.pdf")],
        },
        follow=True,
    )
    # then all three are on file for the tenant, each audited, and listed on the lease page
    assert "已上传 3 份材料。" in answer.content.decode()
    docs = list(TenantDocument.objects.filter(tenant=world.shop).order_by("original_name"))
    assert sorted(d.original_name for d in docs) == ["执照正面.pdf", "执照背面.pdf", "消防.pdf"]
    assert {d.kind for d in docs} == {"business_licence", "fire_safety"}
    assert AuditEvent.objects.filter(verb="upload_tenant_document").count() == 3
    page = client.get(f"/property/leases/{lease.pk}/").content.decode()
    assert "执照背面.pdf" in page
    assert client.get(docs[0].file.url).status_code == 200


def test_one_refused_file_keeps_none(world, client_for):
    lease = world.lease()
    evil = SimpleUploadedFile("消防.pdf", b"<html><script>x</script></html>", content_type="application/pdf")
    client_for("property").post(
        f"/property/leases/{lease.pk}/tenant-documents/",
        {"files_business_licence": [pdf("执照.pdf")], "files_fire_safety": [evil]},
    )
    assert not TenantDocument.objects.exists()
    assert not AuditEvent.objects.filter(verb="upload_tenant_document").exists()


def test_the_action_checks_every_file_first(world):
    with pytest.raises(DocumentInvalid) as exc:
        actions.upload_tenant_documents(
            world.shop, [("business_licence", pdf()), ("other", SimpleUploadedFile("x.pdf", b""))], actor=SYSTEM
        )
    assert "files_other" in exc.value.details
    assert not TenantDocument.objects.exists()


def test_the_tenants_own_portal_user_adds_them(world, user, client_for):
    lease = world.lease()
    actions.link_portal_user(world.shop, user("tenant"), actor=SYSTEM)
    client = client_for("tenant")
    client.post(f"/property/leases/{lease.pk}/tenant-documents/", {"files_trade_permit": [pdf("许可证.pdf")]})
    (doc,) = TenantDocument.objects.all()
    assert (doc.tenant, doc.kind) == (world.shop, "trade_permit")
    # a portal user of no tenant neither sees the lease nor adds to it
    other = client_for("tenant")
    actions_user = user("tenant")
    world.shop.portal_users.remove(actions_user)
    assert other.post(f"/property/leases/{lease.pk}/tenant-documents/", {"files_other": [pdf()]}).status_code == 404
    assert TenantDocument.objects.count() == 1
