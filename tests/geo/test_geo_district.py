"""District: locating points and shapes, names, GeoJSON for maps, and where the data comes from."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
import shapely

from toolkit.errors import GeodataError
from toolkit.geo import DEMO_GEODATA, ENV_VAR, LEVELS, load_district

ROOT = Path(__file__).resolve().parents[2]


def _gap_point(demo, community_id="S3C2"):
    """A point inside a community but on a road between its compounds."""
    community = demo.communities.set_index("id").geometry[community_id]
    compounds = demo.compounds[demo.compounds["community_id"] == community_id].geometry
    gap = community.difference(shapely.union_all(compounds.values).buffer(0.0002))
    return gap.representative_point()


def test_locate_finds_every_compound(demo):
    for cid, geom in zip(demo.compounds["id"], demo.compounds.geometry):
        point = geom.representative_point()
        assert demo.locate(point.x, point.y) == cid
        # a corner counts as inside too (boundary included)
        assert demo.locate(*geom.exterior.coords[0]) == cid


def test_locate_many_agrees_with_locate(demo):
    rng = np.random.default_rng(7)
    minlon, minlat, maxlon, maxlat = demo.bounds
    lons = np.concatenate([rng.uniform(minlon - 0.01, maxlon + 0.01, 240),
                           [g.representative_point().x for g in demo.compounds.geometry]])
    lats = np.concatenate([rng.uniform(minlat - 0.01, maxlat + 0.01, 240),
                           [g.representative_point().y for g in demo.compounds.geometry]])
    many = demo.locate_many(lons, lats)
    assert many == [demo.locate(x, y) for x, y in zip(lons, lats)]
    assert many[240:] == list(demo.compounds["id"])
    assert any(m is None for m in many[:240]) and any(m is not None for m in many[:240])


def test_road_gap_and_outside_are_no_compound(demo):
    gap = _gap_point(demo)
    assert demo.locate(gap.x, gap.y) is None
    assert demo.contains(gap.x, gap.y) is True
    minlon, minlat, maxlon, maxlat = demo.bounds
    for lon, lat in ((minlon - 0.01, 30.66), (104.06, 30.66), (0.0, 0.0)):  # west, the "centre", nowhere
        assert demo.locate(lon, lat) is None
        assert demo.contains(lon, lat) is False


def test_locate_geometry(demo):
    table = demo.compounds.set_index("id").geometry
    a, b = table["S2C1Y1"], table["S2C1Y2"]
    pa, pb = a.representative_point(), b.representative_point()
    gap = _gap_point(demo, "S2C1")
    assert demo.locate_geometry(pa) == "S2C1Y1"
    assert demo.locate_geometry(shapely.geometry.mapping(pb)) == "S2C1Y2"  # GeoJSON dict
    # a line from inside A out into the road: A
    assert demo.locate_geometry(shapely.LineString([pa, gap])) == "S2C1Y1"
    # an area covering all of B and a sliver of A: B
    sliver = a.intersection(shapely.Point(pa).buffer(0.0003))
    assert demo.locate_geometry(shapely.union_all([b, sliver])) == "S2C1Y2"
    # more points in A than in B: A
    assert demo.locate_geometry(shapely.MultiPoint([pa, pa.buffer(1e-5).exterior.coords[0], pb])) == "S2C1Y1"
    # a line along A's edge shares no length with any compound: falls back to its midpoint (on the edge: A)
    edge = shapely.LineString(a.exterior.coords[:2])
    assert demo.locate_geometry(edge) == "S2C1Y1"
    assert demo.locate_geometry(gap.buffer(1e-5)) is None
    assert demo.locate_geometry(shapely.Point(0, 0)) is None
    assert demo.locate_geometry(shapely.Polygon()) is None


def test_bounds_center_and_names(demo):
    minlon, minlat, maxlon, maxlat = demo.bounds
    lat, lon = demo.center
    assert minlat < lat < maxlat and minlon < lon < maxlon
    assert demo.contains(lon, lat)
    names = demo.compound_names()
    assert list(names) == list(demo.compounds["id"])
    assert names["S1C1Y1"] == ("锦绣花园", "Jinxiu Garden")
    assert demo.community_of("S4C2Y3") == "S4C2"
    assert demo.street_of("S4C2Y3") == "S4" and demo.street_of("S5C1") == "S5"
    with pytest.raises(KeyError, match="unknown compound id 'S9C9Y9'"):
        demo.community_of("S9C9Y9")
    with pytest.raises(KeyError, match="unknown community id 'nope'"):
        demo.street_of("nope")


def test_compound_table(demo):
    table = demo.compound_table()
    assert len(table) == len(demo.compounds)
    assert table.notna().all().all()
    row = table.set_index("compound_id").loc["S6C3Y1"]
    assert row["community_id"] == "S6C3" and row["street"] == "青杠林街道" and row["community"] == "松林社区"


@pytest.mark.parametrize("level", LEVELS)
def test_geojson_layers(demo, level):
    frame = getattr(demo, level)
    collection = demo.geojson(level)
    assert collection["type"] == "FeatureCollection"
    assert [f["properties"]["id"] for f in collection["features"]] == list(frame["id"])
    keys = {"streets": ["id", "name", "name_en"], "communities": ["id", "name", "name_en", "street_id"],
            "compounds": ["id", "name", "name_en", "community_id", "street_id"]}[level]
    assert all(list(f["properties"]) == keys for f in collection["features"])
    first = shapely.geometry.shape(collection["features"][0]["geometry"])
    assert first.equals(frame.geometry.iloc[0])
    collection["features"].clear()  # callers may change their copy
    assert len(demo.geojson(level)["features"]) == len(frame)


def test_geojson_unknown_level_lists_the_valid_ones(demo):
    with pytest.raises(ValueError, match="streets, communities, compounds"):
        demo.geojson("buildings")


def test_default_source_and_environment_variable(monkeypatch, toy_dir):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert load_district().source == str(DEMO_GEODATA)
    monkeypatch.setenv(ENV_VAR, str(toy_dir))
    district = load_district()
    assert district.source == str(toy_dir) and list(district.streets["id"]) == ["T1"]
    monkeypatch.setenv(ENV_VAR, str(toy_dir / "missing"))
    with pytest.raises(GeodataError, match="no such file or folder"):
        load_district()


def _snapshot(path: Path) -> dict:
    files = [path] if path.is_file() else sorted(path.rglob("*"))
    return {str(p): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest()) for p in files}


def test_every_format_loads_the_same_district(demo, demo_source):
    name, path = demo_source
    before = _snapshot(path)
    district = load_district(path)
    assert _snapshot(path) == before, "loading must not write to geodata"
    assert district.source == str(path) and district.demo is True
    for level in LEVELS:
        got, want = getattr(district, level), getattr(demo, level)
        assert got.crs.to_epsg() == 4326
        assert list(got.columns) == list(want.columns), level
        assert got.drop(columns="geometry").equals(want.drop(columns="geometry")), (name, level)
        tolerance = 1e-7 if name == "cgcs2000" else 0.0
        # Shapefiles store rings clockwise: compare normalised vertex lists
        assert got.geometry.normalize().geom_equals_exact(want.geometry.normalize(), tolerance=tolerance).all(), \
            (name, level)
    point = demo.compounds.geometry.iloc[10].representative_point()
    assert district.locate(point.x, point.y) == demo.compounds["id"].iloc[10]


def test_geo_module_never_writes_files():
    source = (ROOT / "toolkit" / "geo.py").read_text(encoding="utf-8")
    assert not re.search(r"to_file|write_dataframe|write_text|write_bytes|\bopen\(|to_parquet|mkdir", source)
