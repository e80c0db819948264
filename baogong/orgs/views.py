"""Pages for organisations and sites. Each view parses, checks permission, calls one action."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.core.actionviews import run_action
from baogong.core.audit import history_for
from baogong.core.errors import ValidationFailed
from baogong.core.excel import XLSX_CONTENT_TYPE, workbook_bytes
from baogong.core.forms import show_domain_error
from baogong.core.htmx import paginate, render_page_or_partial
from baogong.core.imports import import_page, template_response
from baogong.core.permissions import require_perm
from baogong.core.scoping import get_scoped_or_404
from baogong.orgs import actions, governance, queries
from baogong.orgs.choices import ChangeStatus, SiteKind, SiteStatus
from baogong.orgs.forms import ImportForm, SiteForm, SiteStatusForm
from baogong.orgs.models import AdministrativeArea, Site


@require_perm("orgs.view_site")
def site_list(request: HttpRequest) -> HttpResponse:
    sites = queries.filter_sites(queries.sites_for(request.user), request.GET)
    if request.GET.get("format") == "xlsx":
        return _sites_workbook(sites)
    page = paginate(request, sites)
    context = {
        "page": page,
        "params": request.GET,
        "kinds": SiteKind.choices,
        "statuses": SiteStatus.choices,
        "areas": AdministrativeArea.objects.exclude(level="district"),
    }
    return render_page_or_partial(request, "orgs/site_list.html", "orgs/partials/_site_table.html", context)


def _sites_workbook(sites: object) -> HttpResponse:
    rows = (
        [
            s.code,
            s.name,
            s.kind,
            s.organisation.code,
            s.area.code if s.area else "",
            s.address,
            s.lat,
            s.lon,
            s.contact_name,
            s.contact_phone,
            s.priority_tier,
            s.headcount,
        ]
        for s in sites  # type: ignore[attr-defined]
    )
    body = workbook_bytes("sites", actions.SITE_COLUMNS, rows)
    response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="sites.xlsx"'
    return response


@require_perm("orgs.view_site")
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_scoped_or_404(Site.objects.select_related("organisation", "area"), request.user, pk=pk)
    context = {
        "site": site,
        "history": history_for(site)[:50],
        "status_form": SiteStatusForm(initial={"status": site.status}),
        "held": [site] if site.status != SiteStatus.NORMAL else [],
    }
    return render(request, "orgs/site_detail.html", context)


@require_perm("orgs.add_site")
def site_create(request: HttpRequest) -> HttpResponse:
    form = SiteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            site = actions.create_site(form.cleaned_data, actor=request.user)
        except ValidationFailed as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Site created."))
            return redirect("orgs:site_detail", pk=site.pk)
    return render(request, "orgs/site_form.html", {"form": form}, status=400 if form.errors else 200)


@require_perm("orgs.change_site")
def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_scoped_or_404(Site.objects.all(), request.user, pk=pk)
    form = SiteForm(request.POST or None, instance=Site.objects.get(pk=site.pk), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            actions.update_site(site, data, actor=request.user)
        except ValidationFailed as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Site saved."))
            return redirect("orgs:site_detail", pk=site.pk)
    return render(request, "orgs/site_form.html", {"form": form, "site": site}, status=400 if form.errors else 200)


@require_POST
@require_perm("orgs.set_site_status")
def site_set_status(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_scoped_or_404(Site.objects.all(), request.user, pk=pk)
    form = SiteStatusForm(request.POST)
    back = redirect("orgs:site_detail", pk=site.pk)
    if not form.is_valid():
        return back
    data = form.cleaned_data
    return run_action(
        request,
        lambda: actions.set_site_status(site, data["status"], reason=data["reason"], actor=request.user),
        done=_("Status changed."),
        then=back,
    )


@require_perm("orgs.import_sites")
def site_import(request: HttpRequest) -> HttpResponse:
    return import_page(
        request,
        run=lambda upload: actions.import_sites(upload, actor=request.user),
        done=lambda saved: _("%(n)d sites imported.") % {"n": len(saved)},
        then="orgs:site_list",
        title=_("Import sites"),
        intro=_("Every row must be valid, or nothing is imported."),
        template_url=reverse("orgs:site_template"),
        form_class=ImportForm,
        columns=actions.SITE_COLUMNS,
    )


@require_perm("orgs.view_site")
def site_template(request: HttpRequest) -> HttpResponse:
    return template_response(
        "sites-template.xlsx",
        "sites",
        actions.SITE_COLUMNS,
        notes=["类型 kind: " + ", ".join(f"{v} {label}" for v, label in SiteKind.choices)],
    )


@require_perm("orgs.view_organisation")
def organisation_list(request: HttpRequest) -> HttpResponse:
    organisations = queries.organisations_for(request.user).order_by("code")
    page = paginate(request, organisations, per_page=100)
    return render(request, "orgs/organisation_list.html", {"page": page})


# --- price and policy changes (maker ≠ checker) ----------------------------------------------
@require_perm("orgs.view_changerequest")
def change_list(request: HttpRequest) -> HttpResponse:
    changes = governance.changes_for(request.user)
    status = request.GET.get("status", ChangeStatus.PENDING)
    if status in ChangeStatus.values:
        changes = changes.filter(status=status)
    page = paginate(request, changes)
    rows = [(change, governance.describe(change)) for change in page]
    context = {"page": page, "rows": rows, "status": status, "statuses": ChangeStatus.choices}
    return render(request, "orgs/change_list.html", context)


@require_POST
@require_perm("orgs.view_changerequest")
def change_decide(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(governance.changes_for(request.user), pk=pk)
    decision = request.POST.get("decision")
    done = {
        "approve": _("Approved and applied."),
        "reject": _("Rejected."),
        "withdraw": _("Withdrawn."),
    }
    if decision not in done:
        messages.error(request, _("Choose approve or reject."))
        return redirect("orgs:change_list")
    return run_action(
        request,
        lambda: governance.decide_change(
            change, approve=decision == "approve", actor=request.user, note=request.POST.get("note", "")[:255]
        ),
        done=done[decision],
        then=redirect("orgs:change_list"),
    )
