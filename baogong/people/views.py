"""Pages for people, tests, deployments, batch dispatch, incidents, occupancy and the dashboard.
Each view parses input, checks permission, calls one action and renders."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.core.actionviews import run_action
from baogong.core.audit import history_for
from baogong.core.dates import parse_date_or_none
from baogong.core.errors import DomainError
from baogong.core.forms import show_domain_error
from baogong.core.htmx import paginate, render_page_or_partial
from baogong.core.imports import import_page, template_response
from baogong.core.permissions import require_perm
from baogong.core.scoping import get_scoped_or_404, scoped
from baogong.orgs.choices import SiteKind, SiteStatus
from baogong.orgs.models import Site
from baogong.people import actions, hooks, outbreak, queries
from baogong.people.checkin import check_in as check_in
from baogong.people.choices import DutyType, GuestRequestStatus, HealthStatus, PersonKind
from baogong.people.forms import (
    CareLogForm,
    CheckInGuestForm,
    ConvertGuestRequestForm,
    DeploymentForm,
    DispatchForm,
    GuestRequestForm,
    HealthTestForm,
    MealForm,
    PersonForm,
    ReasonForm,
    ResidentCheckForm,
)
from baogong.people.models import CareLog, GuestRequest, LodgingStay, MealLog, Person, Room

OCCUPANCY_KINDS = {SiteKind.HOTEL, SiteKind.ELDERLY_HOME, SiteKind.ISOLATION_POINT}


def _date(value: str | None, default: dt.date | None) -> dt.date | None:
    parsed = parse_date_or_none(value) if value else None
    return parsed or default


# --- People -----------------------------------------------------------------------------------
@require_perm("people.view_person")
def person_list(request: HttpRequest) -> HttpResponse:
    people = queries.people_for(request.user).order_by("name", "id")
    q = request.GET.get("q", "").strip()
    if q:
        people = people.filter(Q(name__icontains=q) | Q(position__icontains=q))
    for key in ("kind", "health_status"):
        if request.GET.get(key):
            people = people.filter(**{key: request.GET[key]})
    if request.GET.get("organisation"):
        people = people.filter(organisation__code=request.GET["organisation"])
    context = {
        "page": paginate(request, people),
        "params": request.GET,
        "kinds": PersonKind.choices,
        "statuses": HealthStatus.choices,
    }
    return render_page_or_partial(request, "people/person_list.html", "people/partials/_person_table.html", context)


@require_perm("people.add_person")
def person_create(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = actions.create_person(form.cleaned_data, actor=request.user)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Person registered."))
            return redirect("people:person_detail", pk=person.pk)
    return render(request, "people/person_form.html", {"form": form}, status=400 if form.errors else 200)


def _person_context(request: HttpRequest, person: Person, **extra: Any) -> dict[str, Any]:
    today = timezone.localdate()
    context = {
        "person": person,
        "today": today,
        "clearance": queries.person_clearance(person, today),
        "rules": queries.regime_for(person),
        "tests": person.tests.select_related("site", "recorded_by")[:30],
        "deployments": person.deployments.select_related("site", "batch")[:30],
        "show_results": request.user.has_perm("people.view_health_results"),
        "test_form": HealthTestForm(user=request.user, initial={"taken_at": timezone.localtime().replace(second=0)}),
        "deploy_form": DeploymentForm(user=request.user, initial={"starts_on": today, "ends_on": today}),
        "clear_form": ReasonForm(),
        "history": history_for(person)[:30],
        "revealed": None,
    }
    context.update(extra)
    return context


@require_perm("people.view_person")
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_scoped_or_404(Person.objects.select_related("organisation", "home_site"), request.user, pk=pk)
    return render(request, "people/person_detail.html", _person_context(request, person))


@require_POST
@require_perm("people.view_person", "core.reveal_personal_data")
def reveal_personal_data(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_scoped_or_404(Person.objects.select_related("organisation", "home_site"), request.user, pk=pk)
    revealed = actions.reveal_personal_data(person, actor=request.user, reason=request.POST.get("reason", ""))
    response = render(request, "people/person_detail.html", _person_context(request, person, revealed=revealed))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@require_perm("people.record_health_test")
def record_health_test(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_scoped_or_404(Person.objects.select_related("organisation", "home_site"), request.user, pk=pk)
    form = HealthTestForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            test = actions.record_health_test(person, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            if test.result == "positive":
                messages.warning(request, _("Positive result recorded: an incident was opened."))
            else:
                messages.success(request, _("Test recorded."))
            return redirect("people:person_detail", pk=person.pk)
    return render(request, "people/person_detail.html", _person_context(request, person, test_form=form), status=400)


@require_POST
@require_perm("people.dispatch_people")
def deploy_person(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_scoped_or_404(Person.objects.select_related("organisation", "home_site"), request.user, pk=pk)
    form = DeploymentForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            actions.deploy_person(person, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("Deployment recorded."))
            return redirect("people:person_detail", pk=person.pk)
    return render(request, "people/person_detail.html", _person_context(request, person, deploy_form=form), status=400)


@require_POST
@require_perm("people.manage_outbreak")
def clear_person(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_scoped_or_404(Person.objects.all(), request.user, pk=pk)
    following = request.POST.get("next")
    return run_action(
        request,
        lambda: outbreak.clear_person(person, reason=request.POST.get("reason", ""), actor=request.user),
        done=_("Person cleared."),
        then=redirect(following) if following else redirect("people:person_detail", pk=person.pk),
    )


# --- Deployments and batch dispatch -----------------------------------------------------------
@require_perm("people.view_person")
def deployment_list(request: HttpRequest) -> HttpResponse:
    start = _date(request.GET.get("from"), None)
    end = _date(request.GET.get("to"), None)
    deployments = queries.deployments_for(request.user)
    if request.GET.get("duty_type"):
        deployments = deployments.filter(duty_type=request.GET["duty_type"])
    deployments = queries.deployments_in(deployments, start, end)
    context = {
        "page": paginate(request, deployments.order_by("-starts_on", "-id")),
        "params": request.GET,
        "duties": DutyType.choices,
        "breakdown": queries.deployment_breakdown(deployments, start, end),
        "headcounts": queries.headcounts(queries.deployments_for(request.user), start, end),
    }
    return render_page_or_partial(
        request, "people/deployment_list.html", "people/partials/_deployment_table.html", context
    )


@require_perm("people.dispatch_people")
def dispatch_batch(request: HttpRequest) -> HttpResponse:
    candidates = queries.people_for(request.user).filter(is_active=True, health_status=HealthStatus.NORMAL)
    if request.GET.get("organisation"):
        candidates = candidates.filter(organisation__code=request.GET["organisation"])
    today = timezone.localdate()
    form = DispatchForm(
        request.POST or None,
        user=request.user,
        people=candidates.order_by("organisation__code", "name"),
        initial={
            "starts_on": today,
            "ends_on": today + dt.timedelta(days=6),
            "destination_team": "区委组织部志愿服务队",
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = actions.dispatch_batch(
                list(data["people"]),
                organisation=data["organisation"],
                destination_team=data["destination_team"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                note=data["note"],
                actor=request.user,
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Batch %(n)d sent: %(count)d people.") % {"n": batch.number, "count": len(data["people"])},
            )
            return redirect("people:deployment_list")
    return render(request, "people/dispatch.html", {"form": form}, status=400 if form.errors else 200)


@require_perm("people.view_person")
def overdue_tests(request: HttpRequest) -> HttpResponse:
    on_date = _date(request.GET.get("date"), timezone.localdate()) or timezone.localdate()
    rows = queries.overdue_tests(request.user, on_date)
    return render(request, "people/overdue.html", {"rows": rows, "on_date": on_date})


# --- Incidents and lock-down ------------------------------------------------------------------
@require_perm("people.view_person")
def incident_list(request: HttpRequest) -> HttpResponse:
    incidents = queries.incidents_for(request.user)
    if request.GET.get("status"):
        incidents = incidents.filter(status=request.GET["status"])
    return render(request, "people/incident_list.html", {"page": paginate(request, incidents), "params": request.GET})


@require_perm("people.view_person")
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_scoped_or_404(queries.incidents_for(request.user), request.user, pk=pk)
    context = {
        "incident": incident,
        "sites": incident.sites.select_related("site").order_by("site__code"),
        "contacts": incident.contacts.select_related("person", "person__organisation"),
        "show_results": request.user.has_perm("people.view_health_results"),
        "reason_form": ReasonForm(),
        "history": history_for(incident)[:30],
        "sections": [section(request, incident) for section in hooks.INCIDENT_SECTIONS],
    }
    return render(request, "people/incident_detail.html", context)


@require_POST
@require_perm("people.manage_outbreak", "orgs.set_site_status")
def lock_down_site(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_scoped_or_404(Site.objects.all(), request.user, pk=pk)
    following = request.POST.get("next", "")
    return run_action(
        request,
        lambda: outbreak.lock_down_site(site, reason=request.POST.get("reason", ""), actor=request.user),
        done=_("Site locked down."),
        level=messages.WARNING,
        then=redirect(following)
        if following.startswith("/") and not following.startswith("//")
        else redirect("people:dashboard"),
    )


def _incident_site(request: HttpRequest, pk: int, row: int) -> Any:
    incident = get_scoped_or_404(queries.incidents_for(request.user), request.user, pk=pk)
    site_row = incident.sites.select_related("site").filter(pk=row).first()
    if site_row is None:
        raise Http404
    get_scoped_or_404(Site.objects.all(), request.user, pk=site_row.site_id)
    return site_row


@require_POST
@require_perm("people.manage_outbreak", "orgs.set_site_status")
def confirm_site_control(request: HttpRequest, pk: int, row: int) -> HttpResponse:
    site_row = _incident_site(request, pk, row)
    return run_action(
        request,
        lambda: outbreak.confirm_site_control(site_row, actor=request.user),
        done=_("The site is under control."),
        level=messages.WARNING,
        then=redirect("people:incident_detail", pk=pk),
    )


@require_POST
@require_perm("people.manage_outbreak", "orgs.set_site_status")
def lift_site_control(request: HttpRequest, pk: int, row: int) -> HttpResponse:
    site_row = _incident_site(request, pk, row)
    return run_action(
        request,
        lambda: outbreak.lift_site_control(site_row, reason=request.POST.get("reason", ""), actor=request.user),
        done=_("The site's control is lifted."),
        then=redirect("people:incident_detail", pk=pk),
    )


# --- Occupancy sites: quarantine hotel, elderly home, isolation point ------------------------
@require_perm("people.view_person")
def occupancy(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_scoped_or_404(Site.objects.select_related("organisation"), request.user, pk=pk)
    if site.kind not in OCCUPANCY_KINDS:
        raise DjangoPermissionDenied
    today = timezone.localdate()
    people = queries.people_for(request.user).filter(Q(home_site=site) | Q(lodgings__site=site)).distinct()
    rooms = Room.objects.filter(site=site).order_by("number")
    open_requests = GuestRequest.objects.filter(site=site, status=GuestRequestStatus.OPEN).select_related("person")
    forms: dict[str, Any] = {
        "meal": MealForm(initial={"served_on": today}),
        "care": CareLogForm(),
        "request": GuestRequestForm(people=people),
        "lodge": CheckInGuestForm(people=people, rooms=rooms),
        "check": ResidentCheckForm(people=people),
        "convert": ConvertGuestRequestForm(requests=open_requests, initial={"needed_by": today + dt.timedelta(days=1)}),
    }
    if request.method == "POST":
        if not request.user.has_perm("people.change_person"):
            raise DjangoPermissionDenied
        which = request.POST.get("form", "")
        handler = _OCCUPANCY_FORMS.get(which)
        try:
            if handler is not None and handler(request, _Occupancy(site, forms, people, rooms, open_requests)):
                return redirect("people:occupancy", pk=site.pk)
        except DomainError as exc:
            target = forms.get(which)
            if target is not None:
                show_domain_error(target, exc)
            else:
                show_domain_error(request, exc)
        except (LodgingStay.DoesNotExist, GuestRequest.DoesNotExist, ValueError):
            messages.error(request, _("Not found."))
    checks = {c.person_id: c for c in queries.checks_on(site, today)}
    stays = LodgingStay.objects.filter(site=site, checked_out_at__isnull=True).select_related("person", "room")
    context = {
        "site": site,
        "forms": forms,
        "rooms": rooms,
        "stays": stays,
        "residents": [(p, checks.get(p.pk)) for p in people.filter(home_site=site).order_by("name")],
        "meals": MealLog.objects.filter(site=site, served_on=today),
        "care_logs": CareLog.objects.filter(site=site)[:20],
        "requests": GuestRequest.objects.filter(site=site).select_related("person", "item", "supply_request")[:30],
        "today": today,
    }
    status = 400 if any(f.errors for f in forms.values()) else 200
    return render(request, "people/occupancy.html", context, status=status)


@dataclass
class _Occupancy:
    """What the forms of an occupancy site's page work on."""

    site: Site
    forms: dict[str, Any]
    people: QuerySet[Person]
    rooms: QuerySet[Room]
    open_requests: QuerySet[GuestRequest]


