"""Re-locating records (proposals, round projects) against a new version of the reference layers.

Every record gets a placement in the new version: ``kept`` (same compound), ``moved`` (another
compound, unambiguously) or ``ambiguous`` (the planner decides among ``candidates``): a point that
fell out of every compound, a line or area now shared by compounds with no clear majority, or a
record placed by hand in a compound that is gone and now overlaps several.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import shapely
from shapely.geometry import shape

from toolkit.geo import District

MAJORITY = 0.6  #: a line or area belongs to a compound holding at least this share of it
NEAR_DEG = 0.0006  #: ≈ 60 m: compounds this near a point that fell outside are candidates


@dataclass(frozen=True)
class Placement:
    kind: str
    record_id: str
    old_compound: str | None
    compound_id: str | None
    status: str  #: kept, moved, ambiguous
    candidates: tuple[str, ...] = ()

    def row(self) -> dict:
        return {"kind": self.kind, "record_id": self.record_id, "compound_id": self.compound_id,
                "status": self.status, "candidates": list(self.candidates)}


def _shares(district: District, geom) -> list[tuple[str, float]]:
    """(compound id, share of the geometry's length/area/points) for every compound it touches, largest first."""
    frame = district.compounds
    out = []
    dim = shapely.get_dimensions(geom)
    total = geom.length if dim == 1 else geom.area if dim == 2 else max(len(getattr(geom, "geoms", [geom])), 1)
    for cid, poly in zip(frame["id"], frame.geometry.values):
        if not poly.intersects(geom):
            continue
        part = poly.intersection(geom)
        amount = part.length if dim == 1 else part.area if dim == 2 else len(getattr(part, "geoms", [part]))
        if amount > 0 and total > 0:
            out.append((str(cid), amount / total))
    return sorted(out, key=lambda t: -t[1])


def relocate(records: list[dict], old: District | None, new: District, previous: dict[tuple[str, str], str | None]) -> list[Placement]:
    """Placements in ``new`` for ``records`` (dicts from the store: kind, record_id, geometry,
    compound_id). ``previous`` maps (kind, record_id) to the compound of the record's latest
    placement (falling back to the record's own compound_id)."""
    new_ids = set(new.compounds["id"])
    out = []
    for rec in records:
        key = (rec["kind"], rec["record_id"])
        before = previous.get(key, rec.get("compound_id"))
        if rec.get("geometry"):
            geom = shape(json.loads(rec["geometry"]))
            if geom.geom_type == "Point":
                now = new.locate(geom.x, geom.y)
                if now is None and before is not None:
                    near = [cid for cid, _ in _shares(new, geom.buffer(NEAR_DEG))]
                    out.append(Placement(*key, before, None, "ambiguous", tuple(near)))
                    continue
            else:
                shares = _shares(new, geom)
                if len(shares) > 1 and shares[0][1] < MAJORITY:
                    out.append(Placement(*key, before, shares[0][0], "ambiguous", tuple(c for c, _ in shares)))
                    continue
                now = shares[0][0] if shares else new.locate_geometry(geom)
        else:  # placed by hand: keep the compound if it still exists
            if before in new_ids or before is None:
                now = before
            else:
                gone = old.compounds.geometry[old.compounds["id"] == before] if old is not None else []
                shares = _shares(new, gone.iloc[0]) if len(gone) else []
                if len(shares) == 1:
                    now = shares[0][0]
                else:
                    out.append(Placement(*key, before, None, "ambiguous", tuple(c for c, _ in shares)))
                    continue
        out.append(Placement(*key, before, now, "kept" if now == before else "moved"))
    return out
