"""The lean write path of a transfer on PostgreSQL (issue 25): one stored function, one statement.

``inventory_move(p jsonb)`` does what :func:`baogong.inventory.ledger.moves.move`'s portable path
does for lines without a reservation, in the same order and with the same numbers:

1. a line naming a lot or location that does not exist answers ``{"missing": [...]}``; the lots
   are read fresh; with ``check_usable``, the first line whose lot is not released (or is
   expired and leaves a store location) for a destination other than quarantine, supplier, loss
   or adjustment answers ``{"unusable": line}`` having written nothing;
2. insert the missing destination balances (zero rows, key order, ``ON CONFLICT DO NOTHING``)
   before any lock (docs/decisions/0003, step 5);
3. lock the source and destination balances together in primary-key order — the last lock the
   statement takes — and check, on the locked numbers, that every source has ``on_hand - reserved``
   for what leaves it; a shortage answers ``{"short": [...]}`` (the portable path's lines, in key
   order, a missing balance available 0) having changed no balance;
4. change every balance with one conditional relative update whose row count is checked (``40001``
   otherwise, retried at the action boundary), insert the moves (append-only) and the audit event
   ``move_stock`` with the portable path's payload.

Balances of source kinds (supplier, adjustment) are not kept, as on the portable path. The CHECK
constraints and the append-only trigger stay in force. SQLite has no such function.
"""

from typing import Any

from django.db import migrations

MOVE = r"""
CREATE OR REPLACE FUNCTION inventory_move(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_today date := (p->>'today')::date;
    v_untracked text[] := ARRAY(SELECT jsonb_array_elements_text(p->'source_kinds'));
    v_anywhere text[] := ARRAY(SELECT jsonb_array_elements_text(p->'unusable_destinations'));
    v_stock text[] := ARRAY(SELECT jsonb_array_elements_text(p->'stock_kinds'));
    v_lot bigint[]; v_from bigint[]; v_to bigint[]; v_qty integer[];
    k_lot bigint[]; k_loc bigint[]; k_out integer[]; k_in integer[];
    v_bad jsonb;
    v_short jsonb;
    n integer;
BEGIN
    SELECT array_agg((e->>'lot')::bigint ORDER BY ord), array_agg((e->>'from')::bigint ORDER BY ord),
           array_agg((e->>'to')::bigint ORDER BY ord), array_agg((e->>'qty')::integer ORDER BY ord)
      INTO v_lot, v_from, v_to, v_qty
      FROM jsonb_array_elements(p->'lines') WITH ORDINALITY AS t(e, ord);
    -- 1. the lots read fresh; unusable lots only go where the portable path lets them
    SELECT jsonb_agg(jsonb_build_object('line', t.i - 1, 'field', CASE WHEN l.id IS NULL THEN 'lot'
                                                                      WHEN f.id IS NULL THEN 'from_location'
                                                                      ELSE 'to_location' END) ORDER BY t.i)
      INTO v_bad
      FROM unnest(v_lot, v_from, v_to) WITH ORDINALITY AS t(lot, src, dst, i)
      LEFT JOIN inventory_lot l ON l.id = t.lot
      LEFT JOIN inventory_location f ON f.id = t.src
      LEFT JOIN inventory_location d ON d.id = t.dst
     WHERE l.id IS NULL OR f.id IS NULL OR d.id IS NULL;
    IF v_bad IS NOT NULL THEN
        RETURN jsonb_build_object('missing', v_bad);
    END IF;
    IF (p->>'check_usable')::boolean THEN
        SELECT jsonb_build_object('line', t.i - 1, 'lot', l.id, 'batch', l.batch, 'qc_status', l.qc_status,
                                  'expiry', l.expiry)
          INTO v_bad
          FROM unnest(v_lot, v_from, v_to) WITH ORDINALITY AS t(lot, src, dst, i)
          JOIN inventory_lot l ON l.id = t.lot
          JOIN inventory_location f ON f.id = t.src
          JOIN inventory_location d ON d.id = t.dst
         WHERE NOT d.kind = ANY(v_anywhere)
           AND (l.qc_status <> 'released' OR (f.kind = ANY(v_stock) AND l.expiry < v_today))
         ORDER BY t.i LIMIT 1;
        IF v_bad IS NOT NULL THEN
            RETURN jsonb_build_object('unusable', v_bad);
        END IF;
    END IF;
    -- 2. the missing destination balances, before any lock
    INSERT INTO inventory_stockbalance (item_id, lot_id, location_id, on_hand, reserved)
    SELECT DISTINCT l.item_id, t.lot, t.dst, 0, 0
      FROM unnest(v_lot, v_to) AS t(lot, dst)
      JOIN inventory_lot l ON l.id = t.lot
      JOIN inventory_location d ON d.id = t.dst
     WHERE NOT d.kind = ANY(v_untracked)
     ORDER BY t.lot, t.dst
    ON CONFLICT DO NOTHING;
    -- 3. source and destination balances locked together in pk order, availability on the locked numbers
    SELECT coalesce(array_agg(k.lot ORDER BY k.lot, k.loc), '{}'), coalesce(array_agg(k.loc ORDER BY k.lot, k.loc), '{}'),
           coalesce(array_agg(k.o ORDER BY k.lot, k.loc), '{}'), coalesce(array_agg(k.i ORDER BY k.lot, k.loc), '{}')
      INTO k_lot, k_loc, k_out, k_in
      FROM (SELECT u.lot, u.loc, sum(u.o)::integer AS o, sum(u.i)::integer AS i
              FROM (SELECT t.lot, t.src AS loc, t.q AS o, 0 AS i FROM unnest(v_lot, v_from, v_qty) AS t(lot, src, q)
                     UNION ALL
                    SELECT t.lot, t.dst, 0, t.q FROM unnest(v_lot, v_to, v_qty) AS t(lot, dst, q)) u
              JOIN inventory_location loc ON loc.id = u.loc
             WHERE NOT loc.kind = ANY(v_untracked)
             GROUP BY u.lot, u.loc) k;
    PERFORM 1 FROM inventory_stockbalance b
     WHERE (b.lot_id, b.location_id) IN (SELECT * FROM unnest(k_lot, k_loc))
     ORDER BY b.id FOR UPDATE;
    SELECT jsonb_agg(jsonb_build_object('lot', k.lot, 'location', k.loc, 'requested', k.o,
                                        'available', coalesce(b.on_hand - b.reserved, 0))
                     ORDER BY k.lot, k.loc)
      INTO v_short
      FROM unnest(k_lot, k_loc, k_out) AS k(lot, loc, o)
      LEFT JOIN inventory_stockbalance b ON b.lot_id = k.lot AND b.location_id = k.loc
     WHERE k.o > 0 AND (b.id IS NULL OR b.on_hand - b.reserved < k.o);
    IF v_short IS NOT NULL THEN
        RETURN jsonb_build_object('short', v_short);
    END IF;
    -- 4. one conditional update of every balance, its row count checked; moves and audit event
    UPDATE inventory_stockbalance b SET on_hand = b.on_hand - k.o + k.i
      FROM unnest(k_lot, k_loc, k_out, k_in) AS k(lot, loc, o, i)
     WHERE b.lot_id = k.lot AND b.location_id = k.loc AND b.on_hand - b.reserved >= k.o;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> coalesce(array_length(k_lot, 1), 0) THEN
        RAISE EXCEPTION 'Stock kept changing; try again.' USING ERRCODE = '40001';
    END IF;
    RETURN inventory_move_write(p, v_lot, v_from, v_to, v_qty);
END;
$$;
"""

