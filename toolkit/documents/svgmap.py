"""A static map as inline SVG for printed notices: the district's communities and compounds
as outlines and numbered points, no tiles and no JavaScript (WeasyPrint draws SVG, not Leaflet)."""

from __future__ import annotations

import math

from toolkit.markup import escape


def svg_map(district, points: list, *, width: int = 640, height: int = 360, pad: float = 0.003) -> str:
    """``points``: [lon, lat, label]; the view fits the points (plus the compounds around them)."""
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    minx, maxx, miny, maxy = min(lons) - pad, max(lons) + pad, min(lats) - pad, max(lats) + pad
    kx = math.cos(math.radians((miny + maxy) / 2))
    scale = min(width / ((maxx - minx) * kx), height / (maxy - miny))

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return ((lon - minx) * kx * scale, height - (lat - miny) * scale)

    shapes = []
    for level, stroke, sw in (("compounds", "#9e9e9e", 1), ("communities", "#37474f", 2)):
        for feature in district.geojson(level)["features"]:
            geometry = feature["geometry"]
            polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
            for poly in polys:
                ring = poly[0]  # the exterior
                xs, ys = [p[0] for p in ring], [p[1] for p in ring]
                if max(xs) < minx or min(xs) > maxx or max(ys) < miny or min(ys) > maxy:
                    continue
                d = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(a, b_) for a, b_ in ring))
                shapes.append(f'<polygon points="{d}" fill="none" stroke="{stroke}" stroke-width="{sw}"/>')
    marks = []
    for i, (lon, lat, label) in enumerate(points, start=1):
        x, y = xy(lon, lat)
        marks.append(f'<g><title>{escape(label)}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="#b71c1c" stroke="#fff" stroke-width="2"/>'
                     f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" text-anchor="middle" fill="#fff" font-weight="bold">{i}</text></g>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="linli-static-map" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
            f'<rect width="{width}" height="{height}" fill="#f2efe9"/>{"".join(shapes)}{"".join(marks)}</svg>')
