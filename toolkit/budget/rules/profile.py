"""What the kernels see: per-project utilities, voters grouped by identical ballots, tie-break ranks.

Voters with identical ballots have identical budgets, loads and payments under every rule here, so the
kernels run on groups with a multiplicity; this is exact, not an approximation.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from toolkit.budget.election import Election
from toolkit.budget.rules.spec import RuleError, RuleSpec

UTILITIES = ("cost", "cardinality", "points", "borda")


def entry_utilities(election: Election, utility: str) -> np.ndarray:
    """Utility of every ballot entry (aligned with ``election.ballots.items``), as pabutools defines it:

    - ``cost``: the project's cost (Cost_Sat); ``cardinality``: 1 (Cardinality_Sat) -- for cumulative
      and ordinal ballots every named project counts as approved, whatever its points or rank;
    - ``points``: the points given (Additive_Cardinal_Sat), cumulative/scoring ballots only;
    - ``borda``: ``len(ballot) - position - 1`` (Additive_Borda_Sat): the last ranked project gets 0.
    """
    b = election.ballots
    if utility == "cost":
        return election.costs()[b.items]
    if utility == "cardinality":
        return np.ones(b.items.shape[0], dtype=np.int64)
    if utility == "points":
        if b.points is None:
            raise RuleError(f"utility 'points' needs cumulative or scoring ballots, this election is {election.vote_type}")
        return b.points.astype(np.int64)
    if utility == "borda":
        if election.vote_type != "ordinal":
            raise RuleError(f"utility 'borda' needs ordinal ballots, this election is {election.vote_type}")
        return np.repeat(b.lengths(), b.lengths()) - b.positions() - 1
    raise RuleError(f"unknown utility {utility!r}; use one of {', '.join(UTILITIES)}")


def project_totals(election: Election, values: np.ndarray) -> list[int]:
    """Sum of ``values`` per project, exactly.

    ``np.bincount`` sums in float64, which is exact while every partial sum stays below 2**53 -- checked
    from the sum of absolute values; otherwise the integer path (sort, then int64 sums) is taken."""
    m = len(election.projects)
    items = election.ballots.items
    values = np.asarray(values)
    if values.size == 0:
        return [0] * m
    if float(np.abs(values).sum(dtype=np.float64)) < 2.0 ** 52:
        return np.bincount(items, weights=values, minlength=m).astype(np.int64).tolist()
    order = np.argsort(items, kind="stable")
    vals = values[order].astype(np.int64)
    bounds = np.searchsorted(items[order], np.arange(m + 1))
    return [int(vals[bounds[p]:bounds[p + 1]].sum()) for p in range(m)]


@dataclass(frozen=True, slots=True)
class Groups:
    """Voters grouped by identical (project, utility) lists, restricted to entries with utility > 0.

    ``weight[g]`` voters share group ``g``; ``supporters[p]`` / ``utils[p]`` are the groups supporting
    project ``p`` (in increasing group index) and the utility each of them gets from it; ``rows`` /
    ``row_items`` / ``row_utils`` hold each group's projects and utilities (compressed rows, in no
    particular order inside a row); ``per_item[p]`` is project ``p``'s utility when every voter gets the
    same from it (cost, cardinality), ``None`` when it varies (points, Borda)."""

    weight: np.ndarray
    supporters: tuple[np.ndarray, ...]
    utils: tuple[np.ndarray, ...]
    rows: np.ndarray  # group -> CSR of projects
    row_items: np.ndarray
    row_utils: np.ndarray
    per_item: np.ndarray | None = None  # each project's utility when it is the same for every voter


def ragged_positions(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lens)])`` without the Python loop.

    >>> ragged_positions(np.array([5, 0]), np.array([2, 3])).tolist()
    [5, 6, 0, 1, 2]
    """
    return np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))


def group_voters(election: Election, values: np.ndarray) -> Groups:
    """Group voters by identical (project, utility) lists, keeping entries with utility > 0.

    Groups come in order of their first voter; a project's supporter groups in increasing group index.
    When a project's utility is the same for every voter (cost, cardinality) a ballot is a set, grouped
    on one 64-bit key per ballot (:func:`_group_sets`); otherwise on rows of (project, utility)
    (:func:`_group_rows`).  Both give the very same groups."""
    b = election.ballots
    m = len(election.projects)
    keep = values > 0
    every = bool(keep.all())
    items = b.items if every else b.items[keep]
    vals = values if every else values[keep]
    n = b.count
    lengths = b.lengths() if every else np.bincount(b.voters()[keep], minlength=n)
    if items.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Groups(np.zeros(0, dtype=np.int64), tuple(empty for _ in range(m)), tuple(empty for _ in range(m)),
                      np.zeros(1, dtype=np.int64), empty, empty)
    costs = election.costs()
    if np.all(vals == 1):
        per_item = np.ones(m, dtype=np.int64)
    elif np.array_equal(vals, costs[items]):
        per_item = costs
    else:
        per_item = None
    if per_item is not None and int(np.count_nonzero(lengths)) * m <= SET_CELLS:
        groups = _group_sets(items, lengths, m, per_item)
        if groups is not None:
            return groups
    return _group_rows(items, vals, lengths, m, per_item)


