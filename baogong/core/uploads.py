"""Uploaded files: checked by content (not by name) and size when stored, and served only to
users allowed to see the owning record, with headers that stop a browser running them.

- ``sniff(head)`` names the kind of a file from its first bytes.
- ``check_upload(upload, field=..., kinds=...)`` refuses a wrong kind or an oversized file with a
  field error (apps call it in their validation, before anything is written).
- ``GuardedFileSystemStorage`` is the default storage (``GuardedS3Storage`` in
  :mod:`baogong.core.storage` with an object store): whatever an app forgets to check, nothing
  but images, PDF and zip-based office documents (xlsx, docx, OFD) up to
  ``BAOGONG_MAX_UPLOAD_BYTES`` is ever written to the media folder or the bucket.
- ``matches(upload, extension)`` says whether a file's content is what its extension claims
  (the one home of the per-app "is this really a PDF/JPEG/PNG" checks).
- ``media_file`` answers ``/media/<name>`` (the ``FieldFile.url`` of every upload): the record
  that holds the file must be visible to the user (view permission and organisation scope),
  else 404; images are shown inline, everything else is a download; ``nosniff`` and a
  sandboxing content security policy always. Streamed by default; a signed short-lived link to the
  object store or nginx's X-Accel-Redirect when configured (``BAOGONG_MEDIA_SERVING``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from baogong.core.errors import ValidationFailed
from baogong.core.storage import is_object_store, media_storage, read_head, signed_url

IMAGE_KINDS = ("jpeg", "png", "gif", "webp")
DOCUMENT_KINDS = ("pdf", "zip")
CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "zip": "application/octet-stream",  # xlsx, docx, OFD: always a download
}
MEDIA_CSP = "default-src 'none'; img-src 'self'; sandbox"


class UploadRefused(ValidationFailed):
    code = "upload_refused"
    default_message = gettext_lazy("The uploaded file was refused.")


def sniff(head: bytes) -> str | None:
    """The kind of a file from its first bytes (at least 12), or None when it is none we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


# The kind a file name's extension promises (xlsx, docx and OFD are zip files).
EXTENSION_KINDS = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".png": "png",
    ".gif": "gif",
    ".webp": "webp",
    ".pdf": "pdf",
    ".xlsx": "zip",
    ".docx": "zip",
    ".ofd": "zip",
}


def matches(upload: Any, extension: str) -> bool:
    """Whether ``upload``'s content is of the kind its ``extension`` (".pdf", "png"…) promises."""
    wanted = EXTENSION_KINDS.get("." + extension.lower().lstrip("."))
    return wanted is not None and sniff(_head(upload)) == wanted


def _head(upload: Any) -> bytes:
    position = upload.tell() if hasattr(upload, "tell") else None
    if hasattr(upload, "seek"):
        upload.seek(0)
    head = upload.read(16) or b""
    if hasattr(upload, "seek"):
        upload.seek(position or 0)
    return bytes(head)


def _size(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None and hasattr(upload, "seek"):
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(0)
    return int(size or 0)


def check_upload(
    upload: Any,
    *,
    field: str = "file",
    kinds: Iterable[str] = IMAGE_KINDS + DOCUMENT_KINDS,
    max_bytes: int | None = None,
) -> str:
    """The sniffed kind of an acceptable upload; else ``UploadRefused`` with a field error."""
    allowed = tuple(kinds)
    limit = settings.BAOGONG_MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    size = _size(upload)
    if size == 0:
        raise UploadRefused(details={field: [_("The file is empty.")]})
    if size > limit:
        raise UploadRefused(
            details={field: [_("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}]}
        )
    kind = sniff(_head(upload))
    if kind not in allowed:
        names = ", ".join(k.upper() if k != "zip" else "XLSX/DOCX/OFD" for k in allowed)
        raise UploadRefused(
            details={field: [_("The file's content is not an accepted type (%(kinds)s).") % {"kinds": names}]}
        )
    return kind


class GuardedFileSystemStorage(FileSystemStorage):  # the S3 twin: baogong.core.storage.GuardedS3Storage
    """The media storage: refuses content of another kind, or too large, whatever the name says."""

    def _save(self, name: str, content: Any) -> str:
        check_upload(content, field="file")
        return str(super()._save(name, content))  # type: ignore[misc]


# --- serving -------------------------------------------------------------------------------------
def file_fields() -> Iterator[tuple[type[models.Model], str]]:
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                yield model, field.name


def _visible(model: type[models.Model], field: str, name: str, user: Any) -> bool:
    from baogong.core.scoping import scoped

    rows = model._default_manager.filter(**{field: name})
    if not rows.exists():
        return False
    opts = model._meta
    if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        return False
    if getattr(model, "scope_org_field", None) or getattr(model, "scope_site_field", None):
        return scoped(rows, user).exists()
    return True


def _media_response(request: HttpRequest, name: str) -> HttpResponse | FileResponse:
    """The answer for a file the user may see, in the configured way (``BAOGONG_MEDIA_SERVING``):
    ``stream`` (default) reads it through this process; ``redirect`` sends the browser to a signed,
    short-lived link to the object store; ``accel`` hands the file to nginx (X-Accel-Redirect to
    ``BAOGONG_MEDIA_ACCEL_PREFIX``: an ``internal`` location over the media folder or the bucket)."""
    storage = media_storage()
    if not storage.exists(name):
        raise Http404
    kind = sniff(read_head(name, 16, storage))
    inline = kind in IMAGE_KINDS
    content_type = CONTENT_TYPES.get(kind or "", "application/octet-stream")
    disposition = content_disposition_header(as_attachment=not inline, filename=PurePosixPath(name).name) or ""
    mode = settings.BAOGONG_MEDIA_SERVING
    response: HttpResponse | FileResponse
    if mode == "redirect" and is_object_store(storage):
        response = HttpResponseRedirect(signed_url(name, content_type=content_type, disposition=disposition))
    elif mode == "accel":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.BAOGONG_MEDIA_ACCEL_PREFIX.rstrip("/") + "/" + quote(name)
    else:
        response = FileResponse(storage.open(name, "rb"), content_type=content_type)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def media_file(request: HttpRequest, name: str) -> HttpResponse | FileResponse:
    """``/media/<name>``: the upload, when a record the user may see holds it; else 404."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not name:
        raise Http404
    if not any(_visible(model, field, name, request.user) for model, field in file_fields()):
        raise Http404
    return _media_response(request, name)
