"""GCJ-02 (the datum of Gaode/AMap and other Chinese web maps) ⇄ WGS-84.

GCJ-02 is WGS-84 with a deliberate, smooth, position-dependent offset of a few hundred metres.
The forward formula (WGS-84 → GCJ-02) is the published one (Krasovsky-ellipsoid constants and
two trigonometric series in longitude − 105° and latitude − 35°); written here from its
description. The offset applies inside mainland China's bounding box only; points outside are
returned unchanged. The inverse (GCJ-02 → WGS-84) has no closed form: it is solved by
fixed-point iteration until the forward transform of the answer lands on the input within
1e-10° (≈ 0.01 mm).

>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(lon, 6), round(lat, 6)
(116.410244, 39.916404)
>>> back = gcj02_to_wgs84(lon, lat)
>>> round(back[0], 9), round(back[1], 9)
(116.404, 39.915)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_A = 6378245.0  #: semi-major axis of the Krasovsky 1940 ellipsoid used by the formula
_EE = 0.00669342162296594323  #: its first eccentricity squared
_CHINA = (72.004, 0.8293, 137.8347, 55.8271)  #: lon/lat box where the offset applies
_TOLERANCE_DEG = 1e-10


def _series_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    pi = math.pi
    out = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    out += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    out += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    out += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    return out


def _series_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    pi = math.pi
    out = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    out += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    out += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    out += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    return out


def in_china(lon: Any, lat: Any) -> np.ndarray:
    """True where the GCJ-02 offset applies (mainland China's bounding box)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    w, s, e, n = _CHINA
    return (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    rad = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = _series_lat(x, y) * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = _series_lon(x, y) * 180.0 / (_A / sqrt_magic * np.cos(rad) * math.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[Any, Any]:
    """WGS-84 longitude/latitude (scalars or arrays) → GCJ-02."""
    lo, la = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lo, la)
    return _like(lon, lo + dlon), _like(lat, la + dlat)


def gcj02_to_wgs84(lon: Any, lat: Any, *, max_iterations: int = 30) -> tuple[Any, Any]:
    """GCJ-02 longitude/latitude (scalars or arrays) → WGS-84, exact to about 1e-10°."""
    g_lon, g_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iterations):
        dlon, dlat = _offset(w_lon, w_lat)
        err_lon, err_lat = w_lon + dlon - g_lon, w_lat + dlat - g_lat
        w_lon, w_lat = w_lon - err_lon, w_lat - err_lat
        if np.all(np.abs(err_lon) < _TOLERANCE_DEG) and np.all(np.abs(err_lat) < _TOLERANCE_DEG):
            break
    return _like(lon, w_lon), _like(lat, w_lat)


def _like(template: Any, values: np.ndarray) -> Any:
    return float(values) if np.ndim(template) == 0 else values


def transform_geojson(geometry: dict, to: str) -> dict:
    """A GeoJSON geometry (or Feature / FeatureCollection) with every coordinate converted;
    ``to`` is "gcj02" (for display on Gaode tiles) or "wgs84" (a tap or a drawing back before saving)."""
    if to not in ("gcj02", "wgs84"):
        raise ValueError(f"unknown datum {to!r}; use 'gcj02' or 'wgs84'")
    fn = wgs84_to_gcj02 if to == "gcj02" else gcj02_to_wgs84

    def coords(c: Any) -> Any:
        if c and isinstance(c[0], (int, float)):
            x, y = fn(float(c[0]), float(c[1]))
            return [x, y, *c[2:]]
        return [coords(part) for part in c]

    def walk(obj: Any) -> Any:
        if isinstance(obj, dict):
            out = {}
            for k, v in obj.items():
                out[k] = coords(v) if k == "coordinates" else walk(v) if k in ("geometry", "geometries", "features") else v
            return out
        if isinstance(obj, list):
            return [walk(v) for v in obj]
        return obj

    return walk(geometry)


def distance_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> Any:
    """Great-circle distance in metres (haversine on the WGS-84 mean radius); for error reports."""
    r = 6371008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(h))