def _post_meal(request: HttpRequest, page: _Occupancy) -> bool:
    form = page.forms["meal"] = MealForm(request.POST)
    if not form.is_valid():
        return False
    d = form.cleaned_data
    actions.log_meals(page.site, d["served_on"], d["meal"], d["servings"], actor=request.user)
    messages.success(request, _("Meals logged."))
    return True


def _post_care(request: HttpRequest, page: _Occupancy) -> bool:
    form = page.forms["care"] = CareLogForm(request.POST)
    if not form.is_valid():
        return False
    actions.log_care(page.site, actor=request.user, **form.cleaned_data)
    messages.success(request, _("Log recorded."))
    return True


def _post_request(request: HttpRequest, page: _Occupancy) -> bool:
    form = page.forms["request"] = GuestRequestForm(request.POST, people=page.people)
    if not form.is_valid():
        return False
    d = form.cleaned_data
    made = actions.record_guest_request(
        d["person"],
        page.site,
        kind=d["kind"],
        text=d["text"],
        item=d["item"],
        qty=d["qty"],
        needed_by=d["needed_by"],
        actor=request.user,
    )
    if made.supply_request_id:
        messages.success(
            request,
            _("Request recorded and sent to distribution as %(number)s.")
            % {"number": made.supply_request.number if made.supply_request else ""},
        )
    else:
        messages.success(request, _("Request recorded."))
    return True


