"""REST API of stock: receipts, issues, balances, lots. Payloads name sites and items by code."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Sum
from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from baogong.catalog.models import Item
from baogong.catalog.resolvers import UNKNOWN_ITEM, item_by_code
from baogong.core.api import (
    CREATED,
    ErrorSerializer,
    ScopedReadOnlyViewSet,
    code_field,
    date_field,
    error_body,
    money_field,
    qty_field,
)
from baogong.core.errors import ValidationFailed
from baogong.core.pagination import Pagination
from baogong.core.permissions import HasPerms
from baogong.core.scoping import user_scope
from baogong.inventory import actions, api_lean, api_scan, lookups, queries, resolvers
from baogong.inventory.choices import STOCK_KINDS, LocationKind, QcStatus
from baogong.inventory.errors import InsufficientStock
from baogong.inventory.models import Issue, Lot, Receipt
from baogong.orgs.models import Site
from baogong.orgs.resolvers import UNKNOWN_SITE, scoped_site


# --- serializers ------------------------------------------------------------------------------
class ReceiptLineIn(serializers.Serializer[Any]):
    item = code_field(help_text="Item code")
    lot = code_field(required=False, allow_blank=True, help_text="Batch number")
    expiry = date_field(required=False, allow_null=True)
    production_date = date_field(required=False, allow_null=True)
    qty = qty_field()
    unit_cost = money_field(decimal_places=4)
    location = code_field(required=False, allow_blank=True, help_text="Bin code at the warehouse")


class ReceiptIn(serializers.Serializer[Any]):
    warehouse = code_field(help_text="Site code")
    reference = serializers.CharField(required=False, allow_blank=True, max_length=128)
    supplier = serializers.CharField(required=False, allow_blank=True, max_length=128)
    qc_status = serializers.ChoiceField(
        choices=QcStatus.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="Omit to let the QC gate decide: goods that need inspection land as pending; "
        "only QC staff may ask for released.",
    )
    lines = serializers.ListField(child=ReceiptLineIn(), allow_empty=False, max_length=50_000)


class IssueLineIn(serializers.Serializer[Any]):
    item = code_field(help_text="Item code")
    qty = qty_field()
    lot = code_field(required=False, allow_blank=True, help_text="Batch number (else FEFO)")


class IssueIn(serializers.Serializer[Any]):
    warehouse = code_field(help_text="Site code")
    recipient = code_field(help_text="Site code (any site)")
    reference = serializers.CharField(required=False, allow_blank=True, max_length=128)
    lines = serializers.ListField(child=IssueLineIn(), allow_empty=False, max_length=5_000)


class DocumentLineOut(serializers.Serializer[Any]):
    item = serializers.CharField()
    lot = serializers.CharField()
    expiry = serializers.DateField(allow_null=True)
    location = serializers.CharField()
    qty = serializers.IntegerField()
    unit_cost = serializers.DecimalField(max_digits=14, decimal_places=4)


class ReceiptOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    warehouse = serializers.CharField()
    reference = serializers.CharField()
    qc_status = serializers.CharField()
    created_at = serializers.DateTimeField()
    lines = DocumentLineOut(many=True)


class IssueOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    warehouse = serializers.CharField()
    recipient = serializers.CharField()
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()
    lines = DocumentLineOut(many=True)


def _lines_out(lines: Any) -> list[dict[str, Any]]:
    return [
        {
            "item": line.item.code,
            "lot": line.lot.batch,
            "expiry": line.lot.expiry,
            "location": line.location.code,
            "qty": line.qty,
            "unit_cost": line.unit_cost,
        }
        for line in lines.select_related("item", "lot", "location")
    ]


def receipt_body(receipt: Receipt) -> dict[str, Any]:
    return ReceiptOut(
        {
            "id": receipt.pk,
            "number": receipt.number,
            "warehouse": receipt.warehouse.code,
            "reference": receipt.reference,
            "qc_status": receipt.qc_status,
            "created_at": receipt.created_at,
            "lines": _lines_out(receipt.lines),
        }
    ).data


def issue_body(issue: Issue) -> dict[str, Any]:
    """The issue as written: the primitive hands back its lines (``posted_lines``), nothing is re-read."""
    posted = getattr(issue, "posted_lines", None)
    if posted is not None:
        return api_lean.issue_body(
            pk=issue.pk,
            number=issue.number,
            warehouse=issue.warehouse.code,
            recipient=issue.recipient.code,
            reference=issue.reference,
            created_at=issue.created_at,
            lines=posted,
        )
    return IssueOut(
        {
            "id": issue.pk,
            "number": issue.number,
            "warehouse": issue.warehouse.code,
            "recipient": issue.recipient.code,
            "reference": issue.reference,
            "created_at": issue.created_at,
            "lines": _lines_out(issue.lines),
        }
    ).data


# --- views ------------------------------------------------------------------------------------
class ReceiptCreate(APIView):
    """Receive lots into a warehouse in the caller's scope (404 otherwise)."""

    permission_classes = [HasPerms]
    required_perms = {"POST": ["inventory.receive_stock"]}

    @extend_schema(request=ReceiptIn, responses={201: ReceiptOut, 400: ErrorSerializer, 404: ErrorSerializer})
    def post(self, request: Request) -> Response:
        data = ReceiptIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        warehouse = scoped_site(request.user, values["warehouse"])
        lines, errors = resolvers.receipt_lines(
            warehouse, values["lines"], batch_field="lot", stock_locations_only=False
        )
        if errors:
            raise ValidationFailed(details={"lines": resolvers.api_line_errors(errors)})
        receipt = actions.receive_stock(
            warehouse,
            lines,
            actor=request.user,
            reference=values.get("reference", ""),
            qc_status=values.get("qc_status"),
            supplier_ref=values.get("supplier", ""),
            supplier_name=values.get("supplier", ""),
        )
        return Response(receipt_body(receipt), status=CREATED)


