"""The lean write path of an issue on PostgreSQL (issue 25): one stored function, one statement.

``inventory_post_issue(p jsonb)`` does what :func:`baogong.inventory.ledger.issues.issue`'s
portable path does, in the same order and with the same numbers:

1. plan earliest-expiry-first on the unlocked usable balances (released, unexpired lots with free
   units in the warehouse's store locations); a shortage answers ``{"short": [...]}`` having
   written nothing;
2. insert the missing destination balances (zero rows, key order, ``ON CONFLICT DO NOTHING``)
   before any lock (docs/decisions/0003, step 5);
3. lock the candidate and destination balances in primary-key order and plan again on the locked
   numbers (new lots appearing meanwhile: another round, at most five, as in Python);
4. change the balances with conditional relative updates whose row counts are checked, insert
   the document, the moves (append-only: inserts only), the lines and the audit event.

Everything after the lock happens in this one statement, so the balance lock is the last one the
transaction takes and is held for one statement (plus the commit). The CHECK constraints and the
append-only trigger stay in force: the function writes through the same tables.
SQLite has no such function: the primitive takes its portable path there.
"""

from typing import Any

from django.db import migrations

PLAN = r"""
CREATE OR REPLACE FUNCTION inventory_plan_fefo(
    lines jsonb, c_item bigint[], c_lot bigint[], c_left integer[],
    OUT pick_line integer[], OUT pick_cand integer[], OUT pick_qty integer[], OUT short jsonb
) LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    n integer := coalesce(array_length(c_item, 1), 0);
    left_ integer[] := c_left;
    line jsonb;
    li integer := 0;
    wanted integer;
    take integer;
    want_item bigint;
    want_lot bigint;
BEGIN
    pick_line := '{}'; pick_cand := '{}'; pick_qty := '{}'; short := '[]'::jsonb;
    FOR line IN SELECT value FROM jsonb_array_elements(lines) LOOP
        wanted := (line->>'qty')::integer;
        want_item := (line->>'item')::bigint;
        want_lot := (line->>'lot')::bigint;
        FOR i IN 1..n LOOP
            EXIT WHEN wanted = 0;
            CONTINUE WHEN c_item[i] <> want_item OR (want_lot IS NOT NULL AND c_lot[i] <> want_lot);
            take := least(wanted, left_[i]);
            IF take > 0 THEN
                pick_line := pick_line || li; pick_cand := pick_cand || i; pick_qty := pick_qty || take;
                left_[i] := left_[i] - take;
                wanted := wanted - take;
            END IF;
        END LOOP;
        IF wanted > 0 THEN
            short := short || jsonb_build_object(
                'line', li, 'item', line->>'code', 'lot', line->'batch',
                'requested', (line->>'qty')::integer, 'available', (line->>'qty')::integer - wanted);
        END IF;
        li := li + 1;
    END LOOP;
END;
$$;
"""