def _post_convert(request: HttpRequest, page: _Occupancy) -> bool:
    if not request.user.has_perm("people.convert_guest_request"):
        raise DjangoPermissionDenied
    form = page.forms["convert"] = ConvertGuestRequestForm(request.POST, requests=page.open_requests)
    if not form.is_valid():
        return False
    d = form.cleaned_data
    converted = actions.convert_guest_request(
        d["request"], item=d["item"], qty=d["qty"], needed_by=d["needed_by"], actor=request.user
    )
    messages.success(
        request,
        _("Sent to distribution as %(number)s.")
        % {"number": converted.supply_request.number if converted.supply_request else ""},
    )
    return True


def _post_lodge(request: HttpRequest, page: _Occupancy) -> bool:
    form = page.forms["lodge"] = CheckInGuestForm(request.POST, people=page.people, rooms=page.rooms)
    if not form.is_valid():
        return False
    d = form.cleaned_data
    actions.check_in(d["person"], page.site, room=d["room"], reason=d["reason"], actor=request.user)
    messages.success(request, _("Checked in."))
    return True


def _post_check(request: HttpRequest, page: _Occupancy) -> bool:
    form = page.forms["check"] = ResidentCheckForm(request.POST, people=page.people)
    if not form.is_valid():
        return False
    d = form.cleaned_data
    actions.record_health_check(
        d["person"], temperature=d["temperature"], symptoms=d["symptoms"], site=page.site, actor=request.user
    )
    messages.success(request, _("Check recorded."))
    return True


