"""The live map at meeting scale (finding 8): bytes the kernel pushes to the browser and kernel CPU
for the first paint and for each refresh, side by side for the old behaviour (the whole proposals
layer sent on every refresh) and the page as it is now. Prints a table, the ratios and the
machine's load average; asserts nothing.

    .venv/bin/python benchmarks/live_map.py [--proposals 20000] [--refreshes 5]

Bytes are the widget messages as the kernel hands them to Jupyter (JSON of every comm open and
update plus binary buffers, before websocket framing and compression), counted by a comm that
stands in for the kernel's. The store is a real SQLite file with demo proposals (built once and
kept under var/bench/, it takes minutes at 20,000). "Store changed" is a refresh after another
table changed (e.g. a screening decision): the poll says changed, no proposal is new.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import comm  # noqa: E402
from comm.base_comm import BaseComm  # noqa: E402

SENT = {"bytes": 0, "messages": 0}


class CountingComm(BaseComm):
    """Stands in for the kernel's comm: counts what would go to the browser, sends nothing."""

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys) -> None:  # noqa: ANN001
        packed = json.dumps({"data": data or {}, "metadata": metadata or {}}, ensure_ascii=False, allow_nan=False, default=str)
        SENT["bytes"] += len(packed.encode("utf-8")) + sum(len(memoryview(b).cast("B")) for b in (buffers or []))
        SENT["messages"] += 1


class _Manager:
    def register_comm(self, c) -> None:  # noqa: ANN001
        pass

    def unregister_comm(self, c) -> None:  # noqa: ANN001
        pass


comm.create_comm = lambda *args, **kwargs: CountingComm(*args, **kwargs)
comm.get_comm_manager = lambda: _Manager()


def database(n: int, folder: Path) -> Path:
    """A demo database with ``n`` proposals (built once, then reused)."""
    from toolkit.demo import build_demo_database

    path = folder / f"live-{n}.sqlite"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        print(f"building {path} ({n} proposals; minutes at 20,000) …", flush=True)
        build_demo_database(str(path), count=n)
        print(f"  built in {time.monotonic() - started:.0f} s", flush=True)
    return path


def old_live_map():
    """The page as it was before finding 8 (a3f911a~1): every refresh sets the whole layer, each
    feature with its title and category, styled by ipyleaflet in Python (which sends the layer a
    second time, styled)."""
    import ipyleaflet

    from toolkit.markup import escape
    from toolkit.ui.live_map import LiveMap

    def old_geojson(frame, rules) -> dict:  # noqa: ANN001
        colors = {c.id: c.color for c in rules.categories}
        newest = int(frame["id"].max()) if len(frame) else None
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": json.loads(r.geometry),
             "properties": {"id": int(r.id), "category": escape(r.category), "color": colors.get(r.category, "#555555"),
                            "title": escape(r.title), "newest": int(r.id) == newest}}
            for r in frame.itertuples(index=False) if isinstance(r.geometry, str)]}

    def old_style(feature: dict) -> dict:
        props = feature["properties"]
        if props.get("newest"):
            return {"color": "#000000", "weight": 5, "radius": 16, "fillColor": props["color"], "fillOpacity": 0.95,
                    "className": f"linli-proposal linli-newest linli-proposal-{props['id']}"}
        return {"color": props["color"], "fillColor": props["color"], "className": f"linli-proposal linli-proposal-{props['id']}"}

    def old_layer(data: dict):  # noqa: ANN202
        return ipyleaflet.GeoJSON(data=data, style={"weight": 4, "opacity": 0.95, "fillOpacity": 0.75}, point_style={"radius": 9, "weight": 2},
                                  style_callback=old_style, name="proposals")

    class WholeLayer(LiveMap):
        def __init__(self, rules, district, load, changed, **kw) -> None:  # noqa: ANN001
            def remember():  # noqa: ANN202
                self._frame = load()
                return self._frame

            super().__init__(rules, district, remember, changed, **kw)
            self.map.remove(self.layer)
            self.layer = old_layer({"type": "FeatureCollection", "features": []})
            self.map.add(self.layer)

        def _send_features(self, collection: dict) -> None:
            self.layer.data = old_geojson(self._frame, self.rules)

    return WholeLayer


def measure(kind: str, db: Path, refreshes: int) -> dict[str, list[tuple[int, float]]]:
    """(bytes, CPU seconds) for the first paint, refreshes with the store changed but no new
    proposal, and refreshes with one new proposal each."""
    from tests.test_store import draft
    from toolkit.ui.live_map import LiveMap
    from toolkit.workspace import open_workspace

    ws = open_workspace(str(db))
    cls = old_live_map() if kind == "old" else LiveMap
    force = {"now": True}

    def changed() -> bool:
        was, force["now"] = force["now"], False
        return was

    def step(action) -> tuple[int, float]:  # noqa: ANN001
        SENT["bytes"] = 0
        cpu = time.process_time()
        action()
        return SENT["bytes"], time.process_time() - cpu

    live = None

    def first() -> None:
        nonlocal live
        live = cls(ws.rules, ws.district, ws.store.proposals_frame, changed)
        live.tick()

    out = {"first paint": [step(first)], "store changed, nothing new": [], "one new proposal": []}
    for i in range(refreshes):
        force["now"] = True
        out["store changed, nothing new"].append(step(live.tick))
        ws.submit_proposal(draft(ws, 900_000 + i))  # stored outside the measured step, as another tablet would
        force["now"] = True
        out["one new proposal"].append(step(live.tick))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=20_000)
    parser.add_argument("--refreshes", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(__file__).resolve().parents[1] / "var" / "bench")
    args = parser.parse_args()
    source = database(args.proposals, args.cache)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.sqlite"
        shutil.copy(source, warm)
        measure("new", warm, 1)  # imports and caches warm, not measured
        for kind in ("old", "new"):  # each on its own copy: both start from the same proposals
            copy = Path(tmp) / f"{kind}.sqlite"
            shutil.copy(source, copy)
            results[kind] = measure(kind, copy, args.refreshes)
    load = os.getloadavg()
    print(f"\nlive map, {args.proposals} proposals, {args.refreshes} refreshes each; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'':30} {'old bytes':>12} {'new bytes':>12} {'old/new':>9}   {'old CPU s':>9} {'new CPU s':>9} {'old/new':>8}")
    for what in results["old"]:
        ob = statistics.median(b for b, _ in results["old"][what])
        nb = statistics.median(b for b, _ in results["new"][what])
        oc = statistics.median(c for _, c in results["old"][what])
        nc = statistics.median(c for _, c in results["new"][what])
        ratio = f"{ob / nb:9.1f}" if nb else "      inf"
        print(f"{what:30} {ob:12,.0f} {nb:12,.0f} {ratio}   {oc:9.3f} {nc:9.3f} {oc / nc if nc else float('inf'):8.1f}")
    print("(median of the refreshes; bytes = widget messages before websocket framing and gzip)")


if __name__ == "__main__":
    main()
