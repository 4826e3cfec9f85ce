"""Produce golden outcomes for the budget engine by running the reference implementation.

Only pabutools 1.2.3 is used here -- nothing from ``toolkit`` -- so the goldens cannot echo our own code.
Run it in a separate environment that has the ``oracle`` extra::

    python3 -m venv /work/oracle-venv && /work/oracle-venv/bin/pip install pabutools==1.2.3 numpy
    nice -n 10 /work/oracle-venv/bin/python tests/budget/make_goldens.py [--files GLOB] [--phase 1|2|all]

One JSON file per election is written to ``tests/budget/golden/<stem>.json`` and rewritten after every
rule, so an interrupted run keeps what it finished; already present (file, rule) pairs are skipped
unless ``--force``.  Phase 1 runs every rule without completion, phase 2 the ``add1`` completions
(the slow ones: minutes per large file).

Rule specs (``rule[:utility[:completion]]``) and the pabutools call each one stands for:

greedy-votes            greedy_utilitarian_welfare(sat_class=Cost_Sat)
greedy-votes-per-cost   greedy_utilitarian_welfare(sat_class=Cardinality_Sat)
greedy-points           greedy_utilitarian_welfare with an additive sat = points x cost (cumulative/scoring)
greedy-points-per-cost  greedy_utilitarian_welfare(sat_class=Additive_Cardinal_Sat)
greedy-score            greedy_utilitarian_welfare with sat = (L - position) x cost, L = META max_length
                        (or the longest ballot when the META has none), ordinal only
greedy-borda-per-cost   greedy_utilitarian_welfare(sat_class=Additive_Borda_Sat, is_sat_additive=True)
mes:U                   method_of_equal_shares(sat_class=U)
mes:U:add1              method_of_equal_shares(sat_class=U, voter_budget_increment=1)
mes:cost:add1-greedy    the above, then greedy_utilitarian_welfare(Cost_Sat, initial_budget_allocation=...); the
                        add1 outcome computed for mes:cost:add1 in the same run is reused, so its "seconds"
                        then count the greedy step only
phragmen                sequential_phragmen (approval and choose-1 only)
max-welfare:U           max_additive_utilitarian_welfare(sat_class=U); the golden keeps the welfare
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import json
import os
import signal
import time
from pathlib import Path

import pabutools
from pabutools.election import (
    Additive_Borda_Sat,
    Additive_Cardinal_Sat,
    Cardinality_Sat,
    Cost_Sat,
    parse_pabulib,
)
from pabutools.election.satisfaction.additivesatisfaction import AdditiveSatisfaction
from pabutools.election.satisfaction.positionalsatisfaction import PositionalSatisfaction
from pabutools.fractions import frac
from pabutools.rules.mes import mes_rule
from pabutools.rules import (
    greedy_utilitarian_welfare,
    max_additive_utilitarian_welfare,
    method_of_equal_shares,
    sequential_phragmen,
)

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path(os.environ.get("LINLI_PABULIB", HERE.parents[1].parent / "shared" / "pabulib"))
GOLDEN = HERE / "golden"

UTILITY_CLASSES = {"cost": Cost_Sat, "cardinality": Cardinality_Sat,
                   "points": Additive_Cardinal_Sat, "borda": Additive_Borda_Sat}


class PointsTimesCostSat(AdditiveSatisfaction):
    """sat(p) = points given to p x cost(p): greedy on total sat / cost then orders by total points."""

    def __init__(self, instance, profile, ballot):
        AdditiveSatisfaction.__init__(
            self, instance, profile, ballot, lambda i, pr, b, p, pre: b.get(p, 0) * p.cost)


def positional_sat_class(top: int):
    class PositionTimesCostSat(PositionalSatisfaction):
        def __init__(self, instance, profile, ballot):
            PositionalSatisfaction.__init__(
                self, instance, profile, ballot,
                lambda b, p: (top - b.position(p)) * p.cost if p in b else 0, sum)
    return PositionTimesCostSat


def specs_for(vote_type: str) -> list[str]:
    utilities = ["cost", "cardinality"]
    specs = ["greedy-votes", "greedy-votes-per-cost"]
    if vote_type in ("cumulative", "scoring"):
        specs += ["greedy-points", "greedy-points-per-cost"]
        utilities.append("points")
    if vote_type == "ordinal":
        specs += ["greedy-score", "greedy-borda-per-cost"]
        utilities.append("borda")
    specs += [f"mes:{u}" for u in utilities]
    if vote_type in ("approval", "choose-1"):
        specs.append("phragmen")
    specs.append("max-welfare:cost")
    if vote_type in ("cumulative", "scoring"):
        specs.append("max-welfare:points")
    specs += [f"mes:{u}:add1" for u in utilities]
    specs.append("mes:cost:add1-greedy")
    return specs


# --- memory fix for the add1 completion (pabutools 1.2.3) -----------------------------------------------
# MESVoter.budget_over_sat_project memoises budget / sat(project) in ``budget_over_sat_map`` keyed by
# (project, current budget).  The map is never emptied, and every add1 round (budget per voter + 1) and every
# selection inside a round give each voter new budget values, so the map collects ~4 entries per voter per round
# and is only freed when the rule returns: on Budapest_2023_VIII (918 voters) ~3,700 entries = ~1.15 MB per
# round (tracemalloc: mes_rule.py:124 tuples + fractions.py:58 mpq values + the old budget mpqs they pin), i.e.
# gigabytes after a few thousand of the tens of thousands of rounds.  The numbers themselves stay small
# (budget denominators < 120 bits throughout), so this is a leak, not number growth.
#
# The replacement below keeps the very same memo, but only for the voter's *current* budget: when the budget has
# changed since the last call the map is emptied first.  Result-neutral because the memo is a pure cache: the
# value stored under (project, budget) is frac(budget, sat.sat_project(project)), and a miss recomputes exactly
# that value (sat scores are themselves memoised per project, mpq arithmetic is exact), so every call returns a
# number equal to what the original returns; the map is read nowhere else (only as the sort key of
# project.supporter_indices in mes_inner_algo, where equal keys give the identical stable order).  Applied only
# around the add1 call, so all other rules run completely unpatched.
def _current_budget_over_sat_project(self, proj):
    budget = self.budget
    cache = self.budget_over_sat_map
    if "_memo_budget" not in self.__dict__ or self._memo_budget != budget:
        cache.clear()  # budget changed: entries for other budgets are just dropped (recomputed if ever needed)
        self._memo_budget = budget
    res = cache.get((proj, budget), None)
    if res is None:
        res = frac(budget, self.sat.sat_project(proj))
        cache[(proj, budget)] = res
    return res


@contextlib.contextmanager
def _bounded_mes_voter_memo():
    original = mes_rule.MESVoter.budget_over_sat_project
    mes_rule.MESVoter.budget_over_sat_project = _current_budget_over_sat_project
    try:
        yield
    finally:
        mes_rule.MESVoter.budget_over_sat_project = original


_ADD1_CACHE: dict = {}


def run(spec: str, instance, profile):
    parts = spec.split(":")
    rule = parts[0]
    utility = parts[1] if len(parts) > 1 else None
    completion = parts[2] if len(parts) > 2 else None
    if rule == "greedy-votes":
        return greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    if rule == "greedy-votes-per-cost":
        return greedy_utilitarian_welfare(instance, profile, sat_class=Cardinality_Sat)
    if rule == "greedy-points":
        return greedy_utilitarian_welfare(instance, profile, sat_class=PointsTimesCostSat)
    if rule == "greedy-points-per-cost":
        return greedy_utilitarian_welfare(instance, profile, sat_class=Additive_Cardinal_Sat)
    if rule == "greedy-score":
        top = instance.meta.get("max_length")
        top = int(top) if top is not None else max(len(b) for b in profile)
        return greedy_utilitarian_welfare(instance, profile, sat_class=positional_sat_class(top),
                                          is_sat_additive=True)
    if rule == "greedy-borda-per-cost":
        return greedy_utilitarian_welfare(instance, profile, sat_class=Additive_Borda_Sat,
                                          is_sat_additive=True)
    if rule == "mes":
        sat = UTILITY_CLASSES[utility]
        if completion is None:
            return method_of_equal_shares(instance, profile, sat_class=sat)
        # add1-greedy starts from the very same pabutools add1 outcome, so reuse it within one run (the
        # cache holds the profile itself: compared by identity, never confused with a later one)
        if _ADD1_CACHE.get("profile") is not profile or _ADD1_CACHE.get("utility") != utility:
            _ADD1_CACHE.clear()
            with _bounded_mes_voter_memo():  # see the comment above _current_budget_over_sat_project
                alloc = method_of_equal_shares(instance, profile, sat_class=sat, voter_budget_increment=1)
            _ADD1_CACHE.update(profile=profile, utility=utility, alloc=alloc)
        alloc = _ADD1_CACHE["alloc"]
        if completion == "add1":
            return alloc
        if completion == "add1-greedy":
            return greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat,
                                              initial_budget_allocation=alloc)
    if rule == "phragmen":
        return sequential_phragmen(instance, profile)
    if rule == "max-welfare":
        return max_additive_utilitarian_welfare(instance, profile, sat_class=UTILITY_CLASSES[utility])
    raise ValueError(f"unknown spec {spec}")


def welfare(spec: str, instance, profile, selection) -> str:
    sat_profile = profile.as_sat_profile(UTILITY_CLASSES[spec.split(":")[1]])
    return str(sum(sat_profile.total_satisfaction_project(p) for p in selection))


class Timeout(Exception):
    pass


def _timeout(signum, frame):
    raise Timeout("pabutools did not finish within --timeout")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--files", default="*.pb", help="glob inside --data")
    ap.add_argument("--phase", default="all", choices=["1", "2", "all"])
    ap.add_argument("--only", default=None, help="comma-separated specs")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--skip", default="", help="comma-separated file stems to leave out")
    ap.add_argument("--timeout", type=int, default=0, help="give up on one (file, rule) after this many seconds")
    args = ap.parse_args(argv)
    GOLDEN.mkdir(exist_ok=True)
    files = sorted(glob.glob(os.path.join(args.data, args.files)), key=os.path.getsize)
    files = [f for f in files if Path(f).stem not in args.skip.split(",")]
    phases = ["1", "2"] if args.phase == "all" else [args.phase]
    for phase in phases:
        for path in files:
            stem = Path(path).stem
            out = GOLDEN / f"{stem}.json"
            data = json.loads(out.read_text()) if out.exists() else {}
            raw = Path(path).read_bytes()
            t0 = time.perf_counter()
            instance, profile = parse_pabulib(path)
            parse_s = time.perf_counter() - t0
            data.update({
                "file": Path(path).name,
                "sha256": hashlib.sha256(raw).hexdigest(),
                "pabutools": pabutools.__version__ if hasattr(pabutools, "__version__") else "1.2.3",
                "vote_type": instance.meta["vote_type"],
                "num_voters": profile.num_ballots(),
                "parse_seconds": round(parse_s, 4),
            })
            data.setdefault("rules", {})
            specs = specs_for(instance.meta["vote_type"])
            if args.only:
                specs = [s for s in specs if s in args.only.split(",")]
            for spec in specs:
                is_completion = spec.endswith(("add1", "add1-greedy"))
                if (phase == "1") == is_completion:
                    continue
                if spec in data["rules"] and not args.force:
                    continue
                t0 = time.perf_counter()
                if args.timeout:
                    signal.signal(signal.SIGALRM, _timeout)
                    signal.alarm(args.timeout)
                try:
                    selection = run(spec, instance, profile)
                    signal.alarm(0)
                except Exception as exc:  # recorded, so one failing call does not stop the run
                    print(f"{stem} {spec} FAILED {exc!r}", flush=True)
                    signal.alarm(0)
                    data.setdefault("errors", {})[spec] = repr(exc)
                    continue
                seconds = time.perf_counter() - t0
                entry = {
                    "selected": sorted(p.name for p in selection),
                    "total_cost": str(sum(p.cost for p in selection)),
                    "seconds": round(seconds, 4),
                }
                if spec.startswith("max-welfare"):
                    entry["welfare"] = welfare(spec, instance, profile, selection)
                data["rules"][spec] = entry
                tmp = out.with_suffix(".tmp")
                tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
                tmp.replace(out)
                print(f"{stem} {spec} {seconds:.2f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