SET_CELLS = 64_000_000
"""Largest (ballots x projects) the set grouping's exact check may need at once (bytes)."""


def _set_keys(m: int) -> np.ndarray:
    """One well-mixed 64-bit word per project: a set's key is the sum of its projects' words."""
    return _MULT[:m] if m <= _MULT.shape[0] else _splitmix64(m)


def _group_sets(items: np.ndarray, lengths: np.ndarray, m: int, per_item: np.ndarray) -> Groups | None:
    """Grouping of ballots that are sets: ``items`` in ballot order (CSR with ``lengths``; no project
    twice in a ballot), every voter's utility for project ``p`` being ``per_item[p]``.

    Each non-empty ballot gets one 64-bit key that does not depend on the order it was written in: its
    project (one project per ballot), its bitset (up to 64 projects), else the sum (mod 2**64) of one
    random word per project.  One sort of the keys groups the ballots.  Summed keys are then checked
    exactly (:func:`_same_sets`); on a collision -- odds about ballots**2 / 2**64 -- ``None`` (the caller
    groups on rows).  A group's projects are its first voter's, as written."""
    filled = lengths > 0
    lens_f = lengths[filled]
    starts = (np.cumsum(lengths) - lengths)[filled]
    n = starts.shape[0]
    hashed = False
    if int(lengths.max()) == 1:
        key = items
    elif m <= 64:
        key = np.bitwise_or.reduceat(np.left_shift(np.uint64(1), items.astype(np.uint64)), starts)
    else:
        with np.errstate(over="ignore"):
            key = np.add.reduceat(_set_keys(m)[items], starts)
        hashed = True
    order = np.argsort(key)  # not stable (fast): a run's first ballot is its smallest index
    sk = key[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(sk[1:], sk[:-1], out=new[1:])
    heads = np.flatnonzero(new)
    run_first = np.minimum.reduceat(order, heads)
    run_count = np.diff(np.append(heads, n))
    # groups in order of their first ballot, without a sort: mark the first ballots
    is_first = np.zeros(n, dtype=bool)
    is_first[run_first] = True
    firsts = np.flatnonzero(is_first)
    G = firsts.shape[0]
    group_of = np.empty(n, dtype=np.int64)
    group_of[firsts] = np.arange(G)
    run_group = group_of[run_first]
    weight = np.empty(G, dtype=np.int64)
    weight[run_group] = run_count
    if hashed:
        group_of[order] = np.repeat(run_group, run_count)
        if not _same_sets(items, starts, lens_f, group_of, is_first, firsts, weight, m):
            return None
    lens = lens_f[firsts]
    row_items = items[ragged_positions(starts[firsts], lens)]
    rows = np.zeros(G + 1, dtype=np.int64)
    np.cumsum(lens, out=rows[1:])
    # each project's supporter groups, in increasing group: a stable sort of the entries (in group order)
    # by project -- on 8- or 16-bit keys numpy's stable sort is a radix sort
    key8 = row_items.astype(np.uint8) if m <= 256 else (row_items.astype(np.int16) if m < 2**15 else row_items)
    by_project = np.argsort(key8, kind="stable")
    grp = np.repeat(np.arange(G), lens)[by_project]
    bl = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_items, minlength=m), out=bl[1:])
    utils = np.repeat(per_item, np.diff(bl))
    bl = bl.tolist()
    sup = tuple(grp[bl[p]:bl[p + 1]] for p in range(m))
    uts = tuple(utils[bl[p]:bl[p + 1]] for p in range(m))
    return Groups(weight, sup, uts, rows, row_items, per_item[row_items], per_item)


def _same_sets(items, starts, lens, group_of, is_first, firsts, weight, m) -> bool:
    """Exactly: every ballot that is not first in its group names as many projects as the group's first
    ballot, each of them on it (a table of the first ballots of groups with more than one voter)."""
    others = np.flatnonzero(~is_first)
    if others.size == 0:
        return True
    g = group_of[others]
    lo = lens[others]
    if not np.array_equal(lo, lens[firsts[g]]):
        return False
    shared = np.flatnonzero(weight > 1)
    row = np.empty(weight.shape[0], dtype=np.int64)
    row[shared] = np.arange(shared.shape[0])
    lf = lens[firsts[shared]]
    table = np.zeros((shared.shape[0], m), dtype=bool)
    table[np.repeat(np.arange(shared.shape[0]), lf), items[ragged_positions(starts[firsts[shared]], lf)]] = True
    return bool(table.ravel()[np.repeat(row[g] * m, lo) + items[ragged_positions(starts[others], lo)]].all())


