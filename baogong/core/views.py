"""Views of the shared kernel: health check, audit log, background jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template import loader
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from baogong.core.context import current_request_id
from baogong.core.history import VERBS
from baogong.core.htmx import paginate, render_page_or_partial
from baogong.core.jobs import create_job, enqueue_job
from baogong.core.models import AuditEvent, Job, Notification, NotificationDelivery
from baogong.core.notify import mark_read, notifications_for
from baogong.core.permissions import require_perm
from baogong.core.scoping import scoped
from baogong.core.tasks import count_to

# Error pages. API paths answer the documented JSON error body; pages answer a page in the site's
# look, in the user's language, that says what to do next. Never Django's technical pages.
_ERRORS: dict[int, tuple[str, Any, Any]] = {
    400: (
        "bad_request",
        gettext_lazy("The request could not be understood."),
        gettext_lazy("Go back and check what you entered."),
    ),
    403: (
        "permission_denied",
        gettext_lazy("You are not allowed to open this page."),
        gettext_lazy("Your account's role does not cover it. Ask your administrator for access if you need it."),
    ),
    404: (
        "not_found",
        gettext_lazy("The page you asked for does not exist."),
        gettext_lazy("The link may be old or mistyped, or the record may belong to another organisation."),
    ),
    500: (
        "server_error",
        gettext_lazy("Something went wrong on our side; nothing was changed."),
        gettext_lazy("Try again in a minute. If it happens again, give your administrator the reference below."),
    ),
    503: (
        "busy",
        gettext_lazy("The system is busy; nothing was changed."),
        gettext_lazy("Many people are changing the same records right now. Send it again in a moment."),
    ),
}


# The API's short messages, the same as its own error handler's (core.api.exception_handler).
_API_MESSAGES = {
    400: gettext_lazy("Malformed request."),
    403: gettext_lazy("You do not have permission to perform this action."),
    404: gettext_lazy("Not found."),
    500: gettext_lazy("Internal error; nothing was changed."),
    503: gettext_lazy("The system is busy; nothing was changed. Try again in a moment."),
}


def _error_response(request: HttpRequest, status: int, *, with_request: bool = True) -> HttpResponse:
    code, message, advice = _ERRORS[status]
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": str(_API_MESSAGES[status]), "details": {}}, status=status)
    context = {"status": status, "message": message, "advice": advice, "request_id": current_request_id()}
    html: str
    try:
        # A 500 renders without the request: no context processor (and so no database) may be needed.
        html = loader.render_to_string("error.html", context, request if with_request else None)
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        html = f"<!doctype html><meta charset=utf-8><title>{status}</title><h1>{status}</h1><p>{escape(message)}</p>"
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_response(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_response(request, 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_response(request, 500, with_request=False)


def busy(request: HttpRequest) -> HttpResponse:
    response = _error_response(request, 503)
    response["Retry-After"] = "2"
    return response


def throttled(request: HttpRequest, wait: int) -> HttpResponse:
    """429: one client sent too many requests (``baogong.core.ratelimit``); try again after
    ``wait`` seconds (``Retry-After``)."""
    message = _("Too many requests; nothing was changed.")
    advice = _("Wait %(seconds)d seconds, then try again.") % {"seconds": wait}
    if request.path.startswith("/api/"):
        body = {"code": "throttled", "message": f"{message} {advice}", "details": {"retry_after": wait}}
        response: HttpResponse = JsonResponse(body, status=429)
    else:
        context = {"status": 429, "message": message, "advice": advice, "request_id": current_request_id()}
        response = HttpResponse(loader.render_to_string("error.html", context, request), status=429)
    response["Retry-After"] = str(wait)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent after its page expired (or from elsewhere): say so, in the site's look."""
    if request.path.startswith("/api/"):
        message = str(_("The form had expired or came from another site; nothing was changed."))
        return JsonResponse({"code": "csrf_failed", "message": message, "details": {}}, status=403)
    context = {
        "status": 403,
        "message": _("The form had expired or came from another site; nothing was changed."),
        "advice": _("Reload the page, enter it again and send it once more."),
        "request_id": current_request_id(),
    }
    return HttpResponse(loader.render_to_string("error.html", context, request), status=403)


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means not healthy
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_perm("core.view_auditevent")
def audit_list(request: HttpRequest) -> HttpResponse:
    events = scoped(AuditEvent.objects.select_related("actor", "object_type"), request.user)
    params = request.GET
    if verb := params.get("verb", "").strip():
        events = events.filter(verb=verb)
    if actor := params.get("actor", "").strip():
        events = events.filter(actor_label__icontains=actor)
    if obj := params.get("object", "").strip():
        events = events.filter(object_repr__icontains=obj) | events.filter(object_id=obj)
    for key, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
        if value := params.get(key):
            try:
                events = events.filter(**{lookup: dt.date.fromisoformat(value)})
            except ValueError:
                pass
    page = paginate(request, events.order_by("-at", "-id"))
    return render_page_or_partial(
        request,
        "core/audit_list.html",
        "core/partials/_audit_table.html",
        {
            "page": page,
            "params": params,
            "verbs": sorted(((v, str(label)) for v, label in VERBS.items()), key=lambda p: p[1]),
        },
    )


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's inbox: alerts about their organisations and sites (expiry, passes, tanks,
    outbreaks, counterfeits …) and notices addressed to them, newest first; unread ones first
    with ``?unread=1``; by level."""
    notes = notifications_for(request.user)
    params = request.GET
    if params.get("unread"):
        notes = notes.filter(is_read=False)
    if (level := params.get("level")) in Notification.Level.values:
        notes = notes.filter(level=level)
    page = paginate(request, notes.order_by("-created_at", "-id"))
    return render_page_or_partial(
        request,
        "core/notification_list.html",
        "core/partials/_notification_table.html",
        {"page": page, "params": params, "levels": Notification.Level.choices},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read (404 outside the user's inbox) and follow its link if asked."""
    note = get_object_or_404(notifications_for(request.user), pk=pk)
    mark_read(notifications_for(request.user).filter(pk=note.pk), actor=request.user)
    if request.POST.get("follow") and _local(note.link):
        return redirect(note.link)
    following = request.POST.get("next", "")
    return redirect(following if _local(following) else "core:notification_list")


