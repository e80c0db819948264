"""One Excel import page for every app: template download, all-or-nothing, a per-row report.

An app's view checks its permission and says what to run::

    return import_page(
        request,
        run=lambda upload: actions.import_items(upload, actor=request.user),
        done=lambda result: _("%(n)d items imported.") % {"n": len(result)},
        then="catalog:item_list",
        title=_("Import items"),
        template_url=reverse("catalog:item_template"),
    )

The action raises a ``DomainError`` whose ``details["rows"]`` lists ``{"row", "field", "message"}``
(``baogong.core.excel.raise_if_errors``); nothing is written then. The page shows the message and
the rows and answers 400."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from baogong.core.errors import DomainError
from baogong.core.excel import XLSX_CONTENT_TYPE, Column, workbook_bytes
from baogong.core.forms import BootstrapMixin

T = TypeVar("T")


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))


def xlsx_response(filename: str, body: bytes) -> HttpResponse:
    """A workbook as a download."""
    response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def template_response(
    filename: str, title: str, columns: Sequence[Column], *, notes: Sequence[str] = ()
) -> HttpResponse:
    """The import template: the header row and one example row, with optional notes."""
    return xlsx_response(filename, workbook_bytes(title, columns, [[c.example for c in columns]], notes=notes))


def import_page(
    request: HttpRequest,
    *,
    run: Callable[[Any], T],
    done: Callable[[T], str],
    then: str,
    title: Any,
    intro: Any = "",
    template_url: str = "",
    form_class: type[forms.Form] = ImportForm,
    columns: Sequence[Column] = (),
) -> HttpResponse:
    """GET: the upload form. POST: ``run(upload)``; on success the ``done`` message and a redirect
    to ``then`` (a URL or URL name); refused, the form again with the message and the row report,
    each field named by its column's header in the template (``columns``) as the person sees it in
    the file, not by its key."""
    form = form_class(request.POST or None, request.FILES or None)
    row_errors: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = run(form.cleaned_data["file"])
        except DomainError as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            headers = {c.key: c.header for c in columns}
            row_errors = [
                {**e, "label": headers.get(str(e.get("field", "")), e.get("field", ""))}
                for e in details.get("rows") or []
                if isinstance(e, dict)
            ]
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, done(result))
            return redirect(then)
    context = {"form": form, "row_errors": row_errors, "title": title, "intro": intro, "template_url": template_url}
    return render(request, "core/import.html", context, status=400 if form.errors else 200)