POST = r"""
CREATE OR REPLACE FUNCTION inventory_post_issue(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_today date := (p->>'today')::date;
    v_now timestamptz := (p->>'now')::timestamptz;
    v_wh bigint := (p->>'warehouse')::bigint;
    v_dest bigint := (p->>'destination')::bigint;
    v_kinds text[] := ARRAY(SELECT jsonb_array_elements_text(p->'stock_kinds'));
    v_items bigint[] := ARRAY(SELECT DISTINCT (e->>'item')::bigint FROM jsonb_array_elements(p->'lines') e);
    c_id bigint[]; c_item bigint[]; c_lot bigint[]; c_loc bigint[]; c_left integer[];
    k_id bigint[];
    planned_dest bigint[] := '{}';
    wanted_dest bigint[];
    plan record;
    more bigint[];
    done boolean := false;
    n integer;
    expected integer;
    v_doc bigint;
    v_number text;
    v_reference text;
    v_lines jsonb;
BEGIN
    -- 1. plan on the unlocked usable balances
    SELECT coalesce(array_agg(b.id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
           coalesce(array_agg(b.item_id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
           coalesce(array_agg(b.lot_id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
           coalesce(array_agg(b.location_id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
           coalesce(array_agg(b.on_hand - b.reserved ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}')
      INTO c_id, c_item, c_lot, c_loc, c_left
      FROM inventory_stockbalance b
      JOIN inventory_lot l ON l.id = b.lot_id
      JOIN inventory_location loc ON loc.id = b.location_id
     WHERE loc.site_id = v_wh AND loc.kind = ANY(v_kinds) AND b.item_id = ANY(v_items)
       AND l.qc_status = 'released' AND b.on_hand > b.reserved
       AND (l.expiry IS NULL OR l.expiry >= v_today);
    plan := inventory_plan_fefo(p->'lines', c_item, c_lot, c_left);
    IF jsonb_array_length(plan.short) > 0 THEN
        RETURN jsonb_build_object('short', plan.short);
    END IF;
    k_id := c_id;  -- the candidate balances (their keys) to lock
    FOR attempt IN 1..5 LOOP
        -- 2. missing destination balances, before any lock of this round
        wanted_dest := ARRAY(SELECT DISTINCT c_lot[i] FROM unnest(plan.pick_cand) i);
        IF NOT wanted_dest <@ planned_dest THEN
            planned_dest := ARRAY(SELECT DISTINCT x FROM unnest(planned_dest || wanted_dest) x ORDER BY x);
            INSERT INTO inventory_stockbalance (item_id, lot_id, location_id, on_hand, reserved)
            SELECT l.item_id, l.id, v_dest, 0, 0 FROM inventory_lot l WHERE l.id = ANY(planned_dest) ORDER BY l.id
            ON CONFLICT (lot_id, location_id) DO NOTHING;
        END IF;
        -- 3. lock sources and destinations together, in primary-key order
        PERFORM 1 FROM inventory_stockbalance b
         WHERE b.id = ANY(k_id) OR (b.location_id = v_dest AND b.lot_id = ANY(planned_dest))
         ORDER BY b.id FOR UPDATE;
        SELECT coalesce(array_agg(b.id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
               coalesce(array_agg(b.item_id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
               coalesce(array_agg(b.lot_id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
               coalesce(array_agg(b.location_id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
               coalesce(array_agg(b.on_hand - b.reserved ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}')
          INTO c_id, c_item, c_lot, c_loc, c_left
          FROM inventory_stockbalance b
          JOIN inventory_lot l ON l.id = b.lot_id
          JOIN inventory_location loc ON loc.id = b.location_id
         WHERE b.id = ANY(k_id) AND b.location_id <> v_dest AND b.on_hand > b.reserved
           AND l.qc_status = 'released' AND (l.expiry IS NULL OR l.expiry >= v_today);
        plan := inventory_plan_fefo(p->'lines', c_item, c_lot, c_left);
        IF jsonb_array_length(plan.short) > 0 THEN
            -- lots that were not candidates before the lock may fill the gap: look again
            SELECT coalesce(array_agg(b.id ORDER BY b.id), '{}') INTO more
              FROM inventory_stockbalance b
              JOIN inventory_lot l ON l.id = b.lot_id
              JOIN inventory_location loc ON loc.id = b.location_id
             WHERE loc.site_id = v_wh AND loc.kind = ANY(v_kinds) AND b.item_id = ANY(v_items)
               AND l.qc_status = 'released' AND b.on_hand > b.reserved
               AND (l.expiry IS NULL OR l.expiry >= v_today);
            IF more <@ k_id THEN
                RETURN jsonb_build_object('short', plan.short);
            END IF;
            SELECT coalesce(array_agg(b.id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
                   coalesce(array_agg(b.item_id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
                   coalesce(array_agg(b.lot_id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
                   coalesce(array_agg(b.location_id ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}'),
                   coalesce(array_agg(b.on_hand - b.reserved ORDER BY l.expiry IS NULL, l.expiry, l.id, NOT loc.is_default, loc.code COLLATE "C"), '{}')
              INTO c_id, c_item, c_lot, c_loc, c_left
              FROM inventory_stockbalance b
              JOIN inventory_lot l ON l.id = b.lot_id
              JOIN inventory_location loc ON loc.id = b.location_id
             WHERE b.id = ANY(more) AND b.on_hand > b.reserved;
            k_id := more;
            plan := inventory_plan_fefo(p->'lines', c_item, c_lot, c_left);
            IF jsonb_array_length(plan.short) > 0 THEN
                RETURN jsonb_build_object('short', plan.short);
            END IF;
            CONTINUE;
        END IF;
        IF ARRAY(SELECT DISTINCT c_lot[i] FROM unnest(plan.pick_cand) i) <@ planned_dest THEN
            done := true;
            EXIT;
        END IF;
        k_id := c_id;
    END LOOP;
    IF NOT done THEN
        RAISE EXCEPTION 'Stock kept changing; try again.' USING ERRCODE = '40001';
    END IF;
    -- 4. write: sources down (conditional), destinations up, document, moves, lines, audit event
    WITH s AS (
        SELECT c_id[i] AS bid, sum(q)::integer AS q FROM unnest(plan.pick_cand, plan.pick_qty) AS t(i, q) GROUP BY 1
    )
    UPDATE inventory_stockbalance b SET on_hand = b.on_hand - s.q
      FROM s WHERE b.id = s.bid AND b.on_hand - b.reserved >= s.q;
    GET DIAGNOSTICS n = ROW_COUNT;
    SELECT count(DISTINCT i) INTO expected FROM unnest(plan.pick_cand) i;
    IF n <> expected THEN
        RAISE EXCEPTION 'Stock kept changing; try again.' USING ERRCODE = '40001';
    END IF;
    WITH d AS (
        SELECT c_lot[i] AS lot_id, sum(q)::integer AS q FROM unnest(plan.pick_cand, plan.pick_qty) AS t(i, q) GROUP BY 1
    )
    UPDATE inventory_stockbalance b SET on_hand = b.on_hand + d.q
      FROM d WHERE b.lot_id = d.lot_id AND b.location_id = v_dest;
    INSERT INTO inventory_issue (warehouse_id, recipient_id, reference, created_at, created_by_id)
    VALUES (v_wh, (p->>'recipient')::bigint, p->>'reference', v_now, (p->>'actor')::bigint)
    RETURNING id INTO v_doc;
    v_number := 'IS-' || (p->>'local_date') || '-' || CASE WHEN v_doc >= 100000 THEN v_doc::text ELSE lpad(v_doc::text, 6, '0') END;
    v_reference := left(coalesce(nullif(p->>'move_reference', ''), v_number), 128);
    RETURN inventory_post_issue_write(p, v_doc, v_number, v_reference, v_now, v_dest, c_id, plan.pick_cand, plan.pick_qty);
END;
$$;
"""

