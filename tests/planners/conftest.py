"""Fixtures for the planners' tests: the DEMO district and fresh demo-scale stores."""

from __future__ import annotations

import pytest

from toolkit.geo import DEMO_GEODATA, District, load_district


@pytest.fixture(scope="session")
def demo_district() -> District:
    return load_district(DEMO_GEODATA)


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory):
    """The demo database (240 proposals), built once; tests copy it."""
    from toolkit.demo import build_demo_database

    path = tmp_path_factory.mktemp("demo_db") / "linli.sqlite"
    build_demo_database(str(path))
    return path


@pytest.fixture
def demo_db(demo_db_template, tmp_path):
    import sqlite3

    target = tmp_path / "linli.sqlite"
    src, dst = sqlite3.connect(demo_db_template), sqlite3.connect(target)
    src.backup(dst)  # the WAL's pages too
    src.close(), dst.close()
    return str(target)


def free_square(district, community_id: str, side_deg: float = 0.0007):
    """A small square inside a community that touches no compound (at least 20 m clear)."""
    import shapely

    comm = district.communities.geometry[district.communities["id"] == community_id].iloc[0]
    taken = shapely.union_all(list(district.compounds.geometry.values)).buffer(0.0003)
    free = comm.buffer(-0.0003).difference(taken)
    parts = sorted(getattr(free, "geoms", [free]), key=lambda g: -g.area)
    for part in parts:
        x, y = part.representative_point().coords[0]
        for dx, dy in ((0, 0), (-side_deg / 2, 0), (0, -side_deg / 2), (-side_deg, 0), (0, -side_deg)):
            sq = shapely.box(x + dx - side_deg / 2, y + dy - side_deg / 2, x + dx + side_deg / 2, y + dy + side_deg / 2)
            if part.contains(sq):
                return sq
    raise AssertionError(f"no free spot in {community_id}")


def split_case(district, store):
    """A compound with point proposals on both sides of its vertical middle line: (compound id,
    the line (lon, lat list), ids of proposals in the smaller part, ids in the larger part)."""
    import json

    import shapely
    from shapely.ops import split

    frame = store.proposals_frame()
    for cid, poly in zip(district.compounds["id"], district.compounds.geometry.values):
        mine = frame[(frame["compound_id"] == cid) & (frame["geom_type"] == "Point")]
        if len(mine) < 2:
            continue
        minx, miny, maxx, maxy = poly.bounds
        x = minx + (maxx - minx) * 0.4
        line = shapely.LineString([(x, miny - 0.001), (x, maxy + 0.001)])
        parts = sorted(split(poly, line).geoms, key=lambda g: g.area)
        if len(parts) != 2:
            continue
        small, big = parts
        pts = {int(i): shapely.Point(json.loads(g)["coordinates"]) for i, g in zip(mine["id"], mine["geometry"])}
        in_small = [i for i, p in pts.items() if small.buffer(-1e-6).contains(p)]
        in_big = [i for i, p in pts.items() if big.buffer(-1e-6).contains(p)]
        if in_small and in_big:
            return cid, [list(c) for c in line.coords], in_small, in_big
    raise AssertionError("no compound to split")
