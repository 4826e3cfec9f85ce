"""Close-to-result for a budget round with 5,000 ballots: how long from the facilitator's
"close" to the explained result (count, close, allocate, explain every project, compare two
rules, pabulib export), per rule. Also prints how fast ballots were taken in. Asserts nothing.

    .venv/bin/python benchmarks/round_close.py [--ballots 5000] [--db URL]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from toolkit.labels import Label  # noqa: E402
from toolkit.rounds import Approval, Fund, Knapsack, Project, RoundSettings  # noqa: E402
from toolkit.store import open_store  # noqa: E402
from toolkit.voting import cast, close_round, create_round, issue_codes  # noqa: E402

COSTS = [30, 45, 66, 80, 120, 15, 250, 90, 60, 38, 150, 22, 70, 400, 55, 12, 95, 33, 180, 64]  # thousand yuan


def build(store, ballots: int, rule: str, kind: str, seed: int = 7) -> tuple[int, float]:
    rng = random.Random(seed)
    projects = tuple(Project(f"P{i + 1:02d}", Label(f"项目{i + 1}", f"Project {i + 1}"), c * 1000_00) for i, c in enumerate(COSTS))
    ballot_type = Knapsack() if kind == "knapsack" else Approval(min_picks=1, max_picks=5)
    settings = RoundSettings("bench", Label("基准轮次", "Benchmark round"), projects, (Fund("f", Label("保障资金", "Protection fund"), 600_000_00),), ballot_type, rule=rule)
    rid = create_round(store, settings, scrypt_n=2**4)
    codes = issue_codes(store, rid, ballots)
    store.set_round_status(rid, "open")
    popularity = [rng.random() ** 2 for _ in projects]
    t0 = time.perf_counter()
    for n, code in enumerate(codes):
        picks, spent = [], 0
        for i in sorted(range(len(projects)), key=lambda i: -popularity[i] * rng.random()):
            if len(picks) >= 5:
                break
            if kind == "knapsack" and spent + projects[i].cost_fen > settings.budget_fen:
                continue
            picks.append(projects[i].id)
            spent += projects[i].cost_fen
        cast(store, rid, code, {"projects": picks}, submission_id=f"bench-{rid}-{n:06d}")
    return rid, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ballots", type=int, default=5000)
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: a fresh SQLite file)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.db or str(Path(tmp) / "bench.sqlite"))
        for kind, rule in (("knapsack", "greedy-votes"), ("knapsack", "mes:cost:add1-greedy"), ("approval", "mes:cost:add1")):
            rid, cast_seconds = build(store, args.ballots, rule, kind)
            t0 = time.perf_counter()
            closed = close_round(store, rid)
            seconds = time.perf_counter() - t0
            rows.append((kind, rule, args.ballots, cast_seconds, seconds, len(closed.result.allocation.selected), closed.result.allocation.seconds))
    print(f"\nBudget round close → explained result ({'SQLite file' if not args.db else args.db.split(':')[0]}), 20 projects")
    print(f"{'ballot':<9} {'rule':<22} {'ballots':>7} {'cast/s':>8} {'close→result s':>15} {'of which rule s':>16} {'funded':>7}")
    for kind, rule, n, cast_s, close_s, funded, rule_s in rows:
        print(f"{kind:<9} {rule:<22} {n:>7} {n / cast_s:>8.0f} {close_s:>15.3f} {rule_s:>16.3f} {funded:>7}")


if __name__ == "__main__":
    main()
