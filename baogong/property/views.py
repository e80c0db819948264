"""Pages: staff review of relief applications, leases and rent roll, progress; the tenant portal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST

from baogong.core.actionviews import form_page, run_action, run_form, run_panel_form
from baogong.core.audit import history_for
from baogong.core.forms import show_form_errors
from baogong.core.htmx import paginate, render_page_or_partial
from baogong.core.imports import import_page, template_response
from baogong.core.pdf import pdf_response
from baogong.core.permissions import require_perm
from baogong.core.retry import retry_on_conflict
from baogong.orgs.models import AdministrativeArea
from baogong.property import actions, queries, rules
from baogong.property.choices import ApplicationStatus, DocumentKind, TenantKind
from baogong.property.forms import (
    ApplyForm,
    DocumentForm,
    EndLeaseForm,
    InvoiceForm,
    PaymentForm,
    ReasonForm,
    TenantDocumentForm,
    TopUpForm,
)
from baogong.property.models import Invoice, Lease, Policy, ReliefApplication

STEPS: dict[str, tuple[str, Any]] = {
    "handle": ("property.handle_reliefapplication", actions.handle_application),
    "check": ("property.check_reliefapplication", actions.check_application),
    "approve": ("property.approve_reliefapplication", actions.approve_application),
    "return": ("property.handle_reliefapplication", actions.return_application),
    "reject": ("property.handle_reliefapplication", actions.reject_application),
    "resubmit": ("property.add_reliefapplication", actions.resubmit_application),
}


def _get(queryset: Any, pk: int) -> Any:
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


# --- staff -------------------------------------------------------------------------------------------
@require_perm("property.view_reliefapplication")
def application_list(request: HttpRequest) -> HttpResponse:
    if queries.is_portal_user(request.user) and not request.user.has_perm("property.handle_reliefapplication"):
        return redirect("property:portal")
    applications = queries.filter_applications(queries.applications_for(request.user), request.GET)
    page = paginate(request, applications)
    context = {
        "page": page,
        "params": request.GET,
        "statuses": ApplicationStatus.choices,
        "policies": Policy.objects.all(),
        "areas": AdministrativeArea.objects.exclude(level="district"),
        "kinds": TenantKind.choices,
        "top_up_form": TopUpForm(),
    }
    return render_page_or_partial(
        request, "property/application_list.html", "property/partials/_application_table.html", context
    )


@require_POST
@require_perm("property.handle_reliefapplication")
def batch_review(request: HttpRequest) -> HttpResponse:
    step = request.POST.get("step", "")
    if step not in actions.BATCH_STEPS or not request.user.has_perm(STEPS[step][0]):
        raise PermissionDenied
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    selected = list(queries.applications_for(request.user).filter(pk__in=ids))
    result = actions.batch_review(selected, step, actor=request.user)
    if result.done:
        messages.success(request, _("%(n)d applications done.") % {"n": len(result.done)})
    for number, message in result.failed:
        messages.error(request, f"{number}: {message}")
    return redirect(request.POST.get("next") or "property:application_list")


@require_perm("property.view_reliefapplication")
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get(queries.applications_for(request.user), pk)
    context = {
        "application": application,
        "documents": application.documents.all(),
        "required": [(k, DocumentKind(k).label) for k in queries.required_documents(application)],
        "missing": queries.missing_documents(application),
        "credits": application.credits.all(),
        "history": history_for(application)[:50],
        "document_form": DocumentForm(),
        "reason_form": ReasonForm(),
        "can_upload": application.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED),
    }
    return render(request, "property/application_detail.html", context)


@require_POST
@require_perm("property.view_reliefapplication")
def application_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404
    permission, action = STEPS[step]
    if not request.user.has_perm(permission):
        raise PermissionDenied
    application = _get(queries.applications_for(request.user), pk)
    kwargs: dict[str, Any] = {"actor": request.user}
    if step in ("return", "reject"):
        kwargs["reason"] = request.POST.get("reason", "")
    return run_action(
        request,
        lambda: action(application, **kwargs),
        done=_("Done."),
        then=redirect("property:application_detail", pk=application.pk),
    )


@require_POST
@require_perm("property.add_applicationdocument")
def upload_document(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get(queries.applications_for(request.user), pk)
    form = DocumentForm(request.POST, request.FILES)
    return run_panel_form(
        request,
        form,
        lambda _data: actions.upload_documents(application, form.uploads(), actor=request.user),
        done=lambda made: (
            ngettext("%(n)d document uploaded.", "%(n)d documents uploaded.", len(made)) % {"n": len(made)}
        ),
        then=redirect("property:application_detail", pk=application.pk),
    )


@require_POST
@require_perm("property.add_tenantdocument")
def upload_tenant_documents(request: HttpRequest, pk: int) -> HttpResponse:
    """A tenant's licences and certificates, several at once (from the lease page)."""
    lease = _get(queries.leases_for(request.user), pk)
    form = TenantDocumentForm(request.POST, request.FILES)
    back = redirect("property:lease_detail", pk=lease.pk)
    if not form.is_valid():
        show_form_errors(request, form)
        return back
    uploads = form.uploads()
    return run_action(
        request,
        lambda: actions.upload_tenant_documents(lease.tenant, uploads, actor=request.user),
        done=ngettext("%(n)d document uploaded.", "%(n)d documents uploaded.", len(uploads)) % {"n": len(uploads)},
        then=back,
    )