WRITE = r"""
CREATE OR REPLACE FUNCTION inventory_post_issue_write(
    p jsonb, v_doc bigint, v_number text, v_reference text, v_now timestamptz, v_dest bigint,
    c_id bigint[], pick_cand integer[], pick_qty integer[]
) RETURNS jsonb LANGUAGE sql AS $$
    WITH picks AS (
        SELECT t.ord, b.item_id, b.lot_id, b.location_id, t.q AS qty, l.unit_cost, l.batch, l.expiry,
               loc.code AS location_code, it.code AS item_code
          FROM unnest(pick_cand, pick_qty) WITH ORDINALITY AS t(i, q, ord)
          JOIN inventory_stockbalance b ON b.id = c_id[t.i]
          JOIN inventory_lot l ON l.id = b.lot_id
          JOIN inventory_location loc ON loc.id = b.location_id
          JOIN catalog_item it ON it.id = b.item_id
    ), moves AS (
        INSERT INTO inventory_stockmove (at, item_id, lot_id, from_location_id, to_location_id, qty, unit_cost,
                                         reason, note, document_type, document_id, reference, actor_id, actor_label)
        SELECT v_now, item_id, lot_id, location_id, v_dest, qty, unit_cost, 'issue', '', 'issue', v_doc,
               v_reference, (p->>'actor')::bigint, p->>'actor_label'
          FROM picks ORDER BY ord
        RETURNING id
    ), lines AS (
        INSERT INTO inventory_issueline (issue_id, item_id, lot_id, location_id, qty, unit_cost)
        SELECT v_doc, item_id, lot_id, location_id, qty, unit_cost FROM picks ORDER BY ord
        RETURNING id
    ), audit AS (
        INSERT INTO core_auditevent (at, actor_id, actor_label, verb, object_type_id, object_id, object_repr,
                                     before, after, request_id, organisation_id, site_id)
        SELECT v_now, (p->>'actor')::bigint, p->>'actor_label', 'issue_stock', (p->>'content_type')::integer,
               v_doc::text, left(v_number, 255), NULL,
               jsonb_build_object('warehouse', p->'warehouse_code', 'recipient', p->'recipient_code',
                                  'reference', p->'audit_reference',
                                  'lines', (SELECT jsonb_agg(jsonb_build_object('item', item_code, 'lot', batch, 'qty', qty)
                                                             ORDER BY ord) FROM picks)),
               p->>'request_id', (p->>'organisation')::bigint, (p->>'warehouse')::bigint
        RETURNING id
    )
    SELECT jsonb_build_object(
        'id', v_doc, 'number', v_number,
        'moves', (SELECT count(*) FROM moves), 'issue_lines', (SELECT count(*) FROM lines),
        'audit', (SELECT max(id) FROM audit),
        'lines', (SELECT jsonb_agg(jsonb_build_object('item', item_code, 'lot', batch, 'expiry', expiry,
                                                      'location', location_code, 'qty', qty,
                                                      'unit_cost', unit_cost::text) ORDER BY ord) FROM picks))
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS inventory_post_issue(jsonb);
DROP FUNCTION IF EXISTS inventory_post_issue_write(jsonb, bigint, text, text, timestamptz, bigint, bigint[], integer[], integer[]);
DROP FUNCTION IF EXISTS inventory_plan_fefo(jsonb, bigint[], bigint[], integer[]);
"""


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PLAN)
        schema_editor.execute(WRITE)
        schema_editor.execute(POST)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0005_seed_qc_rules"), ("core", "0001_initial"), ("catalog", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
