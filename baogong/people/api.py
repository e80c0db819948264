"""REST API of people, health tests, deployments and incidents. Personal data is masked;
revealing it is a separate, audited POST."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from baogong.core.api import CREATED, ErrorSerializer, ScopedReadOnlyViewSet
from baogong.core.errors import ValidationFailed
from baogong.core.permissions import HasPerms
from baogong.core.scoping import get_scoped_or_404
from baogong.orgs.models import Site
from baogong.people import actions, queries
from baogong.people.choices import TestKind, TestResult
from baogong.people.models import Deployment, HealthTest, Incident, Person


class PersonSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    home_site = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "kind",
            "name",
            "organisation",
            "home_site",
            "id_number",
            "phone",
            "position",
            "health_status",
            "isolation_until",
            "is_active",
        ]


class ClearanceSerializer(serializers.Serializer[Any]):
    person = serializers.IntegerField()
    date = serializers.DateField()
    cleared = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class RevealSerializer(serializers.Serializer[Any]):
    id_number = serializers.CharField()
    phone = serializers.CharField()


class PersonViewSet(ScopedReadOnlyViewSet):
    """People: staff, volunteers, residents and guests (ID and phone masked)."""

    queryset = Person.objects.select_related("organisation", "home_site").order_by("name", "id")
    serializer_class = PersonSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["people.view_person"], "POST": ["people.view_person", "core.reveal_personal_data"]}
    filterset_fields = ["kind", "health_status", "is_active"]

    @extend_schema(
        parameters=[OpenApiParameter("date", str, description="YYYY-MM-DD, default today")],
        responses={200: ClearanceSerializer, 404: ErrorSerializer},
    )
    @action(detail=True, methods=["get"])
    def clearance(self, request: Request, pk: str | None = None) -> Response:
        """Why this person may not be dispatched on the date (empty list = cleared)."""
        person = self.get_object()
        raw = request.query_params.get("date")
        on_date = parse_date(raw) if raw else timezone.localdate()
        if on_date is None:
            raise ValidationFailed(details={"date": ["日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD"]})
        reasons = queries.person_clearance(person, on_date)
        return Response({"person": person.pk, "date": on_date, "cleared": not reasons, "reasons": reasons})

    @extend_schema(
        request=inline_serializer("RevealRequest", {"reason": serializers.CharField(required=False)}),
        responses={200: RevealSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk: str | None = None) -> Response:
        """The unmasked ID number and phone; needs core.reveal_personal_data and is audited."""
        person = self.get_object()
        data = actions.reveal_personal_data(person, actor=request.user, reason=str(request.data.get("reason", "")))
        response = Response(data)
        response["Cache-Control"] = "no-store"
        return response


class HealthTestSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    site = serializers.SlugRelatedField(slug_field="code", queryset=Site.objects.all(), required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=TestKind.choices)
    result = serializers.ChoiceField(choices=TestResult.choices)

    class Meta:
        model = HealthTest
        fields = ["id", "person", "kind", "result", "taken_at", "site", "source", "note", "recorded_at"]
        read_only_fields = ["id", "source", "recorded_at"]

    def to_representation(self, instance: HealthTest) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not request.user.has_perm("people.view_health_results"):
            data["result"] = "***"
        return data


class HealthTestViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Antigen and PCR results. Results are masked for users without people.view_health_results."""

    queryset = HealthTest.objects.select_related("person", "site").order_by("-taken_at", "-id")
    serializer_class = HealthTestSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["people.view_healthtest"], "POST": ["people.record_health_test"]}
    filterset_fields = ["person", "kind", "result"]

    @extend_schema(responses={201: HealthTestSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        person = get_scoped_or_404(Person.objects.all(), request.user, pk=data["person"].pk)
        test = actions.record_health_test(
            person,
            kind=data["kind"],
            result=data["result"],
            taken_at=data["taken_at"],
            site=data.get("site"),
            note=data.get("note", ""),
            actor=request.user,
        )
        return Response(self.get_serializer(test).data, status=CREATED)


class DeploymentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    site = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    batch = serializers.IntegerField(source="batch.number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Deployment
        fields = ["id", "person", "duty_type", "organisation", "site", "shift", "starts_on", "ends_on", "batch"]


class DeploymentViewSet(ScopedReadOnlyViewSet):
    queryset = Deployment.objects.select_related("organisation", "site", "batch").order_by("-starts_on", "-id")
    serializer_class = DeploymentSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["people.view_person"]}
    filterset_fields = ["duty_type", "person", "shift"]


class IncidentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    site = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    sites = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = ["id", "person", "status", "opened_at", "closed_at", "site", "sites", "contacts"]

    def get_sites(self, incident: Incident) -> list[dict[str, Any]]:
        return [
            {"site": row.site.code, "reason": row.reason, "status": row.site.status}
            for row in incident.sites.select_related("site").order_by("site__code")
        ]

    def get_contacts(self, incident: Incident) -> list[dict[str, Any]]:
        return [
            {"person": c.person_id, "name": c.person.name, "reason": c.reason, "isolation_until": c.isolation_until}
            for c in incident.contacts.select_related("person")
        ]


class IncidentViewSet(ScopedReadOnlyViewSet):
    queryset = Incident.objects.select_related("site").order_by("-opened_at", "-id")
    serializer_class = IncidentSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["people.view_person"]}
    filterset_fields = ["status"]


routes = [
    ("people/persons", PersonViewSet, "person"),
    ("people/tests", HealthTestViewSet, "health-test"),
    ("people/deployments", DeploymentViewSet, "deployment"),
    ("people/incidents", IncidentViewSet, "incident"),
]
