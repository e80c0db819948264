"""Pages of missions, cost lines and claims. Each view parses, checks permission, calls one action."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from baogong.core.actionviews import form_page, run_action, run_form, run_panel_form
from baogong.core.audit import history_for
from baogong.core.dbrouter import read_from_replica
from baogong.core.excel import XLSX_CONTENT_TYPE
from baogong.core.htmx import paginate, render_page_or_partial
from baogong.core.pdf import pdf_response
from baogong.core.permissions import require_perm
from baogong.core.scoping import get_scoped_or_404
from baogong.finance import actions, queries
from baogong.finance.choices import CostCategory, CostStatus
from baogong.finance.documents import statement_workbook
from baogong.finance.forms import CostLineForm, MissionForm, PaymentForm, ReasonForm
from baogong.finance.models import CostLine, ReimbursementClaim


@require_perm("finance.view_mission")
def mission_list(request: HttpRequest) -> HttpResponse:
    missions = queries.missions_for(request.user).order_by("code")
    rows = {r["code"]: r for r in queries.budget_vs_actual(request.user)}
    page = paginate(request, missions)
    for mission in page.object_list:
        mission.actual = rows.get(mission.code, {}).get("actual")
    return render(request, "finance/mission_list.html", {"page": page})


@require_perm("finance.add_mission")
def mission_create(request: HttpRequest) -> HttpResponse:
    form = MissionForm(request.POST or None, user=request.user)
    if answer := run_form(
        request,
        form,
        lambda: actions.create_mission(
            {k: v for k, v in form.cleaned_data.items() if k != "recipients"},
            recipients=form.cleaned_data["recipients"],
            actor=request.user,
        ),
        done=_("Mission created."),
        then=lambda mission: redirect("finance:mission_detail", pk=mission.pk),
    ):
        return answer
    return form_page(request, "finance/mission_form.html", {"form": form}, form)


@require_perm("finance.view_mission")
def mission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_scoped_or_404(queries.missions_for(request.user), request.user, pk=pk)
    context = {
        "mission": mission,
        "st": queries.statement(mission),
        "cost_form": CostLineForm(),
        "claimable": queries.claimable_lines(mission),
        "history": history_for(mission)[:20],
        "today": timezone.localdate(),
    }
    return render(request, "finance/mission_detail.html", context)


@require_perm("finance.view_mission")
@read_from_replica
def mission_statement_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_scoped_or_404(queries.missions_for(request.user), request.user, pk=pk)
    response = HttpResponse(statement_workbook(queries.statement(mission)), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="statement-{mission.code}.xlsx"'
    return response


@require_perm("finance.view_mission")
def mission_statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_scoped_or_404(queries.missions_for(request.user), request.user, pk=pk)
    context = {"st": queries.statement(mission), "printed_at": timezone.localtime()}
    return pdf_response("finance/statement_pdf.html", context, f"statement-{mission.code}.pdf")


@require_perm("finance.add_costline")
def cost_add(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_scoped_or_404(queries.missions_for(request.user), request.user, pk=pk)
    form = CostLineForm(request.POST or None, request.FILES or None)
    if answer := run_form(
        request,
        form,
        lambda: actions.add_cost_line(
            mission,
            {k: v for k, v in form.cleaned_data.items() if k != "attachment"},
            attachment=form.cleaned_data.get("attachment"),
            actor=request.user,
        ),
        done=_("Cost line added."),
        then=redirect("finance:mission_detail", pk=mission.pk),
    ):
        return answer
    return form_page(request, "finance/cost_form.html", {"form": form, "mission": mission}, form)


@require_perm("finance.view_costline")
def cost_list(request: HttpRequest) -> HttpResponse:
    lines = queries.filter_cost_lines(queries.cost_lines_for(request.user), request.GET).order_by("incurred_on", "pk")
    context = {
        "page": paginate(request, lines),
        "params": request.GET,
        "categories": CostCategory.choices,
        "statuses": CostStatus.choices,
        "total": queries.total(lines),
    }
    return render_page_or_partial(request, "finance/cost_list.html", "finance/partials/_cost_table.html", context)


@require_POST
@require_perm("finance.approve_costline")
def cost_approve(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_scoped_or_404(CostLine.objects.all(), request.user, pk=pk)
    return run_action(
        request,
        lambda: actions.approve_cost_line(line, actor=request.user),
        done=_("Cost line approved."),
        then=redirect("finance:mission_detail", pk=line.mission_id),
    )


@require_POST
@require_perm("finance.approve_costline")
def cost_reject(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_scoped_or_404(CostLine.objects.all(), request.user, pk=pk)
    return run_action(
        request,
        lambda: actions.reject_cost_line(line, request.POST.get("reason", ""), actor=request.user),
        done=_("Cost line rejected."),
        then=redirect("finance:mission_detail", pk=line.mission_id),
    )


@require_POST
@require_perm("finance.approve_costline")
def goods_sync(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_scoped_or_404(queries.missions_for(request.user), request.user, pk=pk)
    return run_action(
        request,
        lambda: actions.sync_goods_costs(mission, until=timezone.localdate(), actor=request.user),
        done=lambda made: _("%(n)d goods cost lines added.") % {"n": len(made)},
        then=redirect("finance:mission_detail", pk=mission.pk),
    )


@require_POST
@require_perm("finance.manage_claim")
def claim_create(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_scoped_or_404(queries.missions_for(request.user), request.user, pk=pk)
    ids = [int(v) for v in request.POST.getlist("lines") if v.isdigit()]
    lines = list(CostLine.objects.filter(pk__in=ids, mission=mission))
    return run_action(
        request,
        lambda: actions.create_claim(mission, lines, actor=request.user),
        done=lambda claim: _("Claim %(n)s prepared.") % {"n": claim.number},
        then=lambda claim: redirect("finance:claim_detail", pk=claim.pk),
        refused=redirect("finance:mission_detail", pk=mission.pk),
    )


@require_perm("finance.view_reimbursementclaim")
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_scoped_or_404(queries.claims_for(request.user), request.user, pk=pk)
    context = {
        "claim": claim,
        "lines": claim.lines.order_by("incurred_on", "pk"),
        "payments": claim.payments.all(),
        "payment_form": PaymentForm(initial={"received_on": timezone.localdate(), "amount": claim.outstanding}),
        "reason_form": ReasonForm(),
        "history": history_for(claim)[:20],
    }
    return render(request, "finance/claim_detail.html", context)


@require_POST
@require_perm("finance.manage_claim")
def claim_submit(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_scoped_or_404(ReimbursementClaim.objects.all(), request.user, pk=pk)
    return run_action(
        request,
        lambda: actions.submit_claim(claim, on=timezone.localdate(), actor=request.user),
        done=_("Claim submitted."),
        then=redirect("finance:claim_detail", pk=claim.pk),
    )


@require_POST
@require_perm("finance.manage_claim")
def claim_payment(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_scoped_or_404(ReimbursementClaim.objects.all(), request.user, pk=pk)
    return run_panel_form(
        request,
        PaymentForm(request.POST),
        lambda data: actions.record_claim_payment(
            claim, data["amount"], received_on=data["received_on"], reference=data["reference"], actor=request.user
        ),
        done=pgettext("claim", "Payment recorded."),
        then=redirect("finance:claim_detail", pk=claim.pk),
    )


@require_POST
@require_perm("finance.manage_claim")
def claim_reject(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_scoped_or_404(ReimbursementClaim.objects.all(), request.user, pk=pk)
    return run_action(
        request,
        lambda: actions.reject_claim(claim, request.POST.get("reason", ""), actor=request.user),
        done=_("Claim rejected; its cost lines can be claimed again."),
        then=redirect("finance:claim_detail", pk=claim.pk),
    )
