"""REST API of people, health tests, deployments and incidents. Personal data is masked;
revealing it is a separate, audited POST."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from baogong.core.api import (
    CREATED,
    EARLIEST_DATE,
    LATEST_DATE,
    ErrorSerializer,
    ScopedReadOnlyViewSet,
    code_field,
    date_field,
    datetime_field,
    id_field,
    record_step,
    text_field,
)
from baogong.core.dates import parse_date_or_none
from baogong.core.errors import ValidationFailed
from baogong.core.permissions import HasPerms
from baogong.core.scoping import get_scoped_or_404
from baogong.orgs.models import Organisation, Site
from baogong.people import actions, outbreak, queries
from baogong.people.choices import DutyType, GuestRequestKind, PersonKind, Shift, TestKind, TestResult
from baogong.people.errors import DeploymentInvalid, OccupancyInvalid, PersonInvalid
from baogong.people.models import Deployment, GuestRequest, HealthTest, Incident, Person

MAX_QTY = 1_000_000


def _by_code(model: Any, code: Any, field: str, error: type[ValidationFailed], what: str) -> Any:
    """The record with this ``code`` (None for an empty value) or a field-level error."""
    if code in (None, ""):
        return None
    found = model.objects.filter(code=str(code)).first()
    if found is None:
        raise error(details={field: [f"未知的{what}编码 / unknown {field} code: {code}"]})
    return found


class PersonSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[var-annotated]
    home_site = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[var-annotated]
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    login = serializers.CharField(source="user.username", read_only=True, default=None, allow_null=True)

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
            "login",
        ]


class PersonWriteSerializer(serializers.Serializer[Any]):
    """Create or change a person. Sites and organisations are named by ``code``; ``id_number``
    (GB 11643) and ``phone`` are validated, stored sealed and answered masked."""

    kind = serializers.ChoiceField(choices=PersonKind.choices, required=False)
    name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    organisation = code_field(required=False, allow_blank=True, allow_null=True, help_text="code")
    home_site = code_field(required=False, allow_blank=True, allow_null=True, help_text="code")
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, write_only=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, write_only=True)
    position = serializers.CharField(max_length=64, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    login = serializers.CharField(
        max_length=150, required=False, allow_blank=True, write_only=True, help_text="username for the phone check-in"
    )


def _person_data(raw: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    data = dict(raw)
    if creating:
        data.setdefault("kind", "")
        data.setdefault("name", "")
    if "organisation" in data:
        data["organisation"] = _by_code(Organisation, data["organisation"], "organisation", PersonInvalid, "单位")
    if "home_site" in data:
        data["home_site"] = _by_code(Site, data["home_site"], "home_site", PersonInvalid, "场所")
    if "name" in data:
        data["name"] = str(data["name"]).strip()
    if "login" in data:
        from django.contrib.auth import get_user_model

        username = str(data.pop("login") or "").strip()
        data["user"] = get_user_model().objects.filter(username=username, is_active=True).first() if username else None
        if username and data["user"] is None:
            raise PersonInvalid(details={"login": [f"未知的登录名 / unknown login: {username}"]})
    return data


class ClearanceSerializer(serializers.Serializer[Any]):
    person = id_field()
    date = serializers.DateField()
    cleared = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class RevealSerializer(serializers.Serializer[Any]):
    id_number = serializers.CharField()
    phone = serializers.CharField()


class RevealRequestSerializer(serializers.Serializer[Any]):
    reason = text_field(max_length=255, required=False, allow_blank=True, default="")


class PersonViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedReadOnlyViewSet):
    """People: staff, volunteers, residents and guests (ID and phone masked)."""

    queryset = Person.objects.select_related("organisation", "home_site", "user").order_by("name", "id")
    serializer_class = PersonSerializer
    permission_classes = [HasPerms]
    required_perms = {
        "GET": ["people.view_person"],
        "POST": ["people.view_person", "people.add_person"],
        "PUT": ["people.view_person", "people.change_person"],
        "PATCH": ["people.view_person", "people.change_person"],
    }
    filterset_fields = ["kind", "health_status", "is_active"]

    @extend_schema(
        request=PersonWriteSerializer,
        responses={201: PersonSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        description="Register a person. Field errors answer 400 with Chinese / English messages per field; "
        "an Idempotency-Key header makes a retried POST answer the first result.",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        writer = PersonWriteSerializer(data=request.data)
        writer.is_valid(raise_exception=True)
        person = actions.create_person(_person_data(writer.validated_data, creating=True), actor=request.user)
        return Response(PersonSerializer(person).data, status=CREATED)

    @extend_schema(
        request=PersonWriteSerializer,
        responses={200: PersonSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        description="Change a person: only the fields given change (PUT and PATCH alike); "
        "a new id_number or phone replaces the sealed value.",
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        writer = PersonWriteSerializer(data=request.data, partial=True)
        writer.is_valid(raise_exception=True)
        updated = actions.update_person(person, _person_data(writer.validated_data, creating=False), actor=request.user)
        return Response(PersonSerializer(updated).data)

    @extend_schema(
        request=PersonWriteSerializer,
        responses={200: PersonSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("date", str, description="YYYY-MM-DD, default today")],
        responses={200: ClearanceSerializer, 404: ErrorSerializer},
    )
    @action(detail=True, methods=["get"])
    def clearance(self, request: Request, pk: str | None = None) -> Response:
        """Why this person may not be dispatched on the date (empty list = cleared)."""
        person = self.get_object()
        raw = request.query_params.get("date")
        on_date = parse_date_or_none(raw) if raw else timezone.localdate()
        if on_date is None or not EARLIEST_DATE <= on_date <= LATEST_DATE:
            raise ValidationFailed(details={"date": ["日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD"]})
        reasons = queries.person_clearance(person, on_date)
        return Response({"person": person.pk, "date": on_date, "cleared": not reasons, "reasons": reasons})

    @extend_schema(
        request=RevealRequestSerializer,
        responses={200: RevealSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], required_perms={"POST": ["people.view_person", "core.reveal_personal_data"]})
    def reveal(self, request: Request, pk: str | None = None) -> Response:
        """The unmasked ID number and phone; needs core.reveal_personal_data and is audited."""
        body = RevealRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)  # a body that is not an object is a 400, not a 500
        person = self.get_object()
        data = actions.reveal_personal_data(person, actor=request.user, reason=body.validated_data["reason"])
        response = Response(data)
        response["Cache-Control"] = "no-store"
        return response


class HealthTestSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all(), pk_field=id_field())
    site = code_field(required=False, allow_blank=True, allow_null=True, help_text="code")
    taken_at = datetime_field()
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
            site=_by_code(Site, data.get("site"), "site", ValidationFailed, "场所"),
            note=data.get("note", ""),
            actor=request.user,
        )
        return Response(self.get_serializer(test).data, status=CREATED)


class DeploymentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[var-annotated]
    site = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[var-annotated]
    batch = serializers.IntegerField(source="batch.number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Deployment
        fields = ["id", "person", "duty_type", "organisation", "site", "shift", "starts_on", "ends_on", "batch"]


class DeploymentWriteSerializer(serializers.Serializer[Any]):
    person = id_field()
    duty_type = serializers.ChoiceField(choices=DutyType.choices)
    site = code_field(required=False, allow_blank=True, allow_null=True, help_text="code")
    starts_on = date_field()
    ends_on = date_field()
    shift = serializers.ChoiceField(choices=Shift.choices, required=False, default=Shift.DAY)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class DeploymentViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Deployments of people to duties; POST deploys one person (refused when not cleared)."""

    queryset = Deployment.objects.select_related("organisation", "site", "batch").order_by("-starts_on", "-id")
    serializer_class = DeploymentSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["people.view_person"], "POST": ["people.view_person", "people.dispatch_people"]}
    filterset_fields = ["duty_type", "person", "shift"]

    @extend_schema(
        request=DeploymentWriteSerializer,
        responses={201: DeploymentSerializer, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        writer = DeploymentWriteSerializer(data=request.data)
        writer.is_valid(raise_exception=True)
        data = writer.validated_data
        person = get_scoped_or_404(Person.objects.all(), request.user, pk=data["person"])
        deployment = actions.deploy_person(
            person,
            duty_type=data["duty_type"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            site=_by_code(Site, data.get("site"), "site", DeploymentInvalid, "场所"),
            shift=data["shift"],
            note=data["note"],
            actor=request.user,
        )
        return Response(DeploymentSerializer(deployment).data, status=CREATED)


class IncidentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    site = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[var-annotated]
    sites = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = ["id", "person", "status", "opened_at", "closed_at", "site", "sites", "contacts"]

    def get_sites(self, incident: Incident) -> list[dict[str, Any]]:
        return [
            {"site": row.site.code, "reason": row.reason, "status": row.site.status}
            | ({"control": row.control, "control_note": row.control_note} if self.context.get("control") else {})
            for row in incident.sites.select_related("site").order_by("site__code")
        ]

    def get_contacts(self, incident: Incident) -> list[dict[str, Any]]:
        return [
            {"person": c.person_id, "name": c.person.name, "reason": c.reason, "isolation_until": c.isolation_until}
            for c in incident.contacts.select_related("person")
        ]


class SiteControlSerializer(serializers.Serializer[Any]):
    site = code_field(help_text="site code")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class IncidentViewSet(ScopedReadOnlyViewSet):
    """Incidents; ``sites`` carry ``control`` (controlled, pending, lifted, unchanged) on the
    confirm/lift answers. POST ``confirm-control`` puts a site awaiting confirmation under
    control; ``lift-control`` lifts a site's control with a reason."""

    queryset = Incident.objects.select_related("site").order_by("-opened_at", "-id")
    serializer_class = IncidentSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["people.view_person"], "POST": ["people.manage_outbreak", "orgs.set_site_status"]}
    filterset_fields = ["status"]

    def _site_row(self, request: Request, data: Any) -> Any:
        incident = self.get_object()
        row = incident.sites.select_related("site").filter(site__code=data["site"]).first()
        if row is None:
            raise ValidationFailed(details={"site": ["此事件不涉及该场所 / the incident has no such site"]})
        get_scoped_or_404(Site.objects.all(), request.user, pk=row.site_id)
        return row

    def _answer(self, row: Any) -> Response:
        incident = Incident.objects.get(pk=row.incident_id)
        return Response(IncidentSerializer(incident, context={"control": True}).data)

    @record_step(IncidentSerializer, body=SiteControlSerializer, errors=(400, 404, 409), url_path="confirm-control")
    def confirm_control(self, request: Request, data: Any) -> Response:
        return self._answer(outbreak.confirm_site_control(self._site_row(request, data), actor=request.user))

    @record_step(IncidentSerializer, body=SiteControlSerializer, errors=(400, 404, 409), url_path="lift-control")
    def lift_control(self, request: Request, data: Any) -> Response:
        row = self._site_row(request, data)
        return self._answer(outbreak.lift_site_control(row, reason=data["reason"], actor=request.user))


class GuestRequestSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    site = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[var-annotated]
    item = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[var-annotated]
    supply_request = serializers.CharField(
        source="supply_request.number", read_only=True, default=None, allow_null=True
    )
    supply_request_status = serializers.CharField(
        source="supply_request.status", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = GuestRequest
        fields = [
            "id",
            "person",
            "site",
            "kind",
            "text",
            "item",
            "qty",
            "needed_by",
            "status",
            "supply_request",
            "supply_request_status",
            "handled_note",
            "created_at",
        ]


class GuestRequestWriteSerializer(serializers.Serializer[Any]):
    person = id_field()
    site = code_field(help_text="code of the hotel, isolation point or elderly home")
    kind = serializers.ChoiceField(choices=GuestRequestKind.choices)
    text = serializers.CharField(max_length=500)
    item = code_field(required=False, allow_blank=True, allow_null=True, help_text="catalogue item code")
    qty = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_QTY)
    needed_by = date_field(required=False, allow_null=True)


class GuestRequestConvertSerializer(serializers.Serializer[Any]):
    item = code_field(required=False, allow_blank=True, help_text="catalogue item code")
    qty = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_QTY)
    needed_by = date_field(required=False, allow_null=True)


def _item(code: Any) -> Any:
    from baogong.catalog.models import Item

    return _by_code(Item, code, "item", OccupancyInvalid, "物资")


class GuestRequestViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Guests' and residents' requests (medicine, food) at hotels, isolation points and homes.
    Naming a catalogue item sends the request to distribution at once; ``convert`` does it later."""

    queryset = GuestRequest.objects.select_related("site", "item", "supply_request").order_by("-created_at", "-id")
    serializer_class = GuestRequestSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["people.view_person"], "POST": ["people.view_person", "people.change_person"]}
    filterset_fields = ["status", "kind", "person"]

    @extend_schema(
        request=GuestRequestWriteSerializer,
        responses={201: GuestRequestSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        writer = GuestRequestWriteSerializer(data=request.data)
        writer.is_valid(raise_exception=True)
        data = writer.validated_data
        person = get_scoped_or_404(Person.objects.all(), request.user, pk=data["person"])
        site = _by_code(Site, data["site"], "site", OccupancyInvalid, "场所")
        made = actions.record_guest_request(
            person,
            site,
            kind=data["kind"],
            text=data["text"],
            item=_item(data.get("item")),
            qty=data.get("qty"),
            needed_by=data.get("needed_by"),
            actor=request.user,
        )
        return Response(GuestRequestSerializer(made).data, status=CREATED)

    @extend_schema(
        request=GuestRequestConvertSerializer,
        responses={200: GuestRequestSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        required_perms={"POST": ["people.view_person", "people.convert_guest_request"]},
    )
    def convert(self, request: Request, pk: str | None = None) -> Response:
        """Turn the guest request into a submitted distribution request (item, quantity, date)."""
        guest_request = self.get_object()
        writer = GuestRequestConvertSerializer(data=request.data)
        writer.is_valid(raise_exception=True)
        data = writer.validated_data
        converted = actions.convert_guest_request(
            guest_request,
            item=_item(data.get("item")),
            qty=data.get("qty"),
            needed_by=data.get("needed_by"),
            actor=request.user,
        )
        return Response(GuestRequestSerializer(converted).data)


routes = [
    ("people/persons", PersonViewSet, "person"),
    ("people/tests", HealthTestViewSet, "health-test"),
    ("people/deployments", DeploymentViewSet, "deployment"),
    ("people/incidents", IncidentViewSet, "incident"),
    ("people/guest-requests", GuestRequestViewSet, "guest-request"),
]
