"""Edits of a draft, as pure functions over feature rows (see :mod:`toolkit.geodata.layers`).

Each edit returns ``(upsert, delete)``: the rows to write and the (level, id) keys to remove, so
the store can apply it in one transaction. Geometries come in as GeoJSON dicts or shapely objects
in WGS-84 (a drawing on a GCJ-02 basemap is converted back before it gets here).
"""

from __future__ import annotations

import re
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.ops import split as shapely_split

from toolkit.errors import LinliError
from toolkit.geo import LEVELS
from toolkit.geodata.layers import geometry_json

Edit = tuple[list[dict], list[tuple[str, str]]]
ATTRIBUTES = ("name", "name_en", "street_id", "community_id", "households")


class EditError(LinliError, ValueError):
    """An edit that cannot be made; ``key`` names the catalog message (planners domain), ``params`` its values."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key, self.params = key, params
        super().__init__(f"{key}: {params}")


def _geom(g: Any) -> Any:
    return shape(g) if isinstance(g, dict) else g


def _find(rows: list[dict], level: str, fid: str) -> dict:
    for r in rows:
        if r["level"] == level and r["id"] == fid:
            return r
    raise EditError("planners.err_unknown_feature", level=level, id=fid)


def next_compound_id(rows: list[dict], community_id: str) -> str:
    """A free compound id in the demo's pattern (community id + 'Y' + number), else id + '-n'."""
    taken = {r["id"] for r in rows if r["level"] == "compounds"}
    n = 1 + max([int(m.group(1)) for r in rows if r["level"] == "compounds"
                 for m in [re.fullmatch(re.escape(community_id) + r"Y(\d+)", r["id"])] if m] or [0])
    candidate = f"{community_id}Y{n}"
    while candidate in taken:
        n += 1
        candidate = f"{community_id}Y{n}"
    return candidate


def containing(rows: list[dict], level: str, geom: Any) -> dict | None:
    """The feature of ``level`` with the largest overlap with ``geom`` (None if nothing overlaps)."""
    geom = _geom(geom)
    best, share = None, 0.0
    for r in rows:
        if r["level"] == level and r["geometry"]:
            a = shapely.area(shapely.intersection(shapely.from_geojson(r["geometry"]), geom))
            if a > share:
                best, share = r, a
    return best


def add_compound(rows: list[dict], geometry: Any, *, name: str, name_en: str = "", households: int = 0,
                 community_id: str | None = None, feature_id: str | None = None) -> Edit:
    """A new compound; its community (and street) is the one it overlaps most unless given."""
    geom = _geom(geometry)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise EditError("planners.err_not_polygon")
    if community_id is None:
        community = containing(rows, "communities", geom)
        if community is None:
            raise EditError("planners.err_outside_communities")
    else:
        community = _find(rows, "communities", community_id)
    fid = feature_id or next_compound_id(rows, community["id"])
    if any(r["level"] == "compounds" and r["id"] == fid for r in rows):
        raise EditError("planners.err_duplicate_id", id=fid)
    if not str(name).strip():
        raise EditError("planners.err_name_empty")
    row = {"level": "compounds", "id": fid, "name": str(name).strip(), "name_en": str(name_en).strip() or str(name).strip(),
           "street_id": community["street_id"], "community_id": community["id"], "households": int(households),
           "demo": False, "geometry": geometry_json(geom)}
    return [row], []


def reshape(rows: list[dict], level: str, fid: str, geometry: Any) -> Edit:
    geom = _geom(geometry)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise EditError("planners.err_not_polygon")
    return [{**_find(rows, level, fid), "geometry": geometry_json(geom)}], []


def split(rows: list[dict], fid: str, line: Any, *, new_id: str | None = None, new_name: str | None = None) -> Edit:
    """Cut a compound in two along a line drawn across it. The larger part keeps the id, name and
    households; the other part becomes a new compound (households 0, name '<name> 2' unless given)."""
    old = _find(rows, "compounds", fid)
    line = _geom(line)
    if line.geom_type not in ("LineString", "MultiLineString"):
        raise EditError("planners.err_split_needs_line")
    parts = [g for g in shapely_split(shapely.from_geojson(old["geometry"]), line).geoms if g.area > 0]
    if len(parts) < 2:
        raise EditError("planners.err_split_not_across", id=fid)
    parts.sort(key=lambda g: g.area, reverse=True)
    keep, rest = parts[0], shapely.union_all(parts[1:])
    if rest.geom_type == "MultiPolygon" and len(rest.geoms) == 1:
        rest = rest.geoms[0]
    nid = new_id or next_compound_id(rows, old["community_id"])
    if any(r["level"] == "compounds" and r["id"] == nid for r in rows):
        raise EditError("planners.err_duplicate_id", id=nid)
    new = {**old, "id": nid, "name": new_name or f"{old['name']} 2", "name_en": new_name or f"{old['name_en']} 2",
           "households": 0, "demo": False, "geometry": geometry_json(rest)}
    return [{**old, "geometry": geometry_json(keep)}, new], []


def merge(rows: list[dict], ids: list[str], *, keep_id: str | None = None) -> Edit:
    """Merge compounds into one (the first id, or ``keep_id``): geometries united, households summed."""
    if len(ids) < 2:
        raise EditError("planners.err_merge_needs_two")
    found = [_find(rows, "compounds", i) for i in ids]
    keep = _find(rows, "compounds", keep_id) if keep_id else found[0]
    if len({f["community_id"] for f in found}) > 1:
        raise EditError("planners.err_merge_communities", ids=", ".join(ids))
    geom = shapely.union_all([shapely.from_geojson(f["geometry"]) for f in found])
    merged = {**keep, "households": sum(int(f["households"]) for f in found), "geometry": geometry_json(geom)}
    return [merged], [("compounds", f["id"]) for f in found if f["id"] != keep["id"]]


def set_attributes(rows: list[dict], level: str, fid: str, **values: Any) -> Edit:
    """Set name, name_en, parents or households. A compound's street follows its community."""
    if level not in LEVELS:
        raise EditError("planners.err_unknown_feature", level=level, id=fid)
    unknown = set(values) - set(ATTRIBUTES)
    if unknown:
        raise EditError("planners.err_unknown_attribute", names=", ".join(sorted(unknown)))
    row = dict(_find(rows, level, fid))
    for key, value in values.items():
        if key == "households":
            try:
                number = int(str(value).strip())
            except ValueError:
                raise EditError("planners.err_households", value=str(value)) from None
            if number < 0:
                raise EditError("planners.err_households", value=str(value))
            row["households"] = number
        elif key in ("name", "name_en"):
            text = str(value).strip()
            if key == "name" and not text:
                raise EditError("planners.err_name_empty")
            row[key] = text or row["name"]
        else:
            row[key] = str(value).strip()
    if level == "compounds" and "community_id" in values:
        community = _find(rows, "communities", row["community_id"])
        row["street_id"] = community["street_id"]
    return [row], []


def delete(rows: list[dict], level: str, fid: str) -> Edit:
    _find(rows, level, fid)
    return [], [(level, fid)]


def apply(rows: list[dict], edit: Edit) -> list[dict]:
    """The rows after an edit (what the store will hold), order kept, new rows last."""
    upsert, remove = edit
    gone = set(remove) | {(r["level"], r["id"]) for r in upsert}
    by_key = {(r["level"], r["id"]): r for r in upsert}
    out = [by_key.pop((r["level"], r["id"]), r) if (r["level"], r["id"]) in gone else r for r in rows
           if (r["level"], r["id"]) not in set(remove)]
    return out + list(by_key.values())
