"""An outline of Baoshan for maps without internet tiles: the convex hull of the street/town
centres (orgs.AdministrativeArea), pushed outwards from its centre so the towns sit inside it."""

from __future__ import annotations

from collections.abc import Sequence

from baogong.orgs.models import AdministrativeArea

Point = tuple[float, float]


def convex_hull(points: Sequence[Point]) -> list[Point]:
    """Andrew's monotone chain; counter-clockwise, first point not repeated."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return list(pts)

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def expand(polygon: Sequence[Point], margin: float) -> list[Point]:
    if not polygon:
        return []
    cx = sum(p[0] for p in polygon) / len(polygon)
    cy = sum(p[1] for p in polygon) / len(polygon)
    return [(round(cx + (x - cx) * margin, 5), round(cy + (y - cy) * margin, 5)) for x, y in polygon]


def baoshan_outline(margin: float = 1.25) -> list[list[float]]:
    """Closed ring of [lon, lat] points."""
    points = [
        (float(lon or 0), float(lat or 0))
        for lon, lat in AdministrativeArea.objects.filter(level__in=["street", "town"])
        .filter(lat__isnull=False, lon__isnull=False)
        .values_list("lon", "lat")
    ]
    ring = expand(convex_hull(points), margin)
    return [[x, y] for x, y in [*ring, *ring[:1]]]
