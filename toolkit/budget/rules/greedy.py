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
from toolkit.budget.rules.profile import money, project_totals, tie_ranks
from toolkit.budget.rules.result import Decision, Step
from toolkit.budget.rules.spec import RuleSpec


def density_key(total: int, cost: int) -> tuple[int, Fraction]:
    """Sort key (ascending = better) for pabutools' satisfaction density total/cost."""
    if total > 0:
        if cost > 0:
            return (1, -Fraction(total, cost))
        return (0, Fraction(0))
    return (1, Fraction(0))


def greedy(election: Election, spec: RuleSpec, totals: list[int], score_name: str,
           initial: tuple[int, ...] = (), step_offset: int = 0):
    """Run greedy on per-project ``totals`` (the satisfaction sums pabutools would compute).

    Returns (selected indices in order, steps, decisions for the projects it considered)."""
    costs = [p.cost for p in election.projects]
    rank = tie_ranks(election, spec)
    candidates = [i for i in range(len(costs)) if i not in set(initial)]
    order = sorted(candidates, key=lambda i: (density_key(totals[i], costs[i]), int(rank[i])))
    left = election.budget - sum(costs[i] for i in initial)
    selected: list[int] = []
    steps: list[Step] = []
    decisions: dict[str, Decision] = {}
    for r, i in enumerate(order, start=1):
        p = election.projects[i]
        score = _score(totals[i], costs[i], score_name, election)
        nums = {"rank": r, "left": money(election, left), "cost": money(election, costs[i]), "score": score,
                "score_name": score_name}
        if costs[i] <= left:
            left -= costs[i]
            selected.append(i)
            nums["left_after"] = money(election, left)
            steps.append(Step(step_offset + len(steps) + 1, "fund", p.id, nums))
            decisions[p.id] = Decision(p.id, True, "greedy_funded", r, nums)
        else:
            steps.append(Step(step_offset + len(steps) + 1, "skip", p.id, nums))
            decisions[p.id] = Decision(p.id, False, "greedy_no_money", r, nums)
    return selected, steps, decisions


def _score(total: int, cost: int, name: str, election: Election):
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
