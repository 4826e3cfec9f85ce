"""Map builders: ipyleaflet for the live pages (two-way, touch), nothing else touches ipyleaflet.

Maps work with no internet: the district is a vector layer; a tile layer is added only when
LINLI_TILE_URL is configured (e.g. a local tile folder). Feature properties that can reach
HTML are escaped with :func:`toolkit.markup.escape`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from toolkit.markup import escape

if TYPE_CHECKING:
    import ipyleaflet
    import pandas as pd

    from toolkit.geo import District
    from toolkit.proposals import ProposalRules

COMPOUND_STYLE = {"color": "#1f3b57", "weight": 2, "opacity": 0.9, "fillColor": "#fff7d6", "fillOpacity": 0.55}
COMMUNITY_STYLE = {"color": "#7a5c2e", "weight": 3, "opacity": 0.8, "fill": False, "dashArray": "6 4"}


def district_zoom(district: "District", width_px: int = 1000, height_px: int = 440) -> float:
    """The largest zoom level (in quarter steps) at which the whole district fits a map of the
    given size."""
    import math

    minx, miny, maxx, maxy = district.bounds

    def mercator_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    dx = max(maxx - minx, 1e-6) / 360  # fraction of the world's width
    dy = max(mercator_y(maxy) - mercator_y(miny), 1e-6) / (2 * math.pi)
    zoom = math.floor(4 * min(math.log2(width_px / (256 * dx)), math.log2(height_px / (256 * dy)))) / 4
    return max(10.0, min(17.0, zoom))


def base_map(district: "District", *, tile_url: str | None = None, height_px: int = 480, width_px: int = 1000) -> "ipyleaflet.Map":
    """A map centred on the district with its communities and compounds as vector layers."""
    import ipyleaflet
    from ipywidgets import Layout

    lat, lon = district.center
    m = ipyleaflet.Map(
        center=(lat, lon),
        zoom=district_zoom(district, width_px, height_px),
        min_zoom=10,
        zoom_snap=0.25,
        zoom_delta=0.5,
        max_zoom=19,
        layers=(),
        scroll_wheel_zoom=True,
        attribution_control=False,
        layout=Layout(width="100%", height=f"{height_px}px"),
    )
    if tile_url:
        m.add(ipyleaflet.TileLayer(url=tile_url, max_zoom=19, name="basemap"))
    m.add(ipyleaflet.GeoJSON(data=_unit_layer(district, "communities"), style=COMMUNITY_STYLE, name="communities"))
    m.add(
        ipyleaflet.GeoJSON(
            data=_unit_layer(district, "compounds"),
            style=COMPOUND_STYLE,
            style_callback=lambda feature: {"className": f"linli-compound linli-compound-{feature['properties']['id']}"},
            name="compounds",
        )
    )
    return m


def _unit_layer(district: "District", level: str) -> dict:
    data = district.geojson(level)
    for feature in data["features"]:
        props = feature["properties"]
        feature["properties"] = {"id": escape(props["id"]), "name": escape(props.get("name", "")), "name_en": escape(props.get("name_en", ""))}
    return data


def proposals_geojson(frame: "pd.DataFrame", rules: "ProposalRules") -> dict:
    """All proposals as one FeatureCollection (one layer scales to thousands of points)."""
    colors = {c.id: c.color for c in rules.categories}
    features = []
    for row in frame.itertuples(index=False):
        if row.geometry is None or (isinstance(row.geometry, float)):
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(row.geometry),
                "properties": {
                    "id": int(row.id),
                    "category": escape(row.category),
                    "color": colors.get(row.category, "#555555"),
                    "title": escape(row.title),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def proposals_layer(data: dict) -> "ipyleaflet.GeoJSON":
    import ipyleaflet

    def style(feature: dict[str, Any]) -> dict:
        color = feature["properties"]["color"]
        return {
            "color": color,
            "fillColor": color,
            "className": f"linli-proposal linli-proposal-{feature['properties']['id']}",
        }

    return ipyleaflet.GeoJSON(
        data=data,
        style={"weight": 4, "opacity": 0.95, "fillOpacity": 0.75},
        point_style={"radius": 9, "weight": 2},
        style_callback=style,
        name="proposals",
    )


# -- static maps for public notices (folium; issue 12) ------------------------------------------
LEAFLET_DIR = __import__("pathlib").Path(__file__).resolve().parent.parent / "templates" / "vendor" / "leaflet"
VENDOR_JS = "linli-vendor://leaflet.js"
VENDOR_CSS = "linli-vendor://leaflet.css"


def notice_map_html(district: "District", points: list, *, height_px: int = 360) -> str:
    """A self-contained folium map (no tiles, no network): communities, compounds and numbered
    points; Leaflet's JS and CSS vendored from npm and inlined. Labels are escaped."""
    import folium

    import math

    lats = [p[1] for p in points] or [district.center[0]]
    lons = [p[0] for p in points] or [district.center[1]]
    # Centre and zoom computed here, not by fitBounds in the browser: a map drawn while its frame
    # is still hidden has no size, and Leaflet's fitBounds then fails with a NaN position.
    span = max(max(lons) - min(lons), (max(lats) - min(lats)) * 1.2) + 0.004
    zoom = int(min(17, max(11, math.log2(360 * (560 / 256) / span))))
    m = folium.Map(location=[(min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2], tiles=None, zoom_start=zoom, max_zoom=18,
                   control_scale=True, attribution_control=False, height=f"{height_px}px")
    m.default_js = [("leaflet", VENDOR_JS)]
    m.default_css = [("leaflet_css", VENDOR_CSS)]
    folium.GeoJson(_unit_layer(district, "communities"), style_function=lambda _f: COMMUNITY_STYLE, control=False).add_to(m)
    folium.GeoJson(_unit_layer(district, "compounds"), style_function=lambda _f: COMPOUND_STYLE, control=False).add_to(m)
    for i, (lon, lat, label) in enumerate(points, start=1):
        folium.CircleMarker([lat, lon], radius=10, color="#ffffff", weight=2, fill=True, fill_color="#b71c1c", fill_opacity=0.95,
                            tooltip=folium.Tooltip(escape(f"{i}. {label}"))).add_to(m)
    html = m.get_root().render()
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")
    html = html.replace(f'<script src="{VENDOR_JS}"></script>', f"<script>{js}</script>")
    html = html.replace(f'<link rel="stylesheet" href="{VENDOR_CSS}"/>', f"<style>{css}</style>")
    return html
