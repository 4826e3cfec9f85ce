"""Maximum additive utilitarian welfare: the exact 0/1 knapsack optimum.

pabutools 1.2.3 ``max_additive_utilitarian_welfare`` (primal-dual branch and bound) may return any
optimal set; the welfare is what is compared.  Here: depth-first branch and bound over projects sorted by
welfare per unit of cost, with the Dantzig (fractional) bound in exact integer arithmetic, started from
the greedy solution.  Zero-cost projects with positive welfare are always taken (as pabutools does).
"""

from __future__ import annotations

import bisect
from fractions import Fraction


def max_welfare(costs: list[int], profits: list[int], capacity: int) -> list[int]:
    """Indices of a welfare-maximal feasible set (exact)."""
    free = [i for i, (c, p) in enumerate(zip(costs, profits)) if c == 0 and p > 0]
    items = [i for i, (c, p) in enumerate(zip(costs, profits)) if 0 < c <= capacity and p > 0]
    items.sort(key=lambda i: (-Fraction(profits[i], costs[i]), i))
    w = [costs[i] for i in items]
    v = [profits[i] for i in items]
    n = len(items)
    pw = [0] * (n + 1)
    pv = [0] * (n + 1)
    for k in range(n):
        pw[k + 1] = pw[k] + w[k]
        pv[k + 1] = pv[k] + v[k]
    best_val = 0
    best_set: list[int] = []
    cap = capacity
    for k in range(n):  # greedy start
        if w[k] <= cap:
            cap -= w[k]
            best_val += v[k]
            best_set.append(k)

    def bound(i: int, cap: int) -> int:
        # largest j with pw[j] - pw[i] <= cap
        j = bisect.bisect_right(pw, pw[i] + cap, lo=i) - 1
        extra = pv[j] - pv[i]
        if j < n:
            extra += v[j] * (cap - (pw[j] - pw[i])) // w[j]
        return extra

    chosen: list[int] = []
    def dfs(i: int, cap: int, val: int) -> None:
        nonlocal best_val, best_set
        if val > best_val:
            best_val = val
            best_set = list(chosen)
        if i == n or val + bound(i, cap) <= best_val:
            return
        if w[i] <= cap:
            chosen.append(i)
            dfs(i + 1, cap - w[i], val + v[i])
            chosen.pop()
        dfs(i + 1, cap, val)

    import sys
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, n + 100))
    try:
        dfs(0, capacity, 0)
    finally:
        sys.setrecursionlimit(limit)
    return free + [items[k] for k in best_set]
