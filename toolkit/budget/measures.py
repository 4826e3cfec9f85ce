"""Outcome measures of an allocation and side-by-side comparison of two rules.

Satisfaction of a voter with an outcome: ``funded`` = how many funded projects its ballot names, and
``money`` = the total cost of those projects (pabutools' cardinality and cost satisfaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from toolkit.budget.election import Election
from toolkit.budget.rules.result import Allocation


@dataclass(frozen=True, slots=True)
class Measures:
    """``spent``/``budget`` in currency; ``share_served``: share of voters with at least one funded project
    they voted for; ``funded_histogram[k]``: voters with exactly k funded projects on their ballot;
    ``money_quantiles``: 0/10/25/50/75/90/100 % quantiles of each voter's funded money."""

    rule: str
    spent: Fraction
    budget: Fraction
    share_spent: Fraction
    voters: int
    share_served: Fraction
    funded_histogram: tuple[int, ...]
    money_quantiles: tuple[float, ...]


def voter_satisfaction(election: Election, result: Allocation) -> tuple[np.ndarray, np.ndarray]:
    """Per voter: (number of funded projects named, their total cost in money units)."""
    index = election.project_index()
    funded = np.zeros(len(election.projects), dtype=bool)
    funded[[index[p] for p in result.selected]] = True
    b = election.ballots
    hit = funded[b.items]
    voters = b.voters()
    count = np.bincount(voters[hit], minlength=b.count)
    money = np.bincount(voters[hit], weights=election.costs()[b.items][hit].astype(np.float64), minlength=b.count)
    return count, money


def measure(election: Election, result: Allocation) -> Measures:
    count, money = voter_satisfaction(election, result)
    n = election.num_voters
    hist = np.bincount(count) if n else np.zeros(1, dtype=np.int64)
    qs = tuple(float(x) / election.money_scale for x in np.quantile(money, [0, .1, .25, .5, .75, .9, 1])) if n else ()
    return Measures(
        rule=str(result.spec), spent=result.total_cost, budget=result.budget,
        share_spent=result.total_cost / result.budget if result.budget else Fraction(0),
        voters=n, share_served=Fraction(int((count > 0).sum()), n) if n else Fraction(0),
        funded_histogram=tuple(int(x) for x in hist), money_quantiles=qs,
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two outcomes side by side: which projects differ, and which voters gain or lose (by the number of
    funded projects they voted for; ties broken by funded money)."""

    a: Measures
    b: Measures
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    both: tuple[str, ...]
    voters_better_b: int
    voters_better_a: int
    voters_same: int
    supporters_only_a: dict
    supporters_only_b: dict


def compare(election: Election, a: Allocation, b: Allocation) -> Comparison:
    ca, ma = voter_satisfaction(election, a)
    cb, mb = voter_satisfaction(election, b)
    better_b = (cb > ca) | ((cb == ca) & (mb > ma))
    better_a = (ca > cb) | ((cb == ca) & (ma > mb))
    votes = np.bincount(election.ballots.items, minlength=len(election.projects))
    index = election.project_index()
    sa, sb = set(a.selected), set(b.selected)
    only_a = tuple(p for p in a.selected if p not in sb)
    only_b = tuple(p for p in b.selected if p not in sa)
    return Comparison(
        measure(election, a), measure(election, b), only_a, only_b,
        tuple(p for p in a.selected if p in sb),
        int(better_b.sum()), int(better_a.sum()), int((~better_a & ~better_b).sum()),
        {p: int(votes[index[p]]) for p in only_a}, {p: int(votes[index[p]]) for p in only_b},
    )
