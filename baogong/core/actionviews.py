"""The shapes of a page's POST that changes one thing: call one action, say what happened, redirect
(``run_action`` for a button, ``run_panel_form`` for a form posted from a detail page's panel,
``run_form`` and ``form_page`` for a form page).

A view loads the object scoped to the user and checks its permissions, then hands the action over::

    return run_action(
        request,
        lambda: actions.approve_cost_line(line, actor=request.user),
        done=_("Cost line approved."),
        then=redirect("finance:mission_detail", pk=line.mission_id),
    )

A refused action (``DomainError``) becomes one error message (``show_domain_error``) and the
answer ``refused`` (by default the same as ``then``); nothing else is caught."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise

from baogong.core.errors import DomainError
from baogong.core.forms import show_domain_error, show_form_errors

T = TypeVar("T")


def run_action(
    request: HttpRequest,
    action: Callable[[], T],
    *,
    done: str | Promise | Callable[[T], str],
    then: HttpResponse | Callable[[T], HttpResponse],
    refused: HttpResponse | None = None,
    level: int = messages.SUCCESS,
) -> HttpResponse:
    """Call ``action``; on success add the ``done`` message (a text, or made from the action's
    result) at ``level`` and answer ``then`` (a response, or made from the result); when the action
    is refused, show why and answer ``refused`` (``then`` when not given)."""
    try:
        result = action()
    except DomainError as exc:
        show_domain_error(request, exc)
        if refused is not None:
            return refused
        if isinstance(then, HttpResponse):
            return then
        raise TypeError("run_action needs `refused` when `then` depends on the result") from exc
    text: Any = done if isinstance(done, str | Promise) else done(result)
    messages.add_message(request, level, text)
    return then if isinstance(then, HttpResponse) else then(result)


def run_panel_form(
    request: HttpRequest,
    form: BaseForm,
    action: Callable[[dict[str, Any]], T],
    *,
    done: str | Promise | Callable[[T], str],
    then: HttpResponse,
) -> HttpResponse:
    """A form posted from a panel of another page (a detail page), which answers ``then`` in every
    case: an invalid form's errors become error messages; a valid one's ``cleaned_data`` goes to
    ``action`` through :func:`run_action`::

        return run_panel_form(
            request, PaymentForm(request.POST),
            lambda data: actions.record_claim_payment(claim, data["amount"], ..., actor=request.user),
            done=_("Payment recorded."), then=redirect("finance:claim_detail", pk=claim.pk),
        )"""
    if not form.is_valid():
        show_form_errors(request, form)
        return then
    data = form.cleaned_data
    return run_action(request, lambda: action(data), done=done, then=then)


def run_form(
    request: HttpRequest,
    form: BaseForm,
    action: Callable[[], T],
    *,
    done: str | Promise | Callable[[T], str],
    then: HttpResponse | Callable[[T], HttpResponse],
) -> HttpResponse | None:
    """The shape of a page's form that changes one thing::

        form = VehicleForm(request.POST or None, user=request.user)
        if answer := run_form(
            request, form, lambda: actions.create_vehicle(form.cleaned_data, actor=request.user),
            done=_("Vehicle saved."), then=lambda vehicle: redirect("fleet:vehicle_detail", pk=vehicle.pk),
        ):
            return answer
        return form_page(request, "core/form_page.html", {"form": form}, form)

    On a POST whose form is valid, call ``action``: on success add the ``done`` message and answer
    ``then``; a refused action's details go on the form's fields (``show_domain_error``). Answers
    ``None`` when the page is to show the form (again)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = action()
    except DomainError as exc:
        show_domain_error(form, exc)
        return None
    text: Any = done if isinstance(done, str | Promise) else done(result)
    messages.success(request, text)
    return then if isinstance(then, HttpResponse) else then(result)


def form_page(request: HttpRequest, template: str, context: dict[str, Any], form: BaseForm) -> HttpResponse:
    """A form's page: answered 400 when the form shows errors (a refused or invalid post)."""
    return render(request, template, context, status=400 if form.errors else 200)
