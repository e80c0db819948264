"""The lean write path of reservations and receipts on PostgreSQL (issue 25): one stored function each.

``inventory_reserve(p jsonb)`` does what :func:`baogong.inventory.ledger.reservations.reserve` and
``reserve_many``'s portable path do, in the same order and with the same numbers:

1. lock the usable balances (released, unexpired lots with free units in the warehouse's store
   locations, of the items asked for) in primary-key order and read them locked — the same locked
   read as ``candidates(..., lock=True)``;
2. plan earliest-expiry-first (``inventory_plan_fefo`` of migration 0006); a shortage answers
   ``{"short": [...]}`` having written nothing;
3. raise ``reserved`` with conditional relative updates whose row count is checked, insert the
   reservations and the audit event ``reserve_stock`` (the single-item or the many-needs shape).

The balance lock is taken inside this one statement and is the last lock the primitive takes.
The CHECK constraints (``0 <= reserved <= on_hand``, reservation quantities) stay in force.
``inventory_receive(p jsonb)`` does what :func:`baogong.inventory.ledger.receipts.receive`'s
portable path does: insert the new batches' lots (``ON CONFLICT DO NOTHING``: a known batch keeps
its lot), answer ``{"expiry": [...]}`` for a line whose known batch has another expiry (the lots
stay, as on the portable path; the caller's transaction rolls back), insert the receipt and the
missing balances (zero rows, key order, before any lock), lock the receipt's balances in
primary-key order and add to them, insert the moves, the lines and the audit event (its ``after``
built by the caller, which also sends the QC notification afterwards).

SQLite has no such functions: the primitives take their portable path there.
"""

from typing import Any

from django.db import migrations

RESERVE = r"""
CREATE OR REPLACE FUNCTION inventory_reserve(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_today date := (p->>'today')::date;
    v_now timestamptz := (p->>'now')::timestamptz;
    v_wh bigint := (p->>'warehouse')::bigint;
    v_kinds text[] := ARRAY(SELECT jsonb_array_elements_text(p->'stock_kinds'));
    v_items bigint[] := ARRAY(SELECT DISTINCT (e->>'item')::bigint FROM jsonb_array_elements(p->'lines') e);
    k_id bigint[];
    c_id bigint[]; c_item bigint[]; c_lot bigint[]; c_left integer[];
    plan record;
    n integer;
    expected integer;
BEGIN
    -- 1. lock the usable balances in primary-key order, then read them locked
    k_id := ARRAY(
        SELECT b.id FROM inventory_stockbalance b
          JOIN inventory_lot l ON l.id = b.lot_id
          JOIN inventory_location loc ON loc.id = b.location_id
         WHERE loc.site_id = v_wh AND loc.kind = ANY(v_kinds) AND b.item_id = ANY(v_items)
           AND l.qc_status = 'released' AND b.on_hand > b.reserved
           AND (l.expiry IS NULL OR l.expiry >= v_today)
         ORDER BY b.id FOR UPDATE OF b);
    SELECT coalesce(array_agg(b.id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
           coalesce(array_agg(b.item_id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
           coalesce(array_agg(b.lot_id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
           coalesce(array_agg(b.on_hand - b.reserved ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}')
      INTO c_id, c_item, c_lot, c_left
      FROM inventory_stockbalance b
      JOIN inventory_lot l ON l.id = b.lot_id
      JOIN inventory_location loc ON loc.id = b.location_id
     WHERE b.id = ANY(k_id) AND b.on_hand > b.reserved;
    -- 2. earliest expiry first on the locked numbers
    plan := inventory_plan_fefo(p->'lines', c_item, c_lot, c_left);
    IF jsonb_array_length(plan.short) > 0 THEN
        RETURN jsonb_build_object('short', plan.short);
    END IF;
    -- 3. write: reserved up (conditional), reservations, audit event
    WITH s AS (
        SELECT c_id[i] AS bid, sum(q)::integer AS q FROM unnest(plan.pick_cand, plan.pick_qty) AS t(i, q) GROUP BY 1
    )
    UPDATE inventory_stockbalance b SET reserved = b.reserved + s.q
      FROM s WHERE b.id = s.bid AND b.on_hand >= b.reserved + s.q;
    GET DIAGNOSTICS n = ROW_COUNT;
    SELECT count(DISTINCT i) INTO expected FROM unnest(plan.pick_cand) i;
    IF n <> expected THEN
        RAISE EXCEPTION 'Stock kept changing; try again.' USING ERRCODE = '40001';
    END IF;
    RETURN inventory_reserve_write(p, v_now, c_id, plan.pick_line, plan.pick_cand, plan.pick_qty);
END;
$$;
"""

