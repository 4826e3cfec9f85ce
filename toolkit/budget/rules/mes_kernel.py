"""Compiled float kernels (numba) for the add1 completion of MES: one run, the interval certificate of
:meth:`EqualShares.run_interval`, and a one-by-one scan of increments for small elections.

It takes exactly the decisions :meth:`EqualShares.run_batch` takes for a single member, by the same
margins: a project is ruled out or kept only when its supporters' float money is clearly below or above
its cost; a round's winner only when it is the single clear candidate and none of its supporters sits
near the capped/uncapped boundary, or when all near candidates have the constant affordability
``cost / (utility of supporters with money)`` (compared exactly on integers, then by tie-break rank).
Anything else returns ``-1``: the caller then makes the exact single run (:meth:`EqualShares.run`).
So this never decides differently from the exact engine; it only makes the clear-cut runs cheap.

:func:`ensure` compiles them on first use (cached on disk, ``cache=True``); without numba, or if they
cannot compile, the caller takes the numpy path (:meth:`EqualShares.run_batch` and friends).
"""

from __future__ import annotations

import importlib.util
import os
import warnings

import numpy as np

TOL = 1e-9

# numba is a dependency, but the engine stays usable (slower) without it; LINLI_NO_KERNEL=1 switches the
# kernel off (tests compare both paths).  numba is imported only when a completion first needs it.
AVAILABLE = importlib.util.find_spec("numba") is not None and not os.environ.get("LINLI_NO_KERNEL")


def _water_level(ptr0, ptr1, grp, uf, wf, wuf, B, cost, total, start):
    """Least rho with sum w min(b, rho u) = cost over one project's supporters (floats).

    Newton steps on the concave piecewise-linear ``sum w min(b, rho u)`` from ``start``, a lower bound
    (an earlier round's rho: rho only grows as money is spent): every step stays below the answer, each
    caps more groups; after 12 steps, the sorted sweep."""
    rho = cost / total
    if start > rho:
        rho = start
    prev = -1
    for _ in range(12):
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


def _cheaper(c, rest, rank_j, wc, wr, rank_w):
    """Is the exact affordability c / rest below wc / wr (equal: the better tie-break rank)?  1 or 0; -1 when
    the two differ by too little for floats to tell (the caller then defers to the exact run)."""
    a = c / rest
    b = wc / wr
    if a < b * (1 - 1e-12):
        return 1
    if a > b * (1 + 1e-12):
        return 0
    g1 = _gcd(c, rest)
    g2 = _gcd(wc, wr)
    if c // g1 != wc // g2 or rest // g1 != wr // g2:
        return -1
    return 1 if rank_j < rank_w else 0


def _alive_by_bound(alive, lb):
    """The projects still in play, in increasing lower bound of their affordability (stable)."""
    n = 0
    for j in range(alive.shape[0]):
        if alive[j]:
            n += 1
    idx = np.empty(n, dtype=np.int64)
    keys = np.empty(n)
    k = 0
    for j in range(alive.shape[0]):
        if alive[j]:
            idx[k] = j
            keys[k] = lb[j]
            k += 1
    return idx[np.argsort(keys, kind="mergesort")]


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
        idx = _alive_by_bound(alive, lb)
        if idx.size == 0:
            break
        best = np.inf
        n_ev = 0
        for j in idx:
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
                cached[j] = _water_level(p0, p1, grp, uf, wf, wuf, B, cost, totals_f[j], lb[j])
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
                if win >= 0:
                    better = _cheaper(costs_i[j], rest, rank[j], wc, wr, rank[win])
                    if better < 0:
                        return -1  # different but too close for floats: exact run
                if win < 0 or better:
                    win, wc, wr = j, costs_i[j], rest
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


def _add1_scan(b_start, step, t_max, budget, G, ptr, grp, uf, wf, wuf, wu_i, costs_f, costs_i, totals_f, totals_i,
               rank, overlap, prev, n_prev, ch_t, ch_sel, ch_n):
    """The add1 completion's increments t = 1, 2, ... t_max one by one (initial per-voter budget
    ``b_start + t * step``), for small elections where a run costs microseconds.

    ``prev[:n_prev]`` is the outcome before the first of them.  Every outcome change is written to
    ``ch_t`` / ``ch_sel`` (winners, -1 padded) / ``ch_n``.  Returns (t, status): status 0 = t_max reached,
    1 = the outcome at t exceeds the budget, 2 = it is exhaustive, 3 = the run at t needs exact arithmetic
    (not counted), 4 = the change buffer is full (t is the last increment handled)."""
    E = costs_f.shape[0]
    out = np.empty(E, dtype=np.int64)
    n_ch = 0
    for t in range(1, t_max + 1):
        n = _mes_float(b_start + t * step, G, ptr, grp, uf, wf, wuf, wu_i, costs_f, costs_i, totals_f, totals_i,
                       rank, overlap, out)
        if n < 0:
            return t, 3, n_ch
        same = n == n_prev
        if same:
            for i in range(n):
                if out[i] != prev[i]:
                    same = False
                    break
        if not same:
            if n_ch == ch_t.shape[0]:
                return t - 1, 4, n_ch
            ch_t[n_ch] = t
            ch_n[n_ch] = n
            for i in range(E):
                ch_sel[n_ch, i] = out[i] if i < n else -1
            n_ch += 1
            for i in range(n):
                prev[i] = out[i]
            n_prev = n
        spent = 0
        chosen = np.zeros(E, dtype=np.bool_)
        for i in range(n):
            spent += costs_i[out[i]]
            chosen[out[i]] = True
        if spent > budget:
            return t, 1, n_ch
        exhaustive = True
        for j in range(E):
            if not chosen[j] and costs_i[j] + spent <= budget:
                exhaustive = False
                break
        if exhaustive:
            return t, 2, n_ch
    return t_max, 0, n_ch


