"""The three reference layers as plain data: import from any file and CRS, and convert between
GeoDataFrames (what the loader checks) and feature rows (what the store keeps).

A *feature row* is a dict: level, id, name, name_en, street_id, community_id, households, demo,
geometry (GeoJSON text, WGS-84). ``street_id`` is empty for streets, ``community_id`` for
streets and communities, ``households`` 0 except for compounds.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely

from toolkit.errors import GeodataError
from toolkit.geo import COLUMNS, LEVELS, SUFFIXES, District, _check_layer, _read_layer, build_district

if TYPE_CHECKING:
    import geopandas as gpd

FEATURE_KEYS = ("level", "id", "name", "name_en", "street_id", "community_id", "households", "demo", "geometry")
LevelFrames = dict  # level -> GeoDataFrame in EPSG:4326


def import_layer(path: str | Path, level: str, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """One level read from a GeoPackage / Shapefile / GeoJSON file (or a district folder) in any
    CRS, checked like the loader checks it (errors name the file, the feature and the fix) and
    reprojected to EPSG:4326."""
    import pyogrio

    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    path = Path(path)
    if path.is_file() and path.suffix.lower() in SUFFIXES and not (path.suffix.lower() == ".gpkg" and layer is None):
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Could not parse column", category=UserWarning)
                frame = pyogrio.read_dataframe(path, layer=layer)
        except Exception as exc:
            raise GeodataError(path, f"cannot be read: {exc}", fix=(
                "open the file in QGIS to see what is wrong and export it again as GeoPackage or GeoJSON")) from exc
        where = str(path)
    elif path.is_file() and path.suffix.lower() == ".gpkg" and layer is not None:
        frame, where = pyogrio.read_dataframe(path, layer=layer), f"{path} (layer {layer!r})"
    else:
        frame, where = _read_layer(path, level)
    return _check_layer(frame, level, where)


def import_district(path: str | Path) -> District:
    """All three levels from a folder or a GeoPackage in any CRS, checked as a whole."""
    from toolkit.geo import load_district

    return load_district(path)


def district_frames(district: District) -> LevelFrames:
    return {level: getattr(district, level).copy() for level in LEVELS}


def frames_to_rows(frames: LevelFrames) -> list[dict]:
    """Feature rows for the store, parents first, in file order."""
    rows = []
    for level in LEVELS:
        frame = frames[level]
        for i in range(len(frame)):
            rec = frame.iloc[i]
            rows.append({
                "level": level,
                "id": str(rec["id"]),
                "name": str(rec["name"]),
                "name_en": str(rec.get("name_en") or rec["name"]),
                "street_id": str(rec["street_id"]) if level != "streets" else "",
                "community_id": str(rec["community_id"]) if level == "compounds" else "",
                "households": int(rec["households"]) if level == "compounds" else 0,
                "demo": bool(rec.get("demo", False)),
                "geometry": shapely.to_geojson(frame.geometry.iloc[i]),
            })
    return rows


def rows_to_frames(rows: list[dict]) -> LevelFrames:
    """GeoDataFrames (EPSG:4326, unchecked) from feature rows; every level present, maybe empty."""
    import geopandas as gpd

    frames = {}
    for level in LEVELS:
        mine = [r for r in rows if r["level"] == level]
        cols = list(dict.fromkeys(["id", "name", "name_en", *COLUMNS[level][2:], "demo"]))
        data = {c: [r[c] for r in mine] for c in cols}
        geoms = [shapely.from_geojson(r["geometry"]) if r["geometry"] else None for r in mine]
        frames[level] = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    return frames


def district_from_rows(rows: list[dict], *, source: str) -> District:
    """A checked :class:`District` from feature rows (raises the loader's first error)."""
    frames = rows_to_frames(rows)
    return build_district({level: (frames[level], f"{source} ({level})") for level in LEVELS}, source=source)


def geometry_json(geom: Any) -> str:
    """GeoJSON text of a shapely geometry or a GeoJSON dict."""
    if isinstance(geom, dict):
        geom = shapely.geometry.shape(geom)
    return shapely.to_geojson(geom)


def feature_collection(rows: list[dict], level: str) -> dict:
    """A GeoJSON FeatureCollection of one level's rows (for map layers)."""
    feats = []
    for r in rows:
        if r["level"] != level or not r["geometry"]:
            continue
        props = {k: r[k] for k in FEATURE_KEYS if k != "geometry"}
        feats.append({"type": "Feature", "id": r["id"], "properties": props, "geometry": json.loads(r["geometry"])})
    return {"type": "FeatureCollection", "features": feats}
