"""REST API of the online pharmacy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from baogong.core.api import CREATED, MAX_LIST, ErrorSerializer, ScopedReadOnlyViewSet, code_field
from baogong.core.permissions import HasPerms
from baogong.core.scoping import get_scoped_or_404
from baogong.pharmacy.actions.dispensing import dispense_trace_codes
from baogong.pharmacy.choices import InsuranceClass
from baogong.pharmacy.filters import OrderFilter
from baogong.pharmacy.insurance import QuoteLine, policy_for, split_payment
from baogong.pharmacy.models import Order, OrderLine


def money(*, required: bool = True) -> serializers.DecimalField:
    """A yuan amount to the fen, sent and answered as a decimal string."""
    if required:
        return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), coerce_to_string=True)
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), coerce_to_string=True, default=Decimal("0.00")
    )


class QuoteLineSerializer(serializers.Serializer[Any]):
    drug = serializers.CharField(max_length=64)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=Decimal("0"))
    qty = serializers.IntegerField(min_value=1, max_value=100_000)
    # "class" is a Python keyword: the field is declared under its JSON name below.


QuoteLineSerializer._declared_fields["class"] = serializers.ChoiceField(choices=InsuranceClass.choices)


class AccountSerializer(serializers.Serializer[Any]):
    current_year = money()
    prior_years = money()


@extend_schema_serializer(component_name="InsuranceQuoteRequest")
class QuoteRequestSerializer(serializers.Serializer[Any]):
    lines = serializers.ListField(child=QuoteLineSerializer(), allow_empty=False, max_length=MAX_LIST)
    fees = money(required=False)
    account = AccountSerializer()
    policy = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True)


class QuoteAnswerSerializer(serializers.Serializer[Any]):
    total = money()
    eligible = money()
    personal_current = money()
    personal_prior = money()
    pooled = money()
    self_pay = money()


class InsuranceQuoteView(APIView):
    """Split an order's cost between the personal accounts, the pooled fund and the resident."""

    permission_classes = [HasPerms]
    required_perms = {"POST": ["pharmacy.view_insurancepolicy"]}

    @extend_schema(
        operation_id="pharmacy_insurance_quote",
        request=QuoteRequestSerializer,
        responses={200: QuoteAnswerSerializer, 400: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Class A and B lines, current-year account runs out",
                request_only=True,
                value={
                    "lines": [
                        {"drug": "DRUG-001", "unit_price": "12.50", "qty": 2, "class": "A"},
                        {"drug": "DRUG-002", "unit_price": "33.33", "qty": 1, "class": "B"},
                    ],
                    "fees": "5.00",
                    "account": {"current_year": "20.00", "prior_years": "100.00"},
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = QuoteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        policy = policy_for(data.get("policy") or None)
        lines = [
            QuoteLine(drug=line["drug"], unit_price=line["unit_price"], qty=line["qty"], insurance_class=line["class"])
            for line in data["lines"]
        ]
        split = split_payment(
            policy,
            lines,
            fees=data["fees"],
            current_year=data["account"]["current_year"],
            prior_years=data["account"]["prior_years"],
        )
        return Response(split.as_strings())


@extend_schema_serializer(component_name="PharmacyOrderLine")
class OrderLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    drug = serializers.CharField(source="drug.item.code", read_only=True)
    name = serializers.CharField(source="drug.__str__", read_only=True)

    class Meta:
        model = OrderLine
        fields = ["drug", "name", "qty", "unit_price", "insurance_class"]


@extend_schema_serializer(component_name="PharmacyOrder")
class OrderSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    pharmacy = serializers.CharField(source="pharmacy.code", read_only=True)
    area = serializers.CharField(source="area.code", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "basket",
            "pharmacy",
            "channel",
            "status",
            "resident_name",
            "phone_masked",
            "area",
            "compound",
            "building",
            "room",
            "delivery_fee",
            "packaging_fee",
            "created_at",
            "reviewed_at",
            "dispatched_at",
            "delivered_at",
            "reject_reason",
            "lines",
        ]


class OrderViewSet(ScopedReadOnlyViewSet):
    """Pharmacy orders of the pharmacies granted to the user (read-only; changes go through the pages)."""

    queryset = Order.objects.select_related("pharmacy", "area").prefetch_related("lines__drug__item").order_by("-id")
    serializer_class = OrderSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["pharmacy.view_order"]}
    filterset_class = OrderFilter


routes = [("pharmacy/orders", OrderViewSet, "pharmacy-order")]

api_urlpatterns = [
    path("pharmacy/insurance-quote", InsuranceQuoteView.as_view(), name="pharmacy-insurance-quote"),
]


class DispenseIn(serializers.Serializer):  # type: ignore[type-arg]
    codes = serializers.ListField(child=code_field(), min_length=1, max_length=2000)


class DispenseView(APIView):
    """``POST /api/v1/pharmacy/orders/{id}/trace-codes/``: the traceability codes of the packs handed
    out for an approved order; a refused code answers 400 ``trace_code_refused`` with one message per
    code under ``details.trace_codes`` (nothing recorded; codes dispensed twice, of a recalled lot or
    never received are raised to QC)."""

    permission_classes = [HasPerms]
    required_perms = {"POST": ["pharmacy.review_order"]}

    @extend_schema(
        request=DispenseIn,
        responses={
            201: inline_serializer("DispenseOut", {"order": serializers.CharField(), "codes": serializers.ListField()}),
            400: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        order = get_scoped_or_404(Order.objects.select_related("pharmacy"), request.user, pk=pk)
        data = DispenseIn(data=request.data)
        data.is_valid(raise_exception=True)
        rows = dispense_trace_codes(order, data.validated_data["codes"], actor=request.user)
        return Response({"order": order.number, "codes": [r.code for r in rows]}, status=CREATED)


api_urlpatterns.append(
    path("pharmacy/orders/<int:pk>/trace-codes/", DispenseView.as_view(), name="pharmacy-dispense-trace-codes")
)
