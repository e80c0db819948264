"""The daily health check-in from a phone: a field page kept for offline use, whose check-ins
made offline arrive from the phone's queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import field
from baogong.core.errors import DomainError
from baogong.core.fieldviews import field_page
from baogong.core.forms import show_domain_error
from baogong.people import actions, queries
from baogong.people.forms import CheckInForm, SelfTestForm
from baogong.people.models import Person


# --- Daily check-in from a phone --------------------------------------------------------------
@login_required
@field_page
def check_in(request: HttpRequest) -> HttpResponse:
    person = Person.objects.filter(user_id=request.user.pk or 0).first()
    today = timezone.localdate()
    if person is None:
        if field.is_queued(request):
            return field.queue_answer(404, code="not_found", message=_("Your login is not linked to a person record."))
        return render(request, "people/check_in.html", {"person": None}, status=404)
    if request.method == "POST" and field.is_queued(request):
        return queued_check_in(request, person)
    form = CheckInForm(request.POST or None) if request.POST.get("form") != "test" else CheckInForm()
    test_form = (
        SelfTestForm(request.POST, request.FILES)
        if request.POST.get("form") == "test"
        else SelfTestForm(initial={"taken_at": timezone.localtime().replace(second=0)})
    )
    status = 200
    if request.method == "POST" and request.POST.get("form") == "test":
        if test_form.is_valid():
            try:
                actions.record_health_test(person, source="self", actor=request.user, **test_form.cleaned_data)
            except DomainError as exc:
                show_domain_error(test_form, exc)
            else:
                messages.success(request, _("Test result sent."))
                return redirect("people:check_in")
        status = 400
    elif request.method == "POST":
        if form.is_valid():
            try:
                actions.record_health_check(
                    person,
                    temperature=form.cleaned_data["temperature"],
                    symptoms=form.cleaned_data["symptoms"],
                    is_self_reported=True,
                    actor=request.user,
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                messages.success(request, _("Checked in for today."))
                return redirect("people:check_in")
        status = 400
    context = {
        "person": person,
        "form": form,
        "test_form": test_form,
        "today_check": person.checks.filter(checked_on=today).first(),
        "clearance": queries.person_clearance(person, today),
    }
    return render(request, "people/check_in.html", context, status=status)


def queued_check_in(request: HttpRequest, person: Person) -> HttpResponse:
    """A check-in from the phone's queue (made offline): answered in JSON; a replay of the same
    device event is answered with the first answer (``Idempotency-Key``)."""
    form = CheckInForm(request.POST)
    if not form.is_valid():
        return field.queue_answer(400, code="invalid", message=_("Some fields are not valid."), details=form.errors)
    try:
        check = actions.record_health_check(
            person,
            temperature=form.cleaned_data["temperature"],
            symptoms=form.cleaned_data["symptoms"],
            is_self_reported=True,
            actor=request.user,
        )
    except DomainError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        return field.queue_answer(exc.status_code, code=exc.code, message=str(exc.message), details=details)
    return field.queue_answer(200, status="recorded", checked_on=check.checked_on.isoformat())
