"""Voters grouped by identical ballots (toolkit/budget/rules/profile.py): the packed-bitset grouping and the
row grouping both equal a naive grouping written with Python sets, and MES decides the same on either."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pbfiles import shared_election
from toolkit.budget.election import Election, Project
from toolkit.budget.rules import allocate, profile


def naive_groups(election: Election, values: np.ndarray):
    """Groups in order of their first voter: (sorted ((project, utility) with utility > 0), weight)."""
    b = election.ballots
    seen: dict[tuple, int] = {}
    keys, weights = [], []
    for v in range(b.count):
        lo, hi = int(b.indptr[v]), int(b.indptr[v + 1])
        key = tuple(sorted((int(b.items[e]), int(values[e])) for e in range(lo, hi) if values[e] > 0))
        if not key:
            continue
        if key not in seen:
            seen[key] = len(keys)
            keys.append(key)
            weights.append(0)
        weights[seen[key]] += 1
    return keys, weights


def assert_groups_equal_naive(election: Election, values: np.ndarray, g: profile.Groups) -> None:
    keys, weights = naive_groups(election, values)
    m = len(election.projects)
    assert g.weight.tolist() == weights
    rows = g.rows.tolist()
    assert rows == np.cumsum([0] + [len(k) for k in keys]).tolist()
    assert [tuple(sorted(zip(g.row_items[a:b].tolist(), g.row_utils[a:b].tolist()))) for a, b in zip(rows, rows[1:])] \
        == keys
    for p in range(m):
        pairs = [(gi, u) for gi, k in enumerate(keys) for q, u in k if q == p]
        assert g.supporters[p].tolist() == [gi for gi, _ in pairs], p
        assert g.utils[p].tolist() == [u for _, u in pairs], p
        assert g.supporters[p].dtype == np.int64 and g.utils[p].dtype == np.int64


@st.composite
def set_elections(draw):
    """Approval elections with 1-200 projects (one to four 64-bit words, across the 64/65 and 128/129
    edges), costs including 0 (dropped under cost utility), empty ballots, ballots written in any order,
    and many repeated ballots."""
    m = draw(st.sampled_from([1, 2, 5, 63, 64, 65, 127, 128, 129, 200]))
    costs = draw(st.lists(st.integers(0, 50), min_size=m, max_size=m))
    pool = draw(st.lists(st.lists(st.integers(0, m - 1), unique=True, max_size=min(m, 12)), min_size=1, max_size=8))
    picks = draw(st.lists(st.integers(0, len(pool) - 1), max_size=120))
    shuffles = draw(st.randoms(use_true_random=False))
    ballots = []
    for i in picks:
        ballot = list(pool[i])
        shuffles.shuffle(ballot)
        ballots.append([str(p) for p in ballot])
    projects = [Project(str(p), c) for p, c in enumerate(costs)]
    return Election.from_ballots(projects, ballots, budget=max(sum(costs) // 2, 1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(set_elections(), st.sampled_from(["cost", "cardinality"]))
def test_bitset_grouping_equals_naive_grouping(e, utility):
    values = profile.entry_utilities(e, utility)
    assert_groups_equal_naive(e, values, profile.group_voters(e, values))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(set_elections(), st.sampled_from(["cost", "cardinality"]))
def test_row_grouping_equals_naive_grouping(e, utility):
    values = profile.entry_utilities(e, utility)
    old = profile.SET_CELLS
    profile.SET_CELLS = -1  # every election takes the row grouping
    try:
        assert_groups_equal_naive(e, values, profile.group_voters(e, values))
    finally:
        profile.SET_CELLS = old


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(set_elections(), st.sampled_from(["mes:cost", "mes:cardinality", "phragmen"]))
def test_outcomes_equal_on_either_grouping(e, spec):
    fast = allocate(e, spec)
    old = profile.SET_CELLS
    profile.SET_CELLS = -1
    try:
        rows = allocate(e, spec)
    finally:
        profile.SET_CELLS = old
    assert fast.selected == rows.selected
    assert fast.decisions == rows.decisions and fast.steps == rows.steps


def test_key_collision_falls_back_to_row_grouping(monkeypatch):
    """With every project's random word 0 all sets collide on key 0: the exact check refuses the grouping
    and the rows grouping gives the right groups."""
    ids = [str(i) for i in range(70)]  # more than 64 projects: keys are sums of random words
    e = Election.from_ballots([(i, 1) for i in ids], [["0", "1"], ["1", "0"], ["2"], ["0", "1"], ["69", "3"], ["2"]], 5)
    values = profile.entry_utilities(e, "cardinality")
    monkeypatch.setattr(profile, "_MULT", np.zeros_like(profile._MULT))
    b = e.ballots
    assert profile._group_sets(b.items, b.lengths(), len(ids), np.ones(len(ids), dtype=np.int64)) is None
    g = profile.group_voters(e, values)
    assert_groups_equal_naive(e, values, g)
    assert g.weight.tolist() == [3, 2, 1]


def test_set_keys_group_shuffled_ballots_beyond_64_projects():
    rng = np.random.default_rng(7)
    m = 200
    pool = [rng.choice(m, size=rng.integers(1, 15), replace=False).tolist() for _ in range(30)]
    ballots = [[str(p) for p in rng.permutation(pool[rng.integers(0, 30)])] for _ in range(2000)]
    e = Election.from_ballots([(str(i), i + 1) for i in range(m)], ballots, 10_000)
    for utility in ("cost", "cardinality"):
        values = profile.entry_utilities(e, utility)
        assert_groups_equal_naive(e, values, profile.group_voters(e, values))


@pytest.mark.parametrize("name", ["Poland_Wroclaw_2018.pb", "Poland_Gdansk_2020.pb", "Switzerland_Zurich_SN.pb",
                                  "Poland_Czestochowa_2025_Tysiaclecie.pb"])
@pytest.mark.parametrize("utility", ["cost", "cardinality"])
def test_shared_files_group_as_the_naive_grouping(name, utility):
    e = shared_election(name)
    values = profile.entry_utilities(e, utility)
    assert_groups_equal_naive(e, values, profile.group_voters(e, values))


@pytest.mark.parametrize("name,utility", [("Poland_Czestochowa_2025_Tysiaclecie.pb", "points"),
                                          ("Switzerland_Zurich_S5R.pb", "borda")])
def test_varying_utilities_group_as_the_naive_grouping(name, utility):
    e = shared_election(name)
    values = profile.entry_utilities(e, utility)
    assert_groups_equal_naive(e, values, profile.group_voters(e, values))



def test_allocate_files_runs_every_fitting_spec():
    """toolkit.budget.runs imports tqdm only when it runs (not on every ``import toolkit.budget``)."""
    from pbfiles import VALID
    from toolkit.budget import allocate_files, read_pabulib
    paths = [VALID / "approval_small.pb", VALID / "ordinal_small.pb"]
    out = allocate_files(paths, ["mes:cost", "phragmen"], progress=False)
    assert set(out) == {(str(paths[0]), "mes:cost"), (str(paths[0]), "phragmen"), (str(paths[1]), "mes:cost")}
    assert out[(str(paths[0]), "mes:cost")].selected == allocate(read_pabulib(paths[0]), "mes:cost").selected
