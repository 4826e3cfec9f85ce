"""Import of the reference layers from GeoPackage / Shapefile / GeoJSON in CGCS2000 Gauss-Krüger:
the demo layers written with GDAL (pyogrio) in EPSG:4547 (3-degree GK CM 114E, the zone named in
the issue; the demo district moved 10.2° east to Wuhan's longitude, where that zone is used),
EPSG:4544 (CM 105E, the zone that fits Chengdu) and as a GeoPackage read back equal to the source
within 0.1 m; a broken import names the feature and the fix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shapely

from toolkit.errors import GeodataError
from toolkit.geo import DEMO_GEODATA, LEVELS
from toolkit.geodata.layers import import_district, import_layer

METRIC = 32648  # UTM 48N: an independent metric CRS for measuring the difference


def _source(shift_lon: float = 0.0):
    import geopandas as gpd

    frames = {level: gpd.read_file(DEMO_GEODATA / f"{level}.geojson") for level in LEVELS}
    if shift_lon:
        for frame in frames.values():
            frame.geometry = frame.geometry.translate(xoff=shift_lon)
    return frames


ZONE_SHIFT = {4547: 10.2, 4544: 0.0}  # CM 114E: Wuhan's longitude; CM 105E: Chengdu's


def _write(frame, path, **kw):
    import pyogrio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Shapefile cuts community_id to community_: that is part of the test
        pyogrio.write_dataframe(frame, path, **kw)


def _max_difference_m(a, b) -> float:
    ga = np.asarray(a.to_crs(METRIC).geometry.values, dtype=object)
    gb = np.asarray(b.to_crs(METRIC).geometry.values, dtype=object)
    return float(np.max(shapely.hausdorff_distance(ga, gb)))


@pytest.mark.parametrize("fmt,epsg", [("shapefile", 4547), ("shapefile", 4544), ("gpkg", 4547), ("gpkg", 4544),
                                      ("geojson", 4544)])
def test_demo_layers_in_cgcs2000_read_back_within_10_cm(tmp_path, fmt, epsg, capsys):
    source = _source(ZONE_SHIFT[epsg])
    for level, frame in source.items():
        projected = frame.to_crs(epsg)
        if fmt == "shapefile":
            _write(projected, tmp_path / f"{level}.shp")
        elif fmt == "gpkg":
            _write(projected, tmp_path / "district.gpkg", layer=level)
        else:
            _write(projected, tmp_path / f"{level}.geojson", driver="GeoJSON")
    path = tmp_path / "district.gpkg" if fmt == "gpkg" else tmp_path
    district = import_district(path)
    worst = 0.0
    for level in LEVELS:
        got, want = getattr(district, level), source[level]
        assert list(got["id"]) == list(want["id"]) and list(got["name"]) == list(want["name"])
        if level == "compounds":
            assert list(got["households"]) == list(want["households"])
            assert list(got["community_id"]) == list(want["community_id"])
        worst = max(worst, _max_difference_m(got, want))
        # one layer alone, from its own file
        single = tmp_path / ("district.gpkg" if fmt == "gpkg" else f"{level}.{ {'shapefile': 'shp', 'geojson': 'geojson'}.get(fmt, 'gpkg') }")
        alone = import_layer(single, level, layer=level if fmt == "gpkg" else None)
        assert list(alone["id"]) == list(want["id"]) and alone.crs.to_epsg() == 4326
        worst = max(worst, _max_difference_m(alone, want))
    with capsys.disabled():
        print(f"\n{fmt} in EPSG:{epsg}: largest difference from the source {worst * 1000:.2f} mm")
    assert worst < 0.1


def test_a_broken_import_names_the_feature_and_the_fix(tmp_path):
    source = _source(ZONE_SHIFT[4547])["compounds"].to_crs(4547)
    bowtie = shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])
    x, y = source.geometry.iloc[4].centroid.coords[0]
    source.loc[4, "geometry"] = shapely.affinity.translate(bowtie, x, y)
    _write(source, tmp_path / "compounds.shp")
    with pytest.raises(GeodataError) as err:
        import_layer(tmp_path / "compounds.shp", "compounds")
    text = str(err.value)
    assert source["id"].iloc[4] in text and "row 5" in text and "invalid" in text
    assert "Fix:" in text and "Fix Geometries" in text

    source = _source(ZONE_SHIFT[4547])["compounds"].to_crs(4547)
    source["households"] = source["households"].astype(object)
    source.loc[7, "households"] = "many"
    _write(source, tmp_path / "compounds.gpkg", layer="compounds")
    with pytest.raises(GeodataError) as err:
        import_layer(tmp_path / "compounds.gpkg", "compounds", layer="compounds")
    assert source["id"].iloc[7] in str(err.value) and "households" in str(err.value) and "Fix:" in str(err.value)

    (tmp_path / "nocrs").mkdir()
    _write(_source()["streets"].to_crs(4544), tmp_path / "nocrs" / "streets.shp")
    (tmp_path / "nocrs" / "streets.prj").unlink()
    with pytest.raises(GeodataError, match="no coordinate reference system.*Fix: in QGIS use"):
        import_layer(tmp_path / "nocrs" / "streets.shp", "streets")

