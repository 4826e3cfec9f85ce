"""Checks of a draft, feature by feature: every problem found (not only the first), each with the
feature, where it is, and the fix — the loader's rules (:mod:`toolkit.geo`) plus gaps between
communities wider than a road. The loader stays the gate at publish time.

Messages come from the ``planners`` catalog in zh and en: ``planners.check.<kind>`` and
``planners.fix.<kind>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from toolkit.geo import CONTAIN_TOLERANCE_M, LEVELS, OVERLAP_TOLERANCE_M2, PARENTS
from toolkit.i18n import text

ROAD_WIDTH_M = 20.0  #: a gap between communities narrower than this is a road, not a hole
GAP_MIN_M2 = 100.0


@dataclass(frozen=True)
class Problem:
    level: str
    feature_id: str
    kind: str
    severity: str = "error"  #: "error" blocks publishing, "warning" does not
    lon: float | None = None
    lat: float | None = None
    params: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def message(self, lang: str) -> str:
        return text(f"planners.check.{self.kind}", lang, id=self.feature_id, level=text(f"planners.level.{self.level}", lang),
                    **dict(self.params))

    def fix(self, lang: str) -> str:
        return text(f"planners.fix.{self.kind}", lang, id=self.feature_id, **dict(self.params))


def _p(level, fid, kind, *, where=None, severity="error", **params) -> Problem:
    lon, lat = (where.x, where.y) if where is not None else (None, None)
    return Problem(level, str(fid), kind, severity, lon, lat, tuple((k, str(v)) for k, v in params.items()))


def check_rows(rows: list[dict]) -> list[Problem]:
    """Every problem in the draft's feature rows, in layer order (streets, communities, compounds)."""
    from pyproj import CRS, Transformer

    problems: list[Problem] = []
    good: dict[str, dict[str, tuple[dict, object]]] = {level: {} for level in LEVELS}
    for level in LEVELS:
        seen: dict[str, int] = {}
        for r in (r for r in rows if r["level"] == level):
            fid = str(r["id"]).strip()
            seen[fid] = seen.get(fid, 0) + 1
            if not str(r.get("name") or "").strip():
                problems.append(_p(level, fid, "name_empty"))
            if level in PARENTS and not str(r.get(PARENTS[level][1]) or "").strip():
                problems.append(_p(level, fid, "parent_empty", column=PARENTS[level][1]))
            if level == "compounds":
                hh = r.get("households")
                if not isinstance(hh, (int, np.integer)) or hh < 0:
                    problems.append(_p(level, fid, "households", value=hh))
                elif hh == 0:
                    problems.append(_p(level, fid, "households_unknown", severity="warning"))
            geom = shapely.from_geojson(r["geometry"]) if r.get("geometry") else None
            if geom is None or geom.is_empty:
                problems.append(_p(level, fid, "no_geometry"))
                continue
            if geom.geom_type not in ("Polygon", "MultiPolygon"):
                problems.append(_p(level, fid, "not_polygon", where=geom.representative_point()))
                continue
            if not geom.is_valid:
                problems.append(_p(level, fid, "invalid",
                                   where=geom.representative_point()))
                continue
            if seen[fid] == 1:
                good[level][fid] = (r, geom)
        for fid, n in seen.items():
            if n > 1:
                problems.append(_p(level, fid, "duplicate_id", count=n))

    every = [g for level in LEVELS for _, g in good[level].values()]
    if not every:
        return problems
    lon = float(np.mean([g.centroid.x for g in every]))
    tf = Transformer.from_crs(4326, CRS.from_epsg(32600 + int((lon + 180) // 6) + 1), always_xy=True)

    def to_metric(g):
        return shapely.transform(g, lambda xy: np.column_stack(tf.transform(xy[:, 0], xy[:, 1])))

    metric = {level: {fid: to_metric(g) for fid, (_, g) in good[level].items()} for level in LEVELS}

    for level in LEVELS:  # siblings overlapping
        ids = list(metric[level])
        geoms = np.asarray([metric[level][i] for i in ids], dtype=object)
        if len(geoms) < 2:
            continue
        left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        for a, b in zip(left.tolist(), right.tolist()):
            if a < b:
                shared = shapely.intersection(geoms[a], geoms[b])
                if shared.area > OVERLAP_TOLERANCE_M2:
                    problems.append(_p(level, ids[a], "overlap", other=ids[b], area=f"{shared.area:,.0f}",
                                       where=good[level][ids[a]][1].intersection(good[level][ids[b]][1]).representative_point()))

    all_ids = {level: {str(r["id"]) for r in rows if r["level"] == level} for level in LEVELS}
    for level, (parent_level, col) in PARENTS.items():
        for fid, (r, geom) in good[level].items():
            pid = str(r.get(col) or "").strip()
            if not pid:
                continue
            if pid not in all_ids[parent_level]:
                problems.append(_p(level, fid, "unknown_parent", column=col, parent=pid, where=geom.representative_point()))
                continue
            if level == "compounds":
                community = good["communities"].get(pid)
                if community and community[0]["street_id"] != r["street_id"]:
                    problems.append(_p(level, fid, "street_mismatch", street=r["street_id"], expected=community[0]["street_id"],
                                       community=pid))
            if pid not in metric[parent_level]:
                continue
            mine, parent = metric[level][fid], metric[parent_level][pid]
            outside = mine.difference(parent.buffer(CONTAIN_TOLERANCE_M))
            if outside.area > 0:
                stray = geom.difference(good[parent_level][pid][1])
                problems.append(_p(level, fid, "outside_parent", parent=pid, area=f"{outside.area:,.0f}",
                                   where=stray.representative_point() if not stray.is_empty else geom.representative_point()))

    for sid, street in metric["streets"].items():  # holes between communities wider than a road
        inside = [g for cid, g in metric["communities"].items() if good["communities"][cid][0]["street_id"] == sid]
        if not inside:
            continue
        gap = street.difference(shapely.union_all(inside)).buffer(-ROAD_WIDTH_M / 2).buffer(ROAD_WIDTH_M / 2)
        if gap.area > GAP_MIN_M2:
            x, y = tf.transform(*gap.representative_point().coords[0], direction="INVERSE")
            problems.append(_p("streets", sid, "gap", area=f"{gap.area:,.0f}", width=f"{ROAD_WIDTH_M:.0f}",
                               where=shapely.Point(x, y)))
    return problems


def blocking(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
