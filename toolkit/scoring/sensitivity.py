"""How much does the ranking depend on the weights?

Two measures, both for the same aggregation options as :func:`~toolkit.scoring.aggregate`:

* **Top-k probability.** Each draw multiplies every criterion weight and every tier weight by
  its own factor drawn uniformly from [1 − spread, 1 + spread] (±20 % by default), re-ranks,
  and counts whether each project is in the top k. The probability is the share of draws.
  ``seed`` makes the draws reproducible (numpy ``default_rng(seed)``).
* **Smallest swap.** For each pair of neighbours in the ranking, the smallest relative change
  of a *single* weight (criterion or tier, others kept) that puts the lower one at or above the
  upper one, i.e. ``w → w × (1 + change)``. Changes from −99.5 % to +200 % are searched on a
  grid of 0.5 % steps, then refined by bisection to about 1e-9; a flip and flip-back inside one
  grid step can be missed. ``None`` when no single weight in that range swaps the pair.

Design decisions
----------------
* The baseline ranking is the exact one from :func:`aggregate`; the perturbed rankings use a
  vectorised float kernel (numpy) that mirrors the exact rules (tested against it), because
  thousands of exact re-rankings would be too slow. Ties in the kernel follow the same rule:
  equal totals are ordered by ascending project id.
* Zero weights stay zero (a relative change of 0 is 0) and are not searched for swaps.
* Vote scores (when blending) do not depend on the weights and are held fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.scoring.aggregation import Options, aggregate, vote_scores
from toolkit.scoring.rubric import Rubric
from toolkit.scoring.sheets import ScoreRow, SheetSet, collect_sheets, number_rows

GRID_STEP = 0.005
GRID_UP = 400  # +200 %
GRID_DOWN = 199  # −99.5 %
BISECTIONS = 40


@dataclass(frozen=True)
class Swap:
    """The smallest single-weight change that lets ``lower`` reach ``upper``'s place."""

    upper: str
    lower: str
    weight: str | None  # "criterion:<id>" or "tier:<id>"; None when no single weight swaps them
    change: float | None  # relative change, e.g. -0.2 for "20 % less"
    weight_from: float | None = None
    weight_to: float | None = None


@dataclass(frozen=True)
class Sensitivity:
    rubric_ref: str
    options: Options
    k: int
    spread: float
    draws: int
    seed: int | None
    baseline: tuple[str, ...]  # project ids in exact rank order
    top_k: tuple[tuple[str, float], ...]  # project -> probability of being in the top k, rank order
    swaps: tuple[Swap, ...]  # one per neighbour pair, in rank order

    @property
    def smallest(self) -> Swap | None:
        """The neighbour swap needing the smallest change, if any."""
        found = [s for s in self.swaps if s.change is not None]
        return min(found, key=lambda s: abs(s.change)) if found else None

    def to_dict(self) -> dict:
        def swap(s: Swap | None) -> dict | None:
            return None if s is None else {"upper": s.upper, "lower": s.lower, "weight": s.weight, "change": s.change, "from": s.weight_from, "to": s.weight_to}

        return {
            "rubric": self.rubric_ref,
            "options": self.options.to_dict(),
            "k": self.k,
            "spread": self.spread,
            "draws": self.draws,
            "seed": self.seed,
            "projects": [{"id": p, "rank": i, "p_top_k": prob} for i, (p, prob) in enumerate(self.top_k, start=1)],
            "swaps": [swap(s) for s in self.swaps],
            "smallest_swap": swap(self.smallest),
        }

    def to_frame(self) -> pd.DataFrame:
        """Columns ``id``, ``rank``, ``p_top_k``."""
        return pd.DataFrame([(p, i, prob) for i, (p, prob) in enumerate(self.top_k, start=1)], columns=["id", "rank", "p_top_k"])


