"""Pages of the command centre: communications log, reopening inspections, report recipients, drills."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from baogong.command import actions, queries
from baogong.command.choices import Channel, PostKind
from baogong.command.documents import CONTENT_TYPES, drill_document, summary_rows
from baogong.command.forms import DrillForm, InspectionForm, PostForm, RecipientForm, ReinspectionForm
from baogong.command.models import Drill, Rectification, ReportRecipient
from baogong.core.actionviews import run_action, run_panel_form
from baogong.core.audit import history_for
from baogong.core.dbrouter import read_from_replica
from baogong.core.errors import DomainError
from baogong.core.forms import show_domain_error
from baogong.core.htmx import paginate, render_page_or_partial
from baogong.core.permissions import require_perm
from baogong.core.scoping import get_scoped_or_404, has_global_scope
from baogong.people import queries as people_queries
from baogong.people.models import Incident


@require_perm("command.view_communicationpost")
def post_list(request: HttpRequest) -> HttpResponse:
    posts = queries.filter_posts(queries.posts_for(request.user), request.GET)
    context = {
        "page": paginate(request, posts),
        "params": request.GET,
        "totals": queries.post_totals(posts),
        "kinds": PostKind.choices,
        "channels": Channel.choices,
    }
    return render_page_or_partial(request, "command/post_list.html", "command/partials/_post_table.html", context)


@require_perm("command.add_communicationpost")
def post_create(request: HttpRequest) -> HttpResponse:
    form = PostForm(request.POST or None, user=request.user, initial={"published_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_post(form.cleaned_data, actor=request.user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Post logged."))
            return redirect("command:post_list")
    return render(
        request, "core/form_page.html", {"form": form, "title": _("Log a post")}, status=400 if form.errors else 200
    )


@require_perm("command.view_inspection")
def inspection_list(request: HttpRequest) -> HttpResponse:
    inspections = queries.filter_inspections(queries.inspections_for(request.user), request.GET)
    context = {
        "page": paginate(request, inspections),
        "params": request.GET,
        "open_rectifications": queries.open_rectifications(request.user)[:50],
        "venues": queries.venues_for(request.user),
    }
    return render_page_or_partial(
        request, "command/inspection_list.html", "command/partials/_inspection_table.html", context
    )


@require_perm("command.add_inspection")
def inspection_create(request: HttpRequest) -> HttpResponse:
    templates = list(queries.templates())
    template = next(
        (t for t in templates if str(t.pk) == request.GET.get("template")), templates[0] if templates else None
    )
    if template is None:
        messages.error(request, _("No checklist template is active."))
        return redirect("command:inspection_list")
    form = InspectionForm(
        request.POST or None,
        request.FILES or None,
        template=template,
        venues=queries.venues_for(request.user),
        initial={"inspected_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        findings = [
            actions.FindingInput(
                item_code=item.code,
                is_compliant=data[f"ok_{item.code}"],
                remark=data[f"remark_{item.code}"],
                photo=data[f"photo_{item.code}"],
                owner=data[f"owner_{item.code}"],
                deadline=data[f"deadline_{item.code}"],
            )
            for item in template.items.all()
        ]
        try:
            inspection = actions.record_inspection(
                data["venue"],
                template,
                on=data["inspected_on"],
                findings=findings,
                note=data["note"],
                actor=request.user,
            )
        except DomainError as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            for key, errors in details.items():
                target = key.replace("finding_", "remark_") if key.startswith("finding_") else key
                for error in errors:
                    form.add_error(target if target in form.fields else None, str(error))
        else:
            messages.success(request, pgettext("site inspection", "Inspection recorded."))
            return redirect("command:inspection_detail", pk=inspection.pk)
    context = {"form": form, "template": template, "templates": templates}
    return render(request, "command/inspection_form.html", context, status=400 if form.errors else 200)


@require_perm("command.view_inspection")
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = get_scoped_or_404(queries.inspections_for(request.user), request.user, pk=pk)
    findings = inspection.findings.select_related("item").all()
    context = {
        "inspection": inspection,
        "findings": findings,
        "rectifications": Rectification.objects.filter(finding__inspection=inspection).select_related("finding__item"),
        "reinspection_form": ReinspectionForm(initial={"inspected_on": timezone.localdate()}),
        "history": history_for(inspection)[:20],
    }
    return render(request, "command/inspection_detail.html", context)


@require_POST
@require_perm("command.add_inspection")
def reinspect(request: HttpRequest, pk: int) -> HttpResponse:
    rectification = get_scoped_or_404(queries.rectifications_for(request.user), request.user, pk=pk)
    return run_panel_form(
        request,
        ReinspectionForm(request.POST, request.FILES),
        lambda data: actions.record_reinspection(
            rectification,
            on=data["inspected_on"],
            is_compliant=data["is_compliant"],
            remark=data["remark"],
            photo=data["photo"],
            actor=request.user,
        ),
        done=_("Re-inspection recorded."),
        then=redirect("command:inspection_detail", pk=rectification.finding.inspection_id),
    )


@require_perm("command.view_inspection")
def compliance(request: HttpRequest) -> HttpResponse:
    rows = queries.compliance(request.user, request.GET.get("from") or None, request.GET.get("to") or None)  # type: ignore[arg-type]
    return render(request, "command/compliance.html", {"rows": rows, "params": request.GET})


@require_perm("command.view_reportrecipient")
def recipient_list(request: HttpRequest) -> HttpResponse:
    form = RecipientForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not request.user.has_perm("command.add_reportrecipient"):
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                actions.add_report_recipient(form.cleaned_data, actor=request.user)
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                messages.success(request, _("Recipient added."))
                return redirect("command:recipient_list")
    context = {"form": form, "recipients": queries.recipients_for(request.user)}
    return render(request, "command/recipient_list.html", context, status=400 if form.errors else 200)


@require_POST
@require_perm("command.delete_reportrecipient")
def recipient_remove(request: HttpRequest, pk: int) -> HttpResponse:
    recipient = get_scoped_or_404(ReportRecipient.objects.filter(is_active=True), request.user, pk=pk)
    return run_action(
        request,
        lambda: actions.remove_report_recipient(recipient, actor=request.user),
        done=_("Recipient removed."),
        then=redirect("command:recipient_list"),
    )


# --------------------------------------------------------------------------- drills


def _drills_for(user: Any) -> QuerySet[Drill]:
    """Drills read the whole network: only users who see the whole network see them."""
    qs = Drill.objects.select_related("created_by", "job")
    return qs if has_global_scope(user) else qs.none()


@require_perm("command.view_drill")
def drill_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, _drills_for(request.user))
    return render(request, "command/drill_list.html", {"page": page})


@require_perm("command.run_drill")
def drill_create(request: HttpRequest) -> HttpResponse:
    form = DrillForm(request.POST or None, initial={"from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        title = data.pop("title", "")
        try:
            drill = actions.start_drill(data, actor=request.user, title=title)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("The drill is running; nothing in the data changes."))
            return redirect("command:drill_detail", pk=drill.pk)
    return render(request, "command/drill_form.html", {"form": form}, status=400 if form.errors else 200)


@require_perm("command.view_drill")
def drill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    drill = get_object_or_404(_drills_for(request.user), pk=pk)
    context: dict[str, Any] = {"drill": drill, "job": drill.job}
    if drill.result:
        context["summary"] = summary_rows(drill.result)
        context["days"] = list(zip(drill.result["baseline"]["days"], drill.result["drill"]["days"], strict=True))
        context["history"] = history_for(drill)[:20]
    return render_page_or_partial(request, "command/drill_detail.html", "command/partials/_drill_body.html", context)


@require_POST
@require_perm("command.run_drill")
def drill_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a saved drill again with the same parameters (and seed)."""
    drill = get_object_or_404(_drills_for(request.user), pk=pk)
    params = dict(drill.parameters)
    window = params.pop("window")
    try:
        again = actions.start_drill(
            {**params, "from": window["from"], "days": window["days"]}, actor=request.user, title=drill.title
        )
    except DomainError as exc:
        show_domain_error(request, exc)
        return redirect("command:drill_detail", pk=drill.pk)
    messages.success(request, _("The drill is running; nothing in the data changes."))
    return redirect("command:drill_detail", pk=again.pk)


