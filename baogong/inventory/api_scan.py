"""``POST /api/v1/inventory/scan/``: what a scanned code names — the camera scanner of the pages
and keyboard-wedge scanners send the decoded text, the answer fills item and lot."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from baogong.core.api import ErrorSerializer, text_field
from baogong.core.errors import ValidationFailed
from baogong.core.scancodes import ScanError
from baogong.inventory import trace_queries


# GS1 element strings are at most 48 characters of data per symbol in GS1-128 and a few hundred in
# DataMatrix; 500 bounds every real one.
class ScanIn(serializers.Serializer):  # type: ignore[type-arg]
    text = text_field(max_length=500, trim_whitespace=False)


ScanOut = inline_serializer(
    "ScanOut",
    {
        "kind": serializers.ChoiceField(choices=["gs1", "gtin", "trace_code"]),
        "gtin": serializers.CharField(),
        "lot": serializers.JSONField(allow_null=True),
        "expiry": serializers.DateField(allow_null=True),
        "serial": serializers.CharField(),
        "trace_code": serializers.CharField(),
        "item": serializers.JSONField(allow_null=True),
        "lot_number": serializers.CharField(),
    },
)


class ScanView(APIView):
    """Parse a scanned code (GS1-128, GS1 DataMatrix, EAN-13/8, UPC-A, GTIN-14, a 20-digit drug
    traceability code) and name the item (by its barcode or traceability prefix) and the lot (by
    the batch in the code) when they are known. Any signed-in user (catalog data is shared)."""

    @extend_schema(request=ScanIn, responses={200: ScanOut, 400: ErrorSerializer})
    def post(self, request: Request) -> Response:
        data = ScanIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            answer = trace_queries.resolve_scan(data.validated_data["text"])
        except ScanError as exc:
            raise ValidationFailed(details={"text": [exc.reason]}) from exc
        body = answer.as_dict()
        body["lot_number"] = answer.scan.lot
        return Response(body)


api_urlpatterns = [path("inventory/scan/", ScanView.as_view(), name="inventory-scan")]
