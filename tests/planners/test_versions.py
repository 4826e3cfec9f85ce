"""Drafts, checks, diff, publish and re-location on the demo database (240 proposals): a planner
draws a new compound, splits one, edits an attribute and publishes; the diff lists exactly those
changes; a proposal in the split-off part is re-located and reported; every stored proposal keeps
its compound and the version it was made under; running workspaces pick up the new version."""

from __future__ import annotations

import json

import pytest
import shapely
from sqlalchemy import text as sql

from tests.planners.conftest import free_square, split_case
from toolkit.errors import StoreError
from toolkit.geo import load_district
from toolkit.geodata import workflow
from toolkit.geodata.diff import Change
from toolkit.store import geodata as stored
from toolkit.store import open_store
from toolkit.workspace import open_workspace


def _changes(pre):
    return {(c.level, c.feature_id, c.kind) for c in pre.changes}


def test_draw_split_edit_publish_diff_and_relocation(demo_db):
    ws = open_workspace(demo_db)  # a running page, opened before anything is published
    store = ws.store
    district = ws.district
    before = store.proposals_frame()[["id", "compound_id", "geometry"]].copy()
    draft = workflow.open_draft(store, actor="王规划")
    assert stored.current_version(store) == 1
    recorded = stored.placements(store, 1)
    assert len(recorded) == 240 and {p["status"] for p in recorded} == {"recorded"}

    cid, line, in_small, in_big = split_case(district, store)
    community = district.community_of(cid)
    square = free_square(district, community)
    added = workflow.edit(store, draft, "add_compound", shapely.geometry.mapping(square), name="新绿苑", name_en="Xinlü Yuan",
                          households=120)[0]
    split = workflow.edit(store, draft, "split", cid, {"type": "LineString", "coordinates": line})
    new_part = split[1]["id"]
    other = [c for c in district.compounds["id"] if c != cid][0]
    workflow.edit(store, draft, "set_attributes", "compounds", other, households=777)

    pre = workflow.preview(store, draft)
    assert [p for p in pre.problems if p.severity == "error"] == []
    assert _changes(pre) == {("compounds", added["id"], "added"), ("compounds", new_part, "added"),
                             ("compounds", cid, "reshaped"), ("compounds", other, "households")}
    hh = [c for c in pre.changes if c.kind == "households"][0]
    assert (hh.before, hh.after) == (str(int(district.compounds.set_index("id").loc[other, "households"])), "777")

    version, _ = workflow.publish(store, draft, note="split and new compound", actor="王规划")
    assert version == 2
    report = {int(r["record_id"]): r for r in workflow.changed_report(store, 2) if r["kind"] == "proposal"}
    assert set(report) == set(in_small)  # exactly the proposals of the split-off part
    for pid in in_small:
        assert (report[pid]["before"], report[pid]["after"], report[pid]["status"]) == (cid, new_part, "moved")
    v2 = {p["record_id"]: p for p in stored.placements(store, 2)}
    assert all(v2[str(i)]["compound_id"] == cid and v2[str(i)]["status"] == "kept" for i in in_big)

    # nothing recorded is rewritten: every proposal keeps its compound; version 1 still says so
    after = store.proposals_frame()[["id", "compound_id", "geometry"]]
    assert after.equals(before)
    v1 = {p["record_id"]: p["compound_id"] for p in stored.placements(store, 1)}
    assert all(v1[str(i)] == cid for i in in_small)

    # the running workspace picks up version 2 at its next submit; the new proposal is stamped v2
    from toolkit.proposals import Draft

    point = shapely.Point(json.loads(before.set_index("id").loc[in_small[0], "geometry"])["coordinates"])
    stored_ = ws.submit_proposal(Draft(submission_id="after-v2", title="路灯坏了", problem="晚上太黑", why="",
                                       suggestion="修路灯", category=ws.rules.categories[0].id,
                                       geometry={"type": "Point", "coordinates": [point.x, point.y]},
                                       channel=ws.rules.channels[0].id, lang="zh"))
    assert ws.geo_version == 2
    assert store.proposal(stored_.id)["compound_id"] == new_part
    stamp = [p for p in stored.placements(store) if p["record_id"] == str(stored_.id) and p["kind"] == "proposal"]
    assert [(p["version_id"], p["status"], p["compound_id"]) for p in stamp] == [(2, "recorded", new_part)]
    # a fresh page opens on version 2 too
    assert open_workspace(demo_db).district.compound_names()[added["id"]] == ("新绿苑", "Xinlü Yuan")


