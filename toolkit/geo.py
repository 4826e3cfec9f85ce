"""Reference geography: streets (街道) → communities (社区) → compounds (小区/院落).

The only module that uses geopandas (shapely too: with :mod:`toolkit.outlines`, which answers where a
point lies for both, so resident pages need no geopandas). :func:`load_district` reads three polygon layers
from a folder (GeoJSON, Shapefile or single-layer GeoPackage files named streets/communities/
compounds) or from one GeoPackage with layers of those names, checks them, reprojects them to
WGS-84 (EPSG:4326) and returns a :class:`District`. Every problem raises
:class:`toolkit.errors.GeodataError` naming the file, the layer and feature, and the fix.

Linli only reads geodata; planners edit the files in QGIS. Nothing here writes to them.

>>> d = load_district()  # the shipped DEMO district (or $LINLI_GEODATA)
>>> d.demo, len(d.streets), len(d.communities)
(True, 6, 18)
>>> d.locate(*d.compounds.geometry.iloc[0].representative_point().coords[0])
'S1C1Y1'
"""

from __future__ import annotations

import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from toolkit.errors import GeodataError
from toolkit.outlines import DEMO_GEODATA, ENV_VAR, LEVELS, Outlines

if TYPE_CHECKING:  # geopandas is imported lazily: importing toolkit stays fast
    import geopandas as gpd
    import pandas as pd

#: level -> (parent level, column holding the parent id)
PARENTS = {"communities": ("streets", "street_id"), "compounds": ("communities", "community_id")}
#: required columns per level (besides geometry); name_en and demo are optional
COLUMNS = {
    "streets": ("id", "name"),
    "communities": ("id", "name", "street_id"),
    "compounds": ("id", "name", "community_id", "street_id", "households"),
}
SUFFIXES = (".geojson", ".json", ".shp", ".gpkg")
CONTAIN_TOLERANCE_M = 1.0  #: a child may stick out of its parent by this many metres
OVERLAP_TOLERANCE_M2 = 10.0  #: siblings may overlap by this many square metres (digitising slivers)

_FIX_GEOMETRY = ('in QGIS run "Vector ▸ Geometry Tools ▸ Fix Geometries" on the layer, '
                 "or in Python gdf.geometry = gdf.make_valid(), then check the shape")
_FIX_CRS = ('in QGIS use "Layer ▸ Set CRS of Layer(s)" (then export again), or in Python '
            "gdf.set_crs(4326) if the coordinates are longitude/latitude")


