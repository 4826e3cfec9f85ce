"""The district's outlines as resident pages need them: prepared GeoJSON, no pandas or geopandas.

A resident page (propose, vote, scoring, notice) draws the district and asks where a tap lies; it
needs neither the checks nor the tables of :mod:`toolkit.geo`. :class:`Outlines` holds one plain
JSON document ("prepared"):

- one GeoJSON FeatureCollection per level (streets, communities, compounds), in file order;
- every compound's names, parents, households, a point inside it (for its label) and its bounds;
- the district's bounds and whether it is a DEMO district.

The document is built once by whoever holds the checked district (:class:`toolkit.geo.District`
read with geopandas, or a published version's rows from the store) and kept in a cache folder,
keyed by where it came from (the geodata files' names, sizes and times, or the store's geodata
version). Where a point or a drawn shape lies is answered with shapely, imported at the first
question: a spatial index over the compounds in file order, the boundary counting as inside, the
first compound listed winning a tie — :class:`toolkit.geo.District` asks this class too.

>>> o = Outlines.from_features([
...     {"level": "streets", "id": "S", "name": "街", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 1], [0, 1], [0, 0]]]}},
...     {"level": "compounds", "id": "A", "name": "甲", "community_id": "C", "street_id": "S", "households": 3,
...      "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}}], source="doc")
>>> o.locate(0.5, 0.5), o.locate(1.5, 0.5), o.contains(1.5, 0.5), o.bounds
('A', None, True, (0.0, 0.0, 2.0, 1.0))
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

ENV_VAR = "LINLI_GEODATA"
DEMO_GEODATA = Path(__file__).resolve().parent.parent / "geodata" / "demo"
LEVELS = ("streets", "communities", "compounds")
FORMAT = 1  #: bump when the prepared document changes shape: old cache files are then ignored
_PARENT_KEYS = {"streets": (), "communities": ("street_id",), "compounds": ("community_id", "street_id")}


@dataclass(frozen=True, eq=False)
class Outlines:
    """A prepared district (see the module docstring); build with :meth:`from_features`."""

    doc: dict

    # -- building and the cache format --------------------------------------------------------
    @classmethod
    def from_features(cls, features: Iterable[dict], *, source: str) -> "Outlines":
        """Prepare from feature rows (level, id, name, name_en, street_id, community_id,
        households, demo, geometry as a GeoJSON dict or text), parents first, in file order."""
        import shapely
        from shapely.geometry import shape

        layers: dict[str, list[dict]] = {level: [] for level in LEVELS}
        compounds, street_geoms, demo = [], [], False
        for row in features:
            level = row["level"]
            geometry = json.loads(row["geometry"]) if isinstance(row["geometry"], str) else row["geometry"]
            name = str(row["name"])
            name_en = str(row.get("name_en") or name)
            props = {"id": str(row["id"]), "name": name, "name_en": name_en,
                     **{k: str(row[k]) for k in _PARENT_KEYS[level]}}
            layers[level].append({"type": "Feature", "id": props["id"], "properties": props, "geometry": geometry})
            demo = demo or bool(row.get("demo", False))
            if level == "streets":
                street_geoms.append(shape(geometry))
            elif level == "compounds":
                geom = shape(geometry)
                point = geom.representative_point()
                minx, miny, maxx, maxy = geom.bounds
                compounds.append({**props, "households": int(row.get("households") or 0),
                                  "point": [point.x, point.y], "bounds": [minx, miny, maxx, maxy]})
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(street_geoms))
        return cls({"format": FORMAT, "source": source, "demo": demo, "bounds": [minx, miny, maxx, maxy],
                    "layers": layers, "compounds": compounds})

    @classmethod
    def from_json(cls, text: str) -> "Outlines":
        doc = json.loads(text)
        if doc.get("format") != FORMAT:
            raise ValueError(f"prepared outlines of format {doc.get('format')!r}, expected {FORMAT}")
        return cls(doc)

    def to_json(self) -> str:
        return json.dumps(self.doc, ensure_ascii=False)

    # -- what a map needs -----------------------------------------------------------------------
    @property
    def source(self) -> str:
        return self.doc["source"]

    @property
    def demo(self) -> bool:
        return bool(self.doc["demo"])

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of the streets."""
        minx, miny, maxx, maxy = self.doc["bounds"]
        return (float(minx), float(miny), float(maxx), float(maxy))

    @property
    def center(self) -> tuple[float, float]:
        """(lat, lon) of the middle of :attr:`bounds` — latitude first, as map widgets want it."""
        minx, miny, maxx, maxy = self.bounds
        return ((miny + maxy) / 2, (minx + maxx) / 2)

    def geojson(self, level: str) -> dict:
        """A fresh GeoJSON FeatureCollection dict for "streets", "communities" or "compounds"."""
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
        return {"type": "FeatureCollection", "features": json.loads(json.dumps(self.doc["layers"][level]))}

    def compound_names(self) -> dict[str, tuple[str, str]]:
        """compound id -> (name, name_en), in file order."""
        return {c["id"]: (c["name"], c["name_en"]) for c in self.doc["compounds"]}

    def households(self) -> int:
        return sum(int(c["households"]) for c in self.doc["compounds"])

    def label_spots(self) -> list[tuple[str, str, str, float, float, float, float]]:
        """Per compound: (id, name, name_en, min lon, max lon, lat, lon of a point inside it)."""
        return [(c["id"], c["name"], c["name_en"], c["bounds"][0], c["bounds"][2], c["point"][1], c["point"][0])
                for c in self.doc["compounds"]]

    def units(self) -> list[dict]:
        """Streets, communities and compounds as the store's reference rows, parents first."""
        level_name = {"streets": "street", "communities": "community", "compounds": "compound"}
        parent = {"streets": None, "communities": "street_id", "compounds": "community_id"}
        return [{"id": f["properties"]["id"], "level": level_name[level], "name": f["properties"]["name"],
                 "name_en": f["properties"]["name_en"],
                 "parent_id": f["properties"][parent[level]] if parent[level] else None}
                for level in LEVELS for f in self.doc["layers"][level]]

    # -- where is a point? (shapely, imported at the first question) ------------------------------
    @cached_property
    def _index(self) -> tuple[Any, tuple[str, ...], Any]:
        import numpy as np
        import shapely
        from shapely.geometry import shape

        compounds = self.doc["layers"]["compounds"]
        tree = shapely.STRtree(np.array([shape(f["geometry"]) for f in compounds], dtype=object))
        outline = shapely.union_all(np.array([shape(f["geometry"]) for f in self.doc["layers"]["streets"]], dtype=object))
        shapely.prepare(outline)
        return tree, tuple(f["properties"]["id"] for f in compounds), outline

    def locate(self, lon: float, lat: float) -> str | None:
        """Id of the compound containing (lon, lat) — boundary counts as inside —, or None.

        If two compounds touch at the point, the one listed first wins."""
        import shapely

        tree, ids, _outline = self._index
        hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
        return ids[int(hits.min())] if len(hits) else None

    def locate_many(self, lons: Any, lats: Any) -> list[str | None]:
        """:meth:`locate` for many points at once (one spatial-index query)."""
        import numpy as np
        import shapely

        tree, ids, _outline = self._index
        points = np.atleast_1d(shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)))
        found: list[str | None] = [None] * len(points)
        point_idx, tree_idx = tree.query(points, predicate="intersects")
        for p, t in sorted(zip(point_idx.tolist(), tree_idx.tolist()), reverse=True):
            found[p] = ids[t]  # reversed: the lowest compound row is written last
        return found

    def locate_geometry(self, geom: Any) -> str | None:
        """Compound for any geometry (shapely object or GeoJSON geometry dict).

        A point: the compound containing it (as :meth:`locate`). A line or an area: the compound with
        the largest overlap — longest shared length for lines (measured with longitude scaled by
        cos(latitude), so east-west and north-south count alike), largest shared area for polygons,
        most points for multipoints; ties go to the compound listed first. When nothing overlaps with
        positive length or area (e.g. a line only touching a compound's edge), the compound containing
        the geometry's representative point, else None.
        """
        import numpy as np
        import shapely
        from shapely.geometry import shape

        if isinstance(geom, dict):
            geom = shape(geom)
        if geom.is_empty:
            return None
        if geom.geom_type == "Point":
            return self.locate(geom.x, geom.y)
        tree, ids, _outline = self._index
        hits = np.sort(tree.query(geom, predicate="intersects"))
        if len(hits):
            parts = shapely.intersection(tree.geometries[hits], geom)
            dim = shapely.get_dimensions(geom)
            if dim == 0:
                measure = shapely.get_num_geometries(parts) * ~shapely.is_empty(parts)
            elif dim == 1:
                k = math.cos(math.radians(self.center[0]))
                parts = shapely.transform(parts, lambda xy: xy * np.array([k, 1.0]))
                measure = shapely.length(parts)
            else:
                measure = shapely.area(parts)
            best = int(np.argmax(measure))
            if measure[best] > 0:
                return ids[int(hits[best])]
        point = geom.representative_point()
        return self.locate(point.x, point.y)

    def contains(self, lon: float, lat: float) -> bool:
        """True if (lon, lat) is inside the district (the union of the streets, boundary included)."""
        import shapely

        return bool(self._index[2].covers(shapely.Point(lon, lat)))


