"""Map builders: ipyleaflet for the live pages (two-way, touch), nothing else touches ipyleaflet.

Maps work with no internet: the district is a vector layer; a tile layer is added only when
LINLI_TILE_URL is configured (e.g. a local tile folder). Feature properties that can reach
HTML are escaped with :func:`toolkit.markup.escape`.
"""

from __future__ import annotations

import functools
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


def base_map(
    district: "District",
    *,
    tile_url: str | None = None,
    height_px: int = 480,
    width_px: int = 1000,
    labels_lang: str | None = None,
    legend: tuple[str, list[tuple[str, str, str]]] | None = None,
) -> "ipyleaflet.Map":
    """A map centred on the district with its communities and compounds as vector layers;
    with ``labels_lang`` compound names as labels (chosen by zoom), with ``legend`` (title,
    entries as for :func:`legend_html`) a legend."""
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
    if labels_lang is not None:
        m.linli_labels = CompoundLabels(m, district, labels_lang)  # type: ignore[attr-defined]
    if legend is not None:
        m.linli_legend = add_legend(m, *legend)  # type: ignore[attr-defined]
    return m


def _unit_layer(district: "District", level: str) -> dict:
    data = district.geojson(level)
    for feature in data["features"]:
        props = feature["properties"]
        feature["properties"] = {"id": escape(props["id"]), "name": escape(props.get("name", "")), "name_en": escape(props.get("name_en", ""))}
    return data


def proposals_geojson(frame: "pd.DataFrame", rules: "ProposalRules") -> dict:
    """All proposals as one FeatureCollection (one layer scales to thousands of points), compact
    for the wire: the place, the id, the category's colour and whether it is the newest. No user
    text: the map shows places and colours (titles are in the page's escaped lists), so nothing a
    resident typed reaches the layer."""
    colors = {c.id: c.color for c in rules.categories}
    newest = int(frame["id"].max()) if len(frame) else None
    features = []
    for pid, geometry, category in zip(frame["id"], frame["geometry"], frame["category"]):
        if not isinstance(geometry, str):
            continue
        pid = int(pid)
        features.append({"type": "Feature", "geometry": json.loads(geometry),
                         "properties": {"id": pid, "color": colors.get(category, "#555555"), "newest": pid == newest}})
    return {"type": "FeatureCollection", "features": features}


def proposal_style(feature: dict[str, Any]) -> dict:
    """One proposal's look: its category's colour and a CSS class with its id; the newest is bigger
    and ringed in black."""
    props = feature["properties"]
    color = props["color"]
    if props.get("newest"):
        return {"color": "#000000", "weight": 5, "radius": 16, "fillColor": color, "fillOpacity": 0.95,
                "className": f"linli-proposal linli-newest linli-proposal-{props['id']}"}
    return {"color": color, "className": f"linli-proposal linli-proposal-{props['id']}"}  # Leaflet fills with the line colour


def _rounded(coordinates: Any) -> Any:
    """Coordinates to 1e-5° (about 1 m): plenty for a district map, fewer bytes on the wire."""
    if coordinates and isinstance(coordinates[0], (int, float)):
        return [round(c, 5) for c in coordinates]
    return [_rounded(c) for c in coordinates]


def styled_proposals(data: dict) -> dict:
    """The collection as the browser draws it: each feature carries only its id and its style."""
    return {**data, "features": [{"type": "Feature", "geometry": {"type": f["geometry"]["type"], "coordinates": _rounded(f["geometry"]["coordinates"])},
                                  "properties": {"id": f["properties"]["id"], "style": proposal_style(f)}}
                                 for f in data["features"]]}


@functools.cache
def _browser_styled() -> type:
    import ipyleaflet

    class BrowserStyledGeoJSON(ipyleaflet.GeoJSON):
        """A GeoJSON layer whose data is sent as given (already styled)."""

        def _get_data(self) -> dict:
            return self.data

    return BrowserStyledGeoJSON


def proposals_layer(data: dict) -> "ipyleaflet.GeoJSON":
    """A layer of proposals (:func:`proposals_geojson`), styled once here and sent once: the layer's
    common style is merged with each feature's by the browser (ipyleaflet's view does
    ``{...feature style, ...layer style}``), so the Python side does not copy it into every feature
    and send the whole layer a second time, as a plain ``GeoJSON`` with a style does."""
    return _browser_styled()(
        data=styled_proposals(data),
        style={"weight": 4, "opacity": 0.95, "fillOpacity": 0.75},
        point_style={"radius": 9, "weight": 2},
        name="proposals",
    )


# -- static maps for public notices (folium; issue 12) ------------------------------------------
LEAFLET_DIR = __import__("pathlib").Path(__file__).resolve().parent.parent / "templates" / "vendor" / "leaflet"


