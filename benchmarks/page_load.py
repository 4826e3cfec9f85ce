"""Page load: request → widgets usable, in headless chromium against real Voila servers.

    .venv/bin/python benchmarks/page_load.py [--runs 5] [--before 50123e6]

First, before vs after side by side: propose and vote, on demand and preheated (LINLI_POOL_SIZE=1),
served once from a ``git worktree`` of ``--before`` (its toolkit, notebooks and template; same
Python packages) and once from this checkout, visits alternating between the two; medians of
``--runs`` after one warm-up, the ratio, the load average. ``--before none`` skips it.
Then this checkout alone: propose, live-map and vote, without and with preheated kernels, and bytes
on the wire with and without the server's gzip (first visit, and a second visit with the browser
cache warm, and how soon that second visit was usable). Prints tables and the machine's load average; asserts nothing.
``--floor`` instead measures the stack's own floor: a notebook holding one ipywidgets button, served by
the same resident server command (template, gzip, settings), visits alternating with the propose page.

"Usable" means: propose — the submit button and the compound outlines are on screen;
live-map — the proposal count is on screen; vote (the ballot page) — the code box and its
button are on screen. Demo database with 240 proposals and an open 8-project round.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.harness import STAFF_TOKEN, RunningServer, free_port, launch_browser, offline_context, start_servers  # noqa: E402
from toolkit.demo import build_demo_database  # noqa: E402
from toolkit.serve import POOL_REFILL_DELAY  # noqa: E402

PAGES = {
    "propose": ("resident", "button.linli-submit", "path.linli-compound", 1280, 800),
    "live-map": ("staff", "#linli-total", "path.linli-proposal", 1920, 1080),
    "vote": ("resident", "button.linli-start", "input[placeholder]", 1280, 800),
}


def open_round(db: str) -> tuple[int, str]:
    """An open knapsack round over eight demo proposals, as the vote page needs: (round id, a code)."""
    import pandas as pd

    from toolkit.labels import Label
    from toolkit.rounds import Fund, Knapsack, Project, RoundSettings
    from toolkit.store import open_store
    from toolkit.voting import create_round, issue_codes

    store = open_store(db)
    frame = store.proposals_frame().head(8)
    projects = tuple(
        Project(f"P{int(r.id):04d}", Label(r.title, r.title), 5_000_000 if pd.isna(r.cost_fen) or not r.cost_fen else int(r.cost_fen),
                Label(r.suggestion, r.suggestion), None if pd.isna(r.lon) else (float(r.lon), float(r.lat)))
        for r in frame.itertuples()
    )
    rid = create_round(store, RoundSettings("bench", Label("基准投票", "Benchmark vote"), projects, (Fund("f", Label("保障资金", "Fund"), 300_000_00),), Knapsack()), scrypt_n=2**8)
    codes = issue_codes(store, rid, 5)
    store.set_round_status(rid, "open")
    return rid, codes[0]


def _visit(ctx, servers, page_name: str) -> tuple[float, float, int, int]:
    """One visit in ``ctx``: (first byte s, usable s, requests, bytes received on the wire)."""
    audience, ready, drawn, _w, _h = PAGES[page_name]
    page = ctx.new_page()
    wire = {"bytes": 0, "requests": 0}
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")

    def finished(event):
        wire["bytes"] += int(event.get("encodedDataLength", 0))
        wire["requests"] += 1

    cdp.on("Network.loadingFinished", finished)
    t0 = time.perf_counter()
    page.goto(servers[audience].url(page_name), wait_until="commit", timeout=120_000)
    first_byte = time.perf_counter() - t0
    page.wait_for_selector(ready, timeout=120_000)
    page.wait_for_selector(drawn, state="attached", timeout=120_000)
    usable = time.perf_counter() - t0
    page.wait_for_load_state("load", timeout=120_000)
    page.close(run_before_unload=True)  # the page's unload beacon ends its kernel, as a closed tab does
    return first_byte, usable, wire["requests"], wire["bytes"]


def measure(browser, servers, page_name: str, *, revisit: bool = False) -> tuple[float, float, int, int]:
    """A first visit in a fresh browser (cold cache); with ``revisit``, the numbers of a second visit."""
    _a, _r, _d, width, height = PAGES[page_name]
    external: list[str] = []
    if revisit:  # Playwright's routing switches the HTTP cache off: the revisit context has none
        ctx = browser.new_context(viewport={"width": width, "height": height})
    else:
        ctx = offline_context(browser, width=width, height=height, external=external)
    try:
        result = _visit(ctx, servers, page_name)
        if revisit:
            result = _visit(ctx, servers, page_name)
    finally:
        ctx.close()
    if external:
        raise SystemExit(f"{page_name} tried to reach the internet: {external[:3]}")
    return result


def run(pool_size: int, runs: int, db: str, workdir: Path, *, gzip: bool = True) -> dict[str, list]:
    from playwright.sync_api import sync_playwright

    extra = () if gzip else ("--LinliVoila.gzip=False",)
    servers = start_servers(db, workdir, pool_size=pool_size, extra=extra)
    results: dict[str, list] = {p: [] for p in PAGES}
    results["revisit"] = {}
    try:
        with sync_playwright() as pw:
            browser = launch_browser(pw)
            for name in PAGES:  # one warm-up load per page (disk cache of the OS, imports)
                measure(browser, servers, name)
            for _ in range(runs):
                for name in PAGES:
                    if pool_size:
                        time.sleep(POOL_REFILL_DELAY + 12)  # the pool refills (after its delay), as between two visitors
                    results[name].append(measure(browser, servers, name))
            for name in PAGES:
                results["revisit"][name] = measure(browser, servers, name, revisit=True)
            browser.close()
    finally:
        for s in servers.values():
            s.stop()
    return results


CONFIGS = {"on demand": (0, True), "preheated": (1, True), "no gzip": (0, False)}


def checkout_servers(checkout: Path, db: str, workdir: Path, side: str, *, pool_size: int = 0,
                     extra: tuple[str, ...] = ()) -> dict[str, RunningServer]:
    """Both audiences' servers running ``checkout``'s toolkit, notebooks and template (``PYTHONPATH``
    points at it; the Python and its packages are this checkout's)."""
    from toolkit.serve import voila_server
    from toolkit.settings import load_settings

    settings = dataclasses.replace(load_settings(), db=db, staff_token=STAFF_TOKEN, staff_password_hash=None, pool_size=pool_size,
                                   var_dir=workdir, host="127.0.0.1", max_kernels=0, max_kernels_per_client=0)

    def swap(text: str) -> str:
        for folder in ("notebooks", "templates"):
            text = text.replace(str(ROOT / folder), str(checkout / folder))
        return text

    running = {}
    for audience in ("resident", "staff"):
        srv = voila_server(audience, settings, port=free_port(), extra=extra)
        cwd = None
        if Path(checkout).resolve() != ROOT:
            # ``python -m`` puts the working folder first on sys.path, ahead of PYTHONPATH: run the server
            # in the checkout, or it would import this checkout's toolkit (before/after would compare nothing).
            cwd = checkout
            env = {k: swap(v) for k, v in srv.env.items()}
            env["PYTHONPATH"] = str(checkout)
            command = [swap(c) for c in srv.command]
            if not (checkout / "templates" / "voila" / "templates" / "linli-resident").is_dir():  # before the resident client
                command = ["--template=linli" if c == "--template=linli-resident" else c for c in command]
            srv = dataclasses.replace(srv, command=command, env=env)
        running[audience] = RunningServer(srv, workdir / f"{side}-{audience}-{pool_size}.log", cwd=cwd)
    for r in running.values():
        r.wait_ready()
    return running


class Baseline:
    """A ``git worktree`` of ``commit`` in ``folder`` while in use."""

    def __init__(self, commit: str, folder: Path) -> None:
        self.commit, self.path = commit, Path(folder)

    def __enter__(self) -> Path:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(self.path), self.commit], check=True)
        return self.path

    def __exit__(self, *exc) -> None:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(self.path)], check=False)


