"""Method of Equal Shares, exact, on numpy -- with pabutools 1.2.3's semantics.

Each voter starts with ``budget / voters``.  A round funds the project with the smallest
*affordability* rho: the least rho such that ``sum_i min(b_i, rho * u_i) >= cost`` over its supporters
(``u_i`` = the voter's utility for it, ``b_i`` = money left).  Each supporter then pays
``min(b_i, rho * u_i)``.  Ties in rho go to the better tie-break rank (default: smallest id as a string).
It stops when no project is affordable.

Exactness.  Every budget is ``b0 - sum_k rho_k * paid[g, k]`` (rho_k: exact ``Fraction`` of round k,
``paid``: the integer utility a group paid at rate rho_k) or exactly 0 once a voter paid everything it
had.  Floats find the candidates; every decision -- which project wins, its rho, who is capped, whether
supporters can still afford a project near the boundary -- is settled with exact rationals from that
formula.  Voters with identical ballots are grouped (they always hold the same money).

Completion ``add1`` (pabutools ``voter_budget_increment=1``): rerun with one more currency unit per
voter until the outcome either exceeds the budget (then the previous outcome is returned) or is
exhaustive among the projects MES can consider (positive cost and satisfaction) -- exactly pabutools'
loop.  Quirks kept: zero-cost projects with supporters are funded up front; projects nobody gets
utility from are never considered by MES (not even by the exhaustiveness test).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from toolkit.budget.election import Election
from toolkit.budget.rules.profile import Groups

TOL = 1e-9


@dataclass
class Round:
    project: int
    rho: Fraction
    supporters: int  # voters
    capped: int  # voters who paid all they had
    price_min: Fraction
    price_max: Fraction


@dataclass
class MESRun:
    b0: Fraction
    selected: list[int]
    rounds: list[Round]
    left_of_supporters: dict[int, Fraction] = field(default_factory=dict)  # unfunded -> money supporters kept
    ruled_out_round: dict[int, int] = field(default_factory=dict)  # unfunded -> round it was found unaffordable


class EqualShares:
    """Prepared MES instance: build once, run for any initial per-voter budget."""

    def __init__(self, election: Election, groups: Groups, rank: np.ndarray) -> None:
        self.e = election
        self.g = groups
        self.rank = rank
        self.costs = [p.cost for p in election.projects]
        m = len(self.costs)
        self.w = groups.weight
        self.wf = self.w.astype(np.float64)
        self.sup = groups.supporters
        self.u = groups.utils
        self.uf = tuple(x.astype(np.float64) for x in self.u)
        self.supw = tuple(self.w[s] for s in self.sup)
        self.total = [int((self.supw[p] * self.u[p]).sum()) for p in range(m)]
        self.totalf = [float(t) for t in self.total]
        self.free = [p for p in range(m) if self.total[p] > 0 and self.costs[p] == 0]
        self.eligible = [p for p in range(m) if self.total[p] > 0 and self.costs[p] > 0]
        self.G = self.w.shape[0]
        # group x eligible-project incidence: after a payment only projects sharing a payer change
        self.touch = np.zeros((self.G, len(self.eligible)), dtype=bool)
        for j, p in enumerate(self.eligible):
            self.touch[self.sup[p], j] = True

    # ---- exact money (lazy: a round's exact rho is computed only when some decision needs it) ------
    def _exact_rho_k(self, k: int) -> Fraction:
        rho = self.rhos[k]
        if rho is None:
            p, capped, cw, denom = self.round_info[k]
            rho = (self.costs[p] - self._exact_sum_at(k, capped, cw)) / denom
            self.rhos[k] = rho
        return rho

    def _exact_sum_at(self, k: int, groups: np.ndarray, weights: np.ndarray) -> Fraction:
        """Exact sum of weight x budget over ``groups`` at the start of round ``k``."""
        if groups.size == 0:
            return Fraction(0)
        nz = self.zero_round[groups] >= k
        gs, ws = groups[nz], weights[nz]
        total = Fraction(int(ws.sum())) * self.b0
        if k and gs.size:
            s = (ws[:, None] * self.paid[gs, :k]).sum(axis=0)
            for j in np.nonzero(s)[0]:
                total -= self._exact_rho_k(int(j)) * int(s[j])
        return total

    def _exact_sum(self, groups: np.ndarray, weights: np.ndarray) -> Fraction:
        return self._exact_sum_at(self.K, groups, weights)

    def _exact_budget(self, g: int) -> Fraction:
        if self.zero_round[g] < self.K:
            return Fraction(0)
        b = self.b0
        row = self.paid[g, : self.K]
        for j in np.nonzero(row)[0]:
            b -= self._exact_rho_k(int(j)) * int(row[j])
        return b

    # ---- affordability -----------------------------------------------------------------------------
    def _affordable(self, p: int) -> bool:
        s = self.sup[p]
        avail = float((self.supw[p] * self.bf[s]).sum())
        cost = self.costs[p]
        if avail < cost * (1 - TOL):
            return False
        if avail > cost * (1 + TOL):
            return True
        return self._exact_sum(s, self.supw[p]) >= cost

    def _rho_float(self, p: int) -> float:
        s = self.sup[p]
        b = self.bf[s]
        u = self.uf[p]
        w = self.supw[p]
        ratio = b / u
        order = np.argsort(ratio, kind="stable")
        wb = (w * b)[order]
        wu = (w * u)[order]
        before = np.cumsum(wb) - wb
        denom = self.totalf[p] - (np.cumsum(wu) - wu)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = (self.costs[p] - before) / denom
        ok = np.nonzero(rho <= ratio[order] * (1 + 1e-12))[0]
        return float(rho[ok[0]]) if ok.size else float(rho[-1])

    def _rho_exact(self, p: int, rho_f: float) -> tuple[Fraction, np.ndarray]:
        """Exact affordability of ``p`` and the mask of its supporter groups that pay all they have."""
        s = self.sup[p]
        u = self.u[p]
        w = self.supw[p]
        ratio = self.bf[s] / self.uf[p]
        capped = ratio < rho_f * (1 - TOL)
        unc = ratio > rho_f * (1 + TOL)
        amb = np.nonzero(~(capped | unc))[0]
        cost = self.costs[p]
        num = cost - self._exact_sum(s[capped], w[capped])
        denom = int((w[~capped] * u[~capped]).sum())
        amb_b = {int(a): self._exact_budget(int(s[a])) for a in amb}
        cap_amb: set[int] = set()
        while True:
            if denom <= 0:
                return self._rho_slow(p)
            rho = num / denom
            newly = [a for a in amb_b if a not in cap_amb and amb_b[a] < rho * int(u[a])]
            if not newly:
                break
            for a in newly:
                cap_amb.add(a)
                num -= amb_b[a] * int(w[a])
                denom -= int(w[a]) * int(u[a])
        if abs(float(rho) - rho_f) > TOL * 0.25 * max(rho_f, 1e-300):
            return self._rho_slow(p)
        mask = capped.copy()
        for a in cap_amb:
            mask[a] = True
        return rho, mask

    def _rho_slow(self, p: int) -> tuple[Fraction, np.ndarray]:
        """Fully exact affordability (pabutools' algorithm on exact budgets); only for odd numerics."""
        s = self.sup[p]
        u = [int(x) for x in self.u[p]]
        w = [int(x) for x in self.supw[p]]
        b = [self._exact_budget(int(g)) for g in s]
        order = sorted(range(len(s)), key=lambda i: b[i] / u[i])
        contrib = Fraction(0)
        denom = sum(wi * ui for wi, ui in zip(w, u))
        mask = np.zeros(len(s), dtype=bool)
        for i in order:
            rho = (self.costs[p] - contrib) / denom
            if rho * u[i] <= b[i]:
                for j in order:
                    if b[j] < rho * u[j]:
                        mask[j] = True
                return rho, mask
            contrib += w[i] * b[i]
            denom -= w[i] * u[i]
        raise AssertionError("project was checked affordable")

    # ---- one run -----------------------------------------------------------------------------------
    def run(self, b0: Fraction, explain: bool = True) -> MESRun:
        self.b0 = Fraction(b0)
        self.bf = np.full(self.G, float(self.b0))
        self.zero_round = np.full(self.G, 1 << 40, dtype=np.int64)
        cap = max(4, min(len(self.eligible), 64))
        self.paid = np.zeros((self.G, cap), dtype=np.int64)
        self.rhos: list[Fraction | None] = []
        self.rho_f: list[float] = []
        self.round_info: list[tuple] = []
        self.K = 0
        remaining = np.asarray(self.eligible, dtype=np.int64)
        lb = np.array([self.costs[p] / self.totalf[p] for p in remaining]) * (1 - TOL)
        alive = np.ones(remaining.shape[0], dtype=bool)
        dirty = np.ones(remaining.shape[0], dtype=bool)
        cached = np.zeros(remaining.shape[0])
        selected = list(self.free)
        ruled_out: dict[int, int] = {}
        while alive.any():
            idx = np.nonzero(alive)[0]
            idx = idx[np.argsort(lb[idx], kind="stable")]
            best = np.inf
            evaluated: list[tuple[float, int]] = []
            for j in idx:
                if lb[j] > best * (1 + 2 * TOL):
                    break
                p = int(remaining[j])
                if dirty[j]:
                    if not self._affordable(p):
                        alive[j] = False
                        ruled_out[p] = self.K + 1
                        continue
                    cached[j] = self._rho_float(p)
                    dirty[j] = False
                rho_f = float(cached[j])
                lb[j] = max(lb[j], rho_f * (1 - TOL))
                evaluated.append((rho_f, int(j)))
                best = min(best, rho_f)
            if not evaluated:
                break
            cands = [(r, j) for r, j in evaluated if r <= best * (1 + 2 * TOL)]
            if len(cands) == 1:
                rho_f, j = cands[0]
                p = int(remaining[j])
                ratio = self.bf[self.sup[p]] / self.uf[p]
                mask = ratio < rho_f * (1 - TOL)
                if mask.all() or np.any(~mask & (ratio <= rho_f * (1 + TOL))):
                    rho, mask = self._rho_exact(p, rho_f)  # someone near the boundary: settle exactly
                else:
                    rho = None  # clear-cut: the exact value is derived later only if needed
            else:
                exact = []
                for r, j in cands:
                    p = int(remaining[j])
                    rho, mask = self._rho_exact(p, r)
                    exact.append((rho, int(self.rank[p]), j, mask, r))
                exact.sort(key=lambda t: (t[0], t[1]))
                rho, _, j, mask, rho_f = exact[0]
                p = int(remaining[j])
            alive[j] = False
            self._pay(p, rho, float(rho) if rho is not None else rho_f, mask)
            dirty |= self.touch[self.sup[p]].any(axis=0)
            selected.append(p)
        rounds: list[Round] = []
        for k in range(self.K):
            p, capped, cw, denom = self.round_info[k]
            if not explain:
                rounds.append(Round(p, Fraction(0), 0, 0, Fraction(0), Fraction(0)))
                continue
            rho = self._exact_rho_k(k)
            s_mask = np.isin(self.sup[p], capped)
            uu = self.u[p][~s_mask]
            prices = [rho * int(x) for x in np.unique(uu)] if uu.size else []
            rounds.append(Round(p, rho, int(self.supw[p].sum()), int(cw.sum()),
                                min(prices) if prices else Fraction(0), max(prices) if prices else Fraction(0)))
        out = MESRun(self.b0, selected, rounds, ruled_out_round=ruled_out)
        if explain:
            chosen = set(selected)
            for p in range(len(self.costs)):
                if p not in chosen and self.sup[p].size:
                    out.left_of_supporters[p] = self._exact_sum(self.sup[p], self.supw[p])
        return out

    def _pay(self, p: int, rho: Fraction | None, rho_f: float, capped: np.ndarray) -> None:
        if self.K == self.paid.shape[1]:
            self.paid = np.concatenate([self.paid, np.zeros_like(self.paid)], axis=1)
        s = self.sup[p]
        k = self.K
        cs = s[capped]
        cw = self.supw[p][capped]
        denom = self.total[p] - int((cw * self.u[p][capped]).sum())
        self.rhos.append(rho)
        self.rho_f.append(rho_f)
        self.round_info.append((p, cs, cw, denom))
        self.K += 1
        self.bf[cs] = 0.0
        self.zero_round[cs] = k
        us = s[~capped]
        self.paid[us, k] = self.u[p][~capped]
        self.bf[us] = np.maximum(self.bf[us] - rho_f * self.uf[p][~capped], 0.0)

    # ---- certified runs over an interval of initial budgets (for add1 completion) ------------------
    def _rho_bounds(self, p: int, b: np.ndarray) -> float:
        """Float affordability of ``p`` if every group had budget ``b[g]``."""
        s = self.sup[p]
        bs = b[s]
        u = self.uf[p]
        w = self.supw[p]
        ratio = bs / u
        order = np.argsort(ratio, kind="stable")
        wb = (w * bs)[order]
        wu = (w * u)[order]
        before = np.cumsum(wb) - wb
        denom = self.totalf[p] - (np.cumsum(wu) - wu)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = (self.costs[p] - before) / denom
        ok = np.nonzero(rho <= ratio[order] * (1 + 1e-12))[0]
        return float(rho[ok[0]]) if ok.size else float(rho[-1])

    def run_interval(self, x_lo: Fraction, x_hi: Fraction) -> list[int] | None:
        """The selection MES makes for *every* initial budget in [x_lo, x_hi], or ``None`` if this cannot
        be certified.

        Sound by monotonicity: a project's affordability only falls when budgets rise, and a payment
        ``max(0, b - rho u)`` rises with ``b`` and falls with ``rho``; so running on the lower and upper
        budgets at once brackets every run in the interval.  A decision is accepted only when the
        brackets separate by a relative margin far above float rounding; exact ties between projects
        whose affordability is the constant ``cost / total utility`` over the interval are compared as
        exact fractions with the tie-break."""
        eps = 1e-9
        lo = np.full(self.G, float(x_lo) * (1 - eps))
        hi = np.full(self.G, float(x_hi) * (1 + eps))
        dead = np.zeros(self.G, dtype=bool)
        remaining = np.asarray(self.eligible, dtype=np.int64)
        lb = np.array([self.costs[p] / self.totalf[p] for p in remaining]) * (1 - eps)
        alive = np.ones(remaining.shape[0], dtype=bool)
        idirty = np.ones(remaining.shape[0], dtype=bool)
        icache: dict[int, tuple] = {}
        selected = list(self.free)
        while alive.any():
            idx = np.nonzero(alive)[0]
            idx = idx[np.argsort(lb[idx], kind="stable")]
            best_hi = np.inf
            evaluated = []
            for j in idx:
                if lb[j] > best_hi * (1 + 4 * eps):
                    break
                p = int(remaining[j])
                if not idirty[j]:
                    evaluated.append(icache[j] + (j,))
                    best_hi = min(best_hi, icache[j][1])
                    continue
                s = self.sup[p]
                cost = self.costs[p]
                a_hi = float((self.supw[p] * hi[s]).sum())
                if a_hi < cost * (1 - eps):
                    alive[j] = False
                    continue
                a_lo = float((self.supw[p] * lo[s]).sum())
                if a_lo < cost * (1 + eps):
                    return None
                r_lo = self._rho_bounds(p, hi) * (1 - eps)
                r_hi = self._rho_bounds(p, lo) * (1 + eps)
                lb[j] = max(lb[j], r_lo)
                const = None
                live = ~dead[s]
                rest = self.total[p] - int((self.supw[p][~live] * self.u[p][~live]).sum())
                if rest > 0 and live.any():
                    base = Fraction(cost, rest)
                    if float((lo[s][live] / self.uf[p][live]).min()) > float(base) * (1 + 4 * eps):
                        # everyone with money is uncapped across the whole interval and the others hold
                        # exactly 0: rho is exactly cost / (their utility), whatever the initial budget
                        const = base
                        r_lo = r_hi = float(base)
                evaluated.append((r_lo, r_hi, const, j))
                icache[j] = (r_lo, r_hi, const)
                idirty[j] = False
                best_hi = min(best_hi, r_hi)
            if not evaluated:
                break
            cands = [e for e in evaluated if e[0] <= best_hi * (1 + 4 * eps)]
            if len(cands) > 1:
                if any(e[2] is None for e in cands):
                    return None
                # all candidates have exactly constant affordability: exact comparison, then tie-break
                cands.sort(key=lambda e: (e[2], int(self.rank[int(remaining[e[3]])])))
            r_lo, r_hi, const, j = cands[0]
            p = int(remaining[j])
            alive[j] = False
            selected.append(p)
            s = self.sup[p]
            u = self.uf[p]
            lo[s] = np.maximum(lo[s] - r_hi * (1 + eps) * u, 0.0) * (1 - eps)
            new_hi = hi[s] - r_lo * (1 - eps) * u
            gone = new_hi <= 0  # pays all it has for every budget in the interval: exactly 0 afterwards
            dead[s[gone]] = True
            idirty |= self.touch[s].any(axis=0)
            hi[s] = np.where(gone, 0.0, new_hi * (1 + eps) + 1e-12 * float(x_hi))
        return selected


def equal_shares(election: Election, groups: Groups, rank: np.ndarray, completion: str | None,
                 explain: bool = True) -> tuple[list[int], MESRun, list[tuple[Fraction, list[int]]]]:
    """Run MES (optionally with add1 completion).  Returns the selection, the run that produced it,
    and for completion the history of (per-voter budget, selection) of every iteration."""
    n = election.num_voters
    es = EqualShares(election, groups, rank)
    if n == 0:
        return [], MESRun(Fraction(0), [], []), []
    b0 = Fraction(election.budget, n)
    if completion is None:
        r = es.run(b0, explain)
        return r.selected, r, []
    costs = es.costs

    def terminal(sel: list[int]) -> str | None:
        spent = sum(costs[p] for p in sel)
        if spent > election.budget:
            return "infeasible"
        chosen = set(sel)
        if all(p in chosen or costs[p] + spent > election.budget for p in es.eligible):
            return "exhaustive"
        return None

    step = election.money_scale
    history: list[tuple[Fraction, list[int]]] = []
    first = es.run(b0, explain=False)
    history.append((b0, first.selected))
    previous_b0, previous_sel = b0, first.selected
    state = terminal(first.selected)
    t = 0  # last checked increment
    final_b0 = b0
    if state is None:
        # Galloping over increments: where the outcome stays put, certify whole ranges at once
        # (run_interval), doubling the range; where it changes often, step one increment at a time.
        width = 1
        while True:
            got = None
            if width > 1:
                got = es.run_interval(b0 + (t + 1) * step, b0 + (t + width) * step)
                if got is None:
                    width = 1
            if got is None:
                got = es.run(b0 + (t + 1) * step, explain=False).selected
                span = 1
                width = 2 if got == history[-1][1] else 1
            else:
                span = width
                width = min(width * 2, 1 << 40)
            if got != history[-1][1]:
                history.append((b0 + (t + 1) * step, got))
            state = terminal(got)
            if state == "infeasible":
                final_b0 = previous_b0
                break
            if state == "exhaustive":
                final_b0 = b0 + (t + 1) * step
                break
            t += span
            previous_b0 = b0 + t * step
    final = es.run(final_b0, explain=explain)
    return final.selected, final, history
