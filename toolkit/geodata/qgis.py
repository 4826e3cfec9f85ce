"""QGIS round trip: one GeoPackage holding the current version (layers ``streets``,
``communities``, ``compounds`` — what :func:`toolkit.geo.load_district` reads), an open draft
(``draft_streets``, ``draft_communities``, ``draft_compounds``), proposals and funded projects as
point layers (never a contact field), and a QGIS style (QML) per layer in the GeoPackage's
``layer_styles`` table, so every layer opens styled. Everything is written through GDAL (pyogrio)
from one process; the GeoPackage is an exchange file, never a live store.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import quoteattr

from toolkit.geo import LEVELS
from toolkit.geodata.layers import rows_to_frames

#: fill colour (r,g,b,a), outline colour, outline width mm, label size — per level
POLYGON_STYLES = {
    "streets": ("0,0,0,0", "122,92,46,255", "1.2", "12"),
    "communities": ("0,0,0,0", "122,92,46,255", "0.7", "10"),
    "compounds": ("255,247,214,140", "31,59,87,255", "0.4", "8"),
}
POINT_STYLES = {"proposals": ("214,96,77,255", "2.4"), "funded_projects": ("26,152,80,255", "3.6")}
PUBLIC_PROPOSAL_COLUMNS = ("id", "receipt_code", "title", "category", "channel", "compound_id", "community_id",
                           "street_id", "cost_fen", "created_at", "position")


def _option(name: str, value: str) -> str:
    return f'<Option name={quoteattr(name)} type="QString" value={quoteattr(value)}/>'


def polygon_qml(level: str, *, draft: bool = False) -> str:
    fill, outline, width, size = POLYGON_STYLES[level]
    style = "dash" if draft else "solid"
    return _qml(2, f"""<symbol type="fill" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
     <layer class="SimpleFill" enabled="1" locked="0" pass="0"><Option type="Map">
      {_option("color", fill)}{_option("style", "solid")}{_option("outline_color", outline)}
      {_option("outline_style", style)}{_option("outline_width", width)}{_option("outline_width_unit", "MM")}
     </Option></layer></symbol>""", label="name", size=size, color=outline)


def point_qml(layer: str) -> str:
    color, size = POINT_STYLES[layer]
    return _qml(0, f"""<symbol type="marker" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
     <layer class="SimpleMarker" enabled="1" locked="0" pass="0"><Option type="Map">
      {_option("name", "circle")}{_option("color", color)}{_option("outline_color", "255,255,255,255")}
      {_option("size", size)}{_option("size_unit", "MM")}
     </Option></layer></symbol>""", label=None, size="8", color=color)


def _qml(geometry_type: int, symbol: str, *, label: str | None, size: str, color: str) -> str:
    labeling = ""
    if label:
        labeling = (f'<labeling type="simple"><settings calloutType="simple">'
                    f'<text-style fieldName={quoteattr(label)} fontSize={quoteattr(size)} textColor={quoteattr(color)} '
                    f'fontFamily="Noto Sans CJK SC"/><placement placement="1"/></settings></labeling>')
    return (f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis version="3.28.0" styleCategories="Symbology|Labeling">\n'
            f' <renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">\n'
            f"  <symbols>\n   {symbol}\n  </symbols>\n </renderer-v2>\n"
            f" {labeling}\n <layerGeometryType>{geometry_type}</layerGeometryType>\n</qgis>\n")


def export_geopackage(path: str | Path, current: list[dict], *, draft: list[dict] | None = None,
                      proposals=None, funded=None) -> list[str]:
    """Write the GeoPackage; returns the layer names written. ``current``/``draft``: feature rows;
    ``proposals``/``funded``: DataFrames with lon/lat (only the public columns are written)."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    path = Path(path)
    path.unlink(missing_ok=True)
    styles, written = [], []

    def write(frame, name: str, qml: str) -> None:
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
        geom = "geom"
        styles.append({"f_table_catalog": "", "f_table_schema": "", "f_table_name": name, "f_geometry_column": geom,
                       "styleName": name, "styleQML": qml, "styleSLD": "", "useAsDefault": True,
                       "description": f"Linli style for {name}", "owner": "linli", "ui": "",
                       "update_time": datetime.now(timezone.utc).replace(tzinfo=None)})
        written.append(name)

    for prefix, rows in (("", current), ("draft_", draft)):
        if rows is None:
            continue
        frames = rows_to_frames(rows)
        for level in LEVELS:
            write(frames[level], prefix + level, polygon_qml(level, draft=bool(prefix)))
    for name, frame in (("proposals", proposals), ("funded_projects", funded)):
        if frame is None:
            continue
        frame = frame[frame["lon"].notna() & frame["lat"].notna()]
        keep = [c for c in frame.columns if c in PUBLIC_PROPOSAL_COLUMNS or (name == "funded_projects" and c in (
            "round_id", "project_id", "name", "cost_fen", "proposal_id"))]
        points = gpd.GeoDataFrame(frame[keep].reset_index(drop=True),
                                  geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
        write(points, name, point_qml(name))
    table = pd.DataFrame(styles)
    pyogrio.write_dataframe(table, path, layer="layer_styles", driver="GPKG", layer_options={"FID": "id"})
    return written


def read_styles(path: str | Path):
    """The ``layer_styles`` table as a DataFrame (f_table_name, styleQML, useAsDefault, …)."""
    import pyogrio

    return pyogrio.read_dataframe(path, layer="layer_styles", read_geometry=False)
