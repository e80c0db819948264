"""REST API of procurement: suppliers, purchase orders, goods receipts, inspections, counterfeit cases.

Write payloads name items and warehouses by their ``code``; every write calls one action.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from baogong.catalog.models import Item
from baogong.catalog.resolvers import UNKNOWN_ITEM, items_by_code
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
    text_field,
)
from baogong.core.errors import ValidationFailed
from baogong.core.permissions import HasPerms
from baogong.core.scoping import get_scoped_or_404
from baogong.inventory.models import Lot
from baogong.orgs.models import Organisation, Site
from baogong.orgs.resolvers import UNKNOWN_SITE, sites_by_code
from baogong.procurement import actions, queries
from baogong.procurement.choices import InspectionDecision, LicenceKind, SampleResult, SupplyCategory
from baogong.procurement.filters import OrderFilter, SupplierFilter
from baogong.procurement.models import (
    CounterfeitCase,
    Inspection,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    Supplier,
    SupplierLicence,
)


# --- serializers ------------------------------------------------------------------------------
class LicenceSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = SupplierLicence
        fields = ["id", "kind", "number", "scope", "issued_on", "expires_on", "document"]
        read_only_fields = fields


class SupplierSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    organisation = CodeRelatedField(queryset=Organisation.objects.all())
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=SupplyCategory.choices), max_length=len(SupplyCategory.choices)
    )
    licences = LicenceSerializer(many=True, read_only=True)

    class Meta:
        model = Supplier
        fields = [
            "id",
            "organisation",
            "name",
            "uscc",
            "uscc_warnings",
            "legal_representative",
            "contact_name",
            "contact_phone",
            "address",
            "categories",
            "status",
            "status_reason",
            "status_decided_at",
            "licences",
        ]
        read_only_fields = ["id", "uscc_warnings", "status", "status_reason", "status_decided_at", "licences"]
        extra_kwargs: ClassVar[dict[str, Any]] = {"uscc": {"validators": []}}


class ReasonIn(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class LicenceIn(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=LicenceKind.choices)
    number = serializers.CharField(max_length=64)
    scope = text_field(max_length=2000, required=False, allow_blank=True, default="")
    issued_on = date_field(required=False, allow_null=True, default=None)
    expires_on = date_field(required=False, allow_null=True, default=None)
    document = serializers.FileField(required=False, allow_null=True, default=None)


class OrderLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    item: serializers.SlugRelatedField[Item] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    warehouse: serializers.SlugRelatedField[Site] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "item",
            "qty",
            "unit_price",
            "delivery_date",
            "warehouse",
            "reference_price",
            "last_price",
            "is_price_flagged",
            "price_reason",
            "received_qty",
        ]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    organisation: serializers.SlugRelatedField[Organisation] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    lines = OrderLineSerializer(many=True, read_only=True)
    number = serializers.CharField(read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "organisation",
            "supplier",
            "status",
            "status_reason",
            "total",
            "notes",
            "is_emergency",
            "emergency_reason",
            "needs_review",
            "submitted_at",
            "approved_at",
            "lines",
        ]
        read_only_fields = fields


class OrderLineIn(serializers.Serializer[Any]):
    item = code_field(help_text="Item code")
    qty = qty_field()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    delivery_date = date_field()
    warehouse = code_field(help_text="Site code")
    price_reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class OrderIn(serializers.Serializer[Any]):
    supplier = id_field(help_text="Supplier id")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    lines = serializers.ListField(child=OrderLineIn(), allow_empty=False, max_length=MAX_LIST)


class SubmitIn(serializers.Serializer[Any]):
    emergency = serializers.BooleanField(required=False, default=False)
    emergency_reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class ReceiptSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    item = serializers.CharField(source="line.item.code", read_only=True)
    batch = serializers.CharField(source="lot.batch", read_only=True)
    qc_status = serializers.CharField(source="lot.qc_status", read_only=True)

    class Meta:
        model = PurchaseReceipt
        fields = ["id", "order", "line", "lot", "item", "batch", "qc_status", "qty", "received_at", "is_on_time"]
        read_only_fields = fields


class ReceiveLineIn(serializers.Serializer[Any]):
    line = id_field(help_text="Order line id")
    qty = qty_field()
    batch = serializers.CharField(max_length=64)
    production_date = date_field(required=False, allow_null=True, default=None)
    expiry = date_field(required=False, allow_null=True, default=None)


class ReceiveIn(serializers.Serializer[Any]):
    order = id_field(help_text="Purchase order id")
    delivery_note = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    lines = serializers.ListField(child=ReceiveLineIn(), allow_empty=False, max_length=1000)


class InspectionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Inspection
        fields = [
            "id",
            "lot",
            "receipt",
            "registration_number",
            "registrant",
            "batch",
            "production_date",
            "expiry",
            "has_inspection_report",
            "packaging_ok",
            "packaging_findings",
            "sample_result",
            "findings",
            "red_flags",
            "decision",
            "reason",
            "inspected_at",
        ]
        read_only_fields = fields


class InspectionIn(serializers.Serializer[Any]):
    lot = id_field(help_text="Lot id")
    registration_number = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    registrant = serializers.CharField(required=False, allow_blank=True, max_length=128, default="")
    batch = serializers.CharField(max_length=64)
    production_date = date_field(required=False, allow_null=True, default=None)
    expiry = date_field(required=False, allow_null=True, default=None)
    has_inspection_report = serializers.BooleanField(required=False, default=False)
    packaging_ok = serializers.BooleanField(required=False, default=True)
    packaging_findings = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    sample_result = serializers.ChoiceField(choices=SampleResult.choices, required=False, default="not_tested")
    decision = serializers.ChoiceField(choices=InspectionDecision.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class RecallRowOut(serializers.Serializer[Any]):
    batch = serializers.CharField()
    site_code = serializers.CharField()
    site_name = serializers.CharField()
    qty = serializers.IntegerField()
    first_at = serializers.DateTimeField()
    last_at = serializers.DateTimeField()
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()


class CaseSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    recall = serializers.SerializerMethodField()

    class Meta:
        model = CounterfeitCase
        fields = ["id", "lot", "supplier", "item", "reason", "marked_at", "lots", "blocked_orders", "recall"]
        read_only_fields = fields

    @extend_schema(exclude=False)
    def get_recall(self, case: CounterfeitCase) -> list[dict[str, Any]]:
        return RecallRowOut(queries.recall_rows(case), many=True).data  # type: ignore[return-value]


class CaseIn(serializers.Serializer[Any]):
    lot = id_field(help_text="Lot id")
    reason = serializers.CharField(max_length=255)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(details={field: [message]})


# --- viewsets ---------------------------------------------------------------------------------
class SupplierViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Suppliers of the caller's organisations. Writes: register, licences, approve/suspend/blacklist."""

    queryset = Supplier.objects.select_related("organisation").prefetch_related("licences").order_by("name", "pk")
    serializer_class = SupplierSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["procurement.view_supplier"], "POST": ["procurement.add_supplier"]}
    filterset_class = SupplierFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses={201: SupplierSerializer, 400: ErrorSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        supplier = actions.register_supplier(serializer.validated_data, actor=request.user)
        return Response(self.get_serializer(supplier).data, status=CREATED)

    @extend_schema(request=LicenceIn, responses={201: LicenceSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"], required_perms={"POST": ["procurement.add_supplierlicence"]})
    def licences(self, request: Request, pk: str | None = None) -> Response:
        supplier = self.get_object()
        data = LicenceIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        document = values.pop("document", None)
        licence = actions.add_licence(supplier, values, document=document, actor=request.user)
        return Response(LicenceSerializer(licence, context={"request": request}).data, status=CREATED)

    def _status(self, request: Request, verb: str) -> Response:
        supplier = self.get_object()
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"]
        if verb == "approve":
            supplier = actions.approve_supplier(supplier, reason=reason, actor=request.user)
        elif verb == "suspend":
            supplier = actions.suspend_supplier(supplier, reason=reason, actor=request.user)
        else:
            actions.blacklist_supplier(supplier, reason=reason, actor=request.user)
            supplier.refresh_from_db()
        return Response(SupplierSerializer(supplier, context={"request": request}).data)

    @extend_schema(request=ReasonIn, responses={200: SupplierSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], required_perms={"POST": ["procurement.review_supplier"]})
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._status(request, "approve")

    @extend_schema(request=ReasonIn, responses={200: SupplierSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], required_perms={"POST": ["procurement.review_supplier"]})
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        return self._status(request, "suspend")

    @extend_schema(request=ReasonIn, responses={200: SupplierSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"], required_perms={"POST": ["procurement.review_supplier"]})
    def blacklist(self, request: Request, pk: str | None = None) -> Response:
        return self._status(request, "blacklist")


class OrderViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Requisitions and purchase orders. POST creates a draft; submit/approve/reject move it on."""

    queryset = PurchaseOrder.objects.select_related("organisation").prefetch_related("lines__item", "lines__warehouse")
    serializer_class = OrderSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["procurement.view_purchaseorder"], "POST": ["procurement.add_purchaseorder"]}
    filterset_class = OrderFilter

    @extend_schema(request=OrderIn, responses={201: OrderSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = OrderIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        supplier = get_scoped_or_404(Supplier.objects.all(), request.user, pk=values["supplier"])
        items = items_by_code(ln["item"] for ln in values["lines"])
        sites = sites_by_code(ln["warehouse"] for ln in values["lines"])
        errors: dict[str, Any] = {}
        for i, ln in enumerate(values["lines"]):
            if ln["item"] not in items:
                errors.setdefault(f"lines[{i}]", {})["item"] = [str(UNKNOWN_ITEM)]
            if ln["warehouse"] not in sites:
                errors.setdefault(f"lines[{i}]", {})["warehouse"] = [str(UNKNOWN_SITE)]
        if errors:
            raise ValidationFailed(details=errors)
        lines = [
            actions.OrderLineInput(
                item=items[ln["item"]],
                qty=ln["qty"],
                unit_price=ln["unit_price"],
                delivery_date=ln["delivery_date"],
                warehouse=sites[ln["warehouse"]],
                price_reason=ln["price_reason"],
            )
            for ln in values["lines"]
        ]
        order = actions.create_order(supplier.organisation, supplier, lines, actor=request.user, notes=values["notes"])
        return Response(OrderSerializer(order).data, status=CREATED)

    @extend_schema(request=SubmitIn, responses={200: OrderSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        data = SubmitIn(data=request.data)
        data.is_valid(raise_exception=True)
        order = actions.submit_order(
            order,
            actor=request.user,
            emergency=data.validated_data["emergency"],
            emergency_reason=data.validated_data["emergency_reason"],
        )
        return Response(OrderSerializer(order).data)

    @extend_schema(request=ReasonIn, responses={200: OrderSerializer, 403: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], required_perms={"POST": ["procurement.approve_purchaseorder"]})
    def approve(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        order = actions.approve_order(order, actor=request.user, comment=data.validated_data["reason"])
        return Response(OrderSerializer(order).data)

    @extend_schema(request=ReasonIn, responses={200: OrderSerializer, 403: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], required_perms={"POST": ["procurement.approve_purchaseorder"]})
    def reject(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        order = actions.reject_order(order, reason=data.validated_data["reason"], actor=request.user)
        return Response(OrderSerializer(order).data)


class ReceiptViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Goods received against purchase orders, each into a pending lot."""

    queryset = PurchaseReceipt.objects.select_related("line__item", "lot").order_by("-received_at", "-pk")
    serializer_class = ReceiptSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["procurement.view_purchasereceipt"], "POST": ["procurement.add_purchasereceipt"]}
    filterset_fields = ["order"]

    @extend_schema(
        request=ReceiveIn, responses={201: ReceiptSerializer(many=True), 400: ErrorSerializer, 409: ErrorSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ReceiveIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = get_scoped_or_404(queries.orders_for(request.user), request.user, pk=values["order"])
        lines = {ln.pk: ln for ln in order.lines.all()}
        for i, ln in enumerate(values["lines"]):
            if ln["line"] not in lines:
                raise ValidationFailed(details={f"lines[{i}]": {"line": [_("The line is not part of this order.")]}})
        created = actions.receive_against_order(
            order,
            [
                actions.ReceiveLineInput(
                    line=lines[ln["line"]],
                    qty=ln["qty"],
                    batch=ln["batch"],
                    production_date=ln["production_date"],
                    expiry=ln["expiry"],
                )
                for ln in values["lines"]
            ],
            actor=request.user,
            delivery_note=values["delivery_note"],
        )
        return Response(ReceiptSerializer(created, many=True).data, status=CREATED)


class InspectionViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Inspections of received lots; POST records one and releases, quarantines or rejects the lot."""

    queryset = Inspection.objects.order_by("-inspected_at", "-pk")
    serializer_class = InspectionSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["procurement.view_inspection"], "POST": ["procurement.add_inspection"]}
    filterset_fields = ["decision", "lot"]

    @extend_schema(request=InspectionIn, responses={201: InspectionSerializer, 400: ErrorSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = InspectionIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        receipt = get_scoped_or_404(queries.receipts_for(request.user), request.user, lot_id=values.pop("lot"))
        decision, reason = values.pop("decision"), values.pop("reason")
        inspection = actions.inspect_lot(
            receipt.lot, actions.InspectionInput(**values), decision=decision, reason=reason, actor=request.user
        )
        return Response(InspectionSerializer(inspection).data, status=CREATED)


class CounterfeitCaseViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Counterfeit cases with their recall list (recipients, quantities, dates, masked contacts)."""

    queryset = CounterfeitCase.objects.prefetch_related("lots", "blocked_orders").order_by("-marked_at", "-pk")
    serializer_class = CaseSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["procurement.view_recall"], "POST": ["procurement.mark_counterfeit"]}

    @extend_schema(request=CaseIn, responses={201: CaseSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CaseIn(data=request.data)
        data.is_valid(raise_exception=True)
        lot_id = data.validated_data["lot"]
        receipts = queries.receipts_for(request.user).filter(lot_id=lot_id)
        if not receipts.exists():
            raise _invalid("lot", _("No lot of yours was received with this id."))
        lot = Lot.objects.get(pk=lot_id)
        case = actions.mark_lot_counterfeit(lot, reason=data.validated_data["reason"], actor=request.user)
        return Response(CaseSerializer(case).data, status=CREATED)


routes = [
    ("procurement/suppliers", SupplierViewSet, "procurement-supplier"),
    ("procurement/orders", OrderViewSet, "procurement-order"),
    ("procurement/receipts", ReceiptViewSet, "procurement-receipt"),
    ("procurement/inspections", InspectionViewSet, "procurement-inspection"),
    ("procurement/counterfeit-cases", CounterfeitCaseViewSet, "procurement-counterfeit-case"),
]