class Kernel:
    """Float re-implementation of the aggregation, vectorised over many weight vectors.

    ``totals(cw, tw)`` takes criterion weights ``[D, C]`` and tier weights ``[D, T]`` and returns
    project totals ``[D, P]`` for ``self.projects`` (the ranked projects, sorted by id).
    """

    def __init__(self, sheets: SheetSet, rubric: Rubric, options: Options, projects: Iterable[str], votes: Mapping[str, object] | None = None):
        self.options = options
        self.projects = tuple(sorted(projects))
        self.criteria = rubric.criterion_ids
        self.tiers = rubric.tier_ids
        self.cw = np.array([float(c.weight) for c in rubric.criteria])
        self.tw = np.array([float(w) for _, w in rubric.tiers])
        used = sheets.used
        self.x = np.array([[float(s.values[c]) for c in self.criteria] for s in used]).reshape(len(used), len(self.criteria))
        scorers = sorted({s.scorer for s in used})
        self.scorer_cols = [np.array([i for i, s in enumerate(used) if s.scorer == name]) for name in scorers]
        p_index = {p: j for j, p in enumerate(self.projects)}
        t_index = {t: i for i, t in enumerate(self.tiers)}
        self.groups: list[tuple[int, int, np.ndarray]] = []
        for tier in self.tiers:
            for project in self.projects:
                cols = np.array([i for i, s in enumerate(used) if s.tier == tier and s.project == project])
                if cols.size:
                    self.groups.append((t_index[tier], p_index[project], cols))
        self.present = np.zeros((len(self.tiers), len(self.projects)), dtype=bool)
        for t, p, _ in self.groups:
            self.present[t, p] = True
        self.vote = None
        if votes is not None and options.vote_weight > 0:
            v = vote_scores(votes, self.projects, rubric, options.normalise)
            self.vote = np.array([float(v[p]) for p in self.projects])

    def totals(self, cw: np.ndarray, tw: np.ndarray) -> np.ndarray:
        d = cw.shape[0]
        t = (cw @ self.x.T) / cw.sum(axis=1, keepdims=True)  # [D, S]
        if self.options.normalise != "none":
            t = t.copy()
            for cols in self.scorer_cols:
                t[:, cols] = self._normalise(t[:, cols])
        tier = np.zeros((d, len(self.tiers), len(self.projects)))
        for ti, pi, cols in self.groups:
            tier[:, ti, pi] = self._within(t[:, cols])
        w = tw[:, :, None] * self.present[None, :, :]  # [D, T, P]
        expert = (w * tier).sum(axis=1) / w.sum(axis=1)
        if self.vote is None:
            return expert
        lam = float(self.options.vote_weight)
        return (1 - lam) * expert + lam * self.vote[None, :]

    def _normalise(self, t: np.ndarray) -> np.ndarray:
        n = t.shape[1]
        if self.options.normalise == "zscore":
            dev = t - t.mean(axis=1, keepdims=True)
            sd = np.sqrt((dev**2).mean(axis=1, keepdims=True))
            flat = sd <= 1e-12 * (1 + np.abs(t).max(axis=1, keepdims=True))
            return np.where(flat, 0.0, dev / np.where(flat, 1.0, sd))
        if n == 1:
            return np.full_like(t, 0.5)
        less = (t[:, None, :] < t[:, :, None]).sum(axis=2)
        equal = (t[:, None, :] == t[:, :, None]).sum(axis=2)
        rank = less + (equal + 1) / 2
        return (rank - 1) / (n - 1)

    def _within(self, v: np.ndarray) -> np.ndarray:
        if self.options.within == "median":
            return np.median(v, axis=1)
        if self.options.within == "trimmed" and v.shape[1] > 2 * self.options.trim:
            trim = self.options.trim
            return np.sort(v, axis=1)[:, trim : v.shape[1] - trim].mean(axis=1)
        return v.mean(axis=1)

    def positions(self, totals: np.ndarray) -> np.ndarray:
        """0-based rank position of each project in each draw (ties: ascending id)."""
        order = np.argsort(-totals, axis=1, kind="stable")
        return np.argsort(order, axis=1, kind="stable")