# -- the cache ------------------------------------------------------------------------------------
def geodata_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The geodata a page reads: ``path``, else ``$LINLI_GEODATA``, else the shipped DEMO district."""
    return Path(path or os.environ.get(ENV_VAR) or DEMO_GEODATA)


def files_key(path: str | os.PathLike[str]) -> str:
    """Cache key of geodata files: the folder's (or GeoPackage's) files with their sizes and times."""
    path = Path(path).resolve()
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    stamp = [str(path)] + [f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files if p.exists()]
    return "files-" + hashlib.sha256("\n".join(stamp).encode()).hexdigest()[:24]


def version_key(database: str, version: int, published_at: str) -> str:
    """Cache key of a published geodata version of one database (a version never changes)."""
    stamp = f"{database}\n{version}\n{published_at}"
    return f"version{int(version)}-" + hashlib.sha256(stamp.encode()).hexdigest()[:24]


def cached(folder: Path, key: str, build: Callable[[], Outlines]) -> Outlines:
    """The prepared outlines under ``key`` in ``folder``; built (and written) when missing or stale."""
    file = Path(folder) / f"district-{key}.json"
    try:
        return Outlines.from_json(file.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError):
        pass
    outlines = build()
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f".{file.name}.{os.getpid()}")
        tmp.write_text(outlines.to_json(), encoding="utf-8")
        os.replace(tmp, file)
    except OSError:  # a read-only folder: the page still works, the next one prepares again
        pass
    return outlines
