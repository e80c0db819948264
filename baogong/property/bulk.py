"""Bulk actions of the relief applications list (core.bulk): print the decision letters of many
decided applications in one PDF. (Review steps on many applications are the list's own batch
review, ``actions.batch_review``, which takes each through its audited step.)"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from baogong.core import bulk
from baogong.core.pdf import pdf_response
from baogong.property import queries
from baogong.property.choices import ApplicationStatus


def _letters(request: HttpRequest, applications: list[Any]) -> HttpResponse:
    from baogong.property.views import letter_context

    letters = [letter_context(a) for a in applications]
    return pdf_response(
        "property/decision_letters_pdf.html", {"letters": letters}, f"decision-letters-{len(letters)}.pdf"
    )


def _decided(user: Any) -> Any:
    return queries.applications_for(user).filter(status__in=[ApplicationStatus.APPROVED, ApplicationStatus.REJECTED])


def register() -> None:
    bulk.register(
        bulk.BulkAction(
            key="property.print_decision_letters",
            group="property.applications",
            label=_("Print decision letters"),
            perm="property.view_reliefapplication",
            rows=_decided,
            render=_letters,
        )
    )