WRITE = r"""
CREATE OR REPLACE FUNCTION inventory_move_write(
    p jsonb, v_lot bigint[], v_from bigint[], v_to bigint[], v_qty integer[]
) RETURNS jsonb LANGUAGE sql AS $$
    WITH numbered AS MATERIALIZED (  -- move ids in line order, before any join can reorder the rows
        SELECT t.*, nextval(pg_get_serial_sequence('inventory_stockmove', 'id')) AS mid
          FROM unnest(v_lot, v_from, v_to, v_qty) WITH ORDINALITY AS t(lot, src, dst, q, ord)
         ORDER BY t.ord
    ), legs AS MATERIALIZED (
        SELECT t.ord, t.mid, l.item_id, t.lot, t.src, t.dst, t.q, l.unit_cost, l.batch,
               CASE WHEN f.site_id IS NOT NULL THEN fs.code || '/' || f.code ELSE f.code END AS from_label,
               CASE WHEN d.site_id IS NOT NULL THEN ds.code || '/' || d.code ELSE d.code END AS to_label,
               f.site_id AS from_site, d.site_id AS to_site, fs.organisation_id AS from_org,
               ds.organisation_id AS to_org
          FROM numbered t
          JOIN inventory_lot l ON l.id = t.lot
          JOIN inventory_location f ON f.id = t.src
          JOIN inventory_location d ON d.id = t.dst
          LEFT JOIN orgs_site fs ON fs.id = f.site_id
          LEFT JOIN orgs_site ds ON ds.id = d.site_id
    ), moves AS (
        INSERT INTO inventory_stockmove (id, at, item_id, lot_id, from_location_id, to_location_id, qty, unit_cost,
                                         reason, note, document_type, document_id, reference, actor_id, actor_label)
        SELECT mid, (p->>'now')::timestamptz, item_id, lot, src, dst, q, unit_cost, p->>'reason', p->>'note',
               p->>'document_type', (p->>'document_id')::bigint, p->>'move_reference', (p->>'actor')::bigint,
               p->>'actor_label'
          FROM legs ORDER BY ord
        RETURNING id
    ), first AS (
        SELECT * FROM legs ORDER BY ord LIMIT 1
    ), audit AS (
        INSERT INTO core_auditevent (at, actor_id, actor_label, verb, object_type_id, object_id, object_repr,
                                     before, after, request_id, organisation_id, site_id)
        SELECT (p->>'now')::timestamptz, (p->>'actor')::bigint, p->>'actor_label', 'move_stock',
               (p->>'content_type')::integer, first.mid::text, p->>'object_repr', NULL,
               jsonb_build_object('reason', p->'reason', 'reference', p->'reference',
                                  'moves', (SELECT jsonb_agg(jsonb_build_object('lot', batch, 'from', from_label,
                                                                                'to', to_label, 'qty', q) ORDER BY ord)
                                              FROM legs)),
               p->>'request_id', coalesce(first.from_org, first.to_org), coalesce(first.from_site, first.to_site)
          FROM first
        RETURNING id
    )
    SELECT jsonb_build_object(
        'made', (SELECT count(*) FROM moves), 'audit', (SELECT max(id) FROM audit),
        'moves', (SELECT jsonb_agg(jsonb_build_object('id', mid, 'unit_cost', unit_cost::text) ORDER BY ord) FROM legs))
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS inventory_move(jsonb);
DROP FUNCTION IF EXISTS inventory_move_write(jsonb, bigint[], bigint[], bigint[], integer[]);
"""


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WRITE)
        schema_editor.execute(MOVE)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0008_reserve_function"), ("orgs", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