@dataclass(frozen=True, eq=False)
class District:
    """Checked geography of one district, all layers in EPSG:4326.

    Columns — streets: id, name, name_en, demo; communities: id, name, name_en, street_id, demo;
    compounds: id, name, name_en, community_id, street_id, households, demo; each plus geometry,
    rows in file order. Treat the frames as read-only.
    """

    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    source: str
    demo: bool
    _outlines: Outlines = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_outlines", Outlines.from_features(self._features(), source=self.source))

    def _features(self) -> list[dict]:
        rows = []
        for level in LEVELS:
            frame = getattr(self, level)
            keys = [k for k in ("id", "name", "name_en", "street_id", "community_id", "households", "demo") if k in frame.columns]
            for values, geom in zip(frame[keys].itertuples(index=False), frame.geometry.values):
                rows.append({"level": level, **dict(zip(keys, values)), "geometry": mapping(geom)})
        return rows

    @property
    def outlines(self) -> Outlines:
        """The district as resident pages get it (prepared GeoJSON; :mod:`toolkit.outlines`)."""
        return self._outlines

    # -- where is a point? (answered by the outlines: one implementation for every page) ------------
    def locate(self, lon: float, lat: float) -> str | None:
        """Id of the compound containing (lon, lat) — boundary counts as inside —, or None.

        If two compounds touch at the point, the one listed first in the file wins.
        """
        return self._outlines.locate(lon, lat)

    def locate_many(self, lons: Any, lats: Any) -> list[str | None]:
        """:meth:`locate` for many points at once (one spatial-index query)."""
        return self._outlines.locate_many(lons, lats)

    def locate_geometry(self, geom: BaseGeometry | dict) -> str | None:
        """Compound for any geometry (shapely object or GeoJSON geometry dict); see
        :meth:`toolkit.outlines.Outlines.locate_geometry`."""
        return self._outlines.locate_geometry(geom)

    def contains(self, lon: float, lat: float) -> bool:
        """True if (lon, lat) is inside the district (the union of the streets, boundary included)."""
        return self._outlines.contains(lon, lat)

    # -- extent and names -------------------------------------------------------------------------
    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of the streets."""
        return self._outlines.bounds

    @property
    def center(self) -> tuple[float, float]:
        """(lat, lon) of the middle of :attr:`bounds` — latitude first, as map widgets want it."""
        return self._outlines.center

    def label_spots(self) -> list[tuple[str, str, str, float, float, float, float]]:
        return self._outlines.label_spots()

    def units(self) -> list[dict]:
        return self._outlines.units()

    def compound_names(self) -> dict[str, tuple[str, str]]:
        """compound id -> (name, name_en), in file order."""
        c = self.compounds
        return {i: (n, e) for i, n, e in zip(c["id"], c["name"], c["name_en"])}

    def community_of(self, compound_id: str) -> str:
        """Community id of a compound; KeyError for an unknown compound id."""
        return str(self._row("compounds", compound_id)["community_id"])

    def street_of(self, unit_id: str) -> str:
        """Street id of a compound or a community; KeyError for an unknown id."""
        level = "compounds" if unit_id in self.compound_names() else "communities"
        return str(self._row(level, unit_id)["street_id"])

    def compound_table(self) -> pd.DataFrame:
        """One row per compound with its community and street, for pick lists and tests.

        Columns: compound_id, compound, compound_en, community_id, community, community_en,
        street_id, street, street_en, households.
        """
        c = self.compounds[["id", "name", "name_en", "community_id", "households"]]
        c = c.rename(columns={"id": "compound_id", "name": "compound", "name_en": "compound_en"})
        m = self.communities[["id", "name", "name_en", "street_id"]].rename(
            columns={"id": "community_id", "name": "community", "name_en": "community_en"})
        s = self.streets[["id", "name", "name_en"]].rename(
            columns={"id": "street_id", "name": "street", "name_en": "street_en"})
        table = c.merge(m, on="community_id", how="left").merge(s, on="street_id", how="left")
        return table[["compound_id", "compound", "compound_en", "community_id", "community",
                      "community_en", "street_id", "street", "street_en", "households"]]

    def geojson(self, level: str) -> dict:
        """A fresh GeoJSON FeatureCollection dict for "streets", "communities" or "compounds".

        Properties: id, name, name_en and the parent ids (street_id; community_id, street_id).
        """
        return self._outlines.geojson(level)

    def _row(self, level: str, unit_id: str) -> Any:
        frame = getattr(self, level)
        rows = frame.index[frame["id"] == unit_id]
        if len(rows) == 0:
            raise KeyError(f"unknown {level[:-1] if level != 'communities' else 'community'} id "
                           f"{unit_id!r} in {self.source}")
        return frame.loc[rows[0]]


# =============================================================================================
# Loading
# =============================================================================================
def load_district(path: str | os.PathLike[str] | None = None) -> District:
    """Read and check a district's geodata; see the module docstring for accepted layouts.

    ``path`` None means ``$LINLI_GEODATA`` if set, else the shipped DEMO district (geodata/demo).
    """
    if path is None:
        path = os.environ.get(ENV_VAR) or DEMO_GEODATA
    path = Path(path)
    frames = {level: _read_layer(path, level) for level in LEVELS}
    return build_district(frames, source=str(path))


def build_district(layers: dict[str, tuple[gpd.GeoDataFrame, str]], *, source: str) -> District:
    """Check three layers given as ``{level: (GeoDataFrame, file name for messages)}``."""
    checked: dict[str, gpd.GeoDataFrame] = {}
    for level in LEVELS:
        frame, where = layers[level]
        checked[level] = _check_layer(frame, level, where)
    _check_hierarchy(checked, {level: layers[level][1] for level in LEVELS})
    demo = any(bool(checked[level]["demo"].any()) for level in LEVELS)
    return District(checked["streets"], checked["communities"], checked["compounds"], source, demo)


def _read_layer(path: Path, level: str) -> tuple[gpd.GeoDataFrame, str]:
    import pyogrio

    if not path.exists():
        raise GeodataError(path, "no such file or folder", fix=(
            f"point {ENV_VAR} (or the path argument) at a GeoPackage with layers streets, "
            "communities, compounds, or at a folder holding streets.geojson, communities.geojson, "
            "compounds.geojson (or .shp / .gpkg files of those names)"))
    if path.is_dir():
        candidates = [path / f"{level}{suffix}" for suffix in SUFFIXES if (path / f"{level}{suffix}").exists()]
        if not candidates:
            raise GeodataError(path, f"layer {level!r} is missing: no {level}.geojson, {level}.shp "
                                     f"or {level}.gpkg in this folder", fix=(
                f"export the {level} layer from QGIS as {path / (level + '.geojson')} "
                "(or .shp / .gpkg), with the columns listed in geodata/README.md"))
        if len(candidates) > 1:
            raise GeodataError(path, f"layer {level!r} is ambiguous: "
                                     f"{', '.join(c.name for c in candidates)} all exist",
                               fix="keep one of these files and move the others away")
        file, layer = candidates[0], None
        if file.suffix == ".gpkg":
            names = [str(n) for n in _list_layers(file)]
            layer = level if level in names else (names[0] if len(names) == 1 else None)
            if layer is None:
                raise GeodataError(file, f"layer {level!r} is missing: this GeoPackage has layers "
                                         f"{', '.join(names)}", fix=f"rename the layer to {level!r} or "
                                                                    "keep a single layer in this file")
    elif path.suffix.lower() == ".gpkg":
        names = [str(n) for n in _list_layers(path)]
        if level not in names:
            raise GeodataError(path, f"layer {level!r} is missing (layers found: "
                                     f"{', '.join(names) or 'none'})", fix=(
                f"add the {level} layer to this GeoPackage (QGIS: Export ▸ Save Features As…, "
                f"layer name {level!r}) or rename the existing layer"))
        file, layer = path, level
    else:
        raise GeodataError(path, "expected a folder (streets, communities, compounds files) or one "
                                 "GeoPackage (.gpkg) with those three layers",
                           fix="point at the folder that holds this file instead")
    try:
        with warnings.catch_warnings():  # mixed-type columns: our own checks say it better
            warnings.filterwarnings("ignore", message="Could not parse column", category=UserWarning)
            frame = pyogrio.read_dataframe(file, layer=layer)
    except Exception as exc:  # GDAL's reasons vary by driver; keep its words
        raise GeodataError(file, f"layer {level!r} cannot be read: {exc}", fix=(
            "open the file in QGIS to see what is wrong and export it again as GeoPackage or GeoJSON"
        )) from exc
    return frame, str(file)


def _list_layers(file: Path) -> list[str]:
    import pyogrio

    try:
        return [str(row[0]) for row in pyogrio.list_layers(file)]
    except Exception as exc:
        raise GeodataError(file, f"cannot be opened as a GeoPackage: {exc}",
                           fix="open it in QGIS to check it and save it again as a GeoPackage") from exc


def _label(level: str, frame: Any, i: int) -> str:
    """'layer 'compounds', feature 'S1C1Y2' (row 5)' — row counts features from 1, file order."""
    fid = frame["id"].iloc[i] if "id" in frame.columns else None
    if fid is None or (isinstance(fid, float) and math.isnan(fid)) or str(fid).strip() == "":
        return f"layer {level!r}, feature at row {i + 1}"
    return f"layer {level!r}, feature {str(fid)!r} (row {i + 1})"


def _more(level: str, frame: Any, rows: list[int]) -> str:
    if len(rows) <= 1:
        return ""
    others = ", ".join(repr(_label(level, frame, r).split(", ", 1)[1]) for r in rows[1:6])
    return f" ({len(rows) - 1} more: {others}{', …' if len(rows) > 6 else ''})"


def _check_layer(frame: gpd.GeoDataFrame, level: str, where: str) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pandas as pd

    frame = frame.copy()
    everyone = f"layer {level!r} ({'all ' + str(len(frame)) + ' features' if len(frame) != 1 else '1 feature'})"
    # Shapefiles cut column names to 10 characters: community_id -> community_
    for col in COLUMNS[level]:
        if col not in frame.columns and len(col) > 10 and col[:10] in frame.columns:
            frame = frame.rename(columns={col[:10]: col})
    for col in COLUMNS[level]:
        if col not in frame.columns:
            raise GeodataError(where, f"{everyone}: column {col!r} is missing (columns found: "
                                      f"{', '.join(c for c in frame.columns if c != 'geometry')})",
                               field=col, fix=f"add a column {col!r} in QGIS (Layer Properties ▸ Fields) "
                                              "and fill it in for every feature; see geodata/README.md")
    if len(frame) == 0:
        raise GeodataError(where, f"layer {level!r} has no features",
                           fix=f"draw the {level} in QGIS or point at the right file")

    # ids and names: text, filled in, unique
    for col in [c for c in COLUMNS[level] if c != "households"]:
        values = frame[col]
        blank = [i for i, v in enumerate(values) if _blank(v)]
        if blank:
            raise GeodataError(where, f"{_label(level, frame, blank[0])}: {col} is empty"
                                      f"{_more(level, frame, blank)}", field=col,
                               fix=f"fill in {col} for every feature in QGIS (Open Attribute Table)")
        frame[col] = [_text(v) for v in values]
    if "name_en" not in frame.columns:
        frame["name_en"] = frame["name"]
    frame["name_en"] = [frame["name"].iloc[i] if _blank(v) else _text(v) for i, v in enumerate(frame["name_en"])]
    dup = frame["id"].duplicated(keep=False)
    if dup.any():
        rows = [i for i, d in enumerate(dup) if d]
        first = frame["id"].iloc[rows[0]]
        same = [i + 1 for i in rows if frame["id"].iloc[i] == first]
        raise GeodataError(where, f"layer {level!r}, feature {first!r}: id {first!r} is used by rows "
                                  f"{', '.join(map(str, same))}", field="id",
                           fix="give every feature its own id (ids are how proposals refer to places)")
    if "households" in COLUMNS[level]:
        counts = pd.to_numeric(frame["households"], errors="coerce")
        bad = [i for i, v in enumerate(counts) if not (v >= 0 and float(v).is_integer())]
        if bad:
            raise GeodataError(where, f"{_label(level, frame, bad[0])}: households is "
                                      f"{frame['households'].iloc[bad[0]]!r}, not a whole number ≥ 0"
                                      f"{_more(level, frame, bad)}", field="households",
                               fix="enter the number of households (0 if unknown)")
        frame["households"] = counts.astype("int64")
    frame["demo"] = [_truthy(v) for v in frame["demo"]] if "demo" in frame.columns else False
    frame["demo"] = frame["demo"].astype(bool)

    # geometry present, polygonal, valid — checked in the file's own coordinates
    geoms = np.asarray(frame.geometry.values, dtype=object)
    missing = [i for i, g in enumerate(geoms) if g is None or g.is_empty]
    if missing:
        raise GeodataError(where, f"{_label(level, frame, missing[0])}: has no geometry"
                                  f"{_more(level, frame, missing)}", field="geometry",
                           fix="draw its outline in QGIS or delete the feature")
    kinds = shapely.get_type_id(geoms)
    wrong = [i for i, k in enumerate(kinds) if k not in (3, 6)]  # Polygon, MultiPolygon
    if wrong:
        raise GeodataError(where, f"{_label(level, frame, wrong[0])}: is a {geoms[wrong[0]].geom_type}, "
                                  f"but {level} must be polygons{_more(level, frame, wrong)}",
                           field="geometry", fix=("redraw it as a polygon in QGIS (for a closed line: "
                                                  "Vector ▸ Geometry Tools ▸ Lines to Polygons)"))
    invalid = [i for i, ok in enumerate(shapely.is_valid(geoms)) if not ok]
    if invalid:
        reason = shapely.is_valid_reason(geoms[invalid[0]])
        m = re.match(r"\s*(.*?)\s*\[\s*(\S+)\s+(\S+)\s*\]", reason)
        what = f"{m.group(1).lower()} at ({float(m.group(2)):.6f}, {float(m.group(3)):.6f})" if m else reason
        raise GeodataError(where, f"{_label(level, frame, invalid[0])}: polygon is invalid: {what}"
                                  f"{_more(level, frame, invalid)}", field="geometry", fix=_FIX_GEOMETRY)

    # coordinate reference system
    crs = frame.crs
    if crs is None:
        raise GeodataError(where, f"{everyone}: no coordinate reference system (CRS) is set "
                                  "(a Shapefile without its .prj file?)", fix=_FIX_CRS)
    minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(geoms))
    degrees = -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90
    if crs.is_geographic and not degrees:
        raise GeodataError(where, f"{everyone}: coordinates reach ({maxx:.0f}, {maxy:.0f}), which is not "
                                  f"longitude/latitude, but the layer's CRS is {crs.name} (in degrees)",
                           fix=("set the CRS the coordinates were made in, e.g. CGCS2000 / 3-degree "
                                "Gauss-Kruger CM 105E (EPSG:4544) around Chengdu: QGIS \"Layer ▸ Set CRS "
                                "of Layer(s)\", or gdf.set_crs(..., allow_override=True)"))
    if crs.is_projected and degrees and maxx - minx < 10 and maxy - miny < 10:
        raise GeodataError(where, f"{everyone}: coordinates ({minx:.4f}, {miny:.4f}) … ({maxx:.4f}, "
                                  f"{maxy:.4f}) look like longitude/latitude, but the layer's CRS is "
                                  f"{crs.name} (in metres)",
                           fix=("set the CRS to WGS 84 (EPSG:4326): QGIS \"Layer ▸ Set CRS of Layer(s)\", "
                                "or gdf.set_crs(4326, allow_override=True) — do not reproject"))
    if crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
        lon0, lat0, lon1, lat1 = (float(v) for v in frame.total_bounds)
        area = crs.area_of_use
        if not all(map(math.isfinite, (lon0, lat0, lon1, lat1))) or (area is not None and (
                lon0 < area.west - 1 or lon1 > area.east + 1 or lat0 < area.south - 1 or lat1 > area.north + 1)):
            raise GeodataError(where, f"{everyone}: in its CRS {crs.name} the features land at longitude "
                                      f"{lon0:.3f}…{lon1:.3f}, latitude {lat0:.3f}…{lat1:.3f}, outside the "
                                      "area where that CRS is used", fix=(
                "the CRS is probably wrong: find the one the coordinates were made in and set it with "
                "QGIS \"Layer ▸ Set CRS of Layer(s)\" (not reproject)"))
    frame = frame.set_crs("EPSG:4326", allow_override=True)

    keep = list(dict.fromkeys(["id", "name", "name_en", *COLUMNS[level][2:], "demo"]))
    return gpd.GeoDataFrame(frame[keep], geometry=frame.geometry.values, crs="EPSG:4326").reset_index(drop=True)


def _check_hierarchy(layers: dict[str, gpd.GeoDataFrame], where: dict[str, str]) -> None:
    metric_crs = layers["streets"].estimate_utm_crs()
    metric = {level: layers[level].to_crs(metric_crs) for level in LEVELS}
    for level in LEVELS:
        _check_overlaps(metric[level], level, where[level])
    for level, (parent_level, col) in PARENTS.items():
        child, parent = metric[level], metric[parent_level]
        parent_row = {pid: i for i, pid in enumerate(parent["id"])}
        unknown = [i for i, pid in enumerate(child[col]) if pid not in parent_row]
        if unknown:
            known = list(parent["id"])
            raise GeodataError(where[level], f"{_label(level, child, unknown[0])}: {col} "
                                             f"{child[col].iloc[unknown[0]]!r} matches no feature in "
                                             f"{Path(where[parent_level]).name} (layer {parent_level!r})"
                                             f"{_more(level, child, unknown)}", field=col,
                               fix=f"set {col} to one of {', '.join(known[:8])}{', …' if len(known) > 8 else ''}")
        if level == "compounds":  # the street a compound names must be its community's street
            street_of = dict(zip(layers["communities"]["id"], layers["communities"]["street_id"]))
            wrong = [i for i, (cid, sid) in enumerate(zip(child["community_id"], child["street_id"]))
                     if street_of[cid] != sid]
            if wrong:
                i = wrong[0]
                expected = street_of[child["community_id"].iloc[i]]
                raise GeodataError(where[level], f"{_label(level, child, i)}: street_id "
                                                 f"{child['street_id'].iloc[i]!r} differs from the street "
                                                 f"{expected!r} of its community "
                                                 f"{child['community_id'].iloc[i]!r}{_more(level, child, wrong)}",
                                   field="street_id", fix=f"set street_id to {expected!r}, or correct community_id")
        parents = np.asarray(parent.geometry.values, dtype=object)
        mine = parents[[parent_row[pid] for pid in child[col]]]
        geoms = np.asarray(child.geometry.values, dtype=object)
        outside = shapely.area(shapely.difference(geoms, shapely.buffer(mine, CONTAIN_TOLERANCE_M)))
        bad = [i for i, a in enumerate(outside) if a > 0]
        if bad:
            i = bad[0]
            total = float(shapely.area(geoms[i]))
            stray = shapely.difference(geoms[i], mine[i])
            lon, lat = _to_lonlat(stray.representative_point(), metric_crs)
            shares = shapely.area(shapely.intersection(geoms[i], parents))
            best = int(np.argmax(shares))
            pid = child[col].iloc[i]
            what = ("lies entirely outside" if outside[i] >= total * 0.999 else "sticks out of")
            problem = (f"{_label(level, child, i)}: {what} its {parent_level[:-1] if parent_level == 'streets' else 'community'} "
                       f"{pid!r}: {outside[i]:,.0f} m² of its {total:,.0f} m² are outside (around "
                       f"{lon:.6f}, {lat:.6f}){_more(level, child, bad)}")
            if shares[best] > 0.5 * total and parent["id"].iloc[best] != pid:
                fix = (f"{int(round(100 * shares[best] / total))}% of it lies in {parent['id'].iloc[best]!r}: "
                       f"set {col} to {parent['id'].iloc[best]!r} if that is right, otherwise move it inside "
                       f"{pid!r} in QGIS")
            else:
                fix = (f"reshape it in QGIS so it lies inside {pid!r} (snapping to the {parent_level} layer "
                       f"helps; or Vector ▸ Geoprocessing Tools ▸ Clip with the {parent_level} layer)")
            raise GeodataError(where[level], problem, field="geometry", fix=fix)


def _check_overlaps(metric: gpd.GeoDataFrame, level: str, where: str) -> None:
    geoms = np.asarray(metric.geometry.values, dtype=object)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = [(a, b) for a, b in zip(left.tolist(), right.tolist()) if a < b]
    if not pairs:
        return
    a_idx, b_idx = np.array(pairs).T
    shared = shapely.area(shapely.intersection(geoms[a_idx], geoms[b_idx]))
    bad = np.flatnonzero(shared > OVERLAP_TOLERANCE_M2)
    if len(bad):
        a, b = int(a_idx[bad[0]]), int(b_idx[bad[0]])
        raise GeodataError(where, f"{_label(level, metric, a)} and feature {metric['id'].iloc[b]!r} "
                                  f"(row {b + 1}) overlap by {shared[bad[0]]:,.0f} m²"
                                  f"{f' ({len(bad) - 1} more overlapping pairs)' if len(bad) > 1 else ''}",
                           field="geometry", fix=("reshape them in QGIS so they only share their edge "
                                                  "(the Topology Checker plugin lists overlaps: rule "
                                                  "'must not overlap')"))


def _to_lonlat(point: BaseGeometry, crs: Any) -> tuple[float, float]:
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(point.x, point.y)
    return float(lon), float(lat)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _text(value: Any) -> str:
    """Ids and names as text; 3.0 read from a number column becomes '3'."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "y", "t", "是")
    return False if _blank(value) else bool(value)
