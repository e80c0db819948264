"""A tenant's licences and certificates on file: several files of several kinds in one submission,
each through the upload check, all stored or none, each audited."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from baogong.core.audit import Actor
from baogong.core.retry import retry_on_conflict
from baogong.property import locks
from baogong.property.actions.relief import MAX_DOCUMENT_BYTES, _file_kind, _store_uploads
from baogong.property.actions.tenants import _require_visible
from baogong.property.choices import TenantDocumentKind
from baogong.property.errors import DocumentInvalid
from baogong.property.models import Tenant, TenantDocument


def _check(kind: str, upload: UploadedFile, field: str) -> None:
    if kind not in TenantDocumentKind.values:
        raise DocumentInvalid(details={"kind": [_("Unknown document kind.")]})
    if (upload.size or 0) > MAX_DOCUMENT_BYTES:
        raise DocumentInvalid(details={field: [_("The file is larger than 10 MB.")]})
    if not upload.size:
        raise DocumentInvalid(details={field: [_("The file is empty.")]})
    try:
        _file_kind(upload)
    except DocumentInvalid as exc:
        raise DocumentInvalid(details={field: exc.details["file"]}) from exc


@retry_on_conflict
def upload_tenant_documents(
    tenant: Tenant, uploads: Sequence[tuple[str, UploadedFile]], *, actor: Actor
) -> list[TenantDocument]:
    """Keep several licences or certificates of a tenant at once: every file is checked first (by
    content, PDF, PNG or JPEG, at most 10 MB), then all are stored in one transaction, each
    audited as ``upload_tenant_document`` — all or none. Staff of the landlord or the tenant's own
    portal users."""
    if not uploads:
        raise DocumentInvalid(details={"file": [_("Choose at least one file.")]})
    for kind, upload in uploads:
        _check(kind, upload, f"files_{kind}")
    with transaction.atomic(durable=True):
        locked = locks.tenant_for_update(tenant.pk)
        _require_visible(actor, organisation_id=locked.organisation_id, tenant_id=locked.pk)
        return _store_uploads(
            locked,
            uploads,
            build=lambda kind, name, size: TenantDocument(tenant=locked, kind=kind, original_name=name, size=size),
            verb="upload_tenant_document",
            actor=actor,
        )
