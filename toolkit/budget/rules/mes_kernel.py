"""Compiled float kernel for one MES run (numba), used by the add1 completion.

It takes exactly the decisions :meth:`EqualShares.run_batch` takes for a single member, by the same
margins: a project is ruled out or kept only when its supporters' float money is clearly below or above
its cost; a round's winner only when it is the single clear candidate and none of its supporters sits
near the capped/uncapped boundary, or when all near candidates have the constant affordability
``cost / (utility of supporters with money)`` (compared exactly on integers, then by tie-break rank).
Anything else returns ``-1``: the caller then makes the exact single run (:meth:`EqualShares.run`).
So this never decides differently from the exact engine; it only makes the clear-cut runs cheap.

Compiled on first use and cached on disk (``cache=True``); without numba the caller falls back to
:meth:`EqualShares.run_batch`.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np

TOL = 1e-9

# numba is a dependency, but the engine stays usable (slower) without it; LINLI_NO_KERNEL=1 switches the
# kernel off (tests compare both paths).  numba is imported only when a completion first needs it.
AVAILABLE = importlib.util.find_spec("numba") is not None and not os.environ.get("LINLI_NO_KERNEL")


def _water_level(ptr0, ptr1, grp, uf, wf, wuf, B, cost, total):
    """Least rho with sum w min(b, rho u) = cost over one project's supporters (floats)."""
    rho = cost / total
    prev = -1
    for _ in range(8):
        nc = 0
        wb_c = 0.0
        wu_c = 0.0
        for e in range(ptr0, ptr1):
            b = B[grp[e]]
            if b < rho * uf[e]:
                nc += 1
                wb_c += wf[e] * b
                wu_c += wuf[e]
        if nc == prev or nc == 0:
            return rho
        prev = nc
        denom = total - wu_c
        if denom <= 0.0:
            break
        rho = (cost - wb_c) / denom
    # sorted sweep: the exact float water level whatever the iteration did
    n = ptr1 - ptr0
    ratio = np.empty(n)
    for i in range(n):
        e = ptr0 + i
        ratio[i] = B[grp[e]] / uf[e]
    order = np.argsort(ratio, kind="mergesort")
    before = 0.0
    used = 0.0
    last = 0.0
    for i in range(n):
        e = ptr0 + order[i]
        denom = total - used
        r = (cost - before) / denom if denom != 0.0 else np.inf
        last = r
        if r <= ratio[order[i]] * (1 + 1e-12):
            return r
        before += wf[e] * B[grp[e]]
        used += wuf[e]
    return last


