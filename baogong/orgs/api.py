"""REST API of organisations and sites."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from baogong.core.api import CREATED, CodeRelatedField, ErrorSerializer, ScopedReadOnlyViewSet
from baogong.core.permissions import HasPerms
from baogong.orgs import actions
from baogong.orgs.choices import SiteKind, SiteStatus
from baogong.orgs.filters import SiteFilter
from baogong.orgs.models import AdministrativeArea, Organisation, Site


class OrganisationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    parent: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )  # type: ignore[assignment]

    class Meta:
        model = Organisation
        fields = ["id", "code", "name", "short_name", "kind", "parent", "uscc", "is_group_member", "is_active"]


class SiteSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    organisation = CodeRelatedField(queryset=Organisation.objects.all())
    area = CodeRelatedField(queryset=AdministrativeArea.objects.all(), required=False, allow_null=True)
    lat = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        coerce_to_string=False,
        required=False,
        allow_null=True,
        min_value=Decimal(-90),
        max_value=Decimal(90),
        help_text="required for a warehouse",
    )
    lon = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        coerce_to_string=False,
        required=False,
        allow_null=True,
        min_value=Decimal(-180),
        max_value=Decimal(180),
        help_text="required for a warehouse",
    )
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


routes = [("sites", SiteViewSet, "site"), ("organisations", OrganisationViewSet, "organisation")]
