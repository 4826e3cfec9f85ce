"""Planners' use cases: open a draft of the reference layers, edit it, check it, see the diff and
what would move, publish it as a new version with every record re-located, decide ambiguous ones.

Wires the pure parts (:mod:`edits`, :mod:`checks`, :mod:`diff`, :mod:`relocation`) to the store
(:mod:`toolkit.store.geodata`). The first draft makes version 1 from the geodata files the pages
use today (the baseline), and stamps every existing record with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import LinliError
from toolkit.geo import District, load_district
from toolkit.geodata import edits
from toolkit.geodata.checks import Problem, blocking, check_rows
from toolkit.geodata.diff import Change, diff_rows
from toolkit.geodata.layers import district_frames, district_from_rows, frames_to_rows, import_layer
from toolkit.geodata.relocation import Placement, relocate
from toolkit.store import Store
from toolkit.store import geodata as stored


class PublishRefused(LinliError):
    """Publishing stopped: ``problems`` (blocking check results) or ``undecided`` placements."""

    def __init__(self, problems: list[Problem], undecided: list[Placement]) -> None:
        self.problems, self.undecided = problems, undecided
        super().__init__(f"{len(problems)} problems, {len(undecided)} undecided placements")


@dataclass(frozen=True)
class Preview:
    changes: list[Change]
    placements: list[Placement]  #: every record's placement in the would-be version
    problems: list[Problem]

    @property
    def changed_placements(self) -> list[Placement]:
        return [p for p in self.placements if p.status != "kept"]


def units_of(rows: list[dict]) -> list[dict]:
    """Rows for the store's units reference list (what proposals' compound ids refer to)."""
    level = {"streets": "street", "communities": "community", "compounds": "compound"}
    parent = {"streets": None, "communities": "street_id", "compounds": "community_id"}
    return [{"id": r["id"], "level": level[r["level"]], "name": r["name"], "name_en": r["name_en"] or r["name"],
             "parent_id": r[parent[r["level"]]] if parent[r["level"]] else None} for r in rows]


def published_district(store: Store, version: int | None = None) -> District | None:
    """The district of a published version (default the newest), or None before the first one."""
    version = version if version is not None else stored.current_version(store)
    if version is None:
        return None
    return district_from_rows(stored.version_rows(store, version), source=f"{store.url} (geodata version {version})")


def ensure_baseline(store: Store, geodata: str | Path | None = None, *, actor: str = "planner") -> int:
    """Version 1 from the geodata files (``geodata`` or LINLI_GEODATA), if there is no version yet."""
    now = stored.current_version(store)
    if now is not None:
        return now
    district = load_district(geodata)
    rows = frames_to_rows(district_frames(district))
    records = stored.located_records(store)
    recorded = [{"kind": r["kind"], "record_id": r["record_id"], "status": "recorded",
                 "compound_id": r["compound_id"] if r["kind"] == "proposal" or not r["geometry"] else
                 district.locate_geometry(json.loads(r["geometry"]))} for r in records]
    return stored.create_baseline(store, rows, district.source, recorded, actor=actor)


def open_draft(store: Store, *, name: str = "", actor: str = "planner", geodata: str | Path | None = None) -> int:
    """A new draft: a copy of the current version (the baseline is made first if needed)."""
    base = ensure_baseline(store, geodata, actor=actor)
    return stored.create_draft(store, base, stored.version_rows(store, base), name or f"draft of version {base}", actor=actor)


def latest_open_draft(store: Store, *, actor: str = "planner", geodata: str | Path | None = None) -> int:
    """The newest open draft based on the current version, else a new one."""
    base = ensure_baseline(store, geodata, actor=actor)
    mine = [d for d in stored.drafts(store) if d["base_version"] == base]
    return mine[-1]["id"] if mine else open_draft(store, actor=actor, geodata=geodata)


def edit(store: Store, draft_id: int, operation: str, *args: Any, actor: str = "planner", **kwargs: Any) -> list[dict]:
    """Apply one edit from :mod:`toolkit.geodata.edits` (``add_compound``, ``reshape``, ``split``,
    ``merge``, ``set_attributes``, ``delete``) to the draft; returns the rows written."""
    if operation not in ("add_compound", "reshape", "split", "merge", "set_attributes", "delete"):
        raise ValueError(f"unknown edit {operation!r}")
    rows = stored.draft_rows(store, draft_id)
    upsert, remove = getattr(edits, operation)(rows, *args, **kwargs)
    stored.save_draft_features(store, draft_id, upsert, remove, actor=actor, action=operation)
    return upsert


def import_into_draft(store: Store, draft_id: int, path: str | Path, level: str, *, layer: str | None = None,
                      actor: str = "planner") -> int:
    """Replace one level of the draft with a layer read from a file (any format, any CRS)."""
    frame = import_layer(path, level, layer=layer)
    rows = frames_to_rows_single(frame, level)
    old = [(r["level"], r["id"]) for r in stored.draft_rows(store, draft_id) if r["level"] == level]
    stored.save_draft_features(store, draft_id, rows, old, actor=actor, action="import")
    return len(rows)


def frames_to_rows_single(frame: Any, level: str) -> list[dict]:
    import geopandas as gpd

    empty = {lv: gpd.GeoDataFrame(columns=list(frame.columns), geometry=[], crs="EPSG:4326").iloc[0:0]
             for lv in ("streets", "communities", "compounds")}
    empty[level] = frame
    return [r for r in frames_to_rows(empty) if r["level"] == level]


def check(store: Store, draft_id: int) -> list[Problem]:
    return check_rows(stored.draft_rows(store, draft_id))


def preview(store: Store, draft_id: int) -> Preview:
    """The diff against the draft's base version, the checks, and where every record would land."""
    d = stored.draft(store, draft_id)
    rows = stored.draft_rows(store, draft_id)
    base_rows = stored.version_rows(store, d["base_version"])
    problems = check_rows(rows)
    changes = diff_rows(base_rows, rows)
    placements: list[Placement] = []
    if not blocking(problems):
        new = district_from_rows(rows, source=f"draft {draft_id}")
        placements = _relocate(store, stored.located_records(store), d["base_version"], new)
    return Preview(changes, placements, problems)


