"""API plumbing shared by every app: token auth, pagination, the error body, scoped viewsets."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from baogong.core.errors import DomainError
from baogong.core.retry import is_lock_conflict
from baogong.core.scoping import scoped


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def error_body(code: str, message: Any, details: Any = None) -> dict[str, Any]:
    return {"code": code, "message": str(message), "details": details if details is not None else {}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error answers ``{"code", "message", "details"}``, the message translated."""
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, _flatten(exc.details)), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        details = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(error_body("invalid", _("Some fields are not valid."), details), status=400)
    if isinstance(exc, Http404):
        return Response(error_body("not_found", _("Not found.")), status=404)
    if isinstance(exc, DatabaseError) and is_lock_conflict(exc):
        # retried at the action boundary and still losing: nothing was written, the client may retry
        body = error_body("busy", _("The system is busy; nothing was changed. Try again in a moment."))
        return Response(body, status=503, headers={"Retry-After": "2"})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, int(getattr(exc, "wait", None) or 1))
        message = _("Too many requests; nothing was changed.")
        advice = _("Wait %(seconds)d seconds, then try again.") % {"seconds": wait}
        response.data = error_body("throttled", f"{message} {advice}", {"retry_after": wait})
        response["Retry-After"] = str(wait)
    elif isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", _("Some fields are not valid."), _flatten(exc.detail))
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        message = detail if isinstance(detail, str) else _flatten(detail)
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = error_body(str(code), message if isinstance(message, str) else exc.default_detail)
    return response


# Row ids are 64-bit on both databases; a larger number is a field error, not a database overflow.
MAX_ID = 2**63 - 1


# Whole issue units in one line: the same bound on both databases (PostgreSQL integers stop at
# 2,147,483,647; SQLite would store far more), so both accept the same data.
MAX_QTY = 2_000_000_000


def qty_field(*, min_value: int = 1, **kwargs: Any) -> serializers.IntegerField:
    """An input quantity in whole units, ``min_value`` (1) to 2,000,000,000."""
    return serializers.IntegerField(min_value=min_value, max_value=MAX_QTY, **kwargs)


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An input field naming a row by its id: a positive 64-bit integer."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class ErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField()


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """A read-only viewset whose queryset goes through :func:`scoped`."""

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return scoped(super().get_queryset(), self.request.user)


CREATED = status.HTTP_201_CREATED
