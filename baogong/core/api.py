"""API plumbing shared by every app: token auth, pagination, the error body, scoped viewsets."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from baogong.core import dates
from baogong.core.errors import DomainError
from baogong.core.retry import is_lock_conflict
from baogong.core.scoping import scoped

logger = logging.getLogger("baogong.input")


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
    if isinstance(exc, DataError):
        # the last line of defence behind the serializers' bounds: a value the database refuses
        # (too long, out of range); the action's transaction was rolled back, nothing is written
        logger.warning("value refused by the database: %s", exc)
        return Response(error_body("invalid", _("Some fields are not valid.")), status=400)
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


# Money in yuan: at most 14 digits in all, two (or four, for unit costs) after the point.
MAX_MONEY_DIGITS = 14

# Dates a user can mean (core.dates): 1950-01-01 to 2099-12-31.
EARLIEST_DATE = dates.EARLIEST_DATE
LATEST_DATE = dates.LATEST_DATE

# Free text in one request field (codes, names, reasons, notes) and items in one list.
MAX_CODE = 64
MAX_TEXT = 500
MAX_LIST = 1000


def _date_out_of_range() -> str:
    return gettext_lazy("Enter a date between %(earliest)s and %(latest)s.") % {
        "earliest": EARLIEST_DATE.isoformat(),
        "latest": LATEST_DATE.isoformat(),
    }


class BoundedDateField(serializers.DateField):
    """A date from :data:`EARLIEST_DATE` to :data:`LATEST_DATE` (else a field error)."""

    def to_internal_value(self, value: Any) -> dt.date:
        result = super().to_internal_value(value)
        if not EARLIEST_DATE <= result <= LATEST_DATE:
            raise serializers.ValidationError(_date_out_of_range(), code="date_range")
        return result


class BoundedDateTimeField(serializers.DateTimeField):
    """A moment whose local date lies from :data:`EARLIEST_DATE` to :data:`LATEST_DATE`."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        try:
            result = super().to_internal_value(value)
            day = timezone.localtime(result).date() if timezone.is_aware(result) else result.date()
        except OverflowError:  # a moment at the calendar's edge moved to local time
            day = None
        if day is None or not EARLIEST_DATE <= day <= LATEST_DATE:
            raise serializers.ValidationError(_date_out_of_range(), code="date_range")
        return result


def date_field(**kwargs: Any) -> BoundedDateField:
    """An input date within the years a user can mean (1950–2099)."""
    return BoundedDateField(**kwargs)


def datetime_field(**kwargs: Any) -> BoundedDateTimeField:
    """An input date and time within the years a user can mean (1950–2099)."""
    return BoundedDateTimeField(**kwargs)


def code_field(**kwargs: Any) -> serializers.CharField:
    """An input naming a record by its code (site, item, organisation...): at most 64 characters."""
    return serializers.CharField(max_length=MAX_CODE, **kwargs)


def text_field(*, max_length: int = MAX_TEXT, **kwargs: Any) -> serializers.CharField:
    """Free text of one input field (a reason, a note, a name): at most ``max_length`` (500)."""
    return serializers.CharField(max_length=max_length, **kwargs)


@extend_schema_field({"type": "string", "maxLength": MAX_CODE})
class CodeRelatedField(serializers.SlugRelatedField):  # type: ignore[type-arg]
    """A record named by its ``code`` (at most 64 characters; a longer one names nothing)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and len(data) > MAX_CODE:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data[:MAX_CODE] + "…")
        return super().to_internal_value(data)


def money_field(*, decimal_places: int = 2, **kwargs: Any) -> serializers.DecimalField:
    """An amount of yuan, 0 or more, at most 14 digits (``decimal_places`` of them after the point)."""
    kwargs.setdefault("min_value", 0)
    return serializers.DecimalField(max_digits=MAX_MONEY_DIGITS, decimal_places=decimal_places, **kwargs)


class ErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField()


def record_step(
    response: Any,
    *,
    body: type[serializers.Serializer[Any]] | None = None,
    errors: tuple[int, ...] | None = None,
    **route: Any,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A POST on one record of a viewset (``…/{id}/<name>/``) that takes one step of its life::

        @record_step(RequestSerializer, body=ReasonSerializer)
        def reject(self, request, data):
            return self._respond(actions.reject_request(self.get_object(), reason=data["reason"], actor=request.user))

    Documented as answering ``response`` or an error body with the status codes ``errors`` (by
    default 400 for field errors when it takes a ``body``, and 409 when the step is refused). The
    method gets the validated body (``{}`` without one); ``route`` goes to DRF's ``@action``
    (``url_path``…)."""
    codes = errors if errors is not None else ((400, 409) if body is not None else (409,))
    responses = {200: response, **dict.fromkeys(codes, ErrorSerializer)}

    def decorate(method: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(method)
        def view(self: Any, request: Any, pk: str | None = None) -> Response:
            data: Any = {}
            if body is not None:
                given = body(data=request.data)
                given.is_valid(raise_exception=True)
                data = given.validated_data
            return method(self, request, data)

        routed = action(detail=True, methods=["post"], **route)(view)
        return extend_schema(request=body, responses=responses)(routed)

    return decorate


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """A read-only viewset whose queryset goes through :func:`scoped`."""

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return scoped(super().get_queryset(), self.request.user)


CREATED = status.HTTP_201_CREATED
