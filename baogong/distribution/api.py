"""REST API: requests and their approval, allocation runs (preview/confirm), shipments, delivery."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request as HttpRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from baogong.catalog.models import Item
from baogong.core import field
from baogong.core.api import (
    CREATED,
    MAX_LIST,
    CodeRelatedField,
    ErrorSerializer,
    ScopedReadOnlyViewSet,
    code_field,
    date_field,
    id_field,
    qty_field,
    record_step,
    text_field,
)
from baogong.core.errors import NotFound
from baogong.core.identifiers import mask_phone
from baogong.core.permissions import HasPerms
from baogong.core.scoping import get_scoped_or_404, scoped
from baogong.distribution import actions, queries
from baogong.distribution.actions import DeliveryLineInput, LineInput
from baogong.distribution.choices import Disposition, RequestChannel
from baogong.distribution.models import AllocationLine, AllocationRun, Request, RequestLine, Shipment, ShipmentLine
from baogong.orgs.models import Site


def _site(code: str, field: str, user: Any) -> Site:
    """The site of this code among the user's organisations; one outside them is, for this user,
    not there (404, as for an unknown code), never a hint that it exists."""
    site = scoped(Site.objects.filter(code=code), user).first()
    if site is None:
        raise NotFound(details={field: [f"no such site: {code}"]})
    return site


# --------------------------------------------------------------------------- requests


class RequestLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    item = serializers.CharField(source="item.code", read_only=True)
    outstanding = serializers.IntegerField(read_only=True)

    class Meta:
        model = RequestLine
        fields = [
            "id",
            "item",
            "qty",
            "needed_by",
            "approved_qty",
            "cut_reason",
            "allocated_qty",
            "outstanding",
            "shipped_qty",
            "delivered_qty",
        ]


class RequestSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    recipient = serializers.CharField(source="recipient.code", read_only=True)
    lines = RequestLineSerializer(many=True, read_only=True)
    submitter_phone = serializers.SerializerMethodField()

    class Meta:
        model = Request
        fields = [
            "id",
            "number",
            "recipient",
            "status",
            "channel",
            "note",
            "submitter_name",
            "submitter_phone",
            "created_at",
            "submitted_at",
            "decided_at",
            "rejection_reason",
            "cancel_reason",
            "warnings",
            "lines",
        ]

    def get_submitter_phone(self, obj: Request) -> str:
        return mask_phone(obj.submitter_phone) if obj.submitter_phone else ""


class LineInputSerializer(serializers.Serializer[Any]):
    item = CodeRelatedField(queryset=Item.objects.filter(is_active=True))
    qty = qty_field()
    needed_by = date_field()


class RequestCreateSerializer(serializers.Serializer[Any]):
    recipient = code_field(help_text="site code")
    lines = serializers.ListField(child=LineInputSerializer(), allow_empty=False, max_length=MAX_LIST)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    submit = serializers.BooleanField(required=False, default=False)


class CutSerializer(serializers.Serializer[Any]):
    line = id_field()
    approved_qty = qty_field(min_value=0)
    reason = text_field(max_length=255, allow_blank=True, default="")


class ApproveSerializer(serializers.Serializer[Any]):
    cuts = serializers.ListField(child=CutSerializer(), required=False, default=list, max_length=MAX_LIST)


class ReasonSerializer(serializers.Serializer[Any]):
    reason = text_field(max_length=255)


class RequestViewSet(ScopedReadOnlyViewSet):
    """Supply requests of recipients; filing, submission, approval (with cuts), rejection, cancellation."""

    queryset = Request.objects.select_related("recipient").prefetch_related("lines__item").order_by("-id")
    serializer_class = RequestSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["distribution.view_request"], "POST": ["distribution.add_request"]}
    filterset_fields = ["status", "channel"]

    def get_permissions(self) -> Any:
        perms = {
            "submit": ["distribution.submit_request"],
            "approve": ["distribution.approve_request"],
            "reject": ["distribution.approve_request"],
            "cancel": ["distribution.cancel_request"],
        }
        if self.action in perms:
            self.required_perms = {"POST": perms[self.action]}
        return super().get_permissions()

    def _respond(self, request: Request, status: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=request.pk)  # type: ignore[no-untyped-call]
        return Response(RequestSerializer(fresh).data, status=status)

    @extend_schema(request=RequestCreateSerializer, responses={201: RequestSerializer, 400: ErrorSerializer})
    def create(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        data = RequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        made = actions.file_request(
            _site(v["recipient"], "recipient", request.user),
            [LineInput(item=li["item"], qty=li["qty"], needed_by=li["needed_by"]) for li in v["lines"]],
            actor=request.user,
            channel=RequestChannel.API,
            note=v["note"],
            submit=v["submit"],
        )
        return self._respond(made, CREATED)

    @record_step(RequestSerializer)
    def submit(self, request: HttpRequest, data: Any) -> Response:
        return self._respond(actions.submit_request(self.get_object(), actor=request.user))

    @record_step(RequestSerializer, body=ApproveSerializer)
    def approve(self, request: HttpRequest, data: Any) -> Response:
        cuts = {c["line"]: (c["approved_qty"], c["reason"]) for c in data["cuts"]}
        return self._respond(actions.approve_request(self.get_object(), actor=request.user, cuts=cuts))

    @record_step(RequestSerializer, body=ReasonSerializer)
    def reject(self, request: HttpRequest, data: Any) -> Response:
        return self._respond(actions.reject_request(self.get_object(), reason=data["reason"], actor=request.user))

    @record_step(RequestSerializer, body=ReasonSerializer)
    def cancel(self, request: HttpRequest, data: Any) -> Response:
        return self._respond(actions.cancel_request(self.get_object(), reason=data["reason"], actor=request.user))


# --------------------------------------------------------------------------- allocation runs


class AllocationLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    request = serializers.CharField(source="request_line.request.number", read_only=True)
    recipient = serializers.CharField(source="request_line.request.recipient.code", read_only=True)
    item = serializers.CharField(source="request_line.item.code", read_only=True)

    class Meta:
        model = AllocationLine
        fields = [
            "id",
            "request",
            "recipient",
            "item",
            "request_line",
            "tier",
            "outstanding",
            "entitlement",
            "claim",
            "qty",
            "basis",
            "available",
            "tier_total",
            "share",
            "remainder",
            "rank",
            "extra_unit",
            "sources",
        ]


class AllocationRunSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    warehouses = serializers.SerializerMethodField()
    lines = AllocationLineSerializer(many=True, read_only=True)

    class Meta:
        model = AllocationRun
        fields = ["id", "status", "warehouses", "created_at", "confirmed_at", "summary", "lines"]

    def get_warehouses(self, obj: AllocationRun) -> list[str]:
        return [w.code for w in obj.warehouses.all()]


class PreviewSerializer(serializers.Serializer[Any]):
    warehouses = serializers.ListField(child=code_field(), max_length=MAX_LIST, help_text="warehouse site codes")
    requests = serializers.ListField(
        child=id_field(), required=False, allow_null=True, default=None, max_length=10 * MAX_LIST
    )


class AllocationRunViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """Allocation runs: POST a preview (warehouses, optional request ids), then confirm or discard."""

    queryset = AllocationRun.objects.prefetch_related(
        "warehouses", "lines__request_line__request__recipient", "lines__request_line__item"
    ).order_by("-id")
    serializer_class = AllocationRunSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["distribution.view_allocationrun"], "POST": ["distribution.run_allocation"]}

    @extend_schema(request=PreviewSerializer, responses={201: AllocationRunSerializer, 400: ErrorSerializer})
    def create(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        data = PreviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        warehouses = [_site(code, "warehouses", request.user) for code in data.validated_data["warehouses"]]
        run = actions.preview_allocation(warehouses, actor=request.user, request_ids=data.validated_data["requests"])
        return Response(AllocationRunSerializer(self.get_queryset().get(pk=run.pk)).data, status=CREATED)

    def _respond(self, run: AllocationRun) -> Response:
        return Response(AllocationRunSerializer(self.get_queryset().get(pk=run.pk)).data)

    @record_step(AllocationRunSerializer)
    def confirm(self, request: HttpRequest, data: Any) -> Response:
        return self._respond(actions.confirm_allocation(self.get_object(), actor=request.user))

    @record_step(AllocationRunSerializer)
    def discard(self, request: HttpRequest, data: Any) -> Response:
        return self._respond(actions.discard_allocation(self.get_object(), actor=request.user))


# --------------------------------------------------------------------------- shipments


class ShipmentLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    item = serializers.CharField(source="item.code", read_only=True)
    lot = serializers.CharField(source="lot.batch", read_only=True)
    location = serializers.CharField(source="from_location.code", read_only=True)
    request = serializers.CharField(source="request_line.request.number", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["id", "request", "item", "lot", "location", "qty", "unit_cost", "received_qty", "damaged_qty"]


class ShipmentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    recipient = serializers.CharField(source="recipient.code", read_only=True)
    lines = ShipmentLineSerializer(many=True, read_only=True)
    delivery_url = serializers.SerializerMethodField()
    delivery_version = serializers.SerializerMethodField()

    class Meta:
        model = Shipment
        fields = [
            "id",
            "number",
            "delivery_url",
            "delivery_version",
            "warehouse",
            "recipient",
            "status",
            "vehicle_id",
            "vehicle_plate",
            "driver_id",
            "driver_name",
            "transport_legacy",
            "picked_at",
            "loaded_at",
            "dispatched_at",
            "delivered_at",
            "received_by",
            "lines",
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_delivery_url(self, obj: Shipment) -> str | None:
        """The proof-of-delivery page (the receiver's link), for users who may dispatch."""
        request = self.context.get("request")
        if request is None or not request.user.has_perm("distribution.dispatch_shipment"):
            return None
        return str(request.build_absolute_uri(reverse("distribution:delivery_page", args=[obj.pod_token])))

    def get_delivery_version(self, obj: Shipment) -> str:
        """What an offline confirmation is based on (send it back as ``based_on``)."""
        return obj.delivery_version()


class PlanSerializer(serializers.Serializer[Any]):
    warehouses = serializers.ListField(
        child=code_field(), required=False, allow_null=True, default=None, max_length=MAX_LIST
    )


class LoadSerializer(serializers.Serializer[Any]):
    """A registered vehicle and driver (ids of ``/api/v1/fleet/vehicles/`` and ``/api/v1/fleet/drivers/``);
    left out, those a route plan assigned. Free-text plates and names are no longer taken."""

    vehicle_id = id_field(required=False, allow_null=True, default=None)
    driver_id = id_field(required=False, allow_null=True, default=None)


class DeliveryLineSerializer(serializers.Serializer[Any]):
    line = id_field()
    received = qty_field(min_value=0)
    damaged = qty_field(min_value=0, default=0)


class DeliverySerializer(serializers.Serializer[Any]):
    lines = serializers.ListField(child=DeliveryLineSerializer(), max_length=MAX_LIST)
    received_by = text_field(max_length=64)
    receiver_phone = text_field(max_length=32)
    client_token = serializers.CharField(max_length=64, required=False, default="")
    event_id = serializers.CharField(max_length=64, required=False, default="")
    based_on = serializers.CharField(max_length=64, required=False, default="")
    shortage_disposition = serializers.ChoiceField(choices=Disposition.choices, default=Disposition.RETURN)
    reason = text_field(max_length=255, required=False, allow_blank=True, default="")


class ShipmentViewSet(ScopedReadOnlyViewSet):
    """Shipments: plan from confirmed allocations, pick, load, dispatch, record delivery, close."""

    queryset = (
        Shipment.objects.select_related("warehouse", "recipient")
        .prefetch_related("lines__item", "lines__lot", "lines__from_location", "lines__request_line__request")
        .order_by("-id")
    )
    serializer_class = ShipmentSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["distribution.view_shipment"], "POST": ["distribution.plan_shipment"]}
    filterset_fields = ["status"]

    def get_permissions(self) -> Any:
        perms = {
            "pick": "pick_shipment",
            "load": "load_shipment",
            "dispatch_shipment": "dispatch_shipment",
            "deliver": "dispatch_shipment",
            "close": "close_shipment",
        }
        if self.action in perms:
            self.required_perms = {"POST": [f"distribution.{perms[self.action]}"]}
        return super().get_permissions()

    def _respond(self, shipment: Shipment) -> Response:
        row = self.get_queryset().get(pk=shipment.pk)  # type: ignore[no-untyped-call]
        return Response(ShipmentSerializer(row, context={"request": self.request}).data)

    @extend_schema(request=PlanSerializer, responses={201: ShipmentSerializer(many=True)})
    @action(detail=False, methods=["post"], pagination_class=None)
    def plan(self, request: HttpRequest) -> Response:
        data = PlanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        codes = data.validated_data["warehouses"]
        warehouses = [_site(c, "warehouses", request.user) for c in codes] if codes else None
        made = actions.plan_shipments(actor=request.user, warehouses=warehouses)
        qs = self.get_queryset().filter(pk__in=[s.pk for s in made])  # type: ignore[no-untyped-call]
        return Response(ShipmentSerializer(qs, many=True, context={"request": request}).data, status=CREATED)

    @record_step(ShipmentSerializer)
    def pick(self, request: HttpRequest, data: Any) -> Response:
        return self._respond(actions.pick_shipment(self.get_object(), actor=request.user))

    @record_step(ShipmentSerializer, body=LoadSerializer)
    def load(self, request: HttpRequest, data: Any) -> Response:
        return self._respond(actions.load_shipment(self.get_object(), actor=request.user, **data))

    @record_step(ShipmentSerializer, url_path="dispatch")
    def dispatch_shipment(self, request: HttpRequest, data: Any) -> Response:
        return self._respond(actions.dispatch_shipment(self.get_object(), actor=request.user))

    @extend_schema(
        request=DeliverySerializer,
        responses={200: ShipmentSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        description=(
            "Record the delivery. `event_id` (or `client_token`, or the `Idempotency-Key` header) is the "
            "device's id of the submission: a replay answers the first result. `based_on` is the "
            "`delivery_version` the client saw: when the shipment changed since, nothing is applied, the "
            "submission is kept for review and the answer is 409 `field_conflict`."
        ),
    )
    @action(detail=True, methods=["post"])
    def deliver(self, request: HttpRequest, pk: str | None = None) -> Response:
        data = DeliverySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        token = v["client_token"] or v["event_id"] or (request.headers.get("Idempotency-Key") or "").strip()[:64]
        shipment = self.get_object()
        try:
            shipment = actions.record_delivery(
                shipment,
                [DeliveryLineInput(li["line"], li["received"], li["damaged"]) for li in v["lines"]],
                received_by=v["received_by"],
                receiver_phone=v["receiver_phone"],
                client_token=token,
                shortage_disposition=v["shortage_disposition"],
                reason=v["reason"],
                based_on=v["based_on"],
                actor=request.user,
            )
        except field.StaleVersion as stale:
            if token:
                field.record_conflict(
                    event=token,
                    kind="delivery",
                    object_label=f"{shipment.number} → {shipment.recipient.name}",
                    link=reverse("distribution:shipment_detail", args=[shipment.pk]),
                    permission="distribution.dispatch_shipment",
                    organisation_id=shipment.warehouse.organisation_id,
                    site_id=shipment.warehouse_id,
                    based_on=v["based_on"],
                    stale=stale,
                    payload=queries.delivery_review_payload(
                        shipment.lines.select_related("item", "lot").order_by("pk"),
                        {li["line"]: (li["received"], li["damaged"]) for li in v["lines"]},
                        reason=v["reason"],
                        disposition=v["shortage_disposition"],
                        received_by=v["received_by"],
                        receiver_phone=v["receiver_phone"],
                    ),
                    actor=request.user,
                )
            raise
        return self._respond(shipment)

    @record_step(ShipmentSerializer)
    def close(self, request: HttpRequest, data: Any) -> Response:
        return self._respond(actions.close_shipment(self.get_object(), actor=request.user))


# --------------------------------------------------------------------------- re-plan (重新调配)


class ReplanMoveSerializer(serializers.Serializer[Any]):
    item = serializers.CharField()
    item_name = serializers.CharField()
    request = serializers.CharField()
    recipient = serializers.CharField()
    recipient_name = serializers.CharField()
    tier = serializers.IntegerField()
    from_warehouse = serializers.CharField()
    to_warehouse = serializers.CharField()
    to_name = serializers.CharField()
    qty = serializers.IntegerField()
    km_before = serializers.FloatField()
    km_after = serializers.FloatField()


class ReplanShortSerializer(serializers.Serializer[Any]):
    item = serializers.CharField()
    item_name = serializers.CharField()
    request = serializers.CharField()
    recipient = serializers.CharField()
    recipient_name = serializers.CharField()
    tier = serializers.IntegerField()
    qty = serializers.IntegerField()


class ReplanSerializer(serializers.Serializer[Any]):
    warehouse = serializers.CharField()
    status = serializers.CharField()
    sources = serializers.ListField(child=serializers.CharField())
    units = serializers.IntegerField()
    moved_units = serializers.IntegerField()
    short_units = serializers.IntegerField()
    short_by_tier = serializers.DictField(child=serializers.IntegerField())
    extra_unit_km = serializers.FloatField()
    shipments_withdrawn = serializers.ListField(child=serializers.CharField())
    moves = ReplanMoveSerializer(many=True)
    shorts = ReplanShortSerializer(many=True)
    fingerprint = serializers.CharField(help_text="send it back to confirm exactly this diff")


class ReplanConfirmSerializer(serializers.Serializer[Any]):
    fingerprint = serializers.CharField(max_length=64)


class ReplanView(APIView):
    """重新调配: GET the diff of re-sourcing a warehouse that is not normal (nothing changes);
    POST its ``fingerprint`` to apply exactly that diff in one transaction (409 ``replan_stale``
    when it changed meanwhile)."""

    permission_classes = [HasPerms]
    required_perms = {"GET": ["distribution.run_allocation"], "POST": ["distribution.run_allocation"]}

    def _warehouse(self, request: HttpRequest, code: str) -> Site:
        return get_scoped_or_404(Site.objects.filter(kind="warehouse"), request.user, code=code)

    @extend_schema(responses={200: ReplanSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    def get(self, request: HttpRequest, code: str) -> Response:
        return Response(actions.preview_replan(self._warehouse(request, code), actor=request.user).as_dict())

    @extend_schema(
        request=ReplanConfirmSerializer,
        responses={
            200: ReplanSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
            415: ErrorSerializer,
        },
    )
    def post(self, request: HttpRequest, code: str) -> Response:
        body = ReplanConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        warehouse = self._warehouse(request, code)
        done = actions.replan_warehouse(warehouse, actor=request.user, expected=body.validated_data["fingerprint"])
        return Response(done.as_dict())


routes = [
    ("distribution/requests", RequestViewSet, "distribution-request"),
    ("distribution/allocation-runs", AllocationRunViewSet, "distribution-allocation-run"),
    ("distribution/shipments", ShipmentViewSet, "distribution-shipment"),
]

api_urlpatterns = [path("distribution/replan/<str:code>/", ReplanView.as_view(), name="distribution-replan")]

__all__ = ["api_urlpatterns", "get_scoped_or_404", "routes"]
