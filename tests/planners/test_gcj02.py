"""GCJ-02 ⇄ WGS-84 against published reference pairs, and the round trip over the district.

Where the pairs come from (each pair is the documented output of an independent implementation):
- googollee/eviltransform (github.com/googollee/eviltransform), its test suite in every language
  port (e.g. python/test.py, php tests): Shanghai, Shenzhen, Beijing — (wgs lat, lng, gcj lat, lng).
- wandergis/coordtransform (github.com/wandergis/coordtransform), test/app.js, the documented
  result of ``wgs84togcj02(116.404, 39.915)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.geodata.gcj02 import distance_m, gcj02_to_wgs84, in_china, transform_geojson, wgs84_to_gcj02

# (name, wgs lon, wgs lat, gcj lon, gcj lat)
PAIRS = [
    ("shanghai (eviltransform)", 121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    ("shenzhen (eviltransform)", 113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    ("beijing (eviltransform)", 116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
    ("beijing (coordtransform)", 116.404, 39.915, 116.41024449916938, 39.91640428150164),
]


@pytest.mark.parametrize("name,wlon,wlat,glon,glat", PAIRS, ids=[p[0] for p in PAIRS])
def test_forward_and_inverse_match_published_pairs_within_1m(name, wlon, wlat, glon, glat):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    forward_error = distance_m(lon, lat, glon, glat)
    assert forward_error < 1.0, f"{name}: WGS-84 → GCJ-02 is {forward_error:.3f} m off"
    lon, lat = gcj02_to_wgs84(glon, glat)
    inverse_error = distance_m(lon, lat, wlon, wlat)
    assert inverse_error < 1.0, f"{name}: GCJ-02 → WGS-84 is {inverse_error:.3f} m off"
    # the offset is real (hundreds of metres), so a no-op conversion would fail above
    assert distance_m(wlon, wlat, glon, glat) > 100


def test_round_trip_error_over_the_demo_district_is_reported_and_tiny(demo_district, capsys):
    lon0, lat0, lon1, lat1 = demo_district.bounds
    lons, lats = np.meshgrid(np.linspace(lon0, lon1, 60), np.linspace(lat0, lat1, 60))
    glon, glat = wgs84_to_gcj02(lons.ravel(), lats.ravel())
    blon, blat = gcj02_to_wgs84(glon, glat)
    err = distance_m(lons.ravel(), lats.ravel(), blon, blat)
    offset = distance_m(lons.ravel(), lats.ravel(), glon, glat)
    with capsys.disabled():
        print(f"\nGCJ-02 round trip over the demo district (3,600 points): max error {err.max() * 1000:.6f} mm, "
              f"offset WGS-84→GCJ-02 {offset.min():.0f}–{offset.max():.0f} m")
    assert err.max() < 0.001


def test_outside_china_nothing_moves_and_geojson_converts_every_coordinate():
    assert not in_china(2.35, 48.85)
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    feature = {"type": "Feature", "properties": {"name": "桂园"},
               "geometry": {"type": "Polygon", "coordinates": [[[104.1, 30.6], [104.2, 30.6], [104.2, 30.7], [104.1, 30.6]]]}}
    shown = transform_geojson(feature, "gcj02")
    assert shown["properties"] == {"name": "桂园"}
    ring = shown["geometry"]["coordinates"][0]
    assert all(distance_m(a[0], a[1], b[0], b[1]) > 100 for a, b in zip(ring, feature["geometry"]["coordinates"][0]))
    back = transform_geojson(shown, "wgs84")["geometry"]["coordinates"][0]
    assert np.allclose(back, feature["geometry"]["coordinates"][0], atol=1e-9)


def test_basemaps_vector_only_by_default_and_each_option_by_its_setting():
    from toolkit.geodata.basemaps import available_basemaps

    assert list(available_basemaps({})) == ["vector"]
    maps = available_basemaps({"LINLI_TIANDITU_KEY": "k123", "LINLI_GAODE_TILES": "1",
                               "LINLI_TILE_URL": "http://localhost:8888/files/tiles/{z}/{x}/{y}.png"})
    assert list(maps) == ["vector", "local", "tianditu", "gaode"]
    assert maps["tianditu"].datum == "wgs84" and all("tk=k123" in t.url for t in maps["tianditu"].layers)
    assert maps["gaode"].datum == "gcj02" and maps["local"].datum == "wgs84"
    assert maps["vector"].layers == ()
