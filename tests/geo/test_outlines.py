"""Prepared outlines (what resident pages get instead of geopandas frames) give exactly the answers of
geopandas on every demo compound: points inside, on vertices and edges (shared boundaries: the first
compound listed wins), areas and lines; read back from the cache and from a published version in the
store alike. The oracle is geopandas itself (``GeoSeries.intersects`` / ``intersection``), not
:class:`toolkit.outlines.Outlines`, which :class:`toolkit.geo.District` also asks."""

from __future__ import annotations

import dataclasses
import json
import math
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

from toolkit.geo import load_district
from toolkit.outlines import Outlines, cached, files_key, geodata_path


@pytest.fixture(scope="module")
def district():
    return load_district()


def oracle_locate(compounds: gpd.GeoDataFrame, point: Point) -> str | None:
    hits = np.flatnonzero(compounds.geometry.intersects(point).to_numpy())
    return str(compounds["id"].iloc[hits[0]]) if len(hits) else None


def oracle_largest(compounds: gpd.GeoDataFrame, geom, k: float) -> str | None:
    """Largest shared area (polygons) or length (lines, longitude scaled by ``k``); first on ties."""
    shared = compounds.geometry.intersection(geom)
    with warnings.catch_warnings():  # degrees on purpose: only which compound has the most counts
        warnings.simplefilter("ignore", UserWarning)
        if geom.geom_type == "LineString":
            measure = shared.scale(xfact=k, yfact=1.0, origin=(0, 0)).length.to_numpy()
        else:
            measure = shared.area.to_numpy()
    best = int(np.argmax(measure))
    if measure[best] > 0:
        return str(compounds["id"].iloc[best])
    return oracle_locate(compounds, geom.representative_point())


def probe_points(compounds: gpd.GeoDataFrame) -> list[Point]:
    """Per compound: a point inside, its centroid, every outer vertex and every edge's midpoint."""
    points = []
    for geom in compounds.geometry:
        points += [geom.representative_point(), geom.centroid]
        for poly in getattr(geom, "geoms", [geom]):
            ring = list(poly.exterior.coords)
            points += [Point(xy) for xy in ring]
            points += [Point((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in zip(ring, ring[1:])]
    return points


def check_against_geopandas(outlines: Outlines, district) -> int:
    compounds = district.compounds
    points = probe_points(compounds)
    assert len(points) > 500
    expected = [oracle_locate(compounds, p) for p in points]
    assert [outlines.locate(p.x, p.y) for p in points] == expected
    assert outlines.locate_many([p.x for p in points], [p.y for p in points]) == expected
    assert {e for e in expected if e} == set(compounds["id"]), "every compound is probed"
    k = math.cos(math.radians(outlines.center[0]))
    shapes = list(compounds.geometry)
    shapes += [geom.buffer(-1e-5) for geom in compounds.geometry]  # areas well inside one compound
    reps = [g.representative_point() for g in compounds.geometry]
    shapes += [LineString([a, b]) for a, b in zip(reps, reps[1:])]  # lines crossing several compounds
    assert [outlines.locate_geometry(json.loads(shapely.to_geojson(g))) for g in shapes] == [oracle_largest(compounds, g, k) for g in shapes]
    outline = district.streets.geometry.union_all()
    probes = points + [Point(p.x + 0.05, p.y) for p in points[:50]]
    assert [outlines.contains(p.x, p.y) for p in probes] == [bool(outline.covers(p)) for p in probes]
    return len(points)


def test_outlines_read_back_from_the_cache_answer_as_geopandas(district, tmp_path):
    key = files_key(geodata_path())
    cached(tmp_path, key, lambda: district.outlines)
    again = cached(tmp_path, key, lambda: pytest.fail("the cache was not used"))
    assert again.doc == json.loads(district.outlines.to_json())
    assert check_against_geopandas(again, district) > 500
    assert again.bounds == tuple(float(v) for v in district.streets.total_bounds)
    assert again.compound_names() == district.compound_names()
    assert again.households() == int(district.compounds.households.sum())
    for level in ("streets", "communities", "compounds"):
        assert [f["id"] for f in again.geojson(level)["features"]] == list(getattr(district, level)["id"])


def test_outlines_of_a_published_version_answer_as_its_geopandas_district(tmp_path):
    from toolkit.geodata.workflow import ensure_baseline, published_district
    from toolkit.settings import load_settings
    from toolkit.store import open_store
    from toolkit.workspace import district_outlines

    db = str(tmp_path / "linli.sqlite")
    store = open_store(db)
    version = ensure_baseline(store)
    settings = dataclasses.replace(load_settings(), db=db)
    outlines, got = district_outlines(store, settings)
    assert got == version == 1 and "geodata version 1" in outlines.source
    assert list((tmp_path / "cache").glob("district-version1-*.json")), "prepared once, kept in the cache"
    published = published_district(store, version)
    assert check_against_geopandas(outlines, published) > 500
    assert outlines.units() == published.units()


def test_a_stale_or_foreign_cache_file_is_prepared_again(district, tmp_path):
    key = files_key(geodata_path())
    (tmp_path / f"district-{key}.json").write_text('{"format": 0}', encoding="utf-8")
    got = cached(tmp_path, key, lambda: district.outlines)
    assert got.compound_names() == district.compound_names()
    assert json.loads((tmp_path / f"district-{key}.json").read_text(encoding="utf-8"))["format"] == 1
