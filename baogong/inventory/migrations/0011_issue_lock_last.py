"""The issue function takes the balance lock last and holds it for one statement (issue 25, point 1).

``inventory_post_issue(p jsonb)`` (migration ``0006``) used to lock the source and destination
balances right after planning and only then write the document, the moves, the lines and the audit
event, so a hot balance stayed locked across every write. It now writes first and locks last:

1. plan earliest-expiry-first on the unlocked usable balances (as before); a shortage answers
   ``{"short": [...]}`` having written nothing;
2. optimistically, in a subtransaction (a plpgsql ``BEGIN ... EXCEPTION`` block): insert the plan's
   missing destination balances (zero rows, key order, ``ON CONFLICT DO NOTHING``, before any
   lock: docs/decisions/0003, step 5), the document, the moves, the lines and the audit event from
   the unlocked plan; THEN lock the planned source balances and their destination balances in
   primary-key order; then ONE statement checks on the locked numbers that every source's lot is
   released and unexpired and that its free units (``on_hand - reserved``) still give the same
   plan — at least what the plan takes, and exactly what it had where the plan took all of it
   (more would change FEFO's answer, as the re-plan under the lock would see) — and only then
   changes every balance (row count checked);
3. when that check fails (stock taken or freed meanwhile) the subtransaction is rolled back —
   zero balances, document, moves, lines, audit event and balance locks gone — and the same call
   goes the old way (``0006``'s steps 2 to 4: every candidate and destination locked in pk order,
   planned again on the locked numbers, written; its ``40001``), in a subtransaction of its own so
   that a shortage found there answers ``{"short": [...]}`` having written nothing at all, even
   when the statement runs in autocommit (``ledger.issue_in_autocommit``).

``inventory_post_issue_write`` (the moves, lines and audit event in one statement) keeps its body
but is now plpgsql: a SQL function whose statement holds data-modifying CTEs is planned again on
every call, about 0.6 ms of the call's CPU here; plpgsql keeps the plan for the session.

The foreign keys the writes check are ``DEFERRABLE INITIALLY DEFERRED`` (Django's), so writing
first takes no ``KEY SHARE`` lock on lots, items, locations or sites before the balances: those
checks still run at commit, after the balance locks, as before (``set_qc_status`` locks balances,
then the lot). Document numbers keep their format; an optimistic attempt rolled back leaves a gap
in the ids, as the portable path's deleted document does. Reverse: ``0006``'s two functions.
"""

import importlib
from typing import Any

from django.db import migrations

