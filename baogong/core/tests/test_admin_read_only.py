"""Records only actions write (audit events, the ledger, pharmacy orders) are read-only in the
admin: one ``ReadOnlyAdmin`` in core."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory

from baogong.core.admin import ReadOnlyAdmin

READ_ONLY = [
    "core.AuditEvent",
    "inventory.Lot",
    "inventory.StockMove",
    "inventory.StockBalance",
    "pharmacy.Order",
    "pharmacy.Settlement",
]


@pytest.mark.parametrize("label", READ_ONLY)
def test_records_written_by_actions_cannot_be_added_changed_or_deleted_in_the_admin(label):
    model_admin = admin.site._registry[apps.get_model(label)]
    request = RequestFactory().get("/admin/")
    assert isinstance(model_admin, ReadOnlyAdmin)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