def _relocate(store: Store, records: list[dict], base: int, new: District) -> list[Placement]:
    latest = stored.latest_placements(store)
    previous = {k: v["compound_id"] for k, v in latest.items()}
    old = published_district(store, base)
    return relocate(records, old, new, previous)


def publish(store: Store, draft_id: int, *, decisions: dict[tuple[str, str], str | None] | None = None,
            note: str = "", actor: str = "planner") -> tuple[int, Preview]:
    """Publish the draft as the next version. Refused (:class:`PublishRefused`) while a check
    fails or an ambiguous record has no decision in ``decisions`` ((kind, record_id) -> compound
    id or None). Ambiguous records decided here are stored as decided by ``actor``."""
    decisions = dict(decisions or {})
    pre = preview(store, draft_id)
    problems = blocking(pre.problems)
    d = stored.draft(store, draft_id)
    rows = stored.draft_rows(store, draft_id)
    new = district_from_rows(rows, source=f"draft {draft_id}") if not problems else None  # the loader is the gate
    undecided = [p for p in pre.placements if p.status == "ambiguous" and (p.kind, p.record_id) not in decisions]
    if problems or undecided:
        raise PublishRefused(problems, undecided)

    def placements_for(records: list[dict]) -> list[dict]:
        out = []
        for p in _relocate(store, records, d["base_version"], new):
            row = p.row()
            if p.status == "ambiguous":  # decided just after, in decide_placement (its own audit row)
                row["compound_id"] = decisions.get((p.kind, p.record_id))
            out.append(row)
        return out

    version = stored.publish(store, draft_id, rows, units_of(rows), placements_for, note=note, actor=actor)
    for p in pre.placements:
        if p.status == "ambiguous" and (p.kind, p.record_id) in decisions:
            stored.decide_placement(store, p.kind, p.record_id, version, decisions[(p.kind, p.record_id)], actor=actor)
    return version, pre