WRITE = r"""
CREATE OR REPLACE FUNCTION inventory_reserve_write(
    p jsonb, v_now timestamptz, c_id bigint[], pick_line integer[], pick_cand integer[], pick_qty integer[]
) RETURNS jsonb LANGUAGE sql AS $$
    WITH picks AS MATERIALIZED (
        SELECT t.ord, t.line, nextval(pg_get_serial_sequence('inventory_reservation', 'id')) AS rid,
               b.id AS balance_id, b.item_id, b.lot_id, b.location_id, t.q AS qty,
               l.batch, loc.code AS location_code, it.code AS item_code,
               p->'lines'->t.line->>'reference' AS reference
          FROM unnest(pick_line, pick_cand, pick_qty) WITH ORDINALITY AS t(line, i, q, ord)
          JOIN inventory_stockbalance b ON b.id = c_id[t.i]
          JOIN inventory_lot l ON l.id = b.lot_id
          JOIN inventory_location loc ON loc.id = b.location_id
          JOIN catalog_item it ON it.id = b.item_id
    ), made AS (
        INSERT INTO inventory_reservation (id, balance_id, item_id, lot_id, location_id, qty, original_qty, reference,
                                           status, created_at, created_by_id)
        SELECT rid, balance_id, item_id, lot_id, location_id, qty, qty, left(reference, 128), 'active', v_now,
               (p->>'actor')::bigint
          FROM picks ORDER BY ord
        RETURNING id
    ), first AS (
        SELECT * FROM picks ORDER BY ord LIMIT 1
    ), audit AS (
        INSERT INTO core_auditevent (at, actor_id, actor_label, verb, object_type_id, object_id, object_repr,
                                     before, after, request_id, organisation_id, site_id)
        SELECT v_now, (p->>'actor')::bigint, p->>'actor_label', 'reserve_stock', (p->>'content_type')::integer,
               first.rid::text,
               left(CASE WHEN p->>'shape' = 'single'
                         THEN left(first.reference, 128) || ': ' || first.item_code || ' #' || first.batch || ' × ' || first.qty
                         ELSE replace(p->>'object_repr', '{count}', (SELECT count(*) FROM picks)::text) END, 255),
               NULL,
               CASE WHEN p->>'shape' = 'single' THEN
                   jsonb_build_object('warehouse', p->'warehouse_code', 'item', p->'lines'->0->'code',
                                      'qty', (p->'lines'->0->>'qty')::integer,
                                      'reference', p->'lines'->0->'reference',
                                      'lots', (SELECT jsonb_agg(jsonb_build_object('lot', batch, 'location', location_code,
                                                                                   'qty', qty) ORDER BY ord) FROM picks))
               ELSE
                   jsonb_build_object('warehouse', p->'warehouse_code',
                                      'lines', (SELECT jsonb_agg(jsonb_build_object(
                                                    'reference', reference, 'item', item_code, 'lot', batch,
                                                    'location', location_code, 'qty', qty) ORDER BY ord) FROM picks))
               END,
               p->>'request_id', (p->>'organisation')::bigint, (p->>'warehouse')::bigint
          FROM first
        RETURNING id
    )
    SELECT jsonb_build_object(
        'made', (SELECT count(*) FROM made), 'audit', (SELECT max(id) FROM audit),
        'reservations', (SELECT jsonb_agg(jsonb_build_object('id', rid, 'line', line, 'balance', balance_id)
                                          ORDER BY ord) FROM picks))
$$;
"""