_compiled = None
_compiled_interval = None
_compiled_scan = None


def _tiny_instance() -> tuple:
    """One project, one group: arguments of exactly the types the engine passes (so no second compile)."""
    i = np.array([0, 1], dtype=np.int64)
    one_i = np.ones(1, dtype=np.int64)
    one_f = np.ones(1)
    return (1, i, np.zeros(1, dtype=np.int64), one_f, one_f, one_f, one_i, one_f, one_i, one_f, one_i,
            np.zeros(1, dtype=np.int64), np.ones((1, 1), dtype=np.bool_))


def _compile():
    """Compile the kernels (or load them from numba's disk cache) and run them once."""
    global _compiled, _compiled_interval, _compiled_scan, _water_level, _gcd, _cheaper, _alive_by_bound, _mes_float
    if _compiled is not None:
        return _compiled
    from numba import njit

    # the helpers must be compiled before the functions that call them look them up
    if not hasattr(_water_level, "py_func"):
        _water_level = njit(cache=True, nogil=True)(_water_level)
    if not hasattr(_gcd, "py_func"):
        _gcd = njit(cache=True)(_gcd)
    if not hasattr(_cheaper, "py_func"):
        _cheaper = njit(cache=True)(_cheaper)
    if not hasattr(_alive_by_bound, "py_func"):
        _alive_by_bound = njit(cache=True)(_alive_by_bound)
    run = njit(cache=True, nogil=True)(_mes_float)
    interval = njit(cache=True, nogil=True)(_mes_interval)
    out = np.empty(1, dtype=np.int64)
    run(1.0, *_tiny_instance(), out)
    interval(1.0, 1.0, *_tiny_instance(), out)
    _mes_float = run  # the scan calls the compiled run
    scan = njit(cache=True, nogil=True)(_add1_scan)
    _scan_call(scan, _tiny_instance(), 1.0, 1.0, 1, 1, np.zeros(1, dtype=np.int64), 0, 1)
    _compiled, _compiled_interval, _compiled_scan = run, interval, scan
    return run


def _scan_call(fn, arrays, b_start, step, t_max, budget, prev, n_prev, changes):
    E = arrays[7].shape[0]
    ch_t = np.empty(changes, dtype=np.int64)
    ch_sel = np.empty((changes, E), dtype=np.int64)
    ch_n = np.empty(changes, dtype=np.int64)
    t, status, n_ch = fn(b_start, step, t_max, budget, *arrays, prev, n_prev, ch_t, ch_sel, ch_n)
    return t, status, [(int(ch_t[i]), ch_sel[i, : ch_n[i]].tolist()) for i in range(n_ch)]


def add1_scan(arrays: tuple, b_start: float, step: float, t_max: int, budget: int, prev: list[int],
              changes: int = 256) -> tuple[int, int, list[tuple[int, list[int]]]]:
    """Run :func:`_add1_scan` compiled (call :func:`ensure` first); changes as (t, winners)."""
    E = arrays[7].shape[0]
    buf = np.zeros(max(E, 1), dtype=np.int64)
    buf[: len(prev)] = prev
    return _scan_call(_compiled_scan, arrays, b_start, step, t_max, budget, buf, len(prev), changes)


def ensure() -> bool:
    """True once the kernels are ready; False (the engine then takes its numpy path, with a warning) when
    numba is missing, switched off, or cannot compile them here."""
    global AVAILABLE
    if _compiled is not None:
        return True
    if not AVAILABLE:
        return False
    try:
        _compile()
    except Exception as exc:  # an odd platform must not stop an allocation: the numpy path is exact too
        AVAILABLE = False
        warnings.warn(f"compiled MES kernel unavailable ({exc!r}); using the numpy path", RuntimeWarning)
        return False
    return True


def loaded() -> bool:
    return _compiled is not None


def mes_float(arrays: tuple, b0: float, out: np.ndarray) -> int:
    """Run :func:`_mes_float` compiled (call :func:`ensure` first)."""
    return _compiled(b0, *arrays, out)


def mes_interval(arrays: tuple, x_lo: float, x_hi: float, out: np.ndarray) -> int:
    """Run :func:`_mes_interval` compiled (call :func:`ensure` first)."""
    return _compiled_interval(x_lo, x_hi, *arrays, out)


