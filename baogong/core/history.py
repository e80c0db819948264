"""Audit events told in people's language: "王明 审批通过了需求申请 RQ…：状态 已提交 → 已批准".

Every history table and the audit log read events through :func:`describe`: the verb becomes a
phrase (``VERBS``), each changed value is named by its field's label and shown by its choice
label, related record or 是/否 — never a Python value. A verb nobody labelled reads "修改了"
(``core/tests/test_history.py`` fails on any verb in the code without a label).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from baogong.core.models import AuditEvent

VERBS: dict[str, Promise] = {
    "accept_plan": _("accepted the route plan"),
    "add_cost_line": _("added a cost line"),
    "add_licence": _("added a licence"),
    "upload_tenant_document": _("uploaded a tenant's document"),
    "add_report_recipient": _("added a report recipient"),
    "add_room": _("added a room"),
    "add_stops": _("added stops to the route plan"),
    "adjust_stock": _("adjusted stock"),
    "admin_add": _("added a record in administration"),
    "admin_change": _("changed a record in administration"),
    "admin_delete": _("deleted a record in administration"),
    "apply_change": _("applied an approved change"),
    "apply_credit": _("applied a credit"),
    "apply_plan_result": _("applied the route plan result"),
    "apply_recovery_rules": _("applied the recovery rules"),
    "approve_adjustment": _("approved the stock adjustment"),
    "approve_application": _("approved the application"),
    "approve_change": _("approved and applied the change"),
    "approve_cost_line": _("approved the cost line"),
    "approve_order": _("approved the order"),
    "approve_request": _("approved the request"),
    "approve_stocktake": _("approved the stocktake"),
    "approve_supplier": _("approved the supplier"),
    "arrive_at_station": _("arrived at the station"),
    "assign_driver": _("assigned a driver"),
    "blacklist_supplier": _("blacklisted the supplier"),
    "block_order": _("blocked the order"),
    "cancel_order": _("cancelled the order"),
    "cancel_request": _("cancelled the request"),
    "cancel_stocktake": _("cancelled the stocktake"),
    "check_application": _("checked the application"),
    "check_in": pgettext_lazy("history", "checked in"),
    "check_out": pgettext_lazy("history", "checked out"),
    "clear_incident_site": _("lifted control of a site"),
    "clear_person": _("cleared the person"),
    "close_incident": _("closed the incident"),
    "close_request": _("closed the request"),
    "close_shipment": _("closed the shipment"),
    "complete_playbook_step": _("ticked off a playbook step"),
    "confirm_allocation": _("confirmed the allocation"),
    "confirm_delivery": _("confirmed the delivery"),
    "confirm_site_control": _("confirmed site control"),
    "convert_guest_request": _("converted a guest request"),
    "count_found_stock": _("counted stock found"),
    "create_claim": _("created a claim"),
    "create_demo_account": _("created a demo account"),
    "create_driver": _("registered a driver"),
    "create_item": _("created the item"),
    "create_job": _("started a background job"),
    "create_lease": _("created the lease"),
    "end_lease": _("ended the lease early"),
    "create_location": _("created a location"),
    "create_mission": _("created the mission"),
    "create_order": _("created the order"),
    "create_organisation": _("created the organisation"),
    "create_person": _("created the person"),
    "create_plan": _("created a route plan"),
    "create_property": _("created the property"),
    "create_request_link": _("created a request link"),
    "create_site": _("created the site"),
    "create_tank": _("created a fuel tank"),
    "create_tenant": _("created the tenant"),
    "create_token": _("created an API token"),
    "create_vehicle": _("registered the vehicle"),
    "cut_request_line": _("cut a request line"),
    "delete_shipment": _("deleted the shipment"),
    "deliver_request": _("marked the request delivered"),
    "deploy_person": _("deployed the person"),
    "discard_allocation": _("discarded the allocation"),
    "dispatch_batch": _("dispatched a batch"),
    "dispatch_order": _("dispatched the order"),
    "dispatch_request": _("marked the request dispatched"),
    "dispatch_shipment": _("dispatched the shipment"),
    "end_closed_loop": _("ended closed-loop work"),
    "ensure_categories": _("set up the categories"),
    "file_request": _("filed the request"),
    "fulfil_guest_request": _("fulfilled a guest request"),
    "give_relief": _("gave rent relief"),
    "grant_access": _("granted access"),
    "handle_application": _("handled the application"),
    "hold_dispatch": _("held a dispatch"),
    "import_loads": _("imported loads"),
    "import_requests": _("imported requests"),
    "import_settlements": _("imported settlements"),
    "import_site": _("imported a site"),
    "inspect_lot": _("inspected the lot"),
    "issue_invoice": _("issued an invoice"),
    "issue_stock": _("issued stock"),
    "lift_site_control": _("lifted site control"),
    "link_portal_user": _("linked a portal account"),
    "load_default_policies": _("loaded the default policies"),
    "load_shipment": _("loaded the shipment"),
    "log_care": _("logged care"),
    "log_meals": _("logged meals"),
    "mark_counterfeit": _("marked as counterfeit"),
    "mark_lot_counterfeit": _("marked the lot counterfeit"),
    "mark_lot_suspected_counterfeit": _("marked the lot suspected counterfeit"),
    "mark_plan_failed": _("marked the route plan failed"),
    "mark_suspected_counterfeit": _("marked as suspected counterfeit"),
    "merge_shipments": _("merged shipments"),
    "move_stock": _("moved stock"),
    "move_trace_codes": _("moved the packs' traceability codes"),
    "receive_trace_codes": _("recorded the traceability codes received"),
    "book_in_trace_codes": _("booked in the traceability codes of a transfer"),
    "dispense_trace_code": _("dispensed a pack by its traceability code"),
    "raise_trace_signal": _("raised a blocked traceability code to QC"),
    "move_stop": _("moved a stop"),
    "open_incident": _("opened an incident"),
    "pick_shipment": _("picked the shipment"),
    "place_order": _("placed the order"),
    "plan_shipment": _("planned the shipment"),
    "preview_allocation": _("previewed an allocation"),
    "propose_change": _("proposed a change"),
    "quarantine_lot_everywhere": _("quarantined the lot everywhere"),
    "read_notifications": _("read notifications"),
    "receive_against_order": _("received against the order"),
    "receive_stock": _("received stock"),
    "receive_transfer": _("received a transfer"),
    "record_claim_payment": _("recorded a claim payment"),
    "record_counts": _("recorded counts"),
    "record_delivery": _("recorded the delivery"),
    "record_delivery_failure": _("recorded a failed delivery"),
    "record_drill_result": _("recorded a drill's result"),
    "record_drug_demand": _("recorded drug demand"),
    "record_guest_request": _("recorded a guest request"),
    "record_health_check": _("recorded a health check-in"),
    "record_health_test": _("recorded a test result"),
    "record_inspection": _("recorded an inspection"),
    "record_item_price": _("recorded an item price"),
    "record_payment": _("recorded a payment"),
    "record_post": _("recorded a post"),
    "record_reinspection": _("recorded a re-inspection"),
    "refund_settlement": _("refunded a settlement"),
    "register_pass": _("registered a pass"),
    "register_supplier": _("registered the supplier"),
    "reject_adjustment": _("rejected the stock adjustment"),
    "reject_application": _("rejected the application"),
    "reject_change": _("rejected the change"),
    "reject_claim": _("rejected the claim"),
    "reject_cost_line": _("rejected the cost line"),
    "reject_order": _("rejected the order"),
    "reject_request": _("rejected the request"),
    "release_reservation": _("released a reservation"),
    "remove_report_recipient": _("removed a report recipient"),
    "rename_organisation": _("renamed the organisation"),
    "reopen_playbook_step": _("reopened a playbook step"),
    "replan_warehouse": _("re-planned supply around the warehouse"),
    "reserve_stock": _("reserved stock"),
    "resubmit_application": _("resubmitted the application"),
    "return_application": _("returned the application"),
    "reveal_personal_data": _("viewed personal data in full"),
    "reveal_recall_contacts": _("viewed recall contacts"),
    "reverse_move": _("reversed a stock move"),
    "review_emergency_order": _("reviewed an emergency order"),
    "revoke_pass": _("revoked a pass"),
    "revoke_request_link": _("revoked a request link"),
    "revoke_token": _("revoked an API token"),
    "save_drug": _("saved the drug"),
    "save_regime": _("saved the test regime"),
    "sell_fuel": _("sold fuel"),
    "send_daily_report": _("sent the daily report"),
    "send_expiry_alerts": _("sent expiry alerts"),
    "send_low_tank_alert": _("sent a low-tank alert"),
    "send_pass_expiry_alert": _("sent a pass expiry alert"),
    "set_health_status": _("set the health status"),
    "set_lot_qc_status": _("set the lot's QC status"),
    "set_norm": _("set a norm"),
    "set_one_person_approval": _("changed whether one person may make and check"),
    "set_qc_rule": _("changed a QC rule"),
    "set_roster": _("set the roster"),
    "set_site_status": _("changed the site's status"),
    "set_vehicle_status": _("changed the vehicle's status"),
    "settle_order": _("settled the order"),
    "split_shipment": _("split the shipment"),
    "start_closed_loop": _("started closed-loop work"),
    "start_drill": _("started a drill"),
    "start_planning": _("started route planning"),
    "start_stocktake": _("started a stocktake"),
    "submit_application": _("submitted the application"),
    "submit_claim": _("submitted the claim"),
    "submit_order": _("submitted the order"),
    "submit_request": _("submitted the request"),
    "submit_stocktake": _("submitted the stocktake"),
    "suspend_supplier": _("suspended the supplier"),
    "sync_goods_costs": _("synchronised goods costs"),
    "top_up_relief": _("topped up the relief"),
    "touch_organisations": _("updated organisations"),
    "transfer_stock": _("transferred stock"),
    "update_driver": _("updated the driver"),
    "update_item": _("updated the item"),
    "update_person": _("updated the person"),
    "update_post_reads": _("updated post reads"),
    "update_site": _("updated the site"),
    "update_supplier": _("updated the supplier"),
    "update_vehicle": _("updated the vehicle"),
    "upload_document": _("uploaded a document"),
    "upload_field_photo": _("uploaded a photo taken offline"),
    "record_field_conflict": _("kept an offline action for review (conflict)"),
    "resolve_field_conflict": _("reviewed an offline conflict"),
    "use_prescription": _("used a prescription"),
    "withdraw_change": _("withdrew the change"),
    "withdraw_shipment": _("withdrew the shipment"),
    "withdraw_stops": _("withdrew stops from the route plan"),
}

# Labels of values that are not model fields but that actions record beside them.
EXTRA_KEYS: dict[str, Promise] = {
    "reason": _("reason"),
    "reasons": _("reasons"),
    "status_reason": _("reason"),
    "decision_note": _("note"),
    "note": _("note"),
    "comment": _("comment"),
    "level": _("approval level"),
    "levels": _("approval levels"),
    "qty": _("quantity"),
    "lines": _("lines"),
    "total": _("total"),
    "stage": _("stage"),
    "count": _("count"),
    "items": _("items"),
    "amount": _("amount"),
    "item": _("item"),
    "lot": _("lot"),
    "batch": _("batch"),
    "warehouse": _("warehouse"),
    "recipient": _("recipient"),
    "site": _("site"),
    "location": _("location"),
    "supplier": _("supplier"),
    "vehicle": _("vehicle"),
    "driver": _("driver"),
    "unit_cost": _("unit cost"),
    "price": _("price"),
}
SKIPPED_KEYS = {"id", "pk", "updated_at", "created_at"}


@dataclass(frozen=True)
class Change:
    label: str
    before: str | None
    after: str


@dataclass(frozen=True)
class Described:
    event: AuditEvent
    actor: str
    action: str
    changes: list[Change]

    @property
    def sentence(self) -> str:
        text = f"{self.actor} {self.action}"
        if self.event.object_repr:
            text += f" {self.event.object_repr}"
        if self.changes:
            text += "：" + "；".join(
                f"{c.label} {c.before} → {c.after}" if c.before is not None else f"{c.label} {c.after}"
                for c in self.changes
            )
        return text


def action(verb: str) -> str:
    label = VERBS.get(verb)
    return str(label) if label is not None else gettext("changed")


def _model(event: AuditEvent) -> type[models.Model] | None:
    if event.object_type_id is None:
        return None
    try:
        return event.object_type.model_class() if event.object_type else None
    except Exception:  # noqa: BLE001 - a content type of a removed model
        return None


def _field(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    for name in (key, key.removesuffix("_id")):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.Field):
            return field
    return None


def show(value: Any, field: models.Field[Any, Any] | None = None) -> str:
    """One recorded value as a person reads it."""
    if value is None or value == "":
        return gettext("(empty)")
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return "、".join(show(v, field) for v in value) if value else gettext("(empty)")
    if isinstance(value, dict):
        parts = []
        for k, v in value.items():
            label = EXTRA_KEYS.get(str(k))
            parts.append(f"{label} {show(v)}" if label is not None else show(v))
        return "，".join(parts)
    if field is not None and field.choices:
        labels = {str(k): str(v) for k, v in field.flatchoices}
        if str(value) in labels:
            return labels[str(value)]
    related_model = field.related_model if field is not None and field.is_relation else None
    if related_model is not None and not isinstance(related_model, str):
        related = None
        if str(value).isdigit():
            related = related_model._default_manager.filter(pk=value).first()
        elif isinstance(value, str) and any(f.name == "code" for f in related_model._meta.fields):
            related = related_model._default_manager.filter(code=value).first()  # a record named by its code
        if related is not None:
            return str(related)
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            return f"{dt.datetime.fromisoformat(value):%Y-%m-%d %H:%M}"
        except ValueError:
            return value
    if isinstance(value, str) and value.replace(".", "", 1).lstrip("-").isdigit() and "." in value:
        try:
            return f"{Decimal(value).normalize():f}"
        except InvalidOperation:
            return value
    return str(value)


def _label(model: type[models.Model] | None, key: str) -> str:
    field = _field(model, key)
    if field is not None:
        return str(field.verbose_name)
    extra = EXTRA_KEYS.get(key)
    return str(extra) if extra is not None else gettext("detail")


def _actor(event: AuditEvent) -> str:
    user = event.actor
    if user is not None:
        full = (user.get_full_name() if hasattr(user, "get_full_name") else "").strip()
        return full or user.get_username()
    if event.actor_label in ("", "system"):
        return gettext("the system")
    return event.actor_label


def describe(event: AuditEvent) -> Described:
    model = _model(event)
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    changes = []
    for key in list(dict.fromkeys([*before, *after])):
        if key in SKIPPED_KEYS:
            continue
        field = _field(model, key)
        if field is not None and (getattr(field, "audit_masked", False) or not field.editable):
            continue  # lookup hashes and other internal columns are nobody's reading
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        changes.append(
            Change(
                _label(model, key),
                show(old, field) if key in before else None,
                show(new, field) if key in after else gettext("(removed)"),
            )
        )
    return Described(event, _actor(event), action(event.verb), changes)


def describe_all(events: Any) -> list[Described]:
    return [describe(event) for event in events]


__all__ = ["VERBS", "Change", "Described", "action", "describe", "describe_all", "show"]