def before_after(commit: str, runs: int, db: str, workdir: Path) -> None:
    """Propose and vote, on demand and preheated, ``commit`` vs this checkout, visits alternating."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    pages = ("propose", "vote")
    usable: dict[tuple[str, str, str], list[float]] = {}
    load_before = os.getloadavg()
    with Baseline(commit, workdir / "before") as before:
        for kind, pool in (("on demand", 0), ("preheated", 1)):
            sides = {}
            try:
                sides = {"before": checkout_servers(before, db, workdir, "before", pool_size=pool),
                         "after": checkout_servers(ROOT, db, workdir, "after", pool_size=pool)}
                with sync_playwright() as pw:
                    browser = launch_browser(pw)
                    for name in pages:
                        for side in sides:
                            try:
                                measure(browser, sides[side], name)  # warm-up
                            except PlaywrightTimeout:
                                print(f"warm-up: {side} {name} ({kind}) not usable within 120 s", flush=True)
                    for _ in range(runs):
                        for name in pages:
                            for side in sides:
                                if pool:
                                    time.sleep(POOL_REFILL_DELAY + 12)  # the pool refills (after its delay), as between two visitors
                                try:
                                    seconds = measure(browser, sides[side], name)[1]
                                except PlaywrightTimeout:  # recorded, not fatal: the table says which side and how often
                                    seconds = float("inf")
                                usable.setdefault((kind, name, side), []).append(seconds)
                    browser.close()
            finally:
                for running in sides.values():
                    for s in running.values():
                        s.stop()
    load_after = os.getloadavg()
    print(f"\nRequest → usable, before ({commit}) vs after (this checkout), median of {runs} [min–max], seconds; "
          f"{os.cpu_count()} cores, load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(f"{'page':<9} {'server':<10} {'before':>20} {'after':>20} {'before/after':>13}  (inf: not usable within 120 s)")
    for name in pages:
        for kind in ("on demand", "preheated"):
            b, a = usable[(kind, name, "before")], usable[(kind, name, "after")]
            failed = ", ".join(f"{side} {sum(x == float('inf') for x in v)} of {len(v)} timed out"
                               for side, v in (("before", b), ("after", a)) if float("inf") in v)
            print(f"{name:<9} {kind:<10} {statistics.median(b):>7.2f} [{min(b):.2f}–{max(b):.2f}] "
                  f"{statistics.median(a):>7.2f} [{min(a):.2f}–{max(a):.2f}] {statistics.median(b) / statistics.median(a):>12.2f}×"
                  + (f"  {failed}" if failed else ""))


FLOOR_NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "floor", "metadata": {}, "outputs": [],
               "source": "import ipywidgets as w\nw.Button(description='开始', _dom_classes=['linli-floor'])"}],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def floor(runs: int, db: str, workdir: Path) -> None:
    """Request → usable of a one-button notebook beside the propose page, on the same server command:
    what Voila's front end costs before a page has anything in it."""
    import json

    from playwright.sync_api import sync_playwright

    from toolkit.serve import NOTEBOOKS, voila_server
    from toolkit.settings import load_settings

    folder = workdir / "floor-notebooks"
    folder.mkdir()
    for src in (NOTEBOOKS / "resident").glob("*.ipynb"):
        (folder / src.name).write_bytes(src.read_bytes())
    (folder / "floor.ipynb").write_text(json.dumps(FLOOR_NOTEBOOK, ensure_ascii=False), encoding="utf-8")
    pages = {"floor": ("button.linli-floor", "button.linli-floor"), "propose": PAGES["propose"][1:3]}
    usable: dict[tuple[str, str], list[float]] = {}
    load_before = os.getloadavg()
    for kind, pool in (("on demand", 0), ("preheated", 1)):
        settings = dataclasses.replace(load_settings(), db=db, staff_token=STAFF_TOKEN, staff_password_hash=None, pool_size=pool,
                                       var_dir=workdir, host="127.0.0.1", max_kernels=0, max_kernels_per_client=0)
        srv = voila_server("resident", settings, port=free_port())
        srv = dataclasses.replace(srv, command=[str(folder) if c == str(NOTEBOOKS / "resident") else c for c in srv.command])
        running = RunningServer(srv, workdir / f"floor-{pool}.log")
        try:
            running.wait_ready()
            with sync_playwright() as pw:
                browser = launch_browser(pw)
                for visit in range(runs + 1):  # the first visit of each page is a warm-up
                    for name, (ready, drawn) in pages.items():
                        time.sleep(POOL_REFILL_DELAY + 12 if pool else 2)
                        ctx = offline_context(browser, width=1280, height=800, external=[])
                        page = ctx.new_page()
                        t0 = time.perf_counter()
                        page.goto(running.url(name), wait_until="commit", timeout=120_000)
                        page.wait_for_selector(ready, timeout=120_000)
                        page.wait_for_selector(drawn, state="attached", timeout=120_000)
                        if visit:
                            usable.setdefault((kind, name), []).append(time.perf_counter() - t0)
                        page.close(run_before_unload=True)
                        ctx.close()
                browser.close()
        finally:
            running.stop()
    load_after = os.getloadavg()
    print(f"\nThe stack's floor: a one-button notebook vs the propose page, same server command, fresh browser each visit;"
          f" median of {runs} [min–max], seconds; {os.cpu_count()} cores, load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(f"{'server':<10} {'one button':>20} {'propose':>20} {'floor / propose':>16}")
    for kind in ("on demand", "preheated"):
        f, p = usable[(kind, "floor")], usable[(kind, "propose")]
        print(f"{kind:<10} {statistics.median(f):>7.2f} [{min(f):.2f}–{max(f):.2f}] {statistics.median(p):>7.2f} [{min(p):.2f}–{max(p):.2f}]"
              f" {statistics.median(f) / statistics.median(p):>15.0%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--before", default="50123e6", help="commit to compare with (none: skip the comparison)")
    ap.add_argument("--only-compare", action="store_true", help="stop after the before/after table")
    ap.add_argument("--floor", action="store_true", help="only the one-button floor beside the propose page")
    args = ap.parse_args()
    if args.floor:
        with tempfile.TemporaryDirectory() as tmp:
            db = str(Path(tmp) / "bench.sqlite")
            build_demo_database(db)
            floor(args.runs, db, Path(tmp))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.sqlite")
        build_demo_database(db)
        open_round(db)
        if args.before != "none":
            before_after(args.before, args.runs, db, Path(tmp))
        if args.only_compare:
            return
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.sqlite")
        build_demo_database(db)
        open_round(db)
        table = {kind: run(pool, args.runs, db, Path(tmp), gzip=gz) for kind, (pool, gz) in CONFIGS.items()}
    load_after = os.getloadavg()
    print(f"\nPage load in headless chromium, {args.runs} runs each after one warm-up (seconds; median [min–max]);"
          f" {os.cpu_count()} cores, load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(f"{'page':<10} {'server':<11} {'first byte':>22} {'widgets usable':>22} {'requests':>9} {'KB on wire':>11} {'KB revisit':>11} {'usable revisit':>15}")
    for name in PAGES:
        for kind in CONFIGS:
            rows = table[kind][name]
            fb = [r[0] for r in rows]
            us = [r[1] for r in rows]
            kb = statistics.median(r[3] for r in rows) / 1024
            again = table[kind]["revisit"][name][3] / 1024
            print(
                f"{name:<10} {kind:<11} {statistics.median(fb):>8.2f} [{min(fb):.2f}–{max(fb):.2f}]"
                f" {statistics.median(us):>10.2f} [{min(us):.2f}–{max(us):.2f}] {rows[0][2]:>9} {kb:>11.0f} {again:>11.0f}"
                f" {table[kind]['revisit'][name][1]:>15.2f}"
            )
        base, heated, plain = (statistics.median(r[1] for r in table[k][name]) for k in CONFIGS)
        print(f"{'':<10} preheating: widgets usable {base / heated:.2f}× sooner; gzip: {plain / base:.2f}× sooner,"
              f" {statistics.median(r[3] for r in table['no gzip'][name]) / max(1, statistics.median(r[3] for r in table['on demand'][name])):.1f}× fewer bytes")


if __name__ == "__main__":
    main()
