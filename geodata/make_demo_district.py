"""Generate the fictional DEMO district 锦东区 (Jindong District) into geodata/demo/.

    python geodata/make_demo_district.py            # rewrite geodata/demo/*.geojson
    python geodata/make_demo_district.py --out DIR  # write elsewhere (the tests compare bytes)

Everything here is invented: the district, its streets, communities and compounds do not exist.
The output is deterministic: a fixed seed, no network, coordinates rounded to 6 decimals, features
in id order and JSON written by hand, so re-running gives byte-identical files.

Layout: a 6 x 3 lattice of community cells (each ~1.35 km x 2.6 km) whose corners and edges are
jittered, so neighbours share their (irregular) edges exactly; streets are L-shaped unions of three
cells; compounds are small irregular polygons inset into their community, leaving roads between them.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path

import shapely
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

SEED = 20240520
DISTRICT = ("锦东区", "Jindong District")
LAT0, LON0 = 30.632, 104.106  # south-west corner of the unperturbed lattice
CELL_W, CELL_H = 1350.0, 2600.0  # metres
NX, NY = 6, 3  # community cells
M_PER_DEG_LAT = 110_900.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0 + 0.035))

STREETS = [
    ("桂园街道", "Guiyuan Subdistrict"),
    ("沙河桥街道", "Shaheqiao Subdistrict"),
    ("锦华路街道", "Jinhualu Subdistrict"),
    ("东风渠街道", "Dongfengqu Subdistrict"),
    ("望江台街道", "Wangjiangtai Subdistrict"),
    ("青杠林街道", "Qingganglin Subdistrict"),
]
COMMUNITIES = [
    [("桂花巷社区", "Guihuaxiang"), ("月桂社区", "Yuegui"), ("金桂社区", "Jingui")],
    [("沙河社区", "Shahe"), ("河畔社区", "Hepan"), ("新桥社区", "Xinqiao")],
    [("锦华社区", "Jinhua"), ("华联社区", "Hualian"), ("桂溪社区", "Guixi")],
    [("东风社区", "Dongfeng"), ("渠岸社区", "Qu'an"), ("水碾社区", "Shuinian")],
    [("望江社区", "Wangjiang"), ("江台社区", "Jiangtai"), ("观澜社区", "Guanlan")],
    [("青杠社区", "Qinggang"), ("林荫社区", "Linyin"), ("松林社区", "Songlin")],
]
# (zh, en, kind): kind "yard" = 院落 (old work-unit housing, fewer households), "estate" = 小区.
COMPOUNDS = [
    ("锦绣花园", "Jinxiu Garden", "estate"), ("紫荆苑", "Zijing Court", "estate"),
    ("电力宿舍院落", "Power Bureau Staff Yard", "yard"), ("桂馨苑", "Guixin Court", "estate"),
    ("机车厂宿舍院落", "Locomotive Works Staff Yard", "yard"), ("和平里", "Hepingli", "estate"),
    ("玉兰苑", "Yulan Court", "estate"), ("翠竹园", "Cuizhu Garden", "estate"),
    ("纺织厂宿舍院落", "Textile Mill Staff Yard", "yard"), ("银杏苑", "Yinxing Court", "estate"),
    ("芙蓉小区", "Furong Estate", "estate"), ("丝绸厂宿舍院落", "Silk Factory Staff Yard", "yard"),
    ("东方花园", "Dongfang Garden", "estate"), ("沙河人家", "Shahe Homes", "estate"),
    ("邮电宿舍院落", "Post and Telecom Staff Yard", "yard"), ("河畔新居", "Hepan New Homes", "estate"),
    ("锦江苑", "Jinjiang Court", "estate"), ("新桥小区", "Xinqiao Estate", "estate"),
    ("粮食局宿舍院落", "Grain Bureau Staff Yard", "yard"), ("蓝湾花园", "Lanwan Garden", "estate"),
    ("华联大厦", "Hualian Mansion", "estate"), ("锦华苑", "Jinhua Court", "estate"),
    ("建工宿舍院落", "Construction Co. Staff Yard", "yard"), ("桂溪雅居", "Guixi Elegant Homes", "estate"),
    ("阳光城", "Sunshine City", "estate"), ("量具厂宿舍院落", "Measuring Tools Works Staff Yard", "yard"),
    ("金色家园", "Golden Homes", "estate"), ("东风小区", "Dongfeng Estate", "estate"),
    ("渠畔人家", "Canal-side Homes", "estate"), ("水碾河院落", "Shuinianhe Yard", "yard"),
    ("龙潭花园", "Longtan Garden", "estate"), ("钢管厂宿舍院落", "Steel Pipe Works Staff Yard", "yard"),
    ("万科城", "Vanke City", "estate"), ("幸福里", "Xingfuli", "estate"),
    ("望江名苑", "Wangjiang Court", "estate"), ("医院宿舍院落", "Hospital Staff Yard", "yard"),
    ("江台雅苑", "Jiangtai Elegant Court", "estate"), ("观澜府", "Guanlan Residence", "estate"),
    ("教师宿舍院落", "Teachers' Staff Yard", "yard"), ("滨江花园", "Binjiang Garden", "estate"),
    ("青杠小区", "Qinggang Estate", "estate"), ("林荫苑", "Linyin Court", "estate"),
    ("无线电厂宿舍院落", "Radio Factory Staff Yard", "yard"), ("松林雅居", "Songlin Elegant Homes", "estate"),
    ("世纪花园", "Century Garden", "estate"), ("红星院落", "Hongxing Yard", "yard"),
    ("绿洲小区", "Lüzhou Estate", "estate"), ("锦城嘉苑", "Jincheng Jiayuan", "estate"),
    ("百花苑", "Baihua Court", "estate"), ("气象局宿舍院落", "Weather Bureau Staff Yard", "yard"),
    ("安居苑", "Anju Court", "estate"), ("康乐小区", "Kangle Estate", "estate"),
    ("兴隆院落", "Xinglong Yard", "yard"), ("枫林苑", "Fenglin Court", "estate"),
    ("金沙小区", "Jinsha Estate", "estate"), ("香樟园", "Xiangzhang Garden", "estate"),
    ("水电宿舍院落", "Hydropower Staff Yard", "yard"), ("宏达花园", "Hongda Garden", "estate"),
    ("天鹅湖小区", "Tian'ehu Estate", "estate"), ("汽修厂宿舍院落", "Auto Repair Works Staff Yard", "yard"),
    ("春晓苑", "Chunxiao Court", "estate"), ("嘉禾园", "Jiahe Garden", "estate"),
    ("税务宿舍院落", "Tax Bureau Staff Yard", "yard"), ("荷塘月色", "Hetang Yuese", "estate"),
    ("南苑小区", "Nanyuan Estate", "estate"), ("北辰院落", "Beichen Yard", "yard"),
    ("雅居乐", "Yajule", "estate"), ("晨光小区", "Chenguang Estate", "estate"),
    ("锦东新村", "Jindong New Village", "estate"), ("化工厂宿舍院落", "Chemical Works Staff Yard", "yard"),
    ("盛世华庭", "Shengshi Huating", "estate"), ("金桂花园", "Jingui Garden", "estate"),
]
# Street k covers three lattice cells (column, row): two L-triominoes per 2-column block.
STREET_CELLS = [
    [(0, 0), (1, 0), (0, 1)],
    [(1, 1), (0, 2), (1, 2)],
    [(2, 0), (3, 0), (2, 1)],
    [(3, 1), (2, 2), (3, 2)],
    [(4, 0), (5, 0), (4, 1)],
    [(5, 1), (4, 2), (5, 2)],
]
ROAD_M = 30.0  # minimum gap between a compound and its community's edge, and between compounds


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    return round(LON0 + x / M_PER_DEG_LON, 6), round(LAT0 + y / M_PER_DEG_LAT, 6)


def lattice(rng: random.Random) -> dict[tuple[int, int], tuple[float, float]]:
    """Jittered lattice corners in metres; boundary corners move less."""
    pts = {}
    for i in range(NX + 1):
        for j in range(NY + 1):
            edge = i in (0, NX) or j in (0, NY)
            jx, jy = (150.0, 250.0) if edge else (260.0, 450.0)
            pts[i, j] = (i * CELL_W + rng.uniform(-jx, jx), j * CELL_H + rng.uniform(-jy, jy))
    return pts


def edge_points(rng: random.Random, a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
    """Three wiggly interior points on the edge a→b (perpendicular offsets up to 70 m)."""
    (ax, ay), (bx, by) = a, b
    length = math.hypot(bx - ax, by - ay)
    nx, ny = -(by - ay) / length, (bx - ax) / length
    out = []
    for t in (0.25, 0.5, 0.75):
        off = rng.uniform(-70.0, 70.0)
        out.append((ax + t * (bx - ax) + off * nx, ay + t * (by - ay) + off * ny))
    return out


def community_cells(rng: random.Random) -> dict[tuple[int, int], list[tuple[float, float]]]:
    """Rings (lon/lat, rounded) of the 18 cells; shared edges have identical coordinates."""
    corners = lattice(rng)
    edges: dict[tuple, list] = {}
    for i in range(NX + 1):  # horizontal edges, then vertical, in a fixed order
        for j in range(NY + 1):
            if i < NX:
                edges[(i, j), (i + 1, j)] = edge_points(rng, corners[i, j], corners[i + 1, j])
            if j < NY:
                edges[(i, j), (i, j + 1)] = edge_points(rng, corners[i, j], corners[i, j + 1])

    def walk(a, b):
        pts = edges[a, b] if (a, b) in edges else list(reversed(edges[b, a]))
        return [corners[a], *pts]

    cells = {}
    for i in range(NX):
        for j in range(NY):
            ring_m = (walk((i, j), (i + 1, j)) + walk((i + 1, j), (i + 1, j + 1))
                      + walk((i + 1, j + 1), (i, j + 1)) + walk((i, j + 1), (i, j)))
            cells[i, j] = ([to_lonlat(x, y) for x, y in ring_m], [corners[i, j], corners[i + 1, j],
                                                                 corners[i + 1, j + 1], corners[i, j + 1]])
    return cells


def bilinear(quad, u: float, v: float) -> tuple[float, float]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    x = (1 - u) * (1 - v) * x0 + u * (1 - v) * x1 + u * v * x2 + (1 - u) * v * x3
    y = (1 - u) * (1 - v) * y0 + u * (1 - v) * y1 + u * v * y2 + (1 - u) * v * y3
    return x, y


def compound_shape(rng: random.Random, u0: float, v0: float, du: float, dv: float) -> list[tuple[float, float]]:
    """An irregular outline (uv coordinates) in the box u0..u0+du, v0..v0+dv."""
    kind = int(rng.random() * 4)
    j = lambda s: rng.uniform(0.0, s)  # noqa: E731 - small inward jitter
    if kind == 0:  # skewed quadrilateral
        return [(u0 + j(0.12) * du, v0 + j(0.12) * dv), (u0 + du - j(0.12) * du, v0 + j(0.12) * dv),
                (u0 + du - j(0.12) * du, v0 + dv - j(0.12) * dv), (u0 + j(0.12) * du, v0 + dv - j(0.12) * dv)]
    if kind == 1:  # one corner cut off
        c = rng.uniform(0.25, 0.4)
        return [(u0, v0), (u0 + du, v0), (u0 + du, v0 + dv * (1 - c)), (u0 + du * (1 - c), v0 + dv), (u0, v0 + dv)]
    if kind == 2:  # L-shape
        a, b = rng.uniform(0.45, 0.6), rng.uniform(0.4, 0.55)
        return [(u0, v0), (u0 + du, v0), (u0 + du, v0 + dv * b), (u0 + du * a, v0 + dv * b),
                (u0 + du * a, v0 + dv), (u0, v0 + dv)]
    # hexagon-ish block with bevelled corners
    e = rng.uniform(0.12, 0.2)
    return [(u0 + du * e, v0), (u0 + du * (1 - e), v0), (u0 + du, v0 + dv * 0.5),
            (u0 + du * (1 - e), v0 + dv), (u0 + du * e, v0 + dv), (u0, v0 + dv * 0.5)]


def lonlat_to_m(lon: float, lat: float) -> tuple[float, float]:
    return (lon - LON0) * M_PER_DEG_LON, (lat - LAT0) * M_PER_DEG_LAT


def place_compounds(rng: random.Random, quad, cell_m: Polygon, count: int) -> list[list[tuple[float, float]]]:
    """Up to four compounds in a 2 x 2 arrangement of slots; one slot stays empty when count == 3."""
    slots = [(0, 0), (1, 0), (0, 1), (1, 1)]
    if count == 3:
        del slots[int(rng.random() * 4)]
    inner = cell_m.buffer(-ROAD_M)
    placed: list[Polygon] = []
    rings = []
    for su, sv in slots:
        for _attempt in range(50):
            du = rng.uniform(300.0, 540.0) / CELL_W
            dv = rng.uniform(300.0, 560.0) / CELL_H
            lo_u, hi_u = (0.08, 0.5 - 0.03 - du) if su == 0 else (0.5 + 0.03, 0.92 - du)
            lo_v, hi_v = (0.06, 0.5 - 0.02 - dv) if sv == 0 else (0.5 + 0.02, 0.94 - dv)
            u0, v0 = rng.uniform(lo_u, hi_u), rng.uniform(lo_v, hi_v)
            ring = [to_lonlat(*bilinear(quad, u, v)) for u, v in compound_shape(rng, u0, v0, du, dv)]
            poly_m = Polygon([lonlat_to_m(*p) for p in ring])
            if (poly_m.is_valid and inner.contains(poly_m)
                    and all(poly_m.distance(other) >= ROAD_M for other in placed)):
                placed.append(poly_m)
                rings.append(ring)
                break
        else:  # pragma: no cover - only if the constants above are changed badly
            raise RuntimeError(f"could not place a compound in slot {(su, sv)}")
    return rings


def households(rng: random.Random, kind: str, area_m2: float) -> int:
    """Plausible household count: yards are old low-rise, estates are dense high-rise."""
    per_ha = rng.uniform(8.0, 18.0) if kind == "yard" else rng.uniform(45.0, 110.0)
    return int(min(2500, max(200, round(area_m2 / 10_000 * per_ha, -1))))


def polygon_geometry(ring: list[tuple[float, float]]) -> dict:
    poly = orient(Polygon(ring), 1.0)  # RFC 7946: exterior ring counter-clockwise
    return {"type": "Polygon", "coordinates": [[[x, y] for x, y in poly.exterior.coords]]}


def build() -> dict[str, list[dict]]:
    """The three layers as lists of GeoJSON features, in id order."""
    rng = random.Random(SEED)
    cells = community_cells(rng)
    streets, communities, compounds = [], [], []
    names = iter(COMPOUNDS)
    for s, ((s_zh, s_en), cell_ids) in enumerate(zip(STREETS, STREET_CELLS), start=1):
        sid = f"S{s}"
        cell_polys = []
        for c, cell in enumerate(cell_ids, start=1):
            cid = f"{sid}C{c}"
            ring, quad = cells[cell]
            cell_polys.append(Polygon(ring))
            c_zh, c_en = COMMUNITIES[s - 1][c - 1]
            communities.append(_feature(cid, c_zh, f"{c_en} Community", polygon_geometry(ring), street_id=sid))
            count = 4 if rng.random() < 0.5 else 3
            cell_m = Polygon([lonlat_to_m(*p) for p in ring])
            for y, y_ring in enumerate(place_compounds(rng, quad, cell_m, count), start=1):
                y_zh, y_en, kind = next(names)
                area = Polygon([lonlat_to_m(*p) for p in y_ring]).area
                compounds.append(_feature(
                    f"{cid}Y{y}", y_zh, y_en, polygon_geometry(y_ring),
                    community_id=cid, street_id=sid, households=households(rng, kind, area)))
        union = shapely.union_all(cell_polys)
        if union.geom_type != "Polygon" or list(union.interiors):  # pragma: no cover
            raise RuntimeError(f"street {sid} is not a simple polygon")
        ring = [(round(x, 6), round(y, 6)) for x, y in union.exterior.coords]
        streets.append(_feature(sid, s_zh, s_en, polygon_geometry(ring)))
    return {"streets": streets, "communities": communities, "compounds": compounds}


def _feature(fid: str, name: str, name_en: str, geometry: dict, **props: object) -> dict:
    properties = {"id": fid, "name": name, "name_en": name_en, **props, "demo": True}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for layer, features in build().items():
        collection = {
            "type": "FeatureCollection",
            "name": layer,
            "description": f"DEMO: fictional district {DISTRICT[0]} / {DISTRICT[1]}, {layer}; "
                           "generated by geodata/make_demo_district.py, not real geography",
            "features": features,
        }
        lines = [json.dumps({k: v for k, v in collection.items() if k != "features"},
                            ensure_ascii=False)[:-1] + ', "features": [']
        lines += [json.dumps(f, ensure_ascii=False) + ("," if i < len(features) - 1 else "")
                  for i, f in enumerate(features)]
        lines.append("]}")
        path = out_dir / f"{layer}.geojson"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "demo",
                        help="output folder (default: geodata/demo next to this script)")
    args = parser.parse_args(argv)
    for path in write(args.out):
        print(path)


if __name__ == "__main__":
    main()
