"""REST API of organisations and sites."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from baogong.core.api import CREATED, CodeRelatedField, ErrorSerializer, ScopedReadOnlyViewSet, text_field
from baogong.core.permissions import HasPerms
from baogong.orgs import actions, governance
from baogong.orgs.choices import SiteKind, SiteStatus
from baogong.orgs.filters import SiteFilter
from baogong.orgs.models import AdministrativeArea, ChangeRequest, Organisation, Site


class OrganisationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    parent: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )  # type: ignore[assignment]

    class Meta:
        model = Organisation
        fields = ["id", "code", "name", "short_name", "kind", "parent", "uscc", "is_group_member", "is_active"]


def _degrees(limit: int) -> serializers.DecimalField:
    """A latitude (limit 90) or longitude (limit 180) in degrees, to six decimals (a warehouse needs both)."""
    return serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        coerce_to_string=False,
        required=False,
        allow_null=True,
        min_value=Decimal(-limit),
        max_value=Decimal(limit),
        help_text="required for a warehouse",
    )


class SiteSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    organisation = CodeRelatedField(queryset=Organisation.objects.all())
    area = CodeRelatedField(queryset=AdministrativeArea.objects.all(), required=False, allow_null=True)
    lat = _degrees(90)
    lon = _degrees(180)
    kind = serializers.ChoiceField(choices=SiteKind.choices)
    status = serializers.ChoiceField(choices=SiteStatus.choices, read_only=True)
    priority_tier = serializers.IntegerField(min_value=1, max_value=5, required=False)
    headcount = serializers.IntegerField(min_value=0, max_value=100_000_000, required=False, allow_null=True)

    class Meta:
        model = Site
        fields = ["id", *actions.SITE_FIELDS]
        read_only_fields = ["id", "status", "status_reason"]


class SiteViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Sites: warehouses, pharmacies, stations, hotels, homes, hospitals, delivery points, offices."""

    queryset = Site.objects.select_related("organisation", "area").order_by("code")
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    permission_classes = [HasPerms]
    required_perms = {"GET": ["orgs.view_site"], "POST": ["orgs.add_site"]}

    @extend_schema(responses={201: SiteSerializer, 400: ErrorSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        site = actions.create_site(serializer.validated_data, actor=request.user)
        return Response(self.get_serializer(site).data, status=CREATED)


class OrganisationViewSet(ScopedReadOnlyViewSet):
    queryset = Organisation.objects.select_related("parent").order_by("code")
    serializer_class = OrganisationSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["orgs.view_organisation"]}
    filterset_fields = ["kind", "is_group_member"]


class ChangeRequestSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    model = serializers.SerializerMethodField()
    fields_changed = serializers.SerializerMethodField()
    proposed_by = serializers.StringRelatedField()  # type: ignore[var-annotated]
    decided_by = serializers.StringRelatedField()  # type: ignore[var-annotated]

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "model",
            "object_id",
            "subject",
            "before",
            "changes",
            "fields_changed",
            "reason",
            "status",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]

    def get_model(self, change: ChangeRequest) -> str:
        return f"{change.content_type.app_label}.{change.content_type.model}"

    def get_fields_changed(self, change: ChangeRequest) -> list[dict[str, Any]]:
        return [{"field": label, "before": str(b), "after": str(a)} for label, b, a in governance.describe(change)]


class DecisionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    decision = serializers.ChoiceField(choices=["approve", "reject", "withdraw"])
    note = text_field(max_length=255, required=False, allow_blank=True, default="")


class ChangeRequestViewSet(ScopedReadOnlyViewSet):
    """Price and policy changes waiting for (or decided by) a second person."""

    queryset = ChangeRequest.objects.all()
    serializer_class = ChangeRequestSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["orgs.view_changerequest"], "POST": ["orgs.view_changerequest"]}
    filterset_fields = ["status"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return governance.changes_for(self.request.user).order_by("-proposed_at", "-id")

    @extend_schema(
        request=DecisionSerializer,
        responses={
            200: ChangeRequestSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """Approve (and apply), reject, or — its maker — withdraw a waiting change."""
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = self.get_object()
        decided = governance.decide_change(
            change,
            approve=body.validated_data["decision"] == "approve",
            actor=request.user,
            note=body.validated_data["note"],
        )
        return Response(self.get_serializer(decided).data)


routes = [
    ("sites", SiteViewSet, "site"),
    ("organisations", OrganisationViewSet, "organisation"),
    ("policy-changes", ChangeRequestViewSet, "policy-change"),
]