WRITE = r"""
CREATE OR REPLACE FUNCTION inventory_post_issue_write(
    p jsonb, v_doc bigint, v_number text, v_reference text, v_now timestamptz, v_dest bigint,
    c_id bigint[], pick_cand integer[], pick_qty integer[]
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_result jsonb;
BEGIN
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
      INTO v_result;
    RETURN v_result;
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
    v_result jsonb;
    v_short jsonb;
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
    BEGIN
        -- 2. the plan's missing destination balances, before any lock
        planned_dest := ARRAY(SELECT DISTINCT c_lot[i] FROM unnest(plan.pick_cand) i ORDER BY 1);
        INSERT INTO inventory_stockbalance (item_id, lot_id, location_id, on_hand, reserved)
        SELECT l.item_id, l.id, v_dest, 0, 0 FROM inventory_lot l WHERE l.id = ANY(planned_dest) ORDER BY l.id
        ON CONFLICT (lot_id, location_id) DO NOTHING;
        -- 3. write first from the unlocked plan, lock last, check and change the balances in one statement
        INSERT INTO inventory_issue (warehouse_id, recipient_id, reference, created_at, created_by_id)
        VALUES (v_wh, (p->>'recipient')::bigint, p->>'reference', v_now, (p->>'actor')::bigint)
        RETURNING id INTO v_doc;
        v_number := 'IS-' || (p->>'local_date') || '-' || CASE WHEN v_doc >= 100000 THEN v_doc::text ELSE lpad(v_doc::text, 6, '0') END;
        v_reference := left(coalesce(nullif(p->>'move_reference', ''), v_number), 128);
        v_result := inventory_post_issue_write(p, v_doc, v_number, v_reference, v_now, v_dest, c_id, plan.pick_cand, plan.pick_qty);
        PERFORM 1 FROM inventory_stockbalance b
         WHERE b.id = ANY(ARRAY(SELECT c_id[i] FROM unnest(plan.pick_cand) i))
            OR (b.location_id = v_dest AND b.lot_id = ANY(planned_dest))
         ORDER BY b.id FOR UPDATE;
        WITH s AS (
            SELECT c_id[i] AS bid, sum(q)::integer AS q, c_left[i] AS was
              FROM unnest(plan.pick_cand, plan.pick_qty) AS t(i, q) GROUP BY i
        ), ok AS (
            SELECT count(*) AS n FROM s
              JOIN inventory_stockbalance b ON b.id = s.bid
              JOIN inventory_lot l ON l.id = b.lot_id
             WHERE l.qc_status = 'released' AND (l.expiry IS NULL OR l.expiry >= v_today)
               AND b.on_hand - b.reserved >= s.q AND (s.q < s.was OR b.on_hand - b.reserved = s.was)
        ), d AS (
            SELECT c_lot[i] AS lot_id, sum(q)::integer AS q FROM unnest(plan.pick_cand, plan.pick_qty) AS t(i, q) GROUP BY 1
        ), delta AS (
            SELECT s.bid, -s.q AS dq FROM s
            UNION ALL
            SELECT b.id, d.q FROM d JOIN inventory_stockbalance b ON b.lot_id = d.lot_id AND b.location_id = v_dest
        )
        UPDATE inventory_stockbalance b SET on_hand = b.on_hand + delta.dq
          FROM delta WHERE b.id = delta.bid AND (SELECT ok.n FROM ok) = (SELECT count(*) FROM s);
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n <> (SELECT count(DISTINCT i) FROM unnest(plan.pick_cand) i) + coalesce(array_length(planned_dest, 1), 0) THEN
            RAISE EXCEPTION 'stock changed between plan and lock' USING ERRCODE = 'BG409';
        END IF;
        RETURN v_result;
    EXCEPTION WHEN SQLSTATE 'BG409' THEN
        NULL;  -- nothing of the attempt is left: go on as before, locks first
    END;
    -- 4. 0006's steps 2 to 4: lock every candidate and destination in pk order, plan again, write;
    -- a shortage found under the lock rolls its zero destination balances back too
    planned_dest := '{}';
    BEGIN
        k_id := c_id;
        FOR attempt IN 1..5 LOOP
            wanted_dest := ARRAY(SELECT DISTINCT c_lot[i] FROM unnest(plan.pick_cand) i);
            IF NOT wanted_dest <@ planned_dest THEN
                planned_dest := ARRAY(SELECT DISTINCT x FROM unnest(planned_dest || wanted_dest) x ORDER BY x);
                INSERT INTO inventory_stockbalance (item_id, lot_id, location_id, on_hand, reserved)
                SELECT l.item_id, l.id, v_dest, 0, 0 FROM inventory_lot l WHERE l.id = ANY(planned_dest) ORDER BY l.id
                ON CONFLICT (lot_id, location_id) DO NOTHING;
            END IF;
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
                    v_short := plan.short;
                    RAISE EXCEPTION 'short' USING ERRCODE = 'BG410';
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
                    v_short := plan.short;
                    RAISE EXCEPTION 'short' USING ERRCODE = 'BG410';
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
    EXCEPTION WHEN SQLSTATE 'BG410' THEN
        RETURN jsonb_build_object('short', v_short);
    END;
END;
$$;
"""


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WRITE)
        schema_editor.execute(POST)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        before = importlib.import_module("baogong.inventory.migrations.0006_post_issue_function")
        schema_editor.execute(before.WRITE)
        schema_editor.execute(before.POST)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0010_fewer_ledger_indexes")]
    operations = [migrations.RunPython(forward, backward)]