def changed_report(store: Store, version: int) -> list[dict]:
    """Records whose compound changed in ``version`` (moved or decided), with before and after."""
    by_version: dict[tuple[str, str], dict[int, dict]] = {}
    for row in stored.placements(store):
        by_version.setdefault((row["kind"], row["record_id"]), {})[row["version_id"]] = row
    records = {(r["kind"], r["record_id"]): r for r in stored.located_records(store)}
    out = []
    for key, per in by_version.items():
        if version not in per:
            continue
        before = [per[v] for v in sorted(per) if v < version]
        now = per[version]
        old = before[-1]["compound_id"] if before else records.get(key, {}).get("compound_id")
        if now["status"] in ("moved", "ambiguous", "decided") or (now["compound_id"] != old and now["status"] != "recorded"):
            rec = records.get(key, {})
            out.append({"kind": key[0], "record_id": key[1], "title": rec.get("title"), "receipt_code": rec.get("receipt_code"),
                        "before": old, "after": now["compound_id"], "status": now["status"],
                        "candidates": now["candidates"], "decided_by": now["decided_by"]})
    return sorted(out, key=lambda r: (r["kind"], int(r["record_id"]) if r["record_id"].isdigit() else r["record_id"]))


def funded_projects(store: Store) -> Any:
    """Round projects funded by closed rounds: round_id, project_id, name, cost_fen, proposal_id, lon, lat."""
    import pandas as pd

    from toolkit.voting import results

    rows = []
    for round_ in store.rounds():
        if round_["status"] != "closed":
            continue
        selected = set(results(store, round_["id"]).result.allocation.selected)
        for p in store.round(round_["id"])["projects"]:
            if p["project_id"] in selected:
                rows.append({"round_id": round_["id"], "project_id": p["project_id"], "name": p["name"],
                             "cost_fen": p["cost_fen"], "proposal_id": p.get("proposal_id"), "lon": p.get("lon"), "lat": p.get("lat")})
    return pd.DataFrame(rows, columns=["round_id", "project_id", "name", "cost_fen", "proposal_id", "lon", "lat"])


def export_for_qgis(store: Store, path: str | Path, *, draft_id: int | None = None, geodata: str | Path | None = None) -> list[str]:
    """One GeoPackage for QGIS: current version, the draft (default: the newest open one), proposals
    (public fields only) and funded projects, each layer with its QML style."""
    from toolkit.geodata.qgis import export_geopackage

    base = ensure_baseline(store, geodata)
    if draft_id is None:
        open_ = [d for d in stored.drafts(store) if d["base_version"] == base]
        draft_id = open_[-1]["id"] if open_ else None
    proposals = store.proposals_frame()  # public columns only (no contact)
    # placed by hand (no map position): shown at their compound's representative point, marked so
    proposals["position"] = ["map" if lon == lon and lon is not None else "compound" for lon in proposals["lon"]]
    district = published_district(store, base)
    points = {cid: g.representative_point() for cid, g in zip(district.compounds["id"], district.compounds.geometry.values)}
    for i in proposals.index[proposals["position"] == "compound"]:
        pt = points.get(proposals.at[i, "compound_id"])
        if pt is not None:
            proposals.at[i, "lon"], proposals.at[i, "lat"] = pt.x, pt.y
    return export_geopackage(path, stored.version_rows(store, base),
                             draft=stored.draft_rows(store, draft_id) if draft_id else None,
                             proposals=proposals, funded=funded_projects(store))


def import_from_qgis(store: Store, draft_id: int, path: str | Path, *, prefix: str = "draft_", actor: str = "planner") -> int:
    """Replace the draft's three levels with the layers ``<prefix>streets`` … of a GeoPackage
    (as exported and edited in QGIS; ``prefix=""`` takes the version layers)."""
    total = 0
    for level in ("streets", "communities", "compounds"):
        total += import_into_draft(store, draft_id, path, level, layer=prefix + level, actor=actor)
    return total