def _local(url: str) -> bool:
    """A path on this site (no scheme, no other host): safe to redirect to."""
    return url.startswith("/") and not url.startswith(("//", "/\\"))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    done = mark_read(notifications_for(request.user), actor=request.user)
    messages.success(request, _("%(count)d notifications marked read.") % {"count": done})
    return redirect("core:notification_list")


@require_perm("core.view_job")
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = Job.objects.all()
    if not request.user.has_perm("core.view_auditevent"):
        jobs = jobs.filter(owner_id=request.user.pk)
    page = paginate(request, jobs)
    return render_page_or_partial(request, "core/job_list.html", "core/partials/_job_table.html", {"page": page})


@login_required
def job_detail(request: HttpRequest, pk: str) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk)
    if job.owner_id != request.user.pk and not request.user.has_perm("core.view_auditevent"):
        raise Http404
    return render_page_or_partial(request, "core/job_detail.html", "core/partials/_job_progress.html", {"job": job})


@require_POST
@require_perm("core.run_demo_job")
def job_demo(request: HttpRequest) -> HttpResponse:
    job = create_job("demo", "演示任务 / demo task", owner=request.user)
    enqueue_job(job, count_to, 20, 0.2)
    return redirect("core:job_detail", pk=job.pk)


@require_perm("core.view_notificationdelivery")
def delivery_list(request: HttpRequest) -> HttpResponse:
    """Notifications pushed to group robots and e-mail: each delivery's status, attempts and last
    error, newest first; by status."""
    rows = scoped(NotificationDelivery.objects.select_related("notification", "channel"), request.user)
    status = request.GET.get("status")
    if status in NotificationDelivery.Status.values:
        rows = rows.filter(status=status)
    page = paginate(request, rows.order_by("-created_at", "-id"))
    return render_page_or_partial(
        request,
        "core/delivery_list.html",
        "core/partials/_delivery_table.html",
        {"page": page, "params": request.GET, "statuses": NotificationDelivery.Status.choices},
    )
