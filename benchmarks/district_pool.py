"""Connections to PostgreSQL with many page kernels open: straight to PostgreSQL vs through the
district's PgBouncer (``linli serve --district``), side by side in one run.

Each simulated kernel is what a page kernel holds: its own ``Store`` (its own SQLAlchemy engine
and pool, ``LINLI_DB_POOL`` connections at most) and a live page's ``Watcher``; all of them open at
once and poll for ``--seconds`` (a read of the proposals count and the watcher token every 0.2 s).
They run as threads of a few processes: PostgreSQL cannot tell them from kernel processes (each has
its own pool and connections), and 170 kernel processes of 150 MB would not fit this machine.

Printed per setup: kernels, errors (and the first one), peak server connections seen in
``pg_stat_activity`` (sampled every 0.1 s) against ``max_connections``.

    .venv/bin/python benchmarks/district_pool.py [--kernels 170] [--seconds 10]
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def _kernels(url: str, count: int, seconds: float, start_at: float, out) -> None:
    """``count`` kernels in this process, each with its own store; report (ok, errors, first error)."""
    from toolkit.store import open_store

    errors: list[str] = []
    ok = [0]

    def kernel() -> None:
        try:
            while time.time() < start_at:
                time.sleep(0.01)
            store = open_store(url, migrate=False)
            watcher = store.watcher()
            until = time.monotonic() + seconds
            while time.monotonic() < until:
                store.count_proposals()
                watcher.changed()
                time.sleep(0.2)
            watcher.close()
            store.engine.dispose()
            ok[0] += 1
        except Exception as exc:  # counted and shown: this is what a page would have met
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:220]}")

    threads = [threading.Thread(target=kernel) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((ok[0], errors))


def _peak_connections(admin_url: str, stop: threading.Event, box: dict) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, pool_size=1, max_overflow=0)
    peak = 0
    with engine.connect() as conn:
        box["max"] = int(conn.execute(text("SHOW max_connections")).scalar())
        while not stop.is_set():
            n = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")).scalar()
            conn.rollback()
            peak = max(peak, int(n))
            time.sleep(0.1)
    box["peak"] = peak
    engine.dispose()


def measure(url: str, admin_url: str, kernels: int, seconds: float, processes: int = 4) -> dict:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 3.0  # every process imported and ready: then all open at once
    per = [kernels // processes + (1 if i < kernels % processes else 0) for i in range(processes)]
    procs = [ctx.Process(target=_kernels, args=(url, n, seconds, start_at, out)) for n in per]
    for p in procs:
        p.start()
    stop, box = threading.Event(), {}
    sampler = threading.Thread(target=_peak_connections, args=(admin_url, stop, box))
    sampler.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    stop.set()
    sampler.join()
    errors = [e for _, errs in results for e in errs]
    return {"ok": sum(ok for ok, _ in results), "errors": errors, "peak": box.get("peak"), "max": box.get("max")}


def main(argv: list[str] | None = None) -> None:
    from postgres import PostgresServer

    from toolkit.district import layout, pgbouncer_process, pooled_url, upstream
    from toolkit.settings import load_settings
    from toolkit.store import open_store

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernels", type=int, default=170)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--port", type=int, default=9580, help="PostgreSQL's socket port; PgBouncer's is port+1")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="linli-pool-bench-") as tmp:
        Path(tmp).chmod(0o755)
        pg = PostgresServer(Path(tmp) / "pg", args.port).start()
        bouncer = None
        try:
            db = pg.create_database("linli")
            open_store(db)  # the schema
            settings = dataclasses.replace(load_settings(), district_port=args.port + 1, var_dir=Path(tmp) / "var")
            lay = layout(settings)
            part = pgbouncer_process(lay, upstream(db), settings.db_connections)
            bouncer = subprocess.Popen(part.command, env=part.env, start_new_session=True)
            time.sleep(2)
            rows = []
            for name, url in (("straight to PostgreSQL", db), (f"through PgBouncer ({settings.db_connections} server connections)", pooled_url(lay, upstream(db)))):
                load = os.getloadavg()
                r = measure(url, pg.url("postgres"), args.kernels, args.seconds)
                rows.append((name, r, load))
            print(f"\n{args.kernels} page kernels opening at once, each with its own pool (LINLI_DB_POOL={settings.db_pool}) and a live-page watcher, {args.seconds:g} s of polling")
            print("| setup | kernels fine | errors | peak server connections / max_connections | load avg at start | first error |")
            print("|---|---:|---:|---:|---|---|")
            for name, r, load in rows:
                first = r["errors"][0] if r["errors"] else "–"
                print(f"| {name} | {r['ok']} | {len(r['errors'])} | {r['peak']} / {r['max']} | {' '.join(f'{x:.2f}' for x in load)} | {first} |")
            print(f"uptime after: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
        finally:
            if bouncer is not None:
                bouncer.terminate()
                bouncer.wait(timeout=20)
            pg.stop()


if __name__ == "__main__":
    main()