def _post_checkout(request: HttpRequest, page: _Occupancy) -> bool:
    stay = LodgingStay.objects.get(pk=request.POST.get("stay") or 0, site=page.site)
    actions.check_out(stay, actor=request.user)
    messages.success(request, _("Checked out."))
    return True


def _post_fulfil(request: HttpRequest, page: _Occupancy) -> bool:
    guest_request = GuestRequest.objects.get(pk=request.POST.get("request") or 0, site=page.site)
    actions.fulfil_guest_request(guest_request, note=request.POST.get("note", ""), actor=request.user)
    messages.success(request, _("Request fulfilled."))
    return True


# The ``form`` field of a POST names the form; each handler answers whether it is done (then redirect).
_OCCUPANCY_FORMS: dict[str, Callable[[HttpRequest, _Occupancy], bool]] = {
    "meal": _post_meal,
    "care": _post_care,
    "request": _post_request,
    "convert": _post_convert,
    "lodge": _post_lodge,
    "check": _post_check,
    "checkout": _post_checkout,
    "fulfil": _post_fulfil,
}


# --- Dashboard --------------------------------------------------------------------------------
@require_perm("people.view_person")
def dashboard(request: HttpRequest) -> HttpResponse:
    today = _date(request.GET.get("date"), timezone.localdate()) or timezone.localdate()
    due = queries.tests_due(request.user, today)
    deployments = queries.deployments_for(request.user)
    counts = queries.headcounts(deployments)
    by_type = [
        {"label": str(DutyType(duty).label), "person_times": c.person_times, "people": c.people}
        for duty, c in counts["by_type"].items()
    ]
    statuses = queries.sites_by_status(request.user)
    context = {
        "today": today,
        "on_duty": queries.on_duty_by_enterprise(request.user, today),
        "tests_due": sum(row.due for row in due),
        "tests_done": sum(row.done for row in due),
        "people_due": len(due),
        "positives_today": queries.positives_between(request.user, today, today),
        "positive_people": queries.people_for(request.user).filter(health_status=HealthStatus.POSITIVE).count(),
        "contacts": queries.people_for(request.user).filter(health_status=HealthStatus.CLOSE_CONTACT).count(),
        "open_incidents": queries.incidents_for(request.user).filter(status="open")[:10],
        "sites_by_status": [(str(SiteStatus(s).label), s, n) for s, n in statuses.items()],
        "controlled_sites": scoped(Site.objects.exclude(status=SiteStatus.NORMAL), request.user).order_by("code")[:20],
        "headcounts": counts,
        "by_type": by_type,
        "chart": json.dumps(
            {"labels": [r["label"] for r in by_type], "values": [r["person_times"] for r in by_type]},
            ensure_ascii=False,
        ),
        "occupancy_sites": scoped(Site.objects.filter(kind__in=OCCUPANCY_KINDS), request.user).order_by("code"),
    }
    return render(request, "people/dashboard.html", context)


@require_perm("people.record_health_test")
def import_tests(request: HttpRequest) -> HttpResponse:
    from baogong.people.imports import TEST_COLUMNS, import_health_tests

    return import_page(
        request,
        run=lambda upload: import_health_tests(upload, actor=request.user),
        done=lambda saved: _("%(n)d test results imported.") % {"n": len(saved)},
        then="people:dashboard",
        title=_("Import test results"),
        template_url=reverse("people:tests_template"),
        columns=TEST_COLUMNS,
    )


@require_perm("people.record_health_test")
def tests_template(request: HttpRequest) -> HttpResponse:
    from baogong.people.imports import TEST_COLUMNS

    return template_response("health-tests-template.xlsx", "tests", TEST_COLUMNS)
