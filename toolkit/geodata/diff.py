"""What changed between two sets of reference layers: added, removed, reshaped, renamed,
households changed, moved to another parent — one row per feature and kind."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

RESHAPE_TOLERANCE_M2 = 1.0  #: a feature whose outline moved by less than this (in area) is not "reshaped"
KINDS = ("added", "removed", "reshaped", "renamed", "households", "reparented")


@dataclass(frozen=True)
class Change:
    level: str
    feature_id: str
    kind: str  #: one of KINDS
    before: str  #: the old value ('' for added; area in m² for reshaped)
    after: str


def diff_rows(old: list[dict], new: list[dict]) -> list[Change]:
    """Changes from ``old`` to ``new`` feature rows, parents first, then by kind and id."""
    from pyproj import CRS, Transformer

    before = {(r["level"], r["id"]): r for r in old}
    after = {(r["level"], r["id"]): r for r in new}
    changes: list[Change] = []
    lons = [shapely.from_geojson(r["geometry"]).centroid.x for r in (old or new) if r["geometry"]]
    zone = int((float(np.mean(lons)) + 180) // 6) + 1 if lons else 48
    tf = Transformer.from_crs(4326, CRS.from_epsg(32600 + zone), always_xy=True)

    def metric(text: str):
        return shapely.transform(shapely.from_geojson(text), lambda xy: np.column_stack(tf.transform(xy[:, 0], xy[:, 1])))

    for key in after.keys() - before.keys():
        changes.append(Change(key[0], key[1], "added", "", after[key]["name"]))
    for key in before.keys() - after.keys():
        changes.append(Change(key[0], key[1], "removed", before[key]["name"], ""))
    for key in before.keys() & after.keys():
        a, b = before[key], after[key]
        if (a["name"], a["name_en"]) != (b["name"], b["name_en"]):
            changes.append(Change(key[0], key[1], "renamed", a["name"] if a["name"] != b["name"] else a["name_en"],
                                  b["name"] if a["name"] != b["name"] else b["name_en"]))
        if int(a["households"]) != int(b["households"]):
            changes.append(Change(key[0], key[1], "households", str(a["households"]), str(b["households"])))
        parent = "community_id" if key[0] == "compounds" else "street_id"
        if key[0] != "streets" and a[parent] != b[parent]:
            changes.append(Change(key[0], key[1], "reparented", a[parent], b[parent]))
        if a["geometry"] != b["geometry"]:
            ga, gb = metric(a["geometry"]), metric(b["geometry"])
            moved = shapely.area(shapely.symmetric_difference(ga, gb))
            if moved > RESHAPE_TOLERANCE_M2:
                changes.append(Change(key[0], key[1], "reshaped", f"{ga.area:.0f}", f"{gb.area:.0f}"))
    order = {"streets": 0, "communities": 1, "compounds": 2}
    return sorted(changes, key=lambda c: (order[c.level], KINDS.index(c.kind), c.feature_id))
