"""``POST /api/v1/inventory/scan/``: what a scanned code names — the camera scanner of the pages
and keyboard-wedge scanners send the decoded text, the answer fills item and lot."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from baogong.catalog.resolvers import UNKNOWN_ITEM, item_by_code
from baogong.core.api import CREATED, ErrorSerializer, code_field, text_field
from baogong.core.errors import ValidationFailed
from baogong.core.permissions import HasPerms
from baogong.core.scancodes import ScanError
from baogong.inventory import actions, trace_queries
from baogong.inventory.models import Lot
from baogong.inventory.trace import PackInput
from baogong.orgs.resolvers import scoped_site


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


class TraceReceiptIn(serializers.Serializer):  # type: ignore[type-arg]
    warehouse = code_field()
    item = code_field()
    lot = code_field()
    reference = text_field(max_length=128, required=False, allow_blank=True, default="")
    codes = serializers.ListField(child=code_field(), min_length=1, max_length=2000)
    aggregate = code_field(required=False, allow_blank=True, default="")


class TraceReceiptView(APIView):
    """``POST /api/v1/inventory/trace-codes/``: the traceability codes of packs of a lot received at a
    warehouse or pharmacy (``codes``; with ``aggregate``, the packs under that aggregation code).
    Refused codes: 400 ``trace_code_refused``, one message per code under ``details.trace_codes``."""

    permission_classes = [HasPerms]
    required_perms = {"POST": ["inventory.receive_stock"]}

    @extend_schema(
        request=TraceReceiptIn,
        responses={
            201: inline_serializer("TraceReceiptOut", {"received": serializers.IntegerField()}),
            400: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        data = TraceReceiptIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        site = scoped_site(request.user, values["warehouse"])
        item = item_by_code(values["item"])
        lot = Lot.objects.filter(item=item, batch=values["lot"]).first() if item else None
        if item is None:
            raise ValidationFailed(details={"item": [UNKNOWN_ITEM]})
        if lot is None:
            raise ValidationFailed(details={"lot": [_("No lot with this batch of the item: receive the stock first.")]})
        codes = values["codes"]
        packs = [PackInput(values["aggregate"], codes)] if values["aggregate"] else [PackInput(c) for c in codes]
        rows = actions.receive_trace_codes(site, lot, packs, reference=values["reference"], actor=request.user)
        return Response({"received": sum(1 + len(p.packs) for p in packs) if rows else 0}, status=CREATED)


api_urlpatterns.append(path("inventory/trace-codes/", TraceReceiptView.as_view(), name="inventory-trace-codes"))