@require_perm("command.view_drill")
@read_from_replica
def drill_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    drill = get_object_or_404(_drills_for(request.user), pk=pk)
    if not drill.result or fmt not in CONTENT_TYPES:
        raise Http404
    content, content_type, name = drill_document(drill.result, fmt, title=str(drill))
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- incident playbooks (shown on people's incident page through people.hooks) ------------------


def incident_playbook_section(request: HttpRequest, incident: Incident) -> str:
    """The incident's playbook, rendered for the incident page (registered in ``CommandConfig.ready``)."""
    if not request.user.has_perm("command.view_playbookstep"):
        return ""
    context = {
        "playbook": queries.playbook_for(incident),
        "can_tick": request.user.has_perm("command.complete_playbook_step"),
    }
    return render_to_string("command/partials/_playbook.html", context, request=request)


@require_POST
@require_perm("command.complete_playbook_step")
def playbook_step(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Tick off (``complete``) or undo (``reopen``, with a reason) one step of an incident's playbook."""
    incident = get_scoped_or_404(people_queries.incidents_for(request.user), request.user, pk=pk)
    back = redirect(reverse("people:incident_detail", args=[incident.pk]) + "#playbook")
    if request.POST.get("do") == "reopen":
        return run_action(
            request,
            lambda: actions.reopen_playbook_step(
                incident, code, reason=request.POST.get("reason", ""), actor=request.user
            ),
            done=_("Step reopened."),
            then=back,
        )
    return run_action(
        request,
        lambda: actions.complete_playbook_step(incident, code, note=request.POST.get("note", ""), actor=request.user),
        done=_("Step done."),
        then=back,
    )
