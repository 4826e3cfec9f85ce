"""Bad geodata fails with an error that names the file, the feature and the fix."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from toolkit.errors import GeodataError
from toolkit.geo import load_district

DATA = Path(__file__).parent / "data"
TOY = DATA / "valid" / "toy"

# case -> (file named by the error, feature named, words of the problem, words of the fix, field)
CASES = {
    "bowtie": ("compounds.geojson", "feature 'T1C1Y2' (row 2)", "self-intersection at (104.007000, 30.606000)",
               "Fix Geometries", "geometry"),
    "compound_outside": ("compounds.geojson", "feature 'T1C1Y2' (row 2)",
                         "lies entirely outside its community 'T1C1'", "set community_id to 'T1C2'", "geometry"),
    "compound_sticks_out": ("compounds.geojson", "feature 'T1C1Y2' (row 2)", "sticks out of its community 'T1C1'",
                            "reshape it in QGIS so it lies inside 'T1C1'", "geometry"),
    "unknown_parent": ("compounds.geojson", "feature 'T1C1Y2' (row 2)",
                       "community_id 'T1C9' matches no feature in communities.geojson",
                       "set community_id to one of T1C1, T1C2", "community_id"),
    "street_mismatch": ("compounds.geojson", "feature 'T1C1Y2' (row 2)",
                        "street_id 'T2' differs from the street 'T1' of its community 'T1C1'",
                        "set street_id to 'T1'", "street_id"),
    "overlap": ("compounds.geojson", "feature 'T1C1Y1' (row 1) and feature 'T1C1Y2' (row 2) overlap",
                "overlap by", "only share their edge", "geometry"),
    "not_polygon": ("compounds.geojson", "feature 'T1C1Y2' (row 2)", "is a LineString", "Lines to Polygons",
                    "geometry"),
    "no_geometry": ("compounds.geojson", "feature 'T1C1Y2' (row 2)", "has no geometry", "draw its outline",
                    "geometry"),
    "missing_column": ("compounds.geojson", "layer 'compounds' (all 3 features)", "column 'community_id' is missing",
                       "add a column 'community_id'", "community_id"),
    "duplicate_id": ("communities.geojson", "feature 'T1C1'", "is used by rows 1, 2",
                     "give every feature its own id", "id"),
    "degrees_labelled_metres": ("communities.geojson", "layer 'communities' (all 2 features)",
                                "look like longitude/latitude, but the layer's CRS is WGS 84 / Pseudo-Mercator",
                                "gdf.set_crs(4326, allow_override=True)", None),
    "metres_labelled_degrees": ("streets.geojson", "layer 'streets' (1 feature)",
                                "which is not longitude/latitude", "EPSG:4544", None),
    "wrong_projection": ("streets.geojson", "layer 'streets' (1 feature)",
                         "outside the area where that CRS is used", "the CRS is probably wrong", None),
}


def check(error: GeodataError, file: str, feature: str, problem: str, fix: str, field: str | None) -> None:
    message = str(error)
    assert Path(error.path).name == file, message
    assert message.startswith(error.path), message
    assert feature in message, message
    assert problem in error.problem, message
    assert error.fix and fix in error.fix, message
    assert error.field == field, message
    assert f"Fix: {error.fix}" in message


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_case_fails_naming_file_feature_and_fix(case, make_case):
    folder = make_case(case)
    with pytest.raises(GeodataError) as info:
        load_district(folder)
    check(info.value, *CASES[case])
    assert str(folder) in info.value.path


def test_every_invalid_folder_is_tested_and_documented():
    folders = {p.name for p in (DATA / "invalid").iterdir() if p.is_dir()}
    assert folders == set(CASES)
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)/` \|", readme, flags=re.M))
    assert folders <= documented


def test_the_toy_itself_is_valid(toy_dir):
    district = load_district(toy_dir)
    assert list(district.compounds["id"]) == ["T1C1Y1", "T1C1Y2", "T1C2Y1"]
    assert district.demo is False  # no demo column: real data


def test_layer_in_another_crs_is_reprojected(make_case):
    district = load_district(make_case("toy_cgcs2000", kind="valid"))
    assert district.streets.crs.to_epsg() == 4326
    assert district.bounds == pytest.approx((104.00, 30.60, 104.02, 30.61), abs=1e-6)


def _toy_frames():
    import geopandas as gpd

    return {level: gpd.read_file(TOY / f"{level}.geojson") for level in ("streets", "communities", "compounds")}


def _write(frame, path, **kwargs):
    import pyogrio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.write_dataframe(frame, path, **kwargs)


def test_shapefile_without_prj_has_no_crs(toy_dir):
    frames = _toy_frames()
    (toy_dir / "communities.geojson").unlink()
    _write(frames["communities"], toy_dir / "communities.shp")
    (toy_dir / "communities.prj").unlink()
    with pytest.raises(GeodataError) as info:
        load_district(toy_dir)
    check(info.value, "communities.shp", "layer 'communities' (all 2 features)",
          "no coordinate reference system (CRS) is set", "Set CRS of Layer", None)
    assert "set_crs(4326)" in info.value.fix


def test_geopackage_layer_without_crs(tmp_path):
    frames = _toy_frames()
    gpkg = tmp_path / "district.gpkg"
    for level, frame in frames.items():
        _write(frame.set_crs(None, allow_override=True) if level == "compounds" else frame, gpkg, layer=level)
    with pytest.raises(GeodataError) as info:
        load_district(gpkg)
    check(info.value, "district.gpkg", "layer 'compounds' (all 3 features)",
          "no coordinate reference system", "Set CRS of Layer", None)


def test_missing_layer_file(toy_dir):
    (toy_dir / "compounds.geojson").unlink()
    with pytest.raises(GeodataError) as info:
        load_district(toy_dir)
    assert info.value.path == str(toy_dir)
    assert "layer 'compounds' is missing" in info.value.problem
    assert "compounds.geojson" in info.value.fix


def test_missing_layer_in_geopackage(tmp_path):
    frames = _toy_frames()
    gpkg = tmp_path / "district.gpkg"
    _write(frames["streets"], gpkg, layer="streets")
    _write(frames["communities"], gpkg, layer="communities")
    with pytest.raises(GeodataError) as info:
        load_district(gpkg)
    assert info.value.path == str(gpkg)
    assert "layer 'compounds' is missing (layers found: streets, communities)" in info.value.problem
    assert "layer name 'compounds'" in info.value.fix


def test_two_files_for_one_layer_are_ambiguous(toy_dir):
    _write(_toy_frames()["streets"], toy_dir / "streets.gpkg", layer="streets")
    with pytest.raises(GeodataError, match=r"layer 'streets' is ambiguous: streets.geojson, streets.gpkg"):
        load_district(toy_dir)


def test_missing_path_and_single_file_are_explained(tmp_path, toy_dir):
    with pytest.raises(GeodataError, match="no such file or folder. Fix: point LINLI_GEODATA"):
        load_district(tmp_path / "nowhere")
    with pytest.raises(GeodataError, match="expected a folder"):
        load_district(toy_dir / "streets.geojson")


def test_unreadable_file_keeps_gdal_reason(toy_dir):
    (toy_dir / "streets.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(GeodataError) as info:
        load_district(toy_dir)
    assert info.value.path == str(toy_dir / "streets.geojson")
    assert "layer 'streets' cannot be read" in info.value.problem
    assert "QGIS" in info.value.fix


def test_bad_households_value(toy_dir):
    path = toy_dir / "compounds.geojson"
    path.write_text(path.read_text(encoding="utf-8").replace('"households": 800', '"households": -5'),
                    encoding="utf-8")
    with pytest.raises(GeodataError) as info:
        load_district(toy_dir)
    check(info.value, "compounds.geojson", "feature 'T1C1Y2' (row 2)", "not a whole number", "0 if unknown",
          "households")


def test_several_bad_features_are_all_named(toy_dir):
    path = toy_dir / "compounds.geojson"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"households": 800', '"households": "many"')
                    .replace('"households": 1200', '"households": 2.5'), encoding="utf-8")
    with pytest.raises(GeodataError) as info:
        load_district(toy_dir)
    assert "feature 'T1C1Y2' (row 2)" in info.value.problem
    assert "(1 more: \"feature 'T1C2Y1' (row 3)\")" in info.value.problem
