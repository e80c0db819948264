"""Request id, Idempotency-Key handling and the content security policy."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _

from baogong.core import authz
from baogong.core.context import reset_request_id, set_request_id
from baogong.core.idempotency import body_fingerprint, claim_key, earlier_claim, release_claim, store_answer
from baogong.core.views import healthz

Handler = Callable[[HttpRequest], HttpResponse]


class HealthCheckMiddleware:
    """``GET /healthz`` answered before anything else reads the request: health checks call a node
    by its own address (``http://127.0.0.1:8000`` in the image's and compose's checks, a load
    balancer by the node's IP), which is not in ``ALLOWED_HOSTS`` (Django would answer 400) and is
    plain HTTP (``SECURE_SSL_REDIRECT`` would answer a redirect that a probe takes for health).
    The answer says only whether the database answers; every other path is checked as before."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz" and request.method in {"GET", "HEAD"}:
            return healthz(request)
        return self.get_response(request)


class RequestIdMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")[:64]
        token = set_request_id(incoming or None)
        memo = authz.request_memo()
        try:
            response = self.get_response(request)
        finally:
            authz.end_request_memo(memo)
            reset_request_id(token)
        return response


class MessageMiddleware(DjangoMessageMiddleware):
    """Django's, with the message storage made when a message is first added or read: a request
    that does neither (every API call) does not build the cookie and session storages (a signer
    each). Untouched, the storage would have stored nothing in the answer either."""

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:  # type: ignore[attr-defined]
            return response
        return super().process_response(request, response)


class LockConflictMiddleware:
    """A page whose action kept losing lock races (after its retries) answers 503 "busy, try
    again" in the site's look; nothing was written (the transaction was rolled back)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.db import DatabaseError

        from baogong.core.retry import is_lock_conflict

        if isinstance(exception, DatabaseError) and is_lock_conflict(exception):
            from baogong.core.views import busy

            return busy(request)
        from django.db import DataError

        if isinstance(exception, DataError):
            # the last line of defence: a value the database refuses (too long, out of range)
            # that no field bound caught; the transaction was rolled back, so nothing is written
            import logging

            logging.getLogger("baogong.input").warning(
                "value refused by the database at %s: %s", request.path, exception
            )
            from baogong.core.views import bad_request

            return bad_request(request)
        return None


class RefuseNulCharactersMiddleware:
    """A page's query or form field holding a NUL character answers 400 on both databases
    (PostgreSQL refuses NUL in text, SQLite would store it): views that read ``request.POST``
    directly get the same limit as Django's form fields. The API (``/api/``) is left to DRF,
    whose fields refuse NUL themselves."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get("Idempotency-Key"):
            # The idempotency check compares the raw body: read it before the form parser
            # consumes the stream (the form fields are then parsed from the kept body).
            _ = request.body
        if not request.path.startswith("/api/") and (_holds_nul(request.GET) or _holds_nul(request.POST)):
            from baogong.core.views import bad_request

            return bad_request(request)
        return self.get_response(request)


def _holds_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())


class ContentSecurityPolicyMiddleware:
    """``Content-Security-Policy`` with a fresh nonce per request (``request.csp_nonce``): only
    the site's own script files and inline scripts carrying the nonce run. The Swagger UI page has
    its own policy (``BAOGONG_CSP_API_DOCS``)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if request.path.startswith("/api/v1/docs"):
            policy = settings.BAOGONG_CSP_API_DOCS
        else:
            policy = settings.BAOGONG_CSP.replace("{nonce}", nonce)
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


def _scope_of(request: HttpRequest) -> str:
    auth = request.headers.get("Authorization", "")
    if auth:
        return "t:" + hashlib.sha256(auth.encode()).hexdigest()[:40]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    return "a:" + (request.META.get("REMOTE_ADDR") or "")


class IdempotencyMiddleware:
    """Creating POSTs with an ``Idempotency-Key`` header are answered once.

    The same key and body replays the stored answer; the same key with another body answers
    422; a retry while the first is still running answers 409. Answers of 5xx are not stored,
    so a retry after a crash runs again (the crashed attempt wrote nothing: actions are atomic).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return self.get_response(request)
        key = key.strip()[:255]
        scope = _scope_of(request)
        body_hash = body_fingerprint(request.method, request.path, request.content_type or "", request.body)
        record = claim_key(scope, key, method=request.method, path=request.path, body_hash=body_hash)
        if record is None:
            return self._replay(scope, key, body_hash)
        response = self.get_response(request)
        if response.status_code >= 500 or getattr(response, "streaming", False):
            release_claim(record)
            return response
        headers = {}
        if response.has_header("Location"):
            headers["Location"] = response["Location"]
        store_answer(
            record,
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=response.content,
            headers=headers,
        )
        return response

    def _replay(self, scope: str, key: str, body_hash: str) -> HttpResponse:
        record = earlier_claim(scope, key)
        if record is None:
            return _error(409, "idempotency_retry", _("Retry the request."))
        if record.body_hash != body_hash:
            return _error(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was already used with a different request."),
            )
        if record.status_code is None:
            return _error(409, "idempotency_in_progress", _("The first request with this key is still running."))
        response = HttpResponse(
            bytes(record.response_body or b""), status=record.status_code, content_type=record.content_type
        )
        for name, value in (record.headers or {}).items():
            response[name] = value
        response["Idempotent-Replayed"] = "true"
        return response


def _error(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "details": {}}, status=status_code)


def json_body(request: HttpRequest) -> object:
    return json.loads(request.body or b"{}")
