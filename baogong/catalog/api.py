"""REST API of the item master: ``GET/POST /api/v1/catalog/items/``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from baogong.catalog import actions
from baogong.catalog.choices import Storage
from baogong.catalog.filters import ItemFilter
from baogong.catalog.models import Category, Item
from baogong.core.api import CREATED, CodeRelatedField, ErrorSerializer
from baogong.core.permissions import HasPerms


class ItemSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    category = CodeRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    storage = serializers.ChoiceField(choices=Storage.choices, required=False)
    weight_kg = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, min_value=0)
    volume_m3 = serializers.DecimalField(max_digits=10, decimal_places=4, required=False, min_value=0)
    reference_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    pack_description = serializers.CharField(read_only=True)
    # explicit bounds: from the model alone they would be the database's integer range
    pack_qty = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    shelf_life_days = serializers.IntegerField(min_value=0, max_value=36_500, required=False, allow_null=True)

    class Meta:
        model = Item
        fields = ["id", *actions.ITEM_FIELDS, "pack_description"]
        read_only_fields = ["id", "pack_description"]
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}


class ItemViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """Items of the catalog (shared by every organisation). Create needs only code, name and unit."""

    queryset = Item.objects.select_related("category").order_by("code")
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    permission_classes = [HasPerms]
    required_perms = {"GET": ["catalog.view_item"], "POST": ["catalog.add_item"]}

    @extend_schema(request=ItemSerializer, responses={201: ItemSerializer, 400: ErrorSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = actions.create_item(serializer.validated_data, actor=request.user)
        return Response(self.get_serializer(item).data, status=CREATED)


routes = [("catalog/items", ItemViewSet, "catalog-item")]