def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def _mes_float(b0, G, ptr, grp, uf, wf, wuf, wu_i, costs_f, costs_i, totals_f, totals_i, rank, overlap, out):
    """One MES run on float budgets.  Writes the winners (eligible indices, in order) to ``out`` and
    returns how many, or -1 when some decision needs exact arithmetic."""
    E = costs_f.shape[0]
    B = np.full(G, b0)
    alive = np.ones(E, dtype=np.bool_)
    dirty = np.ones(E, dtype=np.bool_)
    cached = np.zeros(E)
    lb = np.empty(E)
    for j in range(E):
        lb[j] = costs_f[j] / totals_f[j] * (1 - TOL)
    evaluated = np.empty(E, dtype=np.int64)
    near = np.empty(E, dtype=np.int64)
    n_sel = 0
    while True:
        n_alive = 0
        for j in range(E):
            if alive[j]:
                n_alive += 1
        if n_alive == 0:
            break
        idx = np.empty(n_alive, dtype=np.int64)
        keys = np.empty(n_alive)
        k = 0
        for j in range(E):
            if alive[j]:
                idx[k] = j
                keys[k] = lb[j]
                k += 1
        order = np.argsort(keys, kind="mergesort")
        best = np.inf
        n_ev = 0
        for oi in range(n_alive):
            j = idx[order[oi]]
            if lb[j] > best * (1 + 2 * TOL):
                break
            p0 = ptr[j]
            p1 = ptr[j + 1]
            if dirty[j]:
                avail = 0.0
                for e in range(p0, p1):
                    avail += B[grp[e]] * wf[e]
                cost = costs_f[j]
                if avail < cost * (1 - TOL):
                    alive[j] = False
                    continue
                if not avail > cost * (1 + TOL):
                    return -1
                cached[j] = _water_level(p0, p1, grp, uf, wf, wuf, B, cost, totals_f[j])
                dirty[j] = False
            rho = cached[j]
            lo = rho * (1 - TOL)
            if lo > lb[j]:
                lb[j] = lo
            evaluated[n_ev] = j
            n_ev += 1
            if rho < best:
                best = rho
        if n_ev == 0:
            break
        n_near = 0
        for i in range(n_ev):
            j = evaluated[i]
            if cached[j] <= best * (1 + 2 * TOL):
                near[n_near] = j
                n_near += 1
        if n_near == 1:
            win = near[0]
            r = cached[win]
            all_capped = True
            for e in range(ptr[win], ptr[win + 1]):
                ratio = B[grp[e]] / uf[e]
                if ratio < r * (1 - TOL):
                    continue
                all_capped = False
                if ratio <= r * (1 + TOL):
                    return -1
            if all_capped:
                return -1
            rho_pay = r
        else:
            # exact ties: every near candidate must have everyone with money clearly uncapped (the
            # others hold exactly 0), so its affordability is exactly cost / rest
            win = -1
            wc = 0
            wr = 0
            for i in range(n_near):
                j = near[i]
                r = cached[j]
                live_any = False
                rest = totals_i[j]
                for e in range(ptr[j], ptr[j + 1]):
                    b = B[grp[e]]
                    if b > 0.0:
                        live_any = True
                        if b / uf[e] <= r * (1 + TOL):
                            return -1
                    else:
                        rest -= wu_i[e]
                if not live_any or rest <= 0:
                    return -1
                c = costs_i[j]
                if win < 0:
                    win, wc, wr = j, c, rest
                    continue
                # compare c / rest with wc / wr exactly: floats when clearly apart, else reduced fractions
                a = c / rest
                bb = wc / wr
                if a < bb * (1 - 1e-12):
                    win, wc, wr = j, c, rest
                elif a > bb * (1 + 1e-12):
                    pass
                else:
                    g1 = _gcd(c, rest)
                    g2 = _gcd(wc, wr)
                    if c // g1 != wc // g2 or rest // g1 != wr // g2:
                        return -1  # different but too close for floats: exact run
                    if rank[j] < rank[win]:
                        win, wc, wr = j, c, rest
            rho_pay = wc / wr
        # pay
        for e in range(ptr[win], ptr[win + 1]):
            g = grp[e]
            due = rho_pay * uf[e]
            b = B[g]
            if b < due * (1 - TOL):
                B[g] = 0.0
            else:
                nb = b - due
                B[g] = nb if nb > 0.0 else 0.0
        alive[win] = False
        for j in range(E):
            if overlap[win, j]:
                dirty[j] = True
        out[n_sel] = win
        n_sel += 1
    return n_sel


_compiled = None


def _compile():
    global _compiled, _water_level, _gcd
    from numba import njit

    # the helpers must be compiled before the function that calls them looks them up
    _water_level = njit(cache=True, nogil=True)(_water_level)
    _gcd = njit(cache=True)(_gcd)
    _compiled = njit(cache=True, nogil=True)(_mes_float)
    return _compiled


def loaded() -> bool:
    return _compiled is not None


def mes_float(arrays: tuple, b0: float, out: np.ndarray) -> int:
    """Run :func:`_mes_float` compiled (compiling or loading it from the disk cache on first use)."""
    fn = _compiled or _compile()
    return fn(b0, *arrays, out)
