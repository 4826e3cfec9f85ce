"""The editor page in-process (buttons clicked from Python): drawings on the Gaode (GCJ-02) basemap
are stored in WGS-84, hostile names stay text, forged widget values are refused with a message in
the page's language, merge and delete work, and an ambiguous record needs a choice before publishing."""

from __future__ import annotations

import json

import shapely

from tests.planners.conftest import free_square
from toolkit.geo import load_district
from toolkit.geodata.basemaps import available_basemaps
from toolkit.geodata.gcj02 import distance_m, transform_geojson
from toolkit.store import geodata as stored
from toolkit.store import open_store
from toolkit.ui.geodata_editor import GeodataEditor


def _editor(db, lang="zh"):
    maps = available_basemaps({"LINLI_GAODE_TILES": "1", "LINLI_TIANDITU_KEY": "k"})
    return GeodataEditor(open_store(db), lang=lang, basemaps=maps)


def test_drawing_on_gaode_is_stored_in_wgs84(demo_db):
    district = load_district()
    ed = _editor(demo_db)
    wgs_first = ed.compounds.data["features"][0]["geometry"]["coordinates"][0][0]
    ed.basemap.value = "gaode"
    assert ed.datum == "gcj02" and len(ed.tiles.layers) == 1 and "autonavi" in ed.tiles.layers[0].url
    shown_first = ed.compounds.data["features"][0]["geometry"]["coordinates"][0][0]
    assert distance_m(*wgs_first, *shown_first) > 300  # outlines are shifted onto the GCJ-02 tiles
    square = free_square(district, "S2C1")
    drawn = transform_geojson(shapely.geometry.mapping(square), "gcj02")  # what the person traced on Gaode
    ed.mode.value = "add"
    ed.new_name.value = "高德画的小区"
    ed._drawn(action="created", geo_json={"type": "Feature", "geometry": json.loads(json.dumps(drawn))})
    row = [r for r in stored.draft_rows(ed.store, ed.draft_id) if r["name"] == "高德画的小区"][0]
    saved = shapely.from_geojson(row["geometry"])
    assert shapely.hausdorff_distance(saved, square) * 111_000 < 0.01  # back in WGS-84, within 1 cm
    ed.basemap.value = "tianditu"
    assert ed.datum == "wgs84" and len(ed.tiles.layers) == 2


def test_hostile_names_forged_values_merge_and_delete(demo_db):
    ed = _editor(demo_db, lang="en")
    ed.focus.value = "S1C1Y1"
    ed.name.value = '<img src=x onerror="alert(1)">'
    ed.apply.click()
    assert "<img" not in ed.table.value and "&lt;img src=x" in ed.table.value
    assert all("<img" not in f["properties"]["name"] for f in ed.compounds.data["features"])
    ed.households.value = "-5"
    ed.apply.click()
    assert "not a whole number" in ed.message.value and "linli-error" in ed.message.value
    ed.households.value = "510"
    ed.community.options = list(ed.community.options) + [("forged", "NOPE")]  # a browser can send anything
    ed.community.value = "NOPE"
    ed.apply.click()
    assert "there is no feature NOPE" in ed.message.value
    ed.community.value = "S1C1"
    ed.merge_with.value = "S1C1Y2"
    ed.merge_button.click()
    rows = {r["id"]: r for r in stored.draft_rows(ed.store, ed.draft_id) if r["level"] == "compounds"}
    district = load_district()
    hh = district.compounds.set_index("id")["households"]
    assert "S1C1Y2" not in rows and rows["S1C1Y1"]["households"] == hh["S1C1Y1"] + hh["S1C1Y2"]
    ed.focus.value = "S1C1Y3"
    ed.delete_button.click()
    ed.preview_button.click()
    kinds = {(c.feature_id, c.kind) for c in ed.preview.changes}
    assert kinds == {("S1C1Y1", "renamed"), ("S1C1Y1", "reshaped"), ("S1C1Y1", "households"),
                     ("S1C1Y2", "removed"), ("S1C1Y3", "removed")}
    # records of the deleted compound are ambiguous: publishing waits for a choice per record
    assert ed.decisions.children
    ed.confirm.value = True
    ed.publish_button.click()
    assert "Choose a compound" in ed.message.value and stored.current_version(ed.store) == 1
    for dd in ed.decisions.children:
        dd.value = "-"
    ed.publish_button.click()
    assert "Version 2 published" in ed.message.value, ed.message.value
    assert stored.current_version(ed.store) == 2
    decided = [p for p in stored.placements(ed.store, 2) if p["status"] == "decided"]
    assert len(decided) == len(ed.decisions.children) or decided
