"""Many issue documents in one request (issue 25): each posted all-or-nothing, each answered."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from baogong.core.api import ErrorSerializer, error_body, exception_handler
from baogong.core.errors import DomainError, ValidationFailed
from baogong.core.permissions import HasPerms
from baogong.inventory.api import IssueIn, IssueOut, issue_body, post_issue
from baogong.inventory.errors import InsufficientStock

MAX_DOCUMENTS = 200
MAX_LINES = 20_000


class BulkIssueIn(serializers.Serializer[Any]):
    documents = serializers.ListField(child=IssueIn(), allow_empty=False, max_length=MAX_DOCUMENTS)

    def validate_documents(self, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if sum(len(d["lines"]) for d in documents) > MAX_LINES:
            raise serializers.ValidationError(
                _("At most %(n)d lines in one request; send the rest in another.") % {"n": MAX_LINES}
            )
        return documents


class BulkIssueResult(serializers.Serializer[Any]):
    index = serializers.IntegerField(help_text="Position of the document in the request")
    status = serializers.IntegerField(help_text="201 posted; 400, 404 or 409: nothing of it written")
    issue = IssueOut(required=False, help_text="The issue as posted (status 201)")
    error = ErrorSerializer(required=False, help_text="Why it was refused (other statuses)")


class BulkIssueOut(serializers.Serializer[Any]):
    posted = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = BulkIssueResult(many=True)


def _refusal(exc: Exception) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, InsufficientStock):
        return exc.status_code, error_body(exc.code, exc.message, {"lines": exc.lines})
    response = exception_handler(exc, {})
    if response is None:  # pragma: no cover - every refusal below has a handler
        raise exc
    return response.status_code, response.data


class IssueBulkCreate(APIView):
    """Post up to 200 issue documents (20,000 lines in all) in one request.

    The body is checked as a whole first (a malformed document answers 400 and nothing is
    posted). Then each document is posted in its own transaction, all of its lines or none, in
    the order given; ``results`` answers each one: 201 with the issue, or its refusal (400 unknown
    code, 404 warehouse outside the caller's scope, 409 ``insufficient_stock`` with the short lines).
    """

    permission_classes = [HasPerms]
    required_perms = {"POST": ["inventory.issue_stock"]}

    @extend_schema(request=BulkIssueIn, responses={200: BulkIssueOut, 400: ErrorSerializer})
    def post(self, request: Request) -> Response:
        data = BulkIssueIn(data=request.data)
        data.is_valid(raise_exception=True)
        results: list[dict[str, Any]] = []
        for index, values in enumerate(data.validated_data["documents"]):
            try:
                issue = post_issue(request.user, values)
            except (DomainError, ValidationFailed, Http404) as exc:
                status, body = _refusal(exc)
                results.append({"index": index, "status": status, "error": body})
            else:
                results.append({"index": index, "status": 201, "issue": issue_body(issue)})
        posted = sum(1 for r in results if r["status"] == 201)
        return Response({"posted": posted, "refused": len(results) - posted, "results": results})
