"""REST API: the rent-relief quote, and scoped reads of leases and applications."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from baogong.core.api import MAX_LIST, ErrorSerializer, date_field
from baogong.core.permissions import HasPerms
from baogong.property import queries, rules
from baogong.property.errors import FactsContradict
from baogong.property.models import Lease, ReliefApplication


class QuoteTenantSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=rules.TENANT_TYPES)
    industry = serializers.ChoiceField(choices=rules.INDUSTRIES, required=False, allow_null=True)
    employees = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False, allow_null=True)
    revenue_wan = serializers.DecimalField(
        max_digits=16, decimal_places=4, min_value=Decimal(0), required=False, allow_null=True
    )
    assets_wan = serializers.DecimalField(
        max_digits=16, decimal_places=4, min_value=Decimal(0), required=False, allow_null=True
    )
    state_owned = serializers.BooleanField(required=False, default=False)
    subsidiary_of_large_group = serializers.BooleanField(required=False, default=False)
    role = serializers.ChoiceField(choices=rules.TENANT_ROLES, required=False, default=rules.FINAL_OCCUPIER)
    in_arrears = serializers.BooleanField(required=False, default=False)
    refused_epidemic_control = serializers.BooleanField(required=False, default=False)
    uscc = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=18,
        help_text="统一社会信用代码 (optional): checked against the tenant type (92… = individual business)",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["type"] == rules.ENTERPRISE:
            industry = attrs.get("industry")
            if not industry:
                raise serializers.ValidationError(
                    {"industry": [_("需要行业以划分企业规模 / an enterprise needs its industry")]}
                )
            missing = {
                key: [_("该行业划型需要此项 / needed for the size class of this industry")]
                for key in rules.required_indicators(industry)
                if attrs.get(key) is None
            }
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class QuotePropertySerializer(serializers.Serializer[Any]):
    state_owned = serializers.BooleanField()


class PeriodSerializer(serializers.Serializer[Any]):
    start = date_field()
    end = date_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("结束日期早于开始日期 / the end is before the start")]})
        return attrs


class QuoteLeaseSerializer(PeriodSerializer):
    rent = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0))
    period_months = serializers.ChoiceField(choices=rules.PERIOD_MONTHS)
    rent_free = serializers.ListField(child=PeriodSerializer(), required=False, default=list, max_length=MAX_LIST)


class QuoteProofSerializer(serializers.Serializer[Any]):
    risk_area = serializers.BooleanField(required=False, default=False)
    sealed_or_closed = serializers.BooleanField(required=False, default=False)
    full_year_loss = serializers.BooleanField(required=False, default=False)


@extend_schema_serializer(component_name="RentReliefQuoteRequest")
class QuoteRequestSerializer(serializers.Serializer[Any]):
    as_of = date_field()
    tenant = QuoteTenantSerializer()
    property = QuotePropertySerializer()
    lease = QuoteLeaseSerializer()
    proof = QuoteProofSerializer(required=False)


class ReasonSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField(help_text="中文")
    message_en = serializers.CharField()


class QuoteResponseSerializer(serializers.Serializer[Any]):
    eligible = serializers.BooleanField()
    policy = serializers.CharField(allow_null=True)
    size_class = serializers.ChoiceField(choices=rules.SIZE_CLASSES)
    months = serializers.IntegerField()
    covered_days = serializers.IntegerField()
    monthly_rent = serializers.CharField(help_text="decimal string, yuan to the fen")
    amount = serializers.CharField(help_text='decimal string; "0.00" when not eligible')
    reasons = ReasonSerializer(many=True)


EXAMPLE = {
    "as_of": "2022-06-01",
    "tenant": {
        "type": "enterprise",
        "industry": "零售业",
        "employees": 12,
        "revenue_wan": "150",
        "assets_wan": "80",
        "state_owned": False,
        "subsidiary_of_large_group": False,
        "role": "final_occupier",
        "in_arrears": False,
    },
    "property": {"state_owned": True},
    "lease": {
        "start": "2022-07-01",
        "end": "2023-06-30",
        "rent": "30000.00",
        "period_months": 3,
        "rent_free": [],
    },
    "proof": {"risk_area": False, "sealed_or_closed": False, "full_year_loss": False},
}


def quote_from(data: dict[str, Any]) -> rules.Quote:
    tenant = data["tenant"]
    lease = data["lease"]
    proof = data.get("proof") or {}
    return rules.quote(
        as_of=data["as_of"],
        tenant=rules.TenantFacts(
            type=tenant["type"],
            industry=tenant.get("industry"),
            employees=tenant.get("employees"),
            revenue_wan=tenant.get("revenue_wan"),
            assets_wan=tenant.get("assets_wan"),
            state_owned=tenant["state_owned"],
            subsidiary_of_large_group=tenant["subsidiary_of_large_group"],
            role=tenant["role"],
            in_arrears=tenant["in_arrears"],
            refused_epidemic_control=tenant["refused_epidemic_control"],
        ),
        uscc=tenant.get("uscc", ""),
        property_state_owned=data["property"]["state_owned"],
        lease=rules.LeaseFacts(
            start=lease["start"],
            end=lease["end"],
            rent=lease["rent"],
            period_months=int(lease["period_months"]),
            rent_free=[(p["start"], p["end"]) for p in lease["rent_free"]],
        ),
        proof=rules.Proof(
            risk_area=proof.get("risk_area", False),
            sealed_or_closed=proof.get("sealed_or_closed", False),
            full_year_loss=proof.get("full_year_loss", False),
        ),
        policies=queries.policy_terms(),
    )


class QuoteView(APIView):
    """Rent-relief quote under the policy in force on ``as_of``. Any signed-in user may quote."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="rent_relief_quote",
        request=QuoteRequestSerializer,
        responses={200: QuoteResponseSerializer, 400: ErrorSerializer},
        examples=[OpenApiExample("quarterly rent, lease from July", value=EXAMPLE, request_only=True)],
        tags=["rent-relief"],
    )
    def post(self, request: Request) -> Response:
        serializer = QuoteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            quote = quote_from(serializer.validated_data)
        except rules.FactsContradict as exc:  # a field error with the reason, never a quote
            raise FactsContradict.from_rules(
                exc.contradictions,
                prefix={
                    "subsidiary_of_large_group": "tenant",
                    "state_owned": "tenant",
                    "uscc": "tenant",
                    "rent_free": "lease",
                },
            ) from None
        return Response(quote.as_dict())


