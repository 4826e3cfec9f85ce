"""Greedy rules: order projects by a score, fund each one that still fits.

Matches pabutools 1.2.3 ``greedy_utilitarian_welfare`` (additive scheme): the score is the total
satisfaction divided by the cost, compared exactly; ties go to the better tie-break rank (default: the
smallest project id as a string).  Quirks kept on purpose:

- a project nobody supports scores 0 but is still funded if money is left when its turn comes;
- a zero-cost project scores +infinity if its total satisfaction is positive, 0 otherwise -- with
  cost satisfaction (greedy-votes) its satisfaction is ``supporters x 0 = 0``, so it comes last;
- a negative total (possible with positional scores longer than L) counts as 0.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from toolkit.budget.election import Election
from toolkit.budget.rules.profile import project_totals, tie_ranks
from toolkit.budget.rules.result import Decision, Step
from toolkit.budget.rules.spec import RuleSpec


def greedy(election: Election, spec: RuleSpec, totals: list[int], score_name: str,
           initial: tuple[int, ...] = (), step_offset: int = 0):
    """Run greedy on per-project ``totals`` (the satisfaction sums pabutools would compute).

    Returns (selected indices in order, steps, decisions for the projects it considered)."""
    projects = election.projects
    costs = [p.cost for p in projects]
    rank = tie_ranks(election, spec).tolist()
    chosen = set(initial)
    candidates = [i for i in range(len(costs)) if i not in chosen]
    # exact integer sort key for the density total/cost: two different fractions with denominators at
    # most C differ by at least 1/C**2, so floor(total * K / cost) with K > C**2 keeps their order and
    # maps equal fractions to equal keys (no Fraction objects in the sort)
    big = max(costs, default=0) ** 2 + 1
    key = {}
    for i in candidates:
        t, c = totals[i], costs[i]
        key[i] = ((1, -(t * big // c)) if c > 0 else (0, 0)) if t > 0 else (1, 0)
    order = sorted(candidates, key=lambda i: (key[i], rank[i]))
    left = election.budget - sum(costs[i] for i in initial)
    scale = election.money_scale
    cur = Fraction(left, scale)
    selected: list[int] = []
    steps: list[Step] = []
    decisions: dict[str, Decision] = {}
    index = step_offset
    for r, i in enumerate(order, start=1):
        pid = projects[i].id
        c = costs[i]
        cost = Fraction(c, scale)
        nums = {"rank": r, "left": cur, "cost": cost, "score": _score(totals[i], c, score_name),
                "score_name": score_name}
        index += 1
        if c <= left:
            left -= c
            selected.append(i)
            cur = cur - cost if c else cur
            nums["left_after"] = cur
            steps.append(Step(index, "fund", pid, nums))
            decisions[pid] = Decision(pid, True, "greedy_funded", r, nums)
        else:
            steps.append(Step(index, "skip", pid, nums))
            decisions[pid] = Decision(pid, False, "greedy_no_money", r, nums)
    return selected, steps, decisions


def _score(total: int, cost: int, name: str):
    if name in ("votes", "points", "score"):
        # pabutools divides satisfaction (x cost) by cost: the plain count/points
        return Fraction(total, cost) if cost else 0
    return Fraction(total, cost) if cost else float("inf") if total > 0 else 0


def greedy_totals(election: Election, kind: str) -> tuple[list[int], str]:
    """Per-project satisfaction totals for each greedy rule (``sat x cost`` variants included)."""
    b = election.ballots
    costs = election.costs()
    if kind == "votes":
        return project_totals(election, costs[b.items]), "votes"
    if kind == "votes-per-cost":
        return project_totals(election, np.ones_like(b.items)), "votes_per_cost"
    if kind == "points":
        return project_totals(election, b.points * costs[b.items]), "points"
    if kind == "points-per-cost":
        return project_totals(election, b.points), "points_per_cost"
    if kind == "score":
        top = positional_top(election)
        return project_totals(election, (top - b.positions()) * costs[b.items]), "score"
    if kind == "borda-per-cost":
        return project_totals(election, np.repeat(b.lengths(), b.lengths()) - b.positions() - 1), "borda_per_cost"
    raise ValueError(kind)


def positional_top(election: Election) -> int:
    """L, the points of a first choice: META ``max_length``, or the longest ballot if META has none."""
    if "max_length" in election.meta:
        return int(election.meta["max_length"])
    lengths = election.ballots.lengths()
    return int(lengths.max()) if lengths.size else 0