class IssueCreate(APIView):
    """Issue stock earliest-expiry-first to any site; 409 ``insufficient_stock`` writes nothing."""

    permission_classes = [HasPerms]
    required_perms = {"POST": ["inventory.issue_stock"]}

    @extend_schema(
        request=IssueIn,
        responses={201: IssueOut, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        values = api_lean.issue_input(request.data)
        if values is None:  # anything not plainly valid: the serializer decides (and words the errors)
            data = IssueIn(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
        try:
            issue = post_issue(request.user, values)
        except InsufficientStock as exc:
            # Answered here so the shortage lines keep their numbers (the generic handler makes strings).
            return Response(error_body(exc.code, exc.message, {"lines": exc.lines}), status=exc.status_code)
        return Response(issue_body(issue), status=CREATED)


def scoped_warehouse(user: Any, code: str) -> Site:
    """The site with this code in the user's scope, else ``Http404`` (code and scope from the caches)."""
    site = lookups.site_by_code(code)
    if site is None or not user_scope(user).allows(organisation_id=site.organisation_id, site_id=site.pk):
        raise Http404
    return site


def post_issue(user: Any, values: dict[str, Any]) -> Issue:
    """One validated ``IssueIn`` posted as one durable transaction (field errors: ``ValidationFailed``)."""
    lookups.prefetch(
        [values["warehouse"], values["recipient"]],
        [line["item"] for line in values["lines"]],
        recipients=[values["recipient"]],
    )
    warehouse = scoped_warehouse(user, values["warehouse"])
    recipient = lookups.site_by_code(values["recipient"])
    if recipient is None:
        raise ValidationFailed(details={"recipient": [str(UNKNOWN_SITE)]})
    lines, errors = resolvers.issue_lines(values["lines"], batch_field="lot", find_items=lookups.items)
    if errors:
        raise ValidationFailed(details={"lines": resolvers.api_line_errors(errors)})
    return actions.issue_stock(warehouse, recipient, lines, actor=user, reference=values.get("reference", ""))


AMOUNTS = {
    "on_hand": serializers.IntegerField(),
    "reserved": serializers.IntegerField(),
    "available": serializers.IntegerField(),
}
LOT_OUT = inline_serializer(
    "BalanceLot",
    {
        "lot": serializers.CharField(),
        "expiry": serializers.DateField(allow_null=True),
        "qc_status": serializers.CharField(),
        "location": serializers.CharField(),
        "location_kind": serializers.CharField(),
        **AMOUNTS,
    },
    many=True,
)
GROUP_OUT = inline_serializer(
    "BalanceGroup",
    {"warehouse": serializers.CharField(), "item": serializers.CharField(), **AMOUNTS, "lots": LOT_OUT},
    many=True,
)


class BalanceList(APIView):
    """Stock per warehouse and item: on hand, reserved and available per lot (and location) and in total.

    Available counts only released, unexpired lots in store locations; quarantined stock shows
    on hand with nothing available. Totals at the top cover every matching balance; ``results``
    (paginated) groups them per warehouse and item.
    """

    permission_classes = [HasPerms]
    required_perms = {"GET": ["inventory.view_stockbalance"]}

    @extend_schema(
        parameters=[
            OpenApiParameter("warehouse", str, description="Site code"),
            OpenApiParameter("item", str, description="Item code"),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={
            200: inline_serializer(
                "Balances",
                {
                    "warehouse": serializers.CharField(allow_null=True),
                    "item": serializers.CharField(allow_null=True),
                    **AMOUNTS,
                    "lots": LOT_OUT,
                    "count": serializers.IntegerField(),
                    "next": serializers.CharField(allow_null=True),
                    "previous": serializers.CharField(allow_null=True),
                    "results": GROUP_OUT,
                },
            ),
            404: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        warehouse_code = request.query_params.get("warehouse") or None
        item_code = request.query_params.get("item") or None
        qs = queries.balances_for(request.user).filter(location__kind__in=[*STOCK_KINDS, LocationKind.QUARANTINE])
        if warehouse_code:
            warehouse = scoped_site(request.user, warehouse_code)
            qs = qs.filter(location__site=warehouse)
        if item_code:
            item = item_by_code(item_code)
            if item is None:
                raise ValidationFailed(details={"item": [str(UNKNOWN_ITEM)]})
            qs = qs.filter(item=item)
        on = timezone.localdate()
        usable = qs.filter(queries._usable_q(), location__kind__in=list(STOCK_KINDS))
        totals = qs.aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
        usable_totals = usable.aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
        groups = (
            qs.values("location__site__code", "item__code")
            .annotate(on_hand=Sum("on_hand"))
            .order_by("location__site__code", "item__code")
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(groups, request, view=self) or []
        wanted_sites = sorted({g["location__site__code"] for g in page})
        wanted_items = sorted({g["item__code"] for g in page})
        detail: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for b in (
            qs.filter(location__site__code__in=wanted_sites, item__code__in=wanted_items)
            .select_related("lot", "item", "location", "location__site")
            .order_by("lot__expiry", "lot__batch", "location__code")
        ):
            free = b.on_hand - b.reserved if b.location.kind in STOCK_KINDS and b.lot.is_usable(on) else 0
            detail[(b.location.site.code if b.location.site else "", b.item.code)].append(
                {
                    "lot": b.lot.batch,
                    "expiry": b.lot.expiry,
                    "qc_status": b.lot.qc_status,
                    "location": b.location.code,
                    "location_kind": b.location.kind,
                    "on_hand": b.on_hand,
                    "reserved": b.reserved,
                    "available": free,
                }
            )
        page_obj = getattr(paginator, "page", None)
        results = []
        all_lots = []
        for g in page:
            lots = detail[(g["location__site__code"], g["item__code"])]
            all_lots.extend(lots)
            results.append(
                {
                    "warehouse": g["location__site__code"],
                    "item": g["item__code"],
                    "on_hand": sum(lot["on_hand"] for lot in lots),
                    "reserved": sum(lot["reserved"] for lot in lots),
                    "available": sum(lot["available"] for lot in lots),
                    "lots": lots,
                }
            )
        body = {
            "warehouse": warehouse_code,
            "item": item_code,
            "on_hand": totals["on_hand"] or 0,
            "reserved": totals["reserved"] or 0,
            "available": (usable_totals["on_hand"] or 0) - (usable_totals["reserved"] or 0),
            "lots": all_lots,
            "count": page_obj.paginator.count if page_obj is not None else 0,
            "next": paginator.get_next_link() if page_obj is not None else None,
            "previous": paginator.get_previous_link() if page_obj is not None else None,
            "results": results,
        }
        return Response(body)


class LotSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    item: serializers.SlugRelatedField[Item] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Lot
        fields = [
            "id",
            "item",
            "batch",
            "production_date",
            "expiry",
            "supplier_name",
            "unit_cost",
            "qc_status",
            "is_suspected_counterfeit",
        ]


class LotViewSet(ScopedReadOnlyViewSet):
    """Lots held at sites the caller may see."""

    queryset = Lot.objects.select_related("item").order_by("item__code", "expiry", "batch")
    serializer_class = LotSerializer
    permission_classes = [HasPerms]
    required_perms = {"GET": ["inventory.view_lot"]}
    filterset_fields = ["qc_status", "batch"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        visible = queries.balances_for(self.request.user).values("lot_id")
        return Lot.objects.filter(pk__in=visible).select_related("item").order_by("item__code", "expiry", "batch")


routes = [("inventory/lots", LotViewSet, "inventory-lot")]


def _bulk_issues() -> Any:
    """The bulk endpoint lives in ``api_bulk`` (it builds on the serializers above)."""
    from baogong.inventory.api_bulk import IssueBulkCreate

    return IssueBulkCreate.as_view()


api_urlpatterns = [
    *api_scan.api_urlpatterns,
    path("inventory/receipts/", ReceiptCreate.as_view(), name="inventory-receipts"),
    path("inventory/issues/", IssueCreate.as_view(), name="inventory-issues"),
    path("inventory/issues/bulk/", _bulk_issues(), name="inventory-issues-bulk"),
    path("inventory/balances/", BalanceList.as_view(), name="inventory-balances"),
]