class LeaseSerializer(serializers.ModelSerializer[Lease]):
    tenant = serializers.CharField(source="tenant.name", read_only=True)
    parent = serializers.CharField(source="parent.code", read_only=True, allow_null=True)  # type: ignore[assignment]

    class Meta:
        model = Lease
        fields = ["id", "code", "tenant", "parent", "rent", "period_months", "start", "end", "deposit"]


class ApplicationSerializer(serializers.ModelSerializer[ReliefApplication]):
    tenant = serializers.CharField(source="tenant.name", read_only=True)
    lease = serializers.CharField(source="lease.code", read_only=True)
    policy = serializers.CharField(source="policy.code", read_only=True)

    class Meta:
        model = ReliefApplication
        fields = [
            "id",
            "number",
            "tenant",
            "lease",
            "policy",
            "status",
            "settlement",
            "submitted_on",
            "size_class",
            "months",
            "covered_days",
            "monthly_rent",
            "quoted_amount",
            "approved_amount",
            "topped_up_amount",
            "reasons",
            "decision_note",
        ]


class LeaseViewSet(viewsets.ReadOnlyModelViewSet[Lease]):
    """Leases of the user's organisations, or the tenant's own."""

    serializer_class = LeaseSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["property.view_lease"]}
    queryset = Lease.objects.none()

    def get_queryset(self) -> Any:
        return queries.leases_for(self.request.user).order_by("code")


class ApplicationViewSet(viewsets.ReadOnlyModelViewSet[ReliefApplication]):
    """Relief applications of the user's organisations, or the tenant's own."""

    serializer_class = ApplicationSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["property.view_reliefapplication"]}
    queryset = ReliefApplication.objects.none()
    filterset_fields = ["status"]

    def get_queryset(self) -> Any:
        return queries.applications_for(self.request.user).order_by("-submitted_on", "-id")


routes = [
    ("property/leases", LeaseViewSet, "property-lease"),
    ("rent-relief/applications", ApplicationViewSet, "rent-relief-application"),
]
api_urlpatterns = [path("rent-relief/quote", QuoteView.as_view(), name="rent_relief_quote")]