def _group_rows(items: np.ndarray, vals: np.ndarray, lengths: np.ndarray, m: int,
                per_item: np.ndarray | None) -> Groups:
    """Grouping on rows of (projects sorted, their utilities): for utilities that differ between voters
    (points, Borda), or when the bitsets would not fit :data:`SET_CELLS`."""
    n = lengths.shape[0]
    width = int(lengths.max())
    voters = np.repeat(np.arange(n), lengths)
    varying = per_item is None
    order = np.argsort(voters * (m + 1) + items, kind="stable")
    voters, items, vals = voters[order], items[order], vals[order]
    pos = np.arange(items.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    cols = 2 * width if varying else width
    table = np.full((n, cols), -1, dtype=np.int64)
    table[voters, pos] = items
    if varying:
        table[voters, width + pos] = vals
    table = table[lengths > 0]
    uniq, counts = _unique_rows(table)
    g_items = uniq[:, :width]
    mask = g_items >= 0
    g_len = mask.sum(axis=1)
    row_items = g_items[mask]
    if varying:
        row_utils = uniq[:, width:][mask]
    else:
        row_utils = per_item[row_items]
    rows = np.zeros(uniq.shape[0] + 1, dtype=np.int64)
    np.cumsum(g_len, out=rows[1:])
    g_of_entry = np.repeat(np.arange(uniq.shape[0]), g_len)
    # stable sort by project; on 16-bit keys numpy uses a radix sort (~20x faster than on int64)
    order = np.argsort(row_items.astype(np.int16) if m < 2**15 else row_items, kind="stable")
    bounds = np.searchsorted(row_items[order], np.arange(m + 1))
    by_project, utils_by_project = g_of_entry[order], row_utils[order]
    bl = bounds.tolist()
    sup = tuple(by_project[bl[p]:bl[p + 1]] for p in range(m))
    uts = tuple(utils_by_project[bl[p]:bl[p + 1]] for p in range(m))
    return Groups(counts.astype(np.int64), sup, uts, rows, row_items, row_utils, per_item)


def _splitmix64(n: int) -> np.ndarray:
    """n well-mixed odd 64-bit constants (splitmix64), the column weights of the row hash."""
    out = []
    x = 0
    mask = (1 << 64) - 1
    for _ in range(n):
        x = (x + 0x9E3779B97F4A7C15) & mask
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append((z ^ (z >> 31)) | 1)
    return np.array(out, dtype=np.uint64)


_MULT = _splitmix64(1024)


def _unique_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``table`` (in order of first occurrence) and how often each occurs.

    Rows are grouped by a 64-bit hash and the grouping is then verified exactly (every row equals its
    group's representative); on a hash collision ``np.unique(axis=0)`` -- exact, slower -- is used."""
    if table.shape[0] == 0 or table.shape[1] == 0 or table.shape[1] > _MULT.shape[0]:
        return np.unique(table, axis=0, return_counts=True)
    with np.errstate(over="ignore"):
        z = table.astype(np.uint64) ^ _MULT[: table.shape[1]]  # per-column salt, then splitmix64 mixing
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
        h = z.sum(axis=1, dtype=np.uint64)
    _, first, inverse, counts = np.unique(h, return_index=True, return_inverse=True, return_counts=True)
    reps = table[first]
    if not np.array_equal(reps[inverse.reshape(-1)], table):
        return np.unique(table, axis=0, return_counts=True)
    order = np.argsort(first)
    return reps[order], counts[order]


def tie_ranks(election: Election, spec: RuleSpec) -> np.ndarray:
    """Rank of every project for breaking ties: lower wins.  ``id`` is pabutools' lexicographic order of
    project ids as strings (so "10" comes before "9")."""
    ids = [p.id for p in election.projects]
    by_id = sorted(range(len(ids)), key=lambda i: ids[i])
    if spec.tie_break == "id":
        key = by_id
    elif spec.tie_break == "cost":
        key = sorted(by_id, key=lambda i: election.projects[i].cost)
    elif spec.tie_break == "votes":
        votes = np.bincount(election.ballots.items, minlength=len(ids))
        key = sorted(by_id, key=lambda i: -int(votes[i]))
    else:
        rng = np.random.default_rng(spec.seed)
        key = [by_id[i] for i in rng.permutation(len(ids))]
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.asarray(key, dtype=np.int64)] = np.arange(len(ids))
    return rank


def money(election: Election, units) -> Fraction:
    scale = election.money_scale
    if scale == 1:
        return Fraction(units)
    return Fraction(units, scale) if isinstance(units, int) else Fraction(units) / scale
