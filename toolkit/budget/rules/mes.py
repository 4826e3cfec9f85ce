"""Method of Equal Shares, exact, on numpy -- with pabutools 1.2.3's semantics.

Each voter starts with ``budget / voters``.  A round funds the project with the smallest
*affordability* rho: the least rho such that ``sum_i min(b_i, rho * u_i) >= cost`` over its supporters
(``u_i`` = the voter's utility for it, ``b_i`` = money left).  Each supporter then pays
``min(b_i, rho * u_i)``.  Ties in rho go to the better tie-break rank (default: smallest id as a string).
It stops when no project is affordable.

Exactness.  A voter who still has money at round k paid ``rho_j * u_j`` in every earlier round j whose
project it supports (had it paid less, it would have paid all it had, and hold exactly 0), so its budget
is ``b0 - sum_j rho_j * u_j`` over those rounds (rho_j: exact ``Fraction`` of round j, ``u_j``: its
integer utility for that round's project) -- read off its ballot, nothing stored per voter and round.
Floats find the candidates; every decision -- which project wins, its rho, who is capped, whether
supporters can still afford a project near the boundary -- is settled with exact rationals from that
formula.  Voters with identical ballots are grouped (they always hold the same money).

Completion ``add1`` (pabutools ``voter_budget_increment=1``): rerun with one more currency unit per
voter until the outcome either exceeds the budget (then the previous outcome is returned) or is
exhaustive among the projects MES can consider (positive cost and satisfaction) -- exactly pabutools'
loop.  Quirks kept: zero-cost projects with supporters are funded up front; projects nobody gets
utility from are never considered by MES (not even by the exhaustiveness test).

How the completion stays fast without skipping anything: where the outcome stays put, ``run_interval``
certifies a whole range of increments at once (bracketing runs on the lowest and highest budget), with
galloping widths and bisection when a certificate fails; where it changes, ``run_batch`` runs a block of
consecutive increments in lockstep on one (members x groups) array -- members share the rounds until
their decisions part, then continue on separate branches -- and hands any member that needs an exact
decision it cannot take to the exact single run.  Every increment's outcome is thus known exactly.

Once a completion has spent 0.25 s in those numpy batches (or the kernel is already loaded), the same
steps run in compiled form (:mod:`toolkit.budget.rules.mes_kernel`: one float run, the interval
certificate, and a one-by-one scan of increments for small elections), with the same margins and the
same hand-off of anything not clear-cut to the exact run.  The final run is always the exact one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from toolkit.budget.election import Election
from toolkit.budget.rules import mes_kernel
from toolkit.budget.rules.profile import Groups, ragged_positions

TOL = 1e-9
BATCH_MAX = 32  # largest lockstep batch of add1 increments
SMALL_ENTRIES = 20_000  # supporter entries up to which the completion first scans increments one by one ...
SCAN_FIRST = 256  # ... this many of them, in the compiled kernel


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
        self.G = self.w.shape[0]
        self.sup = groups.supporters
        self.u = groups.utils
        self.uf = tuple(x.astype(np.float64) for x in self.u)
        self.supw = tuple(self.w[s] for s in self.sup)
        self.wsf = tuple(x.astype(np.float64) for x in self.supw)
        self.wuf = tuple(a * b for a, b in zip(self.wsf, self.uf))
        self.total = [int((self.supw[p] * self.u[p]).sum()) for p in range(m)]
        self.totalf = [float(t) for t in self.total]
        # the utility every supporter gets from a project (0.0: it varies between voters)
        self.u_const = [0.0] * m if groups.per_item is None else groups.per_item.astype(np.float64).tolist()
        self.free = [p for p in range(m) if self.total[p] > 0 and self.costs[p] == 0]
        self.eligible = [p for p in range(m) if self.total[p] > 0 and self.costs[p] > 0]
        # which eligible projects each group supports, as bit sets (after a payment only projects sharing a
        # payer change): eligible project j is bit j % 32 of row j // 32 (rows of 32-bit words, one per group)
        self._touch = np.zeros(((len(self.eligible) + 31) // 32, self.G), dtype=np.uint32)
        for j, p in enumerate(self.eligible):
            row = self._touch[j >> 5]
            row[self.sup[p]] |= np.uint32(1 << (j & 31))
        self._overlap: dict[int, np.ndarray] = {}
        self._batch_seconds = 0.0  # time spent in numpy lockstep batches (decides when to load the kernel)
        self._karrays: tuple | None | bool = False  # the kernel's arrays, built on first use (None: unusable)

    def overlap(self, j: int) -> np.ndarray:
        """Which eligible projects share a supporter group with eligible project ``j`` (whose budgets a
        payment for ``j`` changes); cached across runs."""
        row = self._overlap.get(j)
        if row is None:
            words = np.bitwise_or.reduce(np.take(self._touch, self.sup[self.eligible[j]], axis=1), axis=1)
            row = self._overlap[j] = _unpack_bits(words, len(self.eligible))
        return row

    # ---- exact money (lazy: a round's exact rho is computed only when some decision needs it) ------
    def _exact_rho_k(self, k: int) -> Fraction:
        rho = self.rhos[k]
        if rho is None:
            p, capped, cw, denom = self.round_info[k]
            rho = (self.costs[p] - self._exact_sum_at(k, capped, cw)) / denom
            self.rhos[k] = rho
        return rho

    def _dot(self, s: np.ndarray) -> Fraction:
        """Exactly ``sum_j rho_j * s[j]`` over the first ``len(s)`` rounds (``s``: integers).

        Summed over one common denominator -- integer products, one gcd at the end -- instead of a chain
        of ``Fraction`` additions whose every step reduces ever larger numbers."""
        nz = np.nonzero(s)[0]
        if nz.size == 0:
            return Fraction(0)
        rhos = [self._exact_rho_k(int(j)) for j in nz]
        if len(rhos) == 1:
            return rhos[0] * int(s[nz[0]])
        dens = [r.denominator for r in rhos]
        common = math.lcm(*dens)
        num = sum(r.numerator * (common // d) * int(c) for r, d, c in zip(rhos, dens, s[nz].tolist()))
        return Fraction(num, common)

    def _paid_before(self, k: int, groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Weight x utility the (still solvent) ``groups`` paid in each round before ``k``, exactly: the
        funded projects on their ballots, by the round that funded them."""
        rows = self.g.rows
        starts, lens = rows[groups], rows[groups + 1] - rows[groups]
        pos = ragged_positions(starts, lens)
        r = self.round_of[self.g.row_items[pos]]
        keep = r < k
        r = r[keep]
        vals = np.repeat(weights, lens)[keep] * self.g.row_utils[pos[keep]]
        if float(vals.sum(dtype=np.float64)) < 2.0 ** 52:  # float sums of integers: exact
            return np.bincount(r, weights=vals, minlength=k).astype(np.int64)
        out = np.zeros(k, dtype=object)
        for j, v in zip(r.tolist(), vals.tolist()):
            out[j] += v
        return out

    def _exact_sum_at(self, k: int, groups: np.ndarray, weights: np.ndarray) -> Fraction:
        """Exact sum of weight x budget over ``groups`` at the start of round ``k``."""
        if groups.size == 0:
            return Fraction(0)
        nz = self.zero_round[groups] >= k
        gs, ws = groups[nz], weights[nz]
        total = Fraction(int(ws.sum())) * self.b0
        if k and gs.size:
            total -= self._dot(self._paid_before(k, gs, ws))
        return total

    def _exact_rhos(self) -> tuple[int, list[int]]:
        """Every round's exact rho at once (the explanation needs them all); returns their common
        denominator ``L`` and numerators (``rho_k = num_k / L``).

        The groups capped in round k with money left (their zero round is k) paid their full utility in
        every earlier round j whose project they support: ``S[k, j]`` = weight x that utility, from one
        pass over the ballots of all capped groups (each is capped once).  Then round by round
        ``rho_k = (cost_k - W_k * b0 + sum_j rho_j S[k, j]) / denom_k`` over one common denominator that
        grows only when a new rho needs it."""
        K = self.K
        capped = np.flatnonzero(self.zero_round < K)
        z = self.zero_round[capped]
        rows = self.g.rows
        lens = rows[capped + 1] - rows[capped]
        pos = ragged_positions(rows[capped], lens)
        r = self.round_of[self.g.row_items[pos]]
        zz = np.repeat(z, lens)
        keep = r < zz
        vals = np.repeat(self.w[capped], lens)[keep] * self.g.row_utils[pos[keep]]
        keys = zz[keep] * K + r[keep]
        if float(vals.sum(dtype=np.float64)) < 2.0 ** 52:  # float sums of integers: exact
            S = np.bincount(keys, weights=vals, minlength=K * K).astype(np.int64).reshape(K, K)
        else:
            S = np.zeros(K * K, dtype=object)
            for key, v in zip(keys.tolist(), vals.tolist()):
                S[key] += v
            S = S.reshape(K, K)
        capped_w = [0] * K
        for k, wk in zip(z.tolist(), self.w[capped].tolist()):
            capped_w[k] += wk
        bn, bd = self.b0.numerator, self.b0.denominator
        L, nums = bd, []
        for k in range(K):
            p, _, _, denom = self.round_info[k]
            row = S[k]
            x = sum(nums[j] * int(row[j]) for j in np.flatnonzero(row[:k]).tolist())
            rho = Fraction(self.costs[p] * L - capped_w[k] * bn * (L // bd) + x, L * denom)
            self.rhos[k] = rho
            d = rho.denominator
            if L % d:
                f = d // math.gcd(L, d)
                L *= f
                nums = [a * f for a in nums]
            nums.append(rho.numerator * (L // d))
        return L, nums

    def _exact_sum(self, groups: np.ndarray, weights: np.ndarray) -> Fraction:
        return self._exact_sum_at(self.K, groups, weights)

    def _exact_budget(self, g: int) -> Fraction:
        if self.zero_round[g] < self.K:
            return Fraction(0)
        return self.b0 - self._dot(self._paid_before(self.K, np.array([g]), np.ones(1, dtype=np.int64)))

    # ---- affordability -----------------------------------------------------------------------------
    def _affordable(self, p: int) -> bool:
        s = self.sup[p]
        avail = float(np.dot(self.wsf[p], self.bf[s]))
        cost = self.costs[p]
        if avail < cost * (1 - TOL):
            return False
        if avail > cost * (1 + TOL):
            return True
        return self._exact_sum(s, self.supw[p]) >= cost

    def _rho_float(self, p: int, start: float = 0.0) -> float:
        return self._water_level(p, self.bf[self.sup[p]], start)

    def _water_level(self, p: int, b: np.ndarray, start: float = 0.0) -> float:
        """Float affordability of ``p`` when its supporter groups hold ``b``: the least rho with
        ``sum w min(b, rho u) = cost``.  Fixed-point iteration on the capped set from ``start`` (any lower
        bound, e.g. the project's rho in an earlier round: rho only grows, each step caps more groups;
        usually 1-3 steps), falling back to the sorted sweep."""
        w = self.wsf[p]
        wb = w * b
        cost = self.costs[p]
        total = self.totalf[p]
        uc = self.u_const[p]
        u = self.uf[p]
        rho = max(cost / total, start)
        capped = b < rho * uc if uc else b < rho * u
        nc = int(np.count_nonzero(capped))
        for _ in range(6):
            if nc:
                denom = total - float(np.dot(self.wuf[p], capped))
                if denom <= 0:
                    break
                rho = (cost - float(np.dot(wb, capped))) / denom
            else:
                rho = cost / total
            capped = b < rho * uc if uc else b < rho * u
            now = int(np.count_nonzero(capped))
            if now == nc:  # capped sets only grow: the same count is the same set
                return rho
            nc = now
        ratio = b / u
        order = np.argsort(ratio, kind="stable")
        wbo = wb[order]
        wuo = self.wuf[p][order]
        before = np.cumsum(wbo) - wbo
        denom = total - (np.cumsum(wuo) - wuo)
        with np.errstate(divide="ignore", invalid="ignore"):
            rhos = (cost - before) / denom
        ok = np.nonzero(rhos <= ratio[order] * (1 + 1e-12))[0]
        return float(rhos[ok[0]]) if ok.size else float(rhos[-1])

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
        self.round_of = np.full(len(self.costs), 1 << 40, dtype=np.int64)  # project -> round that funded it
        self.rhos: list[Fraction | None] = []
        self.rho_f: list[float] = []
        self.round_info: list[tuple] = []
        self.capped_masks: list[np.ndarray] = []  # per round: which supporter groups paid all they had
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
                    cached[j] = self._rho_float(p, float(lb[j]))
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
                n_capped = int(np.count_nonzero(mask))
                if n_capped == mask.shape[0] or int(np.count_nonzero(ratio <= rho_f * (1 + TOL))) > n_capped:
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
            dirty |= self.overlap(j)
            selected.append(p)
        rounds: list[Round] = []
        common = self._exact_rhos() if explain and self.K else None
        for k in range(self.K):
            p, capped, cw, denom = self.round_info[k]
            if not explain:
                rounds.append(Round(p, Fraction(0), 0, 0, Fraction(0), Fraction(0)))
                continue
            rho = self._exact_rho_k(k)
            uu = self.u[p][~self.capped_masks[k]]
            lo_p, hi_p = (rho * int(uu.min()), rho * int(uu.max())) if uu.size else (Fraction(0), Fraction(0))
            rounds.append(Round(p, rho, int(self.supw[p].sum()), int(cw.sum()), lo_p, hi_p))
        out = MESRun(self.b0, selected, rounds, ruled_out_round=ruled_out)
        if explain:
            chosen = set(selected)
            out.left_of_supporters = self._money_left([p for p in range(len(self.costs))
                                                       if p not in chosen and self.sup[p].size], common)
        return out

    def _money_left(self, projects: list[int], common: tuple[int, list[int]] | None) -> dict[int, Fraction]:
        """Exact money left with the supporters of each project, all at once.

        A group that still has money after the last round was never capped: in every round whose project
        it supports it paid its full utility at that round's rho, so its budget is ``b0 - sum_k rho_k *
        u[g, p_k]`` over the funded projects on its ballot.  Summed over the solvent supporters of ``p``:
        ``live_w * b0 - sum_k rho_k * M[p, k]``, ``M[p, k]`` = weight x utility for ``p_k`` over the
        solvent groups supporting both -- one ``bincount`` over the pairs (project asked about, funded
        project) on each solvent ballot (float sums of integers, exact below 2**52, checked), then one
        common denominator for all rounds' rho."""
        K = self.K
        if not projects:
            return {}
        if K == 0:
            return {p: self._exact_sum(self.sup[p], self.supw[p]) for p in projects}
        m, P = len(self.costs), len(projects)
        items = self.g.row_items
        group = np.repeat(np.arange(self.G), np.diff(self.g.rows))  # entries are in group order
        live = (self.zero_round >= K)[group]
        col = np.full(m, -1, dtype=np.int64)
        col[projects] = np.arange(P)
        rnd = np.full(m, -1, dtype=np.int64)
        rnd[[info[0] for info in self.round_info]] = np.arange(K)
        ask = np.flatnonzero(live & (col[items] >= 0))  # entries: a project asked about, a solvent group
        got = np.flatnonzero(live & (rnd[items] >= 0))  # entries: a funded project, a solvent group
        g_ask, c_ask = group[ask], col[items[ask]]
        w_ask = self.w[g_ask]
        live_w = np.bincount(c_ask, weights=w_ask, minlength=P).astype(np.int64)
        per_group = np.bincount(group[got], minlength=self.G)
        reps = per_group[g_ask]  # funded projects on the ballot of each asked-about entry
        start = np.cumsum(per_group) - per_group  # each group's first funded entry in ``got``
        pair = ragged_positions(start[g_ask], reps)  # -> index into got
        vals = np.repeat(w_ask, reps) * self.g.row_utils[got][pair]
        if float(vals.sum(dtype=np.float64)) >= 2.0 ** 52 or float(w_ask.sum()) >= 2.0 ** 52:
            return {p: self._exact_sum(self.sup[p], self.supw[p]) for p in projects}
        keys = np.repeat(c_ask * K, reps) + rnd[items[got]][pair]
        paid_by = np.bincount(keys, weights=vals, minlength=P * K).reshape(P, K).astype(np.int64)
        common, scaled = common or self._exact_rhos()  # rho_k = scaled[k] / common
        nums = paid_by.astype(object) @ np.array(scaled, dtype=object)  # Python integers, exact
        bn, bd = self.b0.numerator, self.b0.denominator  # one normalisation per project
        return {p: Fraction(int(live_w[row]) * bn * common - int(nums[row]) * bd, bd * common)
                for row, p in enumerate(projects)}

    def _pay(self, p: int, rho: Fraction | None, rho_f: float, capped: np.ndarray) -> None:
        s = self.sup[p]
        k = self.K
        cs = s[capped]
        cw = self.supw[p][capped]
        denom = self.total[p] - int((cw * self.u[p][capped]).sum())
        self.rhos.append(rho)
        self.rho_f.append(rho_f)
        self.round_info.append((p, cs, cw, denom))
        self.capped_masks.append(capped)
        self.K += 1
        self.bf[cs] = 0.0
        # the round a group's money ran out: supporters already at 0 count as capped again, keep their round
        self.zero_round[cs] = np.minimum(self.zero_round[cs], k)
        self.round_of[p] = k
        us = s[~capped]
        self.bf[us] = np.maximum(self.bf[us] - rho_f * self.uf[p][~capped], 0.0)

    # ---- many initial budgets at once (for add1 completion) ----------------------------------------
    def small(self) -> bool:
        return sum(self.sup[p].size for p in self.eligible) <= SMALL_ENTRIES

    def run_many(self, budgets: list[Fraction], kernel: bool | None = None) -> list[list[int] | None]:
        """MES selections for several initial budgets, or ``None`` where a member needs an exact
        decision: the compiled float kernel (one run each) when numba is there, else :meth:`run_batch`;
        both take the same decisions by the same margins."""
        # the kernel costs ~0.2 s to load in a new process (2-3 s to compile the first time): use it once
        # it is loaded, or once the lockstep batches have taken longer than that in this completion
        if kernel is None:
            kernel = mes_kernel.loaded() or self._batch_seconds > 0.25
        arrays = self._kernel_arrays() if kernel else None
        if arrays is None:
            t = time.perf_counter()
            out_b = self.run_batch(budgets)
            self._batch_seconds += time.perf_counter() - t
            return out_b
        out = np.empty(max(len(self.eligible), 1), dtype=np.int64)
        res: list[list[int] | None] = []
        for x in budgets:
            n = mes_kernel.mes_float(arrays, float(x), out)
            res.append(None if n < 0 else list(self.free) + [self.eligible[j] for j in out[:n].tolist()])
        return res

    def _kernel_arrays(self) -> tuple | None:
        if not mes_kernel.AVAILABLE or not self.eligible or not mes_kernel.ensure():
            return None
        if self._karrays is not False:
            return self._karrays
        el = self.eligible
        big = max(max(self.total[p] for p in el), sum(self.costs[p] for p in el), self.e.budget)
        if big >= 2 ** 62:  # exact tie comparisons and sums of costs in the kernel use int64
            self._karrays = None
            return None
        lens = np.array([self.sup[p].size for p in el], dtype=np.int64)
        ptr = np.zeros(len(el) + 1, dtype=np.int64)
        np.cumsum(lens, out=ptr[1:])
        grp = np.concatenate([self.sup[p] for p in el]).astype(np.int64)
        uf = np.concatenate([self.uf[p] for p in el])
        wf = np.concatenate([self.wsf[p] for p in el])
        wu_i = np.concatenate([self.supw[p] * self.u[p] for p in el]).astype(np.int64)
        c = np.arange(len(el))
        t = ((self._touch[c >> 5] >> (c & 31).astype(np.uint32)[:, None]) & 1).T.astype(np.float32)
        overlap = (t.T @ t) > 0
        self._karrays = (self.G, ptr, grp, uf, wf, uf * wf, wu_i,
                         np.array([float(self.costs[p]) for p in el]), np.array([self.costs[p] for p in el], dtype=np.int64),
                         np.array([self.totalf[p] for p in el]), np.array([self.total[p] for p in el], dtype=np.int64),
                         np.array([int(self.rank[p]) for p in el], dtype=np.int64), np.ascontiguousarray(overlap))
        return self._karrays

    def _water_level_batch(self, p: int, b: np.ndarray) -> np.ndarray:
        """``_water_level`` for every row of ``b`` (members x supporter groups of ``p``)."""
        u = self.uf[p]
        wu = self.wuf[p]
        wb = b * self.wsf[p]
        cost = self.costs[p]
        total = self.totalf[p]
        rho = np.full(b.shape[0], cost / total)
        prev = None
        for _ in range(8):
            capped = b < rho[:, None] * u
            nc = np.count_nonzero(capped, axis=1)
            if prev is not None and np.array_equal(nc, prev):
                return rho
            prev = nc
            if not nc.any():
                return rho
            denom = total - capped @ wu
            if np.any(denom <= 0):
                break
            rho = (cost - (wb * capped).sum(axis=1)) / denom
        return np.array([self._water_level(p, row) for row in b])

    def run_batch(self, budgets: list[Fraction]) -> list[list[int] | None]:
        """MES selections for several initial budgets, run in lockstep on a (members x groups) float
        array while they take the same decisions; members that disagree are split off and continue on
        their own branch (sharing the work of the common prefix).

        Only decisions that are clear-cut in floats (by the same margins as :meth:`run`) or exact ties
        between projects whose affordability is exactly ``cost / (utility of supporters with money)``
        (everyone with money uncapped, the rest holding exactly 0: compared as fractions, then by
        tie-break rank) are taken here.  A member that needs any other exact decision gets ``None`` and
        is left to :meth:`run`."""
        L = len(budgets)
        out: list[list[int] | None] = [None] * L
        n_el = len(self.eligible)
        remaining = self.eligible
        lb0 = np.array([self.costs[p] / self.totalf[p] for p in remaining]) * (1 - TOL)
        start = (np.arange(L), np.repeat(np.array([[float(x) for x in budgets]]).T, self.G, axis=1),
                 lb0, np.ones(n_el, dtype=bool), np.ones(n_el, dtype=bool), np.zeros((L, n_el)),
                 list(self.free), None)
        stack = [start]
        while stack:
            mem, B, lb, alive, dirty, cached, selected, pending = stack.pop()
            if pending is not None:  # a branch split off at a decision: make its payment now
                j, rho_pay = pending
                self._pay_batch(B, j, rho_pay)
                alive[j] = False
                dirty |= self.overlap(j)
                selected.append(self.eligible[j])
            while mem.size:
                idx = np.nonzero(alive)[0]
                idx = idx[np.argsort(lb[idx], kind="stable")]
                best = np.empty(mem.size)
                best.fill(np.inf)
                bmax = np.inf
                evaluated: list[int] = []
                for j in idx.tolist():
                    if lb[j] > bmax * (1 + 2 * TOL):
                        break
                    p = remaining[j]
                    s = self.sup[p]
                    if dirty[j]:
                        Bs = B[:, s]
                        avail = Bs @ self.wsf[p]
                        cost = self.costs[p]
                        yes = avail > cost * (1 + TOL)
                        no = avail < cost * (1 - TOL)
                        n_yes = int(np.count_nonzero(yes))
                        n_no = int(np.count_nonzero(no))
                        if n_yes + n_no < mem.size:  # too close to call in floats: exact single runs
                            keep = yes | no
                            mem, B, cached, yes, no, best = mem[keep], B[keep], cached[keep], yes[keep], no[keep], best[keep]
                            Bs = Bs[keep]
                            if not mem.size:
                                break
                            bmax = float(best.max())
                        if n_yes == 0:
                            alive[j] = False
                            continue
                        if n_no:  # ruled out for some members only: they go on separately
                            a2 = alive.copy()
                            a2[j] = False
                            stack.append((mem[no], B[no], lb.copy(), a2, dirty.copy(), cached[no], list(selected),
                                          None))
                            mem, B, cached, best, Bs = mem[yes], B[yes], cached[yes], best[yes], Bs[yes]
                            bmax = float(best.max())
                        cached[:, j] = self._water_level_batch(p, Bs)
                        dirty[j] = False
                    rho = cached[:, j]
                    lb[j] = max(lb[j], float(rho.min()) * (1 - TOL))
                    evaluated.append(j)
                    np.minimum(best, rho, out=best)
                    bmax = float(best.max())
                if not mem.size:
                    break
                if not evaluated:
                    for i in mem:
                        out[int(i)] = list(selected)
                    break
                ev = np.asarray(evaluated)
                R = cached[:, ev]
                near = R <= best[:, None] * (1 + 2 * TOL)
                winner, rho_pay, ok = self._decide_batch(B, cached, ev, near, remaining)
                if not ok.all():
                    mem, B, cached, winner, rho_pay = mem[ok], B[ok], cached[ok], winner[ok], rho_pay[ok]
                    if not mem.size:
                        break
                first = winner[0]
                same = winner == first
                if not same.all():
                    for w_other in np.unique(winner[~same]):
                        sel = winner == w_other
                        stack.append((mem[sel], B[sel], lb.copy(), alive.copy(), dirty.copy(), cached[sel],
                                      list(selected), (int(w_other), rho_pay[sel])))
                    mem, B, cached, rho_pay = mem[same], B[same], cached[same], rho_pay[same]
                self._pay_batch(B, int(first), rho_pay)
                alive[first] = False
                dirty |= self.overlap(first)
                selected.append(remaining[first])
        return out

    def _decide_batch(self, B, cached, ev, near, remaining):
        """Per member: the winning eligible index, the rate it pays at, and whether the decision could be
        taken here (see :meth:`run_batch`); vectorised over the members sharing a candidate pattern."""
        L = B.shape[0]
        colsum = near.sum(axis=0)
        if colsum.sum() == L and colsum.max() == L:  # every member: the same single candidate
            j = int(ev[int(np.argmax(colsum))])
            p = remaining[j]
            r = cached[:, j]
            ratio = B[:, self.sup[p]] / self.uf[p]
            capped = ratio < (r * (1 - TOL))[:, None]
            ok = ~(capped.all(axis=1) | np.any(~capped & (ratio <= (r * (1 + TOL))[:, None]), axis=1))
            return np.full(L, j), r.copy(), ok
        winner = np.full(L, -1)
        rho_pay = np.zeros(L)
        ok = np.zeros(L, dtype=bool)
        if near.shape[1] < 62:
            code = near.astype(np.int64) @ (np.int64(1) << np.arange(near.shape[1], dtype=np.int64))
        else:
            code = np.unique(near, axis=0, return_inverse=True)[1].reshape(-1)
        c0 = code[0]
        groups = [(np.arange(L), near[0])] if np.all(code == c0) else \
            [(np.nonzero(code == c)[0], near[int(np.argmax(code == c))]) for c in np.unique(code)]
        for rows, pattern in groups:
            cj = ev[pattern]
            if cj.size == 1:
                j = int(cj[0])
                p = remaining[j]
                r = cached[rows, j]
                ratio = B[np.ix_(rows, self.sup[p])] / self.uf[p]
                capped = ratio < (r * (1 - TOL))[:, None]
                fine = ~(capped.all(axis=1) | np.any(~capped & (ratio <= (r * (1 + TOL))[:, None]), axis=1))
                winner[rows] = j
                rho_pay[rows] = r
                ok[rows] = fine
                continue
            # exact tie candidates: every member must see each of them as "clean"
            fine = np.ones(rows.size, dtype=bool)
            exact = []
            for j in cj.tolist():
                p = remaining[j]
                r = cached[rows, j]
                bs = B[np.ix_(rows, self.sup[p])]
                live = bs > 0
                ratio = np.where(live, bs / self.uf[p], np.inf)
                fine &= live.any(axis=1) & ~np.any(ratio <= (r * (1 + TOL))[:, None], axis=1)
                rest = self.total[p] - (~live).astype(np.int64) @ (self.supw[p] * self.u[p])
                exact.append((p, j, rest))
            for i in np.nonzero(fine)[0]:
                best = min((Fraction(self.costs[p], int(rest[i])), int(self.rank[p]), j) for p, j, rest in exact)
                winner[rows[i]] = best[2]
                rho_pay[rows[i]] = float(best[0])
                ok[rows[i]] = True
        return winner, rho_pay, ok

    def _pay_batch(self, B: np.ndarray, j: int, rho: np.ndarray) -> None:
        p = self.eligible[j]
        s = self.sup[p]
        bs = B[:, s]
        due = rho[:, None] * self.uf[p]
        B[:, s] = np.where(bs < due * (1 - TOL), 0.0, np.maximum(bs - due, 0.0))

    # ---- certified runs over an interval of initial budgets (for add1 completion) ------------------
    def _rho_bounds(self, p: int, b: np.ndarray) -> float:
        """Float affordability of ``p`` if every group had budget ``b[g]``."""
        return self._water_level(p, b[self.sup[p]])

    def run_interval(self, x_lo: Fraction, x_hi: Fraction, kernel: bool | None = None) -> list[int] | None:
        """The selection MES makes for *every* initial budget in [x_lo, x_hi], or ``None`` if this cannot
        be certified.

        Sound by monotonicity: a project's affordability only falls when budgets rise, and a payment
        ``max(0, b - rho u)`` rises with ``b`` and falls with ``rho``; so running on the lower and upper
        budgets at once brackets every run in the interval.  A decision is accepted only when the
        brackets separate by a relative margin far above float rounding; exact ties between projects
        whose affordability is the constant ``cost / total utility`` over the interval are compared as
        exact fractions with the tie-break.  Compiled (same steps) once the kernel is loaded."""
        if kernel is None:
            kernel = mes_kernel.loaded()
        arrays = self._kernel_arrays() if kernel else None
        if arrays is not None:
            out = np.empty(max(len(self.eligible), 1), dtype=np.int64)
            n = mes_kernel.mes_interval(arrays, float(x_lo), float(x_hi), out)
            return None if n < 0 else list(self.free) + [self.eligible[j] for j in out[:n].tolist()]
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
            idirty |= self.overlap(j)
            hi[s] = np.where(gone, 0.0, new_hi * (1 + eps) + 1e-12 * float(x_hi))
        return selected


def _unpack_bits(words: np.ndarray, n: int) -> np.ndarray:
    """Bits 0 .. n-1 of 32-bit ``words`` (bit ``c % 32`` of word ``c // 32``) as booleans."""
    return np.unpackbits(words.astype("<u4").view(np.uint8), count=n, bitorder="little").astype(bool)


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
    first = es.run_many([b0])[0] if mes_kernel.loaded() else None  # the final run below is the exact one
    if first is None:
        first = es.run(b0, explain=False).selected
    history.append((b0, first))
    previous_b0 = b0
    state = terminal(first)
    t = 0  # last checked increment
    final_b0 = b0

    def scan(count: int) -> bool:
        """Increments t+1 .. t+count one by one in the compiled kernel (an exact run where it defers);
        True when the completion ended there."""
        nonlocal t, previous_b0, final_b0
        arrays = es._kernel_arrays()
        free = list(es.free)
        index = {p: j for j, p in enumerate(es.eligible)}
        end = t + count
        while t < end:
            t0 = t
            prev = [index[p] for p in history[-1][1][len(free):]]
            t_last, status, changes = mes_kernel.add1_scan(arrays, float(b0 + t0 * step), float(step), end - t0,
                                                           election.budget, prev)
            for dt, winners in changes:
                history.append((b0 + (t0 + dt) * step, free + [es.eligible[j] for j in winners]))
            if status == 1:  # over the budget: the previous increment's outcome stands
                final_b0 = b0 + (t0 + t_last - 1) * step
                return True
            if status == 2:
                final_b0 = b0 + (t0 + t_last) * step
                return True
            if status == 3:  # the kernel defers this increment to the exact run
                t = t0 + t_last - 1
                x = b0 + (t + 1) * step
                got = es.run(x, explain=False).selected
                if got != history[-1][1]:
                    history.append((x, got))
                state = terminal(got)
                if state == "infeasible":
                    final_b0 = b0 + t * step
                    return True
                if state == "exhaustive":
                    final_b0 = x
                    return True
                t += 1
            else:
                t = t0 + t_last
            previous_b0 = b0 + t * step
        return False

    if state is None and mes_kernel.loaded() and es.small() and es._kernel_arrays() is not None:
        # a small election: runs cost microseconds, and most completions end within a few hundred steps
        if scan(SCAN_FIRST):
            state = "done"
    if state is None:
        # Galloping over increments: where the outcome stays put, certify whole ranges at once
        # (run_interval), doubling the range; where it changes often, run a batch of consecutive
        # increments in lockstep (run_batch), each member exactly as a single run would decide.
        width = 1  # next range to certify with run_interval (< 2: none)
        batch = 2  # members of the next lockstep batch
        hold = 0  # certificates to give before the width grows again
        done = False
        while not done:
            if width >= 2:
                got = es.run_interval(b0 + (t + 1) * step, b0 + (t + width) * step)
                if got is None:
                    width //= 2  # bisect towards the change (a certificate is far cheaper than a batch)
                    hold = 1  # and do not grow again at once: the next certificates often fail likewise
                    if width >= (4 if mes_kernel.loaded() else 16):
                        continue
                    width = 1
                else:
                    if got != history[-1][1]:
                        history.append((b0 + (t + 1) * step, got))
                    state = terminal(got)
                    if state == "infeasible":
                        final_b0 = previous_b0
                        break
                    if state == "exhaustive":
                        final_b0 = b0 + (t + 1) * step
                        break
                    t += width
                    previous_b0 = b0 + t * step
                    if hold:
                        hold -= 1
                    else:
                        width = min(width * 2, 1 << 40)
                    continue
            if mes_kernel.loaded() and es._kernel_arrays() is not None:
                n_hist = len(history)
                done = scan(batch)
                changes = len(history) - n_hist
                outs = []
            else:
                budgets = [b0 + (t + i) * step for i in range(1, batch + 1)]
                outs = es.run_many(budgets)
                changes = 0
            for x, got in zip(budgets, outs) if outs else ():
                if got is None:
                    got = es.run(x, explain=False).selected
                if got != history[-1][1]:
                    history.append((x, got))
                    changes += 1
                state = terminal(got)
                if state == "infeasible":
                    final_b0 = previous_b0
                    done = True
                    break
                if state == "exhaustive":
                    final_b0 = x
                    done = True
                    break
                t += 1
                previous_b0 = x
            # the outcome changes here, or certificates keep failing: larger batches (cheaper per member);
            # with the compiled kernel, where the outcome stayed put, back to small batches and certificates
            if changes or not mes_kernel.loaded():
                batch = min(batch * 2, BATCH_MAX)
            else:
                batch = max(2, batch // 2)
            width = 1 if changes else max(batch, 2)
    final = es.run(final_b0, explain=explain)
    return final.selected, final, history
