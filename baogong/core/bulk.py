"""Bulk actions on list pages: one generic mechanism for acting on many rows at once.

An app registers a :class:`BulkAction` for a list (``register`` in its AppConfig.ready): the
records the user may pick from (scoped), the permission, and either ``act`` — the same audited
single-row action the row's own button calls, run once per chosen row — or ``render`` — one
response for all the rows (a PDF to print). An action that needs a reason (``needs_reason``: a
rejection) gets the bar's reason field, the same for every row, and is refused without one. List
pages show a checkbox per row and the buttons (``core/_bulk_bar.html``, ``{% bulk_bar "list" %}``);
``bulk_view`` runs the action.

Each row is acted on in its own transaction, exactly as when done one by one, so a row refused
(wrong status, out of stock) does not undo the others: the answer is a page listing every row
with its result — done, or refused and why. Rows the user may not see are reported as not found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.core.errors import DomainError
from baogong.core.forms import domain_error_text

MAX_ROWS = 200
MAX_REASON = 255


@dataclass(frozen=True)
class BulkAction:
    key: str  # unique, in the form's ``action`` field
    group: str  # the list it belongs to ("distribution.requests")
    label: str | Promise  # the button
    perm: str
    rows: Callable[[Any], QuerySet[Any]]  # what the user may pick from (scoped)
    # one row, as its own button does: act(obj, user), or act(obj, user, reason) with needs_reason
    act: Callable[..., Any] | None = None
    render: Callable[[HttpRequest, list[Any]], HttpResponse] | None = None  # one answer for all rows
    describe: Callable[[Any], str] = str
    style: str = "outline-primary"
    needs_reason: bool = False  # the bar's reason field must be filled (a rejection, a return)


REGISTRY: dict[str, BulkAction] = {}


def register(action: BulkAction) -> None:
    REGISTRY[action.key] = action


def actions_for(group: str, user: Any) -> list[BulkAction]:
    return [a for a in REGISTRY.values() if a.group == group and user.has_perm(a.perm)]


@dataclass(frozen=True)
class RowResult:
    pk: int
    name: str
    ok: bool
    message: str


def _ids(request: HttpRequest) -> list[int] | None:
    try:
        ids = list(dict.fromkeys(int(v) for v in request.POST.getlist("ids")))
    except ValueError:
        return None
    return ids if 0 < len(ids) <= MAX_ROWS and all(0 < i < 2**63 for i in ids) else None


def run(action: BulkAction, ids: list[int], user: Any, reason: str = "") -> list[RowResult]:
    """Act on each chosen row with the single-row action; a result per row, in the order given."""
    assert action.act is not None
    found = {obj.pk: obj for obj in action.rows(user).filter(pk__in=ids)}
    results = []
    for pk in ids:
        obj = found.get(pk)
        if obj is None:
            results.append(RowResult(pk, f"#{pk}", False, _("Not found, or not yours to act on.")))
            continue
        try:
            if action.needs_reason:
                action.act(obj, user, reason)
            else:
                action.act(obj, user)
        except DomainError as exc:
            results.append(RowResult(pk, action.describe(obj), False, domain_error_text(exc)))
        else:
            results.append(RowResult(pk, action.describe(obj), True, _("Done")))
    return results


@require_POST
@login_required
def bulk_view(request: HttpRequest) -> HttpResponse:
    action = REGISTRY.get(request.POST.get("action", ""))
    if action is None:
        return render(request, "core/bulk_result.html", {"error": _("Unknown action.")}, status=400)
    if not request.user.has_perm(action.perm):
        raise PermissionDenied
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    ids = _ids(request)
    context: dict[str, Any] = {"action": action, "back": back}
    if ids is None:
        context["error"] = _("Choose between 1 and %(n)d rows.") % {"n": MAX_ROWS}
        return render(request, "core/bulk_result.html", context, status=400)
    if action.render is not None:
        objs = list(action.rows(request.user).filter(pk__in=ids))
        if not objs:
            context["error"] = _("None of the chosen rows can be found.")
            return render(request, "core/bulk_result.html", context, status=400)
        return action.render(request, sorted(objs, key=lambda o: ids.index(o.pk)))
    reason = " ".join(request.POST.get("reason", "").split())[:MAX_REASON]
    if action.needs_reason and not reason:
        context["error"] = _("Give a reason for “%(action)s”.") % {"action": action.label}
        return render(request, "core/bulk_result.html", context, status=400)
    results = run(action, ids, request.user, reason)
    context.update(results=results, done=sum(r.ok for r in results), refused=sum(not r.ok for r in results))
    return render(request, "core/bulk_result.html", context)
