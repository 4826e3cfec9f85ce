"""Widget kit on evidence: round-desk's candidate table built two ways and measured side by side
in chromium against a real Voila server (the project's ``linli`` template, no internet).

- **hand**: hand-built ipywidgets + CSS (``toolkit.ui.candidates.CandidateTable``: search,
  paging, 44 px tick boxes, cost inputs);
- **vuetify**: ipyvuetify 3.x ``DataTable`` (search, paging, selection) over the same rows.

Measured per kit: page weight (bytes transferred, requests), time from navigation to the first
tick box visible (median of ``--runs``), the tick box's touch size, a tap that ticks (checked in
the page), and every request that tried to leave localhost (the app must work offline; Vuetify
must not fetch fonts or icons from a CDN).

    .venv/bin/pip install ipyvuetify   # only for this comparison
    .venv/bin/python benchmarks/widget_kit.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.harness import free_port, launch_browser, offline_context  # noqa: E402
from toolkit.serve import TEMPLATES  # noqa: E402

HAND = '''
import os
from toolkit.store import open_store
from toolkit.ui.candidates import CandidateTable, candidates_from
from IPython.display import display
store = open_store(os.environ["LINLI_DB"])
table = CandidateTable(candidates_from(store.proposals_frame(), store.screening_frame()))
table.show_all.value = True
table.root.add_class("linli-page")
display(table.root)
'''

VUETIFY = '''
import os
import ipyvuetify as v
from toolkit.store import open_store
from toolkit.ui.candidates import candidates_from
from IPython.display import display
store = open_store(os.environ["LINLI_DB"])
from traitlets import List


class Table(v.DataTable):
    headers = List().tag(sync=True)  # ipyvuetify 3.1 declares it a string (a generator slip); Vuetify wants a list


rows = [{"id": c.id, "title": f"{c.id}. {c.title}", "place": c.place, "cost": c.cost_yuan} for c in candidates_from(store.proposals_frame(), store.screening_frame())]
search = v.TextField(label="搜索（编号、标题、小区）", v_model="", clearable=True)
table = Table(
    headers=[{"title": "建议", "key": "title"}, {"title": "小区", "key": "place"}, {"title": "费用（元）", "key": "cost"}],
    items=rows, item_value="id", show_select=True, v_model=[], items_per_page=15, search="",
)
table.class_ = "linli-vuetify-table"
def on_search(widget, event, data):
    table.search = data or ""
search.on_event("update:model-value", on_search)
display(v.Container(children=[search, table]))
'''

# per kit: (notebook source, the table drawn (footer / pager), a row's tick box)
KITS = {
    "hand": (HAND, ".linli-pager", ".linli-candidate-row .linli-pick input[type=checkbox]"),
    "vuetify": (VUETIFY, ".linli-vuetify-table .v-data-table-footer", ".linli-vuetify-table tbody tr input[type=checkbox]"),
}


def notebook(source: str) -> dict:
    return {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [], "source": source}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def start_voila(folder: Path, db: str, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "LINLI_DB": db, "JUPYTER_PATH": str(TEMPLATES), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "voila", str(folder), "--no-browser", "--template=linli", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--token="]
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2)
            return proc, port
        except urllib.error.HTTPError:
            return proc, port  # it answers
        except OSError:  # not up yet
            time.sleep(0.3)
    raise RuntimeError(log.read_text()[-3000:])


def measure(browser, url: str, drawn: str, selector: str) -> dict:
    external: list[str] = []
    ctx = offline_context(browser, width=1920, height=1080, external=external)
    page = ctx.new_page()
    sizes: list[int] = []

    def on_response(resp):
        try:
            sizes.append(len(resp.body()))
        except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
            pass

    page.on("response", on_response)
    t0 = time.monotonic()
    page.goto(url, timeout=180_000)
    page.wait_for_selector(drawn, state="visible", timeout=180_000)
    drawn_s = time.monotonic() - t0
    try:
        page.wait_for_selector(selector, state="visible", timeout=20_000)
    except Exception:  # noqa: BLE001 - the table is drawn but has no row to tick: measured as such
        page.wait_for_timeout(1000)
        ctx.close()
        return {"usable_s": None, "drawn_s": drawn_s, "bytes": sum(sizes), "requests": len(sizes), "tick_box": None, "tick_area": None,
                "ticked": False, "rows": 0, "external": sorted(set(external))}
    usable = time.monotonic() - t0
    rows = page.locator(selector).count()
    box = page.locator(selector).first.bounding_box()
    # the clickable area around the tick box: the nearest label / selection control / widget
    hit = page.evaluate(
        """sel => { const i = document.querySelector(sel);
                    const c = i.closest('.v-selection-control__input, .v-selection-control, .widget-checkbox, label') || i;
                    const r = c.getBoundingClientRect(); return {width: r.width, height: r.height}; }""",
        selector,
    )
    page.locator(selector).first.click()
    page.wait_for_timeout(500)
    ticked = page.locator(selector).first.is_checked()
    page.wait_for_timeout(1000)  # late requests (fonts, icons) count too
    result = {
        "usable_s": usable, "drawn_s": drawn_s, "rows": rows, "bytes": sum(sizes), "requests": len(sizes), "tick_box": box, "tick_area": hit,
        "ticked": ticked, "external": sorted(set(external)),
    }
    ctx.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", help="a Linli database (default: a fresh demo database, 240 proposals)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="linli-kit-") as tmp:
        folder = Path(tmp) / "pages"
        folder.mkdir()
        db = args.db
        if db is None:
            from toolkit.demo import build_demo_database

            db = str(Path(tmp) / "demo.sqlite")
            build_demo_database(db)
        for name, (source, *_sel) in KITS.items():
            (folder / f"{name}.ipynb").write_text(json.dumps(notebook(source)), encoding="utf-8")
        proc, port = start_voila(folder, db, Path(tmp) / "voila.log")
        runs: dict[str, list[dict]] = {k: [] for k in KITS}
        try:
            with sync_playwright() as pw:
                browser = launch_browser(pw)
                for i in range(args.runs + 1):  # the first round warms caches and is not counted
                    for name, (_source, drawn, selector) in KITS.items():
                        r = measure(browser, f"http://127.0.0.1:{port}/voila/render/{name}.ipynb", drawn, selector)
                        if i:
                            runs[name].append(r)
                browser.close()
        finally:
            import signal

            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    summary = {}
    for name, rs in runs.items():
        usable = [r["usable_s"] for r in rs if r["usable_s"] is not None]
        summary[name] = {
            "median_drawn_s": round(statistics.median(r["drawn_s"] for r in rs), 2),
            "median_usable_s": round(statistics.median(usable), 2) if len(usable) == len(rs) else None,
            "usable_s": [None if r["usable_s"] is None else round(r["usable_s"], 2) for r in rs],
            "rows_shown": rs[0]["rows"],
            "bytes": int(statistics.median(r["bytes"] for r in rs)),
            "requests": int(statistics.median(r["requests"] for r in rs)),
            "tick_box_px": [round(rs[0]["tick_box"]["width"]), round(rs[0]["tick_box"]["height"])] if rs[0]["tick_box"] else None,
            "tick_area_px": [round(rs[0]["tick_area"]["width"]), round(rs[0]["tick_area"]["height"])] if rs[0]["tick_area"] else None,
            "tap_ticks": all(r["ticked"] for r in rs),
            "external_requests": sorted({u for r in rs for u in r["external"]}),
        }
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        def size(v):
            return "x".join(map(str, v)) if v else "-"

        print(f"{'kit':<9} {'drawn':>8} {'usable':>8} {'rows':>5} {'bytes':>11} {'requests':>9} {'tick box':>9} {'tick area':>10} {'tap':>4} external")
        for name, s in summary.items():
            usable = f"{s['median_usable_s']:.2f}s" if s["median_usable_s"] is not None else "never"
            print(f"{name:<9} {s['median_drawn_s']:>7.2f}s {usable:>8} {s['rows_shown']:>5} {s['bytes']:>11,} {s['requests']:>9} "
                  f"{size(s['tick_box_px']):>9} {size(s['tick_area_px']):>10} {'ok' if s['tap_ticks'] else 'no':>4} "
                  f"{len(s['external_requests'])} {s['external_requests'][:3]}")
        print("runs (s):", {k: s["usable_s"] for k, s in summary.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