def notice_map_html(district: "District", points: list, *, height_px: int = 360) -> str:
    """A self-contained Leaflet page (no tiles, no network): communities, compounds and numbered
    points; Leaflet's JS and CSS vendored from npm and inlined. Labels are escaped. Written by
    hand rather than with folium, which imports pandas: the notice page is a resident's kernel."""
    import math

    lats = [p[1] for p in points] or [district.center[0]]
    lons = [p[0] for p in points] or [district.center[1]]
    # Centre and zoom computed here, not by fitBounds in the browser: a map drawn while its frame
    # is still hidden has no size, and Leaflet's fitBounds then fails with a NaN position.
    span = max(max(lons) - min(lons), (max(lats) - min(lats)) * 1.2) + 0.004
    zoom = int(min(17, max(11, math.log2(360 * (560 / 256) / span))))
    data = {
        "center": [(min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2], "zoom": zoom,
        "layers": [[_unit_layer(district, "communities"), COMMUNITY_STYLE], [_unit_layer(district, "compounds"), COMPOUND_STYLE]],
        "points": [[lat, lon, escape(f"{i}. {label}")] for i, (lon, lat, label) in enumerate(points, start=1)],
    }
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<style>{css}</style><style>html,body{{margin:0;padding:0}}#map{{width:100%;height:{int(height_px)}px}}</style>"
        f'<script>{js}</script></head><body><div id="map"></div><script>'
        f"var d = {script_json(data)};"
        "var m = L.map('map', {center: d.center, zoom: d.zoom, maxZoom: 18, attributionControl: false});"
        "L.control.scale().addTo(m);"
        "d.layers.forEach(function (l) { var s = l[1]; L.geoJSON(l[0], {style: function () { return s; }}).addTo(m); });"
        "d.points.forEach(function (p) { L.circleMarker([p[0], p[1]], {radius: 10, color: '#ffffff', weight: 2, fill: true,"
        " fillColor: '#b71c1c', fillOpacity: 0.95}).bindTooltip(p[2]).addTo(m); });"
        "</script></body></html>"
    )