def test_checks_list_every_problem_feature_by_feature_and_block_publishing(demo_db):
    store = open_store(demo_db)
    district = load_district()
    draft = workflow.open_draft(store)
    a, b = list(district.compounds["id"][:2])
    geom_b = district.compounds.geometry.iloc[1]
    workflow.edit(store, draft, "reshape", "compounds", a, shapely.geometry.mapping(geom_b.buffer(0.0002)))
    stored.save_draft_features(store, draft, [{**[r for r in stored.draft_rows(store, draft) if r["id"] == b][0],
                                               "name": " "}], [], actor="t", action="t")
    far = district.compounds[district.compounds["community_id"] != district.community_of(a)].iloc[0]
    elsewhere = district.communities[district.communities["id"] != far["community_id"]]["id"].iloc[0]
    workflow.edit(store, draft, "set_attributes", "compounds", far["id"], community_id=elsewhere)
    problems = workflow.check(store, draft)
    kinds = {(p.feature_id, p.kind) for p in problems if p.severity == "error"}
    assert (a, "overlap") in kinds and (b, "name_empty") in kinds and (far["id"], "outside_parent") in kinds
    overlap = [p for p in problems if p.kind == "overlap"][0]
    assert overlap.lon is not None and b in overlap.message("en") and "平方米" in overlap.message("zh")
    assert "share their edge" in overlap.fix("en") and "边线" in overlap.fix("zh")
    with pytest.raises(workflow.PublishRefused) as err:
        workflow.publish(store, draft)
    assert err.value.problems and stored.current_version(store) == 1


def test_a_gap_between_communities_is_found(demo_db):
    store = open_store(demo_db)
    draft = workflow.open_draft(store)
    rows = stored.draft_rows(store, draft)
    comm = [r for r in rows if r["level"] == "communities"][0]
    shrunk = shapely.from_geojson(comm["geometry"]).buffer(-0.001)
    workflow.edit(store, draft, "reshape", "communities", comm["id"], shapely.geometry.mapping(shrunk))
    gaps = [p for p in workflow.check(store, draft) if p.kind == "gap"]
    assert [p.feature_id for p in gaps] == [comm["street_id"]]


def test_ambiguous_records_wait_for_the_planners_decision(demo_db):
    store = open_store(demo_db)
    district = load_district()
    draft = workflow.open_draft(store)
    frame = store.proposals_frame()
    row = frame[frame["geom_type"] == "Point"].iloc[0]
    cid = row["compound_id"]
    pt = shapely.Point(json.loads(row["geometry"])["coordinates"])
    poly = district.compounds.geometry[district.compounds["id"] == cid].iloc[0]
    workflow.edit(store, draft, "reshape", "compounds", cid, shapely.geometry.mapping(poly.difference(pt.buffer(0.0002))))
    pre = workflow.preview(store, draft)
    amb = [p for p in pre.placements if p.record_id == str(row["id"]) and p.kind == "proposal"][0]
    assert amb.status == "ambiguous" and cid in amb.candidates
    with pytest.raises(workflow.PublishRefused) as err:
        workflow.publish(store, draft)
    assert [u.record_id for u in err.value.undecided if u.kind == "proposal"] == [str(row["id"])]
    version, _ = workflow.publish(store, draft, decisions={("proposal", str(row["id"])): cid}, actor="李工")
    rep = [r for r in workflow.changed_report(store, version) if r["record_id"] == str(row["id"])][0]
    assert (rep["status"], rep["after"], rep["decided_by"]) == ("decided", cid, "李工")
    with pytest.raises(StoreError, match="only an ambiguous placement"):
        stored.decide_placement(store, "proposal", str(row["id"]), version, None, actor="x")


def test_database_rules_hold_whatever_python_sends(db_url):
    store = open_store(db_url)
    d1 = workflow.open_draft(store)
    d2 = workflow.open_draft(store)
    workflow.publish(store, d1)
    with pytest.raises(StoreError, match="version 2 was published while this draft was open"):
        workflow.publish(store, d2)  # same base: the database refuses a second version 2
    for statement in ("UPDATE geo_version_features SET households = 1 WHERE version_id = 1",
                      "DELETE FROM geo_version_features WHERE version_id = 1",
                      "INSERT INTO geo_version_features (version_id, level, feature_id, name, name_en, street_id, "
                      "community_id, households, demo, geometry) VALUES (1, 'streets', 'SX', 'x', 'x', '', '', 0, 0, '{}')",
                      f"UPDATE geo_draft_features SET name = 'x' WHERE draft_id = {d1}",
                      f"UPDATE geo_drafts SET status = 'open', published_version = NULL WHERE id = {d1}",
                      "UPDATE geo_versions SET note = 'x'"):
        with pytest.raises(Exception):
            with store.write() as conn:
                conn.execute(sql(statement))
    with pytest.raises(StoreError, match="no longer open"):
        stored.save_draft_features(store, d1, [], [("compounds", "S1C1Y1")], actor="x", action="x")
