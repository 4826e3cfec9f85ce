"""QGIS round trip: one GeoPackage with the current version, the draft, proposals and funded
projects, a QML style per layer in ``layer_styles`` (read here with sqlite3, independently of GDAL),
no contact field anywhere; imported back equal within 0.1 m. Round projects are re-located too."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import xml.etree.ElementTree as ET

import numpy as np
import shapely

from tests.rounds.conftest import make_settings
from toolkit.geo import LEVELS, load_district
from toolkit.geodata import workflow
from toolkit.rounds.settings import Approval, Project
from toolkit.store import geodata as stored
from toolkit.store import open_store


def _closed_round(store):
    """A closed approval round over three demo proposals, with ballots that fund two of them."""
    from toolkit import voting
    from toolkit.labels import Label

    frame = store.proposals_frame()
    pts = frame[frame["geom_type"] == "Point"].head(3)
    projects = tuple(Project(f"p{i}", Label(f"项目{i}", f"Project {i}"), 4_500_000, location=(lon, lat))
                     for i, (lon, lat) in enumerate(zip(pts["lon"], pts["lat"]), 1))
    settings = dataclasses.replace(make_settings(Approval(min_picks=1, max_picks=2)), projects=projects)
    rid = voting.create_round(store, settings, proposal_ids={f"p{i}": int(p) for i, p in enumerate(pts["id"], 1)})
    voting.issue_codes(store, rid, 4)  # voting opens only once codes are issued
    store.set_round_status(rid, "open")
    for n, items in enumerate([{"p1": 1, "p2": 1}, {"p1": 1}, {"p2": 1}, {"p3": 1}]):
        store.cast_ballot(rid, items, submission_id=f"s{n}", receipt=f"R{n}", code_hash=None, channel="paper")
    voting.close_round(store, rid)
    return rid, pts


def test_geopackage_for_qgis_styled_no_contact_and_back(demo_db, tmp_path):
    from toolkit.workspace import open_workspace
    from toolkit.proposals import Draft

    ws = open_workspace(demo_db)
    store = ws.store
    pt = ws.district.compounds.geometry.iloc[5].representative_point()
    ws.submit_proposal(Draft(submission_id="with-contact", title="门禁坏了", problem="门禁坏了", why="", suggestion="修好",
                             category=ws.rules.categories[0].id, geometry={"type": "Point", "coordinates": [pt.x, pt.y]},
                             channel=ws.rules.channels[0].id, lang="zh", contact="13800001234"))
    assert store.proposals_frame(include_contact=True)["contact"].eq("13800001234").sum() == 1
    rid, pts = _closed_round(store)
    draft = workflow.open_draft(store)
    workflow.edit(store, draft, "set_attributes", "compounds", "S1C1Y1", name="改名小区")
    gpkg = tmp_path / "district.gpkg"
    layers = workflow.export_for_qgis(store, gpkg)
    assert layers == ["streets", "communities", "compounds", "draft_streets", "draft_communities", "draft_compounds",
                      "proposals", "funded_projects"]

    with sqlite3.connect(gpkg) as conn:  # the GeoPackage read as plain SQLite, not through GDAL
        styles = conn.execute("SELECT f_table_name, f_geometry_column, styleQML, useAsDefault FROM layer_styles").fetchall()
        geometry_columns = dict(conn.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        proposal_columns = [r[1] for r in conn.execute("PRAGMA table_info(proposals)")]
        n_proposals = conn.execute("SELECT count(*) FROM proposals").fetchone()[0]
        funded = sorted(r[0] for r in conn.execute("SELECT project_id FROM funded_projects"))
    assert sorted(s[0] for s in styles) == sorted(layers)
    for name, column, qml, default in styles:
        assert column == geometry_columns[name] and default == 1
        root = ET.fromstring(qml.split("\n", 1)[1])
        assert root.tag == "qgis" and root.find("renderer-v2/symbols/symbol") is not None
    compounds_qml = dict((s[0], s[2]) for s in styles)["compounds"]
    assert ET.fromstring(compounds_qml.split("\n", 1)[1]).find("labeling/settings/text-style").get("fieldName") == "name"
    assert "contact" not in proposal_columns and n_proposals == 241
    assert funded == ["p1", "p2"]
    data = gpkg.read_bytes()
    assert b"contact" not in data.lower() and "13800001234".encode() not in data

    # back: the version layers load as a district equal to the current version (within 0.1 m)
    district = load_district(gpkg)
    version = {(r["level"], r["id"]): r for r in stored.version_rows(store, 1)}
    for level in LEVELS:
        frame = getattr(district, level)
        assert len(frame) == sum(1 for k in version if k[0] == level)
        for fid, geom in zip(frame["id"], frame.geometry.values):
            src = shapely.from_geojson(version[(level, fid)]["geometry"])
            assert shapely.hausdorff_distance(geom, src) * 111_000 < 0.1
    # and the draft layers back into a draft: the same rows as the draft they came from
    second = workflow.open_draft(store)
    assert workflow.import_from_qgis(store, second, gpkg) == 87
    got = {(r["level"], r["id"]): r for r in stored.draft_rows(store, second)}
    want = {(r["level"], r["id"]): r for r in stored.draft_rows(store, draft)}
    assert got.keys() == want.keys() and got[("compounds", "S1C1Y1")]["name"] == "改名小区"
    assert all(got[k]["households"] == want[k]["households"] and got[k]["community_id"] == want[k]["community_id"] for k in got)


def test_round_projects_are_relocated_and_keep_their_version(demo_db):
    store = open_store(demo_db)
    rid, pts = _closed_round(store)
    draft = workflow.open_draft(store)  # baseline: the round projects recorded in version 1
    v1 = {p["record_id"]: p for p in stored.placements(store, 1) if p["kind"] == "round_project"}
    assert set(v1) == {f"{rid}:p1", f"{rid}:p2", f"{rid}:p3"}
    target = pts.iloc[0]
    assert v1[f"{rid}:p1"]["compound_id"] == target["compound_id"]
    # remove the compound holding p1: the point now lies in no compound -> ambiguous, planner decides
    workflow.edit(store, draft, "delete", "compounds", target["compound_id"])
    pre = workflow.preview(store, draft)
    amb = {(p.kind, p.record_id) for p in pre.placements if p.status == "ambiguous"}
    assert ("round_project", f"{rid}:p1") in amb and ("proposal", str(int(target["id"]))) in amb
    decisions = {key: None for key in amb}
    version, _ = workflow.publish(store, draft, decisions=decisions)
    report = {(r["kind"], r["record_id"]): r for r in workflow.changed_report(store, version)}
    assert report[("round_project", f"{rid}:p1")]["status"] == "decided"
    assert report[("round_project", f"{rid}:p1")]["after"] is None
    # a round created after publishing is stamped with version 2 by the database
    from toolkit import voting
    from tests.rounds.conftest import make_settings as ms

    rid2 = voting.create_round(store, ms(Approval(min_picks=1, max_picks=2)))
    stamps = {p["record_id"]: p["version_id"] for p in stored.placements(store) if p["record_id"].startswith(f"{rid2}:")}
    assert stamps and set(stamps.values()) == {2}


def test_cli_exports_and_imports_the_geopackage(demo_db, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "x.gpkg"
    def run(*a):
        return subprocess.run([sys.executable, "-m", "toolkit.cli", *a, "--db", demo_db], capture_output=True, text=True)

    r = run("qgis", "export", str(out))
    assert r.returncode == 0 and "compounds" in r.stdout and out.exists(), r.stderr
    r = run("qgis", "import", str(out), "--prefix", "")
    assert r.returncode == 0 and "87 features" in r.stdout, r.stderr
    r = run("qgis", "import", str(tmp_path / "missing.gpkg"))
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