def script_json(value: Any) -> str:
    """JSON safe inside an HTML ``<script>``: ``<``, ``>`` and ``&`` written as \\u escapes."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# -- static exports (folium): one self-contained HTML file that opens with no internet -------------
VENDOR_LEAFLET = __import__("pathlib").Path(__file__).resolve().parent.parent / "templates" / "vendor" / "leaflet"


def choropleth_html(compounds_geojson: dict, values: dict[str, float], *, title: str, legend: str,
                    hotspots: list[tuple[float, float, int]] = (), center: tuple[float, float], zoom: int = 13) -> str:
    """A folium map of compounds coloured by ``values`` (compound id -> number; NaN = no data) with
    hot-spot circles, as one HTML page with Leaflet inlined (templates/vendor/leaflet). Every
    property shown is escaped."""
    import math

    import folium

    finite = [v for v in values.values() if v is not None and not math.isnan(v)]
    top = max(finite) if finite else 1.0
    ramp = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"]

    def color(v):
        if v is None or math.isnan(v):
            return "#dddddd"
        return ramp[min(len(ramp) - 1, int(v / top * len(ramp))) if top > 0 else 0]

    features = []
    for f in compounds_geojson["features"]:
        fid = f["properties"]["id"]
        v = values.get(fid)
        shown = "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:g}"
        features.append({"type": "Feature", "geometry": f["geometry"],
                         "properties": {"id": escape(fid), "name": escape(f["properties"].get("name", "")),
                                        "value": escape(shown), "fill": color(v)}})
    m = folium.Map(location=center, zoom_start=zoom, tiles=None, maxZoom=18, control_scale=True)
    m.default_js = [("leaflet", "leaflet.js")]
    m.default_css = [("leaflet_css", "leaflet.css")]
    folium.GeoJson({"type": "FeatureCollection", "features": features},
                   style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#1f3b57", "weight": 1,
                                             "fillOpacity": 0.8, "className": "linli-choropleth"},
                   tooltip=folium.GeoJsonTooltip(fields=["name", "value"], aliases=["", escape(legend)], labels=True)).add_to(m)
    for lon, lat, n in hotspots:
        folium.CircleMarker(location=(lat, lon), radius=4 + 2 * int(n), color="#6a00a8", fill=True,
                            fill_opacity=0.35, weight=1).add_to(m)
    legend_html = "".join(f'<span style="background:{c};display:inline-block;width:18px;height:12px"></span>' for c in ramp)
    m.get_root().html.add_child(folium.Element(
        f'<div style="position:fixed;top:10px;left:50px;z-index:9999;background:white;padding:6px 10px;font:14px sans-serif">'
        f'<b>{escape(title)}</b><br>{escape(legend)}: 0 {legend_html} {top:g}</div>'))
    return offline_html(m.get_root().render())


def offline_html(html: str) -> str:
    """Inline the vendored Leaflet into a folium page so it needs nothing from the network."""
    js = (VENDOR_LEAFLET / "leaflet.js").read_text(encoding="utf-8")
    css = (VENDOR_LEAFLET / "leaflet.css").read_text(encoding="utf-8")
    html = html.replace('<script src="leaflet.js"></script>', f"<script>{js}</script>")
    html = html.replace('<link rel="stylesheet" href="leaflet.css"/>', f"<style>{css}</style>")
    return html


# ---- legends, compound labels, the newest proposal (issue 10) ----------------------------

def legend_html(title: str, entries: list[tuple[str, str, str]]) -> str:
    """A map legend: ``entries`` are (text, colour, shape) with shape "dot", "line", "area" or
    "pin"; every text is escaped."""
    shapes = {
        "dot": "border-radius:50%",
        "line": "height:4px;border:none;border-radius:0",
        "area": "border-radius:2px",
        "pin": "border-radius:50%;border:2px solid #fff;box-shadow:0 0 0 1px #333",
    }
    rows = "".join(
        f'<div class="linli-legend-row"><i class="linli-swatch" style="background:{escape(color)};{shapes.get(shape, "")}"></i>{escape(text)}</div>'
        for text, color, shape in entries
    )
    return f'<div class="linli-legend"><b>{escape(title)}</b>{rows}</div>'


def add_legend(m: "ipyleaflet.Map", title: str, entries: list[tuple[str, str, str]], *, position: str = "bottomright") -> Any:
    """Put a legend on a map (an HTML widget in a map control); returns the HTML widget so a
    page can update it."""
    import ipyleaflet
    import ipywidgets as w

    box = w.HTML(legend_html(title, entries))
    box.add_class("linli-legend-box")
    m.add(ipyleaflet.WidgetControl(widget=box, position=position))
    return box


def category_entries(rules: "ProposalRules", lang: str) -> list[tuple[str, str, str]]:
    """Legend entries of the proposal categories, in rule-file order."""
    return [(c.label.get(lang), c.color, "dot") for c in rules.categories]


def compound_labels(district: "District", zoom: float, lang: str, *, font_px: int = 14) -> list[tuple[str, str, float, float]]:
    """Compounds whose outline is wide enough at ``zoom`` to carry their name: (id, name, lat,
    lon) at a point inside each. At the district-wide zoom only the large ones get a label; zoom
    in and the rest appear, so names never pile up on a small compound."""
    out = []
    for cid, name_zh, name_en, minx, maxx, lat, lon in district.label_spots():
        name = name_en if lang == "en" else name_zh
        if not isinstance(name, str) or not name:
            continue
        width_px = (maxx - minx) / 360 * 256 * 2**zoom
        text_px = sum(font_px if ord(ch) > 0x2E80 else font_px * 0.6 for ch in name) + 8
        if width_px >= text_px:
            out.append((str(cid), name, lat, lon))
    return out


class CompoundLabels:
    """Compound names on a map, re-chosen when the zoom changes (see :func:`compound_labels`)."""

    def __init__(self, m: "ipyleaflet.Map", district: "District", lang: str, *, font_px: int = 14) -> None:
        import ipyleaflet

        self.map, self.district, self.lang, self.font_px = m, district, lang, font_px
        self.group = ipyleaflet.LayerGroup(name="compound-labels")
        m.add(self.group)
        self.shown: list[str] = []
        self.update()
        m.observe(lambda _c: self.update(), names=["zoom"])

    def restyle(self, *, lang: str | None = None, font_px: int | None = None) -> None:
        """Another language or label size: choose and draw the labels again."""
        self.lang = lang or self.lang
        self.font_px = font_px or self.font_px
        self.shown = []
        self.update()

    def update(self) -> None:
        import ipyleaflet

        labels = compound_labels(self.district, float(self.map.zoom), self.lang, font_px=self.font_px)
        ids = [cid for cid, *_ in labels]
        if ids == self.shown:
            return
        markers = []
        for cid, name, lat, lon in labels:
            icon = ipyleaflet.DivIcon(
                html=f'<span class="linli-compound-name" data-compound="{escape(cid)}">{escape(name)}</span>',
                icon_size=[0, 0], icon_anchor=[0, 0],
            )
            markers.append(ipyleaflet.Marker(location=(lat, lon), icon=icon, draggable=False, keyboard=False))
        self.group.layers = tuple(markers)
        self.shown = ids
