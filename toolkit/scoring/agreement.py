"""Agreement between scorers: Kendall's coefficient of concordance W, with the tie correction.

For m scorers ranking the same n projects (mid-ranks for ties), with R_i the rank sum of
project i and T_j = Σ (t³ − t) over the groups of t tied projects in scorer j's ranking::

    W = 12 · Σ_i (R_i − m(n+1)/2)²  /  ( m² (n³ − n) − m · Σ_j T_j )

W is 1 when all scorers order the projects alike and near 0 when their orders are unrelated.
It is computed exactly (Fractions). W is undefined — ``None`` — for fewer than two scorers or
projects, or when every scorer ties every project (the denominator is 0).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence


def midranks(values: Sequence[Fraction | int | float]) -> list[Fraction]:
    """Ranks 1..n, lowest value first, ties sharing the mean of their positions.

    >>> [str(r) for r in midranks([10, 20, 20, 5])]
    ['2', '7/2', '7/2', '1']
    """
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [Fraction(0)] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = Fraction(start + 1 + end + 1, 2)
        for pos in range(start, end + 1):
            ranks[order[pos]] = shared
        start = end + 1
    return ranks


def tie_term(values: Sequence[Fraction | int | float]) -> int:
    """Σ (t³ − t) over the groups of t equal values."""
    counts: dict = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return sum(t**3 - t for t in counts.values())


def kendall_w(scores: Sequence[Sequence[Fraction | int | float]]) -> Fraction | None:
    """Kendall's W for a complete matrix: one row per scorer, one column per project (scores or
    ranks; higher or lower is better, as long as it is the same for every row).

    >>> kendall_w([[1, 2, 3], [1, 2, 3]])
    Fraction(1, 1)
    """
    m = len(scores)
    n = len(scores[0]) if m else 0
    if any(len(row) != n for row in scores):
        raise ValueError("every scorer must score the same projects (a complete matrix)")
    if m < 2 or n < 2:
        return None
    ranks = [midranks(row) for row in scores]
    mean_sum = Fraction(m * (n + 1), 2)
    s = sum((sum(r[i] for r in ranks) - mean_sum) ** 2 for i in range(n))
    denominator = m * m * (n**3 - n) - m * sum(tie_term(row) for row in scores)
    if denominator == 0:
        return None
    return Fraction(12) * s / denominator
