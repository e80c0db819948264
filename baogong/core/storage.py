"""Where uploads live: the local media folder (embedded default) or an S3-compatible object store.

``S3_BUCKET`` switches the default storage (``settings.STORAGES["default"]``) to
:class:`GuardedS3Storage` (django-storages' S3 backend: AWS S3, MinIO, Aliyun OSS, Tencent COS,
any S3-compatible service). Either way every write passes the same upload guard
(:func:`baogong.core.uploads.check_upload`: size and content sniffed), and a file's ``url`` is the
guarded ``/media/<name>`` view, never the bucket: the record-level permission check stays in front.

Helpers that work on any storage (local or object store): :func:`media_storage`,
:func:`iter_names` (every stored file, for backups), :func:`read_head` (the first bytes without
downloading an object), :func:`signed_url` (a short-lived link to the object, S3 only).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.urls import reverse


def media_storage() -> Storage:
    """The storage uploads are written to (``STORAGES["default"]``)."""
    return storages["default"]


def is_object_store(storage: Storage | None = None) -> bool:
    return hasattr(storage or media_storage(), "bucket_name")


def iter_names(storage: Storage | None = None, folder: str = "") -> Iterator[str]:
    """Every file name under ``folder`` (recursively), on the local disk or in the bucket."""
    storage = storage or media_storage()
    if is_object_store(storage):
        bucket = storage.bucket  # type: ignore[attr-defined]
        prefix = storage._normalize_name(folder) if folder else storage.location  # type: ignore[attr-defined]
        prefix = f"{prefix.rstrip('/')}/" if prefix else ""
        for summary in bucket.objects.filter(Prefix=prefix):
            yield summary.key[len(storage.location.rstrip("/")) + 1 :] if storage.location else summary.key  # type: ignore[attr-defined]
        return
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for directory in directories:
        yield from iter_names(storage, f"{folder}/{directory}" if folder else directory)


def read_head(name: str, size: int = 16, storage: Storage | None = None) -> bytes:
    """The first ``size`` bytes of a stored file (a ranged GET on an object store)."""
    storage = storage or media_storage()
    if is_object_store(storage):
        key = storage._normalize_name(name)  # type: ignore[attr-defined]
        answer = storage.bucket.Object(key).get(Range=f"bytes=0-{size - 1}")  # type: ignore[attr-defined]
        return bytes(answer["Body"].read())
    with storage.open(name, "rb") as handle:
        return bytes(handle.read(size))


def signed_url(name: str, *, content_type: str, disposition: str, storage: Storage | None = None) -> str:
    """A link straight to the object, signed and valid for ``BAOGONG_MEDIA_URL_SECONDS``, that
    makes the store answer with our content type and disposition (S3 only)."""
    storage = storage or media_storage()
    params = {"ResponseContentType": content_type, "ResponseContentDisposition": disposition}
    return str(
        storage.signed_url(name, parameters=params, expire=settings.BAOGONG_MEDIA_URL_SECONDS)  # type: ignore[attr-defined]
    )


@functools.cache
def _guarded_s3_class() -> type:
    from storages.backends.s3 import S3Storage

    from baogong.core.uploads import check_upload

    class _GuardedS3Storage(S3Storage):
        """django-storages' S3 backend behind the upload guard; ``url`` is the guarded view."""

        def _save(self, name: str, content: Any) -> str:
            check_upload(content, field="file")
            return str(super()._save(name, content))

        def url(self, name: str, parameters: Any = None, expire: Any = None, http_method: Any = None) -> str:
            return reverse("core:media", kwargs={"name": name})

        def signed_url(self, name: str, parameters: Any = None, expire: Any = None) -> str:
            return str(super().url(name, parameters=parameters, expire=expire))

    return _GuardedS3Storage


def GuardedS3Storage(**options: Any) -> Storage:  # noqa: N802 - a storage class for STORAGES
    """The S3-compatible storage (django-storages), imported only when configured."""
    storage: Storage = _guarded_s3_class()(**options)
    return storage
