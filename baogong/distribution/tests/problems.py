"""Building allocation problems in tests (the DESIGN.md input shape)."""


def wh(wid, lon, stock, lat=0.0):
    return {"id": wid, "lat": lat, "lon": lon, "stock": stock}


def req(rid, tier, lines, lon=0.0, lat=0.0, needed_by="2022-04-02", submitted_at="2022-03-31T09:00:00"):
    return {
        "id": rid,
        "tier": tier,
        "lat": lat,
        "lon": lon,
        "needed_by": needed_by,
        "submitted_at": submitted_at,
        "lines": [{"item": i, "qty": q} for i, q in lines],
    }


def qty_of(answer):
    return {(line["request"], line["item"]): line["qty"] for line in answer["lines"]}
