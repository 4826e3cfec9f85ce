"""Basemap choices for planners' maps. The vector-only map (no tiles) is always the default.

- ``local``: a tile folder for rooms without internet (``LINLI_TILE_URL``, e.g. tiles served by
  Voila/JupyterLab from ``…/files/tiles/{z}/{x}/{y}.png``); its datum is WGS-84 unless the URL
  names Gaode/AMap tiles.
- ``tianditu``: 天地图 vector map + labels, Web Mercator on CGCS2000 (≈ WGS-84 within centimetres);
  needs a key from https://console.tianditu.gov.cn in ``LINLI_TIANDITU_KEY``.
- ``gaode``: 高德 road map, GCJ-02: layers are shifted into GCJ-02 for display and every drawing is
  shifted back to WGS-84 before it is stored. Offered only when ``LINLI_GAODE_TILES=1`` (it
  reaches the internet).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TileSource:
    url: str
    attribution: str
    subdomains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Basemap:
    id: str
    datum: str  #: "wgs84" or "gcj02": the datum the tiles are drawn in
    layers: tuple[TileSource, ...]  #: empty for the vector-only map
    max_zoom: int = 18


VECTOR = Basemap("vector", "wgs84", ())
_TIANDITU = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
             "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
             "&TILECOL={x}&tk={key}")
_GAODE = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"


def available_basemaps(env: Mapping[str, str] | None = None) -> dict[str, Basemap]:
    """The basemaps this machine is set up for, vector-only first."""
    env = os.environ if env is None else env
    out = {"vector": VECTOR}
    local = (env.get("LINLI_TILE_URL") or "").strip()
    if local:
        datum = "gcj02" if any(k in local.lower() for k in ("autonavi", "amap", "gaode", "gcj")) else "wgs84"
        out["local"] = Basemap("local", datum, (TileSource(local, "local tiles"),))
    key = (env.get("LINLI_TIANDITU_KEY") or "").strip()
    if key:
        sub = tuple(str(i) for i in range(8))
        layers = tuple(TileSource(_TIANDITU.replace("{layer}", layer).replace("{key}", key), "© 天地图 Tianditu", sub)
                       for layer in ("vec", "cva"))
        out["tianditu"] = Basemap("tianditu", "wgs84", layers)
    if (env.get("LINLI_GAODE_TILES") or "").strip() == "1":
        out["gaode"] = Basemap("gaode", "gcj02", (TileSource(_GAODE, "© 高德 AutoNavi", ("1", "2", "3", "4")),))
    return out