def _mes_interval(x_lo, x_hi, G, ptr, grp, uf, wf, wuf, wu_i, costs_f, costs_i, totals_f, totals_i, rank, overlap,
                  out):
    """:meth:`EqualShares.run_interval` compiled: the selection MES makes for every initial budget in
    [x_lo, x_hi] (winners as eligible indices in ``out``; returns how many), or -1 if that cannot be
    certified by bracketing runs on the lowest and highest budgets (same margins, same exact tie rule)."""
    eps = 1e-9
    E = costs_f.shape[0]
    lo = np.full(G, x_lo * (1 - eps))
    hi = np.full(G, x_hi * (1 + eps))
    dead = np.zeros(G, dtype=np.bool_)
    lb = np.empty(E)
    for j in range(E):
        lb[j] = costs_f[j] / totals_f[j] * (1 - eps)
    alive = np.ones(E, dtype=np.bool_)
    idirty = np.ones(E, dtype=np.bool_)
    c_lo = np.zeros(E)
    c_hi = np.zeros(E)
    c_const = np.zeros(E, dtype=np.bool_)
    c_rest = np.zeros(E, dtype=np.int64)
    evaluated = np.empty(E, dtype=np.int64)
    n_sel = 0
    while True:
        idx = _alive_by_bound(alive, lb)
        if idx.size == 0:
            break
        best_hi = np.inf
        n_ev = 0
        for j in idx:
            if lb[j] > best_hi * (1 + 4 * eps):
                break
            if not idirty[j]:
                evaluated[n_ev] = j
                n_ev += 1
                if c_hi[j] < best_hi:
                    best_hi = c_hi[j]
                continue
            p0 = ptr[j]
            p1 = ptr[j + 1]
            cost = costs_f[j]
            a_hi = 0.0
            a_lo = 0.0
            for e in range(p0, p1):
                a_hi += wf[e] * hi[grp[e]]
                a_lo += wf[e] * lo[grp[e]]
            if a_hi < cost * (1 - eps):
                alive[j] = False
                continue
            if a_lo < cost * (1 + eps):
                return -1
            w_hi = _water_level(p0, p1, grp, uf, wf, wuf, hi, cost, totals_f[j], lb[j])
            r_lo = w_hi * (1 - eps)
            r_hi = _water_level(p0, p1, grp, uf, wf, wuf, lo, cost, totals_f[j], w_hi * (1 - 1e-12)) * (1 + eps)
            if r_lo > lb[j]:
                lb[j] = r_lo
            const = False
            rest = totals_i[j]
            live_any = False
            min_ratio = np.inf
            for e in range(p0, p1):
                g = grp[e]
                if dead[g]:
                    rest -= wu_i[e]
                else:
                    live_any = True
                    ratio = lo[g] / uf[e]
                    if ratio < min_ratio:
                        min_ratio = ratio
            if rest > 0 and live_any:
                base = costs_i[j] / rest
                if min_ratio > base * (1 + 4 * eps):
                    # everyone with money is uncapped across the whole interval and the others hold
                    # exactly 0: rho is exactly cost / rest, whatever the initial budget
                    const = True
                    r_lo = base
                    r_hi = base
            c_lo[j] = r_lo
            c_hi[j] = r_hi
            c_const[j] = const
            c_rest[j] = rest
            idirty[j] = False
            evaluated[n_ev] = j
            n_ev += 1
            if r_hi < best_hi:
                best_hi = r_hi
        if n_ev == 0:
            break
        win = -1
        n_c = 0
        wc = 0
        wr = 0
        for i in range(n_ev):
            j = evaluated[i]
            if c_lo[j] <= best_hi * (1 + 4 * eps):
                n_c += 1
                if win < 0:
                    win = j
        if n_c > 1:
            win = -1
            for i in range(n_ev):
                j = evaluated[i]
                if not c_lo[j] <= best_hi * (1 + 4 * eps):
                    continue
                if not c_const[j]:
                    return -1
                rest = c_rest[j]
                if win >= 0:
                    better = _cheaper(costs_i[j], rest, rank[j], wc, wr, rank[win])
                    if better < 0:
                        return -1  # different but too close for floats: exact run
                if win < 0 or better:
                    win, wc, wr = j, costs_i[j], rest
        r_lo = c_lo[win]
        r_hi = c_hi[win]
        alive[win] = False
        out[n_sel] = win
        n_sel += 1
        for e in range(ptr[win], ptr[win + 1]):
            g = grp[e]
            u = uf[e]
            nl = lo[g] - r_hi * (1 + eps) * u
            lo[g] = (nl if nl > 0.0 else 0.0) * (1 - eps)
            nh = hi[g] - r_lo * (1 - eps) * u
            if nh <= 0.0:  # pays all it has for every budget in the interval: exactly 0 afterwards
                dead[g] = True
                hi[g] = 0.0
            else:
                hi[g] = nh * (1 + eps) + 1e-12 * x_hi
        for j in range(E):
            if overlap[win, j]:
                idirty[j] = True
    return n_sel
