"""Sequential Phragmén, exact, as pabutools 1.2.3 ``sequential_phragmen`` computes it.

Voters earn money continuously; a project is bought as soon as its supporters' loads can pay for it:
each round the project minimising ``(sum of supporters' loads + cost) / supporters`` is chosen and all
its supporters' loads become that value.  Quirks kept on purpose:

- projects costing more than the whole budget are dropped at the start;
- the rule *stops* (rather than skipping) as soon as any project with the minimal new load does not fit
  in the money left;
- projects with no supporters have new load +infinity; once only they remain, they are all tied, and they
  are funded one by one in tie-break order until one of them does not fit.

Loads are exact ``Fraction`` values; voters with identical ballots share a load level, floats only pick
candidates.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from toolkit.budget.election import Election
from toolkit.budget.rules.profile import Groups, money
from toolkit.budget.rules.result import Decision, Step

TOL = 1e-9


def phragmen(election: Election, groups: Groups, rank: np.ndarray):
    costs = [p.cost for p in election.projects]
    m = len(costs)
    w = groups.weight
    score = [int(w[groups.supporters[p]].sum()) for p in range(m)]
    remaining = {p for p in range(m) if costs[p] <= election.budget}
    levels: list[Fraction] = [Fraction(0)]
    levelf = [0.0]
    level_of = np.zeros(w.shape[0], dtype=np.int64)
    spent = 0
    selected: list[int] = []
    steps: list[Step] = []
    decisions: dict[str, Decision] = {}
    stop_info = None
    while remaining:
        rem = sorted(remaining)
        lf = np.asarray(levelf)
        newf = {}
        for p in rem:
            if score[p] == 0:
                newf[p] = np.inf
            else:
                s = groups.supporters[p]
                newf[p] = (float((w[s] * lf[level_of[s]]).sum()) + costs[p]) / score[p]
        best = min(newf.values())
        if best == np.inf:
            tied = [p for p in rem if newf[p] == np.inf]
            best_exact = None
        else:
            cands = [p for p in rem if newf[p] <= best * (1 + 2 * TOL)]
            exact = {}
            for p in cands:
                s = groups.supporters[p]
                loads = Fraction(0)
                lv = level_of[s]
                ws = w[s]
                for lvl in np.unique(lv):
                    loads += levels[lvl] * int(ws[lv == lvl].sum())
                exact[p] = (loads + costs[p]) / score[p]
            best_exact = min(exact.values())
            tied = [p for p in cands if exact[p] == best_exact]
        tied.sort(key=lambda p: int(rank[p]))
        if any(spent + costs[p] > election.budget for p in tied):
            over = next(p for p in tied if spent + costs[p] > election.budget)
            stop_info = (over, best_exact, len(selected) + 1)
            steps.append(Step(len(steps) + 1, "stop", election.projects[over].id,
                              {"left": money(election, election.budget - spent),
                               "cost": money(election, costs[over]), "load": best_exact}))
            break
        p = tied[0]
        if best_exact is not None:
            levels.append(best_exact)
            levelf.append(float(best_exact))
            level_of[groups.supporters[p]] = len(levels) - 1
        spent += costs[p]
        selected.append(p)
        remaining.discard(p)
        nums = {"round": len(selected), "load": best_exact, "supporters": score[p],
                "cost": money(election, costs[p]), "left_after": money(election, election.budget - spent)}
        steps.append(Step(len(steps) + 1, "fund", election.projects[p].id, nums))
        decisions[election.projects[p].id] = Decision(election.projects[p].id, True, "phragmen_funded",
                                                       len(selected), nums)
    for p in range(m):
        pid = election.projects[p].id
        if pid in decisions:
            continue
        if costs[p] > election.budget:
            decisions[pid] = Decision(pid, False, "over_budget", None,
                                      {"cost": money(election, costs[p]), "budget": money(election, election.budget)})
        elif stop_info is not None:
            over, load, r = stop_info
            decisions[pid] = Decision(pid, False, "phragmen_stopped", r,
                                      {"stopper": election.projects[over].id, "supporters": score[p],
                                       "left": money(election, election.budget - spent),
                                       "stopper_cost": money(election, costs[over]), "cost": money(election, costs[p])})
    return selected, steps, decisions