RECEIVE = r"""
CREATE OR REPLACE FUNCTION inventory_receive(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamptz := (p->>'now')::timestamptz;
    v_wh bigint := (p->>'warehouse')::bigint;
    v_doc bigint;
    v_number text;
    v_bad jsonb;
    n integer;
    expected integer;
BEGIN
    -- 1. the new batches' lots (a known batch keeps its lot)
    INSERT INTO inventory_lot (item_id, batch, production_date, expiry, unit_cost, qc_status, qc_reason,
                               supplier_name, supplier_ref, is_suspected_counterfeit, created_at)
    SELECT (e->>'item')::bigint, e->>'batch', (e->>'production_date')::date, (e->>'expiry')::date,
           (e->>'unit_cost')::numeric, e->>'qc_status', e->>'qc_reason',
           p->>'supplier_name', p->>'supplier_ref', false, v_now
      FROM jsonb_array_elements(p->'lots') WITH ORDINALITY AS t(e, ord) ORDER BY ord
    ON CONFLICT (item_id, batch) DO NOTHING;
    CREATE TEMP TABLE IF NOT EXISTS inventory_receive_rows (
        ord bigint, item_id bigint, lot_id bigint, location_id bigint, qty integer, unit_cost numeric,
        expiry date, batch text, lot_expiry date
    ) ON COMMIT DROP;
    TRUNCATE inventory_receive_rows;
    INSERT INTO inventory_receive_rows
    SELECT t.ord, (e->>'item')::bigint, l.id, (e->>'location')::bigint, (e->>'qty')::integer,
           (e->>'unit_cost')::numeric, (e->>'expiry')::date, l.batch, l.expiry
      FROM jsonb_array_elements(p->'lines') WITH ORDINALITY AS t(e, ord)
      JOIN inventory_lot l ON l.item_id = (e->>'item')::bigint AND l.batch = e->>'batch';
    -- 2. a known batch must keep its expiry
    SELECT jsonb_agg(jsonb_build_object('line', ord - 1, 'batch', batch, 'expiry', lot_expiry) ORDER BY ord)
      INTO v_bad FROM inventory_receive_rows
     WHERE expiry IS NOT NULL AND lot_expiry IS NOT NULL AND expiry <> lot_expiry;
    IF v_bad IS NOT NULL THEN
        RETURN jsonb_build_object('expiry', v_bad);
    END IF;
    -- 3. the receipt, then the missing balances before any lock
    INSERT INTO inventory_receipt (warehouse_id, reference, supplier_ref, qc_status, created_at, created_by_id)
    VALUES (v_wh, p->>'reference', p->>'receipt_supplier_ref', p->>'qc_status', v_now, (p->>'actor')::bigint)
    RETURNING id INTO v_doc;
    v_number := 'RC-' || (p->>'local_date') || '-' || CASE WHEN v_doc >= 100000 THEN v_doc::text ELSE lpad(v_doc::text, 6, '0') END;
    INSERT INTO inventory_stockbalance (item_id, lot_id, location_id, on_hand, reserved)
    SELECT DISTINCT item_id, lot_id, location_id, 0, 0 FROM inventory_receive_rows ORDER BY lot_id, location_id
    ON CONFLICT (lot_id, location_id) DO NOTHING;
    -- 4. lock the receipt's balances in primary-key order and add to them
    PERFORM 1 FROM inventory_stockbalance b
     WHERE (b.lot_id, b.location_id) IN (SELECT lot_id, location_id FROM inventory_receive_rows)
     ORDER BY b.id FOR UPDATE;
    WITH k AS (SELECT lot_id, location_id, sum(qty)::integer AS q FROM inventory_receive_rows GROUP BY 1, 2)
    UPDATE inventory_stockbalance b SET on_hand = b.on_hand + k.q
      FROM k WHERE b.lot_id = k.lot_id AND b.location_id = k.location_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    SELECT count(*) INTO expected FROM (SELECT DISTINCT lot_id, location_id FROM inventory_receive_rows) d;
    IF n <> expected THEN
        RAISE EXCEPTION 'Stock kept changing; try again.' USING ERRCODE = '40001';
    END IF;
    -- 5. moves, lines, audit event
    INSERT INTO inventory_stockmove (at, item_id, lot_id, from_location_id, to_location_id, qty, unit_cost,
                                     reason, note, document_type, document_id, reference, actor_id, actor_label)
    SELECT v_now, item_id, lot_id, (p->>'supplier')::bigint, location_id, qty, unit_cost, 'receipt', '', 'receipt',
           v_doc, left(coalesce(nullif(p->>'reference_full', ''), v_number), 128), (p->>'actor')::bigint,
           p->>'actor_label'
      FROM inventory_receive_rows ORDER BY ord;
    INSERT INTO inventory_receiptline (receipt_id, item_id, lot_id, location_id, qty, unit_cost)
    SELECT v_doc, item_id, lot_id, location_id, qty, unit_cost FROM inventory_receive_rows ORDER BY ord;
    INSERT INTO core_auditevent (at, actor_id, actor_label, verb, object_type_id, object_id, object_repr,
                                 before, after, request_id, organisation_id, site_id)
    VALUES (v_now, (p->>'actor')::bigint, p->>'actor_label', 'receive_stock', (p->>'content_type')::integer,
            v_doc::text, left(v_number, 255), NULL, p->'audit_after', p->>'request_id',
            (p->>'organisation')::bigint, v_wh);
    TRUNCATE inventory_receive_rows;
    RETURN jsonb_build_object('id', v_doc, 'number', v_number);
END;
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS inventory_reserve(jsonb);
DROP FUNCTION IF EXISTS inventory_receive(jsonb);
DROP FUNCTION IF EXISTS inventory_reserve_write(jsonb, timestamptz, bigint[], integer[], integer[], integer[]);
"""


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WRITE)
        schema_editor.execute(RESERVE)
        schema_editor.execute(RECEIVE)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0007_merge_0006_post_issue_function_0006_trace_codes")]
    operations = [migrations.RunPython(forward, backward)]
