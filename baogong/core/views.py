"""Views of the shared kernel: health check, audit log, background jobs."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.defaults import page_not_found
from django.views.defaults import server_error as defaults_server_error

from baogong.core.htmx import paginate, render_page_or_partial
from baogong.core.jobs import create_job, enqueue_job
from baogong.core.models import AuditEvent, Job, Notification
from baogong.core.notify import mark_read, notifications_for
from baogong.core.permissions import require_perm
from baogong.core.scoping import scoped
from baogong.core.tasks import count_to


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """API paths answer the JSON error body; pages get the normal 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": str(_("Not found.")), "details": {}}, status=404)
    return page_not_found(request, exception or Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        message = str(_("Internal error; nothing was changed."))
        return JsonResponse({"code": "server_error", "message": message, "details": {}}, status=500)
    return defaults_server_error(request)


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
        events = events.filter(verb__icontains=verb)
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
        request, "core/audit_list.html", "core/partials/_audit_table.html", {"page": page, "params": params}
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
