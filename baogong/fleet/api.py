"""REST API of the fleet: vehicles, passes, route plans (read) and the dispatch check."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from baogong.core.api import (
    MAX_LIST,
    ErrorSerializer,
    ScopedReadOnlyViewSet,
    code_field,
    date_field,
    id_field,
    text_field,
)
from baogong.core.errors import ValidationFailed
from baogong.core.permissions import HasPerms
from baogong.core.scoping import scoped
from baogong.fleet import queries
from baogong.fleet.actions.vehicles import VEHICLE_FIELDS
from baogong.fleet.filters import VehicleFilter
from baogong.fleet.models import Driver, PlannedRoute, RoutePlan, RouteStop, Vehicle, VehiclePass
from baogong.orgs.models import Site


class VehicleSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    organisation: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    home_depot: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Vehicle
        fields = ["id", *VEHICLE_FIELDS]


class DriverSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A registered driver: the id a shipment's load takes; ``person`` is the person record whose
    health clears the driver (a driver without one cannot load). No licence or phone numbers."""

    organisation: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Driver
        fields = ["id", "name", "organisation", "person", "licence_class", "licence_expiry", "is_active"]


class PassSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    vehicle: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="plate", read_only=True)
    areas: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )

    class Meta:
        model = VehiclePass
        fields = [
            "id",
            "number",
            "vehicle",
            "areas",
            "route_description",
            "valid_from",
            "valid_until",
            "issuing_body",
            "revoked",
        ]


class StopSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    site: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RouteStop
        fields = [
            "id",
            "position",
            "site",
            "reference",
            "demand_kg",
            "demand_litres",
            "demand_cases",
            "eta",
            "km_from_previous",
            "late_minutes",
        ]


class RouteSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    vehicle: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="plate", read_only=True)
    stops = serializers.SerializerMethodField()

    class Meta:
        model = PlannedRoute
        fields = [
            "id",
            "vehicle",
            "driver",
            "km",
            "start",
            "end",
            "load_kg",
            "load_litres",
            "load_cases",
            "problems",
            "stops",
        ]

    def get_stops(self, obj: PlannedRoute) -> list[dict[str, Any]]:
        return list(StopSerializer(obj.stops.select_related("site").order_by("position"), many=True).data)


class PlanSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    organisation: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    routes = serializers.SerializerMethodField()

    class Meta:
        model = RoutePlan
        fields = ["id", "organisation", "date", "status", "total_km", "detour_factor", "speed_kmh", "routes"]

    def get_routes(self, obj: RoutePlan) -> list[dict[str, Any]]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        qs = queries.routes_visible(obj, user) if user is not None else obj.routes.all()
        return list(RouteSerializer(qs, many=True).data)


class VehicleViewSet(ScopedReadOnlyViewSet):
    queryset = Vehicle.objects.select_related("organisation", "home_depot").order_by("plate")
    serializer_class = VehicleSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["fleet.view_vehicle"]}
    filterset_class = VehicleFilter


class DriverViewSet(ScopedReadOnlyViewSet):
    queryset = Driver.objects.select_related("organisation").order_by("name", "pk")
    serializer_class = DriverSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["fleet.view_driver"]}
    filterset_fields = ["is_active", "licence_class"]


class PassViewSet(ScopedReadOnlyViewSet):
    queryset = VehiclePass.objects.select_related("vehicle").prefetch_related("areas").order_by("number")
    serializer_class = PassSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["fleet.view_vehiclepass"]}
    filterset_fields = ["number", "revoked"]


class PlanViewSet(ScopedReadOnlyViewSet):
    queryset = RoutePlan.objects.select_related("organisation").order_by("-date", "-pk")
    serializer_class = PlanSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["fleet.view_routeplan"]}
    filterset_fields = ["date", "status"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return queries.plans_for(self.request.user).order_by("-date", "-pk")


class DispatchCheckRequest(serializers.Serializer[Any]):
    vehicle = text_field(max_length=16, help_text="plate")
    driver = id_field(required=False, allow_null=True, help_text="driver id")
    date = date_field()
    sites = serializers.ListField(child=code_field(), allow_empty=True, max_length=MAX_LIST, help_text="site codes")


class DispatchCheckAnswer(serializers.Serializer[Any]):
    allowed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class DispatchCheckView(APIView):
    """May this vehicle with this driver carry goods to these sites on this day? Says why not."""

    permission_classes = [HasPerms]
    required_perms = {"POST": ["fleet.check_dispatch"]}

    @extend_schema(request=DispatchCheckRequest, responses={200: DispatchCheckAnswer, 400: ErrorSerializer})
    def post(self, request: Request) -> Response:
        body = DispatchCheckRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        errors: dict[str, list[str]] = {}
        vehicle = scoped(Vehicle.objects.all(), request.user).filter(plate=data["vehicle"].strip().upper()).first()
        if vehicle is None:
            errors["vehicle"] = ["无此车辆 / no such vehicle"]
        driver = None
        if data.get("driver") is not None:
            driver = scoped(Driver.objects.all(), request.user).filter(pk=data["driver"]).first()
            if driver is None:
                errors["driver"] = ["无此司机 / no such driver"]
        codes = list(dict.fromkeys(data["sites"]))
        sites = list(Site.objects.filter(code__in=codes).select_related("area__parent"))
        missing = sorted(set(codes) - {s.code for s in sites})
        if missing:
            errors["sites"] = [f"无此场所 / no such site: {', '.join(missing)}"]
        if errors:
            raise ValidationFailed(details=errors)
        assert vehicle is not None
        on_date: dt.date = data["date"]
        reasons = queries.dispatch_refusals(vehicle, driver, on_date, sites)
        return Response({"allowed": not reasons, "reasons": reasons})


routes = [
    ("fleet/vehicles", VehicleViewSet, "fleet-vehicle"),
    ("fleet/drivers", DriverViewSet, "fleet-driver"),
    ("fleet/passes", PassViewSet, "fleet-pass"),
    ("fleet/plans", PlanViewSet, "fleet-plan"),
]
api_urlpatterns = [path("fleet/dispatch-check/", DispatchCheckView.as_view(), name="fleet-dispatch-check")]