@require_perm("property.view_reliefapplication")
def decision_letter(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get(queries.applications_for(request.user), pk)
    if application.status not in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
        raise Http404
    return pdf_response("property/decision_letter.html", letter_context(application), f"{application.number}.pdf")


def letter_context(application: Any) -> dict[str, Any]:
    """What a decision letter shows (one letter, or one of many printed together)."""
    return {
        "application": application,
        "lease": application.lease,
        "units": application.lease.units.select_related("property", "property__area"),
        "credits": application.credits.all(),
        "size_label": rules.SIZE_LABELS.get(application.size_class, ""),
        "today": timezone.localdate(),
    }


@require_POST
@require_perm("property.top_up_relief")
def top_up_relief(request: HttpRequest) -> HttpResponse:
    form = TopUpForm(request.POST)
    if form.is_valid():
        topped = actions.top_up_relief(form.cleaned_data["policy"], actor=request.user)
        messages.success(request, _("%(n)d approved applications topped up.") % {"n": len(topped)})
    return redirect("property:application_list")


@require_perm("property.handle_reliefapplication")
def progress(request: HttpRequest) -> HttpResponse:
    stats = queries.progress(request.user)
    chart = {
        "weeks": [w for w, _v in stats["by_week"]],
        "received": [v["received"] for _w, v in stats["by_week"]],
        "approved": [v["approved"] for _w, v in stats["by_week"]],
        "areas": [a for a, _v in stats["by_area"]],
        "area_amount": [str(v["amount"]) for _a, v in stats["by_area"]],
        "labels": {
            "received": pgettext("application", "Received"),
            "approved": _("Approved"),
            "amount": _("Amount (yuan)"),
        },
    }
    return render(request, "property/progress.html", {"stats": stats, "chart": chart})


@require_perm("property.view_lease")
def lease_list(request: HttpRequest) -> HttpResponse:
    if queries.is_portal_user(request.user) and not request.user.has_perm("property.handle_reliefapplication"):
        return redirect("property:portal")
    leases = queries.leases_for(request.user).order_by("code")
    if request.GET.get("q"):
        leases = leases.filter(tenant__name__icontains=request.GET["q"]) | leases.filter(
            code__icontains=request.GET["q"]
        )
    page = paginate(request, leases)
    return render(request, "property/lease_list.html", {"page": page, "params": request.GET})


@require_perm("property.view_lease")
def lease_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lease = _get(queries.leases_for(request.user), pk)
    return render(request, "property/lease_detail.html", _lease_context(request, lease, EndLeaseForm()))


def _lease_context(request: HttpRequest, lease: Lease, end_form: EndLeaseForm) -> dict[str, Any]:
    """What the lease page shows; ``end_form`` is the early-end form (bound when it was refused)."""
    policy = queries.policy_in_force(timezone.localdate()) or Policy.objects.order_by("-effective_from").first()
    quote, contradictions = None, []
    if policy:
        try:
            quote = queries.lease_quote(lease, as_of=timezone.localdate(), policy=policy)
        except rules.FactsContradict as exc:
            contradictions = exc.contradictions
    context = {
        "lease": lease,
        "units": lease.units.select_related("property"),
        "chain": lease.chain(),
        "rent_free": lease.rent_free_periods.all(),
        "invoices": lease.invoices.all(),
        "credits": lease.credits.select_related("application"),
        "applications": lease.applications.select_related("policy"),
        "quote": quote,
        "contradictions": contradictions,
        "policy": policy,
        "apply_form": ApplyForm(),
        "tenant_documents": lease.tenant.documents.all(),
        "tenant_document_form": TenantDocumentForm(),
        "invoice_form": InvoiceForm(initial={"up_to": timezone.localdate()}),
        "history": history_for(lease)[:30],
        # ending early: only who may, and only a lease not yet ended
        "can_end": actions.may_end_lease(request.user) and lease.end >= timezone.localdate(),
        "end_form": end_form,
    }
    return context


@require_POST
@require_perm("property.change_lease")
def end_lease(request: HttpRequest, pk: int) -> HttpResponse:
    """End a lease early from its page; a refused or invalid form is shown again on the page with
    its field errors."""
    lease = _get(queries.leases_for(request.user), pk)
    form = EndLeaseForm(request.POST)
    if answer := run_form(
        request,
        form,
        lambda: actions.end_lease(
            lease, on=form.cleaned_data["on"], reason=form.cleaned_data["reason"], actor=request.user
        ),
        done=lambda ended: (
            _("Lease %(lease)s ends early on %(on)s.") % {"lease": ended.code, "on": ended.end.isoformat()}
        ),
        then=redirect("property:lease_detail", pk=lease.pk),
    ):
        return answer
    return form_page(request, "property/lease_detail.html", _lease_context(request, lease, form), form)


@require_POST
@require_perm("property.add_reliefapplication")
def submit_application(request: HttpRequest, pk: int) -> HttpResponse:
    lease = _get(queries.leases_for(request.user), pk)
    form = ApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Some fields are not valid."))
        return redirect("property:lease_detail", pk=lease.pk)
    data = form.cleaned_data
    proof = rules.Proof(data["proof_risk_area"], data["proof_sealed_or_closed"], data["proof_full_year_loss"])
    return run_action(
        request,
        lambda: actions.submit_application(
            lease, as_of=timezone.localdate(), settlement=data["settlement"], proof=proof, actor=request.user
        ),
        done=_("Application submitted. Upload the documents listed below."),
        then=lambda application: redirect("property:application_detail", pk=application.pk),
        refused=redirect("property:lease_detail", pk=lease.pk),
    )


@require_POST
@require_perm("property.manage_rent_roll")
def issue_invoices(request: HttpRequest, pk: int) -> HttpResponse:
    lease = _get(queries.leases_for(request.user), pk)
    form = InvoiceForm(request.POST)
    if form.is_valid():
        made = actions.issue_invoices(lease, up_to=form.cleaned_data["up_to"], actor=request.user)
        messages.success(request, _("%(n)d invoices issued.") % {"n": len(made)})
    return redirect("property:lease_detail", pk=lease.pk)


@require_POST
@require_perm("property.manage_rent_roll")
def record_payment(request: HttpRequest, pk: int) -> HttpResponse:
    lease = _get(queries.leases_for(request.user), pk)
    form = PaymentForm(request.POST)
    back = redirect("property:lease_detail", pk=lease.pk)
    if not form.is_valid():
        messages.error(request, _("Some fields are not valid."))
        return back
    data = form.cleaned_data
    invoice = _get(Invoice.objects.filter(lease=lease), data["invoice"])
    return run_action(
        request,
        lambda: actions.record_payment(invoice, data["amount"], paid_on=data["paid_on"], actor=request.user),
        done=_("Payment recorded."),
        then=back,
    )


@require_perm("property.view_invoice")
def arrears(request: HttpRequest) -> HttpResponse:
    page = paginate(request, queries.arrears(request.user, timezone.localdate()))
    return render(request, "property/arrears.html", {"page": page, "params": request.GET})


@require_perm("property.view_tenant")
def tenant_list(request: HttpRequest, revealed: dict[str, Any] | None = None) -> HttpResponse:
    tenants = queries.tenants_for(request.user).order_by("code")
    page = paginate(request, tenants)
    context = {"page": page, "params": request.GET, "revealed": revealed}
    response = render(request, "property/tenant_list.html", context)
    if revealed:
        response["Cache-Control"] = "no-store"
    return response


@retry_on_conflict
@require_POST
@require_perm("property.view_tenant", "core.reveal_personal_data")
def reveal_tenant_id(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an individual business operator's full ID number once; audited like people's reveal."""
    from django.db import transaction

    from baogong.core import audit

    tenant = _get(queries.tenants_for(request.user), pk)
    with transaction.atomic(durable=True):
        audit.record(
            "reveal_personal_data",
            tenant,
            actor=request.user,
            after={"fields": ["operator_id_number"], "reason": request.POST.get("reason", "").strip()[:255]},
        )
    revealed = {"pk": tenant.pk, "id_number": tenant.operator_id_number}
    return tenant_list(request, revealed=revealed)


@require_perm("property.import_leases")
def import_leases(request: HttpRequest) -> HttpResponse:
    return import_page(
        request,
        run=lambda upload: actions.import_leases(upload, actor=request.user),
        done=lambda made: _("%(n)d leases imported.") % {"n": len(made)},
        then="property:lease_list",
        title=_("Import tenants and leases"),
        intro=_("One row per lease. Every row must be valid, or nothing is imported."),
        template_url=reverse("property:import_template"),
        columns=actions.LEASE_COLUMNS,
    )


@require_perm("property.import_leases")
def import_template(request: HttpRequest) -> HttpResponse:
    return template_response(
        "leases-template.xlsx",
        "leases",
        actions.LEASE_COLUMNS,
        notes=[
            "行业 industry: " + "、".join(rules.INDUSTRIES),
            "付款周期 period: 1, 3, 6, 12",
            "免租期 rent-free: 2022-01-01~2022-01-31;2023-01-01~2023-01-15",
            "同一租户多份合同：重复租户编码，租户信息取第一行 / one tenant, several leases: repeat the tenant code",
        ],
    )


# --- tenant portal -----------------------------------------------------------------------------------
@require_perm("property.view_lease")
def portal(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    leases = Lease.objects.filter(tenant__portal_users=user).select_related("tenant").order_by("code")
    applications = (
        ReliefApplication.objects.filter(tenant__portal_users=user)
        .select_related("policy", "lease")
        .order_by("-submitted_on", "-id")
    )
    return render(request, "property/portal.html", {"leases": leases, "applications": applications})
