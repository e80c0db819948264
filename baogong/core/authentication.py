"""Bearer-token authentication for machine clients (no DRF views imported here).

With a cache every process shares (:mod:`baogong.core.authz`), a token and its user are kept
there under the generation ``tokens:generation``: a token created, revoked, changed or deleted and
a user saved (deactivated, renamed, made superuser) or deleted bump it (:func:`connect_signals`,
and ``baogong token revoke``, which updates rows without signals), so the next request reads the
database again. A token is kept only once the transaction that read it commits, read from the
primary (:func:`authz.keep`). Otherwise (a cache per process) every request reads the token as before.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from baogong.core import authz
from baogong.core.dbrouter import primary_reads
from baogong.core.models import ApiToken

TOKENS_GENERATION_KEY = "tokens:generation"
TTL = 600


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer TOKEN`` with tokens made by ``baogong token create``."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"bearer", b"token"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header."))
        digest = ApiToken.digest_of(header[1].decode(errors="replace"))
        key = _cache_key(digest)
        token = authz.get(key) if key else None
        if token is None:
            try:
                with primary_reads():
                    token = ApiToken.objects.select_related("user").get(digest=digest, is_active=True)
            except ApiToken.DoesNotExist as exc:
                raise exceptions.AuthenticationFailed(_("Invalid or revoked token.")) from exc
            if key and token.user.is_active:
                authz.keep({key: token}, TTL)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The user is inactive."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
            if key:
                authz.keep({key: token}, TTL)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def _cache_key(digest: str) -> str | None:
    if not authz.enabled():
        return None
    return f"{authz.namespace()}:token:{authz.generation(TOKENS_GENERATION_KEY)}:{digest}"


def invalidate_tokens(*_args: Any, update_fields: Any = None, **_kwargs: Any) -> None:
    """Forget every cached token (a signal receiver; also called after bulk updates of tokens).

    A sign-in saves only the user's ``last_login``: nothing a token answers changes, so every
    machine client's cached token stays (before, each person signing in on the web made every
    client read its token again)."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    authz.bump(TOKENS_GENERATION_KEY)


def connect_signals() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    authz.read_together(TOKENS_GENERATION_KEY)
    for model in (ApiToken, get_user_model()):
        post_save.connect(invalidate_tokens, sender=model, dispatch_uid=f"tokens-save-{model._meta.label}")
        post_delete.connect(invalidate_tokens, sender=model, dispatch_uid=f"tokens-delete-{model._meta.label}")


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "baogong.core.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}