def sensitivity(
    rows: Iterable[ScoreRow] | pd.DataFrame | SheetSet,
    rubric: Rubric,
    *,
    k: int = 3,
    spread: float = 0.2,
    draws: int = 1000,
    seed: int | None = 0,
    within: str = "mean",
    normalise: str = "none",
    trim: int = 1,
    votes: Mapping[str, int | Fraction] | None = None,
    vote_weight: Fraction | float | int = 0,
    source: str = "<rows>",
) -> Sensitivity:
    """Top-k probabilities under random weight changes, and the smallest swap per neighbour pair."""
    errors = {}
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        errors["k"] = Label("k 须为正整数", f"k must be a whole number 1 or more, got {k!r}")
    if not 0 <= spread < 1:
        errors["spread"] = Label("扰动幅度须在 0 到 1 之间（不含 1）", f"spread must be at least 0 and less than 1, got {spread!r}")
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        errors["draws"] = Label("抽样次数须为正整数", f"draws must be a whole number 1 or more, got {draws!r}")
    if errors:
        raise ValidationError(errors)
    sheets = rows if isinstance(rows, SheetSet) else collect_sheets(number_rows(rows), rubric, source)
    ranking = aggregate(sheets, rubric, within=within, normalise=normalise, trim=trim, votes=votes, vote_weight=vote_weight)
    kernel = Kernel(sheets, rubric, ranking.options, ranking.order, votes)
    baseline = ranking.order
    index = {p: j for j, p in enumerate(kernel.projects)}
    n_c, n_t = len(kernel.cw), len(kernel.tw)

    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - spread, 1 + spread, size=(draws, n_c + n_t))
    share = np.zeros(len(kernel.projects))
    if baseline:
        positions = kernel.positions(kernel.totals(kernel.cw * factors[:, :n_c], kernel.tw * factors[:, n_c:]))
        share = (positions < k).mean(axis=0)
    top_k = tuple((p, float(share[index[p]])) for p in baseline)

    return Sensitivity(ranking.rubric_ref, ranking.options, k, spread, draws, seed, baseline, top_k, _swaps(kernel, baseline))


def _weights_at(kernel: Kernel, which: np.ndarray, deltas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weight matrices where weight ``which[i]`` (criteria first, then tiers) is scaled by 1 + deltas[i]."""
    base = np.concatenate([kernel.cw, kernel.tw])
    w = np.tile(base, (len(which), 1))
    w[np.arange(len(which)), which] *= 1 + deltas
    n_c = len(kernel.cw)
    return w[:, :n_c], w[:, n_c:]


def _swaps(kernel: Kernel, baseline: tuple[str, ...]) -> tuple[Swap, ...]:
    if len(baseline) < 2:
        return ()
    index = {p: j for j, p in enumerate(kernel.projects)}
    pairs = [(index[u], index[l]) for u, l in zip(baseline, baseline[1:])]
    upper = np.array([u for u, _ in pairs])
    lower = np.array([l for _, l in pairs])
    base = np.concatenate([kernel.cw, kernel.tw])
    names = [f"criterion:{c}" for c in kernel.criteria] + [f"tier:{t}" for t in kernel.tiers]
    searchable = [j for j in range(len(base)) if base[j] > 0]
    grid = np.concatenate([np.arange(1, GRID_UP + 1) * GRID_STEP, -np.arange(1, GRID_DOWN + 1) * GRID_STEP])

    best: list[tuple[float, int] | None] = [None] * len(pairs)
    candidates = []  # (pair index, weight index, lo delta (not swapped), hi delta (swapped))
    for j in searchable:
        which = np.full(len(grid), j)
        totals = kernel.totals(*_weights_at(kernel, which, grid))  # [G, P]
        tu, tl = totals[:, upper], totals[:, lower]  # [G, pairs]
        sw = (tl > tu) | ((tl == tu) & (lower < upper)[None, :])
        for side in (grid > 0, grid < 0):
            steps = np.flatnonzero(side)  # in order of growing |delta|
            for q in range(len(pairs)):
                hit = steps[sw[steps, q]]
                if hit.size:
                    first = hit[0]
                    pos = np.searchsorted(steps, first)
                    lo = 0.0 if pos == 0 else grid[steps[pos - 1]]
                    candidates.append((q, j, lo, grid[first]))
    if candidates:
        q_idx = np.array([c[0] for c in candidates])
        which = np.array([c[1] for c in candidates])
        lo = np.array([c[2] for c in candidates])
        hi = np.array([c[3] for c in candidates])
        u, l = upper[q_idx], lower[q_idx]
        for _ in range(BISECTIONS):
            mid = (lo + hi) / 2
            totals = kernel.totals(*_weights_at(kernel, which, mid))
            rows = np.arange(len(mid))
            tu, tl = totals[rows, u], totals[rows, l]
            sw = (tl > tu) | ((tl == tu) & (l < u))
            hi = np.where(sw, mid, hi)
            lo = np.where(sw, lo, mid)
        for c, (q, j, _, _) in enumerate(candidates):
            change = float(hi[c])
            if best[q] is None or abs(change) < abs(best[q][0]):
                best[q] = (change, j)
    out = []
    for q, (u_name, l_name) in enumerate(zip(baseline, baseline[1:])):
        if best[q] is None:
            out.append(Swap(u_name, l_name, None, None))
        else:
            change, j = best[q]
            out.append(Swap(u_name, l_name, names[j], change, float(base[j]), float(base[j] * (1 + change))))
    return tuple(out)
