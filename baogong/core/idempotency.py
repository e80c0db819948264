"""Answer a creating request once: the claim, the wait for a running first request, the stored answer.

One protocol for the ``Idempotency-Key`` header (:class:`baogong.core.middleware.IdempotencyMiddleware`)
and for pages that carry their own token (the pharmacy checkout's form token). A request claims
``(scope, key)``; a second request with the same pair finds the claim and waits for the first to
store its answer (or to give the claim up when it wrote nothing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from baogong.core.models import IdempotencyRecord


def claim_key(scope: str, key: str, *, method: str, path: str, body_hash: str) -> IdempotencyRecord | None:
    """Claim ``(scope, key)`` for this request; ``None`` when another request claimed it first."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                scope=scope, key=key, method=method, path=path[:512], body_hash=body_hash
            )
    except IntegrityError:
        return None


def earlier_claim(scope: str, key: str, *, attempts: int = 50, pause: float = 0.1) -> IdempotencyRecord | None:
    """The claim of ``(scope, key)``, waiting up to ``attempts`` × ``pause`` seconds while the first
    request is still running (its ``status_code`` still empty); ``None`` when there is none."""
    record = None
    for _attempt in range(attempts):
        record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if record is None or record.status_code is not None:
            break
        time.sleep(pause)
    return record


def store_answer(
    record: IdempotencyRecord,
    *,
    status_code: int,
    content_type: str,
    body: bytes,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Keep the answer of the claiming request, replayed to every later request with the key."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=status_code, content_type=content_type, response_body=body, headers=dict(headers or {})
    )


def release_claim(record: IdempotencyRecord) -> None:
    """Give the claim up (the request wrote nothing): a retry with the key runs again."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def body_fingerprint(method: str, path: str, content_type: str, body: bytes) -> str:
    """What "the same request" means: method, path and the body — a JSON body in canonical form
    (keys sorted, no insignificant white space), so a client that re-serialises the same object
    (another key order, other spacing) is answered from the first request instead of refused."""
    canonical = body
    if content_type.split(";", 1)[0].strip().lower() == "application/json" and body:
        try:
            value = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            pass  # not JSON after all: compared byte for byte
        else:
            canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(method.encode() + path.encode() + canonical).hexdigest()


def purge_records(*, older_than: dt.timedelta, keep_scopes: frozenset[str] = frozenset()) -> int:
    """Delete stored answers older than ``older_than`` (a client retries within minutes, not weeks);
    scopes in ``keep_scopes`` (the daily jobs' run claims) stay. Answers how many went."""
    cutoff = timezone.now() - older_than
    deleted, _per_model = (
        IdempotencyRecord.objects.filter(created_at__lt=cutoff).exclude(scope__in=keep_scopes).delete()
    )
    return deleted
