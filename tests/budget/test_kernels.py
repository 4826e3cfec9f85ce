"""The fast paths agree with the plain ones they shortcut: bulk VOTES reading vs row-by-row, lockstep
MES batches (add1 completion) vs single MES runs, hashed voter grouping vs ``np.unique``."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import toolkit.budget.pabulib as pabulib
from pbfiles import PABULIB, VALID, shared_election
from toolkit.budget.rules import mes_kernel, profile
from toolkit.budget.rules.mes import EqualShares
from toolkit.budget.rules.spec import RuleSpec
from test_properties import elections


def _same_election(a, b):
    assert a.projects == b.projects and a.budget == b.budget and dict(a.meta) == dict(b.meta)
    assert (a.money_scale, a.points_scale) == (b.money_scale, b.points_scale)
    for field in ("indptr", "items"):
        assert np.array_equal(getattr(a.ballots, field), getattr(b.ballots, field))
    assert (a.ballots.points is None) == (b.ballots.points is None)
    if a.ballots.points is not None:
        assert np.array_equal(a.ballots.points, b.ballots.points)
    assert a.ballots.voter_ids == b.ballots.voter_ids
    assert (a.ballots.columns, a.ballots.rows) == (b.ballots.columns, b.ballots.rows)


@pytest.mark.parametrize("path", sorted(VALID.glob("*.pb")) + sorted(PABULIB.glob("*.pb"))[:12],
                         ids=lambda p: p.stem)
def test_bulk_votes_reader_equals_row_reader(path, monkeypatch):
    fast = pabulib.read_pabulib(path)
    monkeypatch.setattr(pabulib, "_parse_votes_fast", lambda *a: None)
    _same_election(fast, pabulib.read_pabulib(path))


@pytest.mark.parametrize("text", [
    "META\nkey;value\nbudget;5\nvote_type;approval\nPROJECTS\nproject_id;cost\na;3\nb;2\nVOTES\nvoter_id;vote\n1;a,b\n\n2;b\n",
    "META\nkey;value\nbudget;5\nvote_type;approval\nPROJECTS\nproject_id;cost\na;3\nb;2\nVOTES\nvoter_id;vote\n1; a\n2;b\n",
    "META\r\nkey;value\r\nbudget;5\r\nvote_type;cumulative\r\nPROJECTS\r\nproject_id;cost\r\na;3\r\nb;2\r\n"
    "VOTES\r\nvoter_id;vote;points\r\n1;a,b;1,+2\r\n2;b;3\r\n",
    "META\nkey;value\nbudget;5\nvote_type;approval\nPROJECTS\nproject_id;cost\na;3\nnone;2\nVOTES\nvoter_id;vote\n1;a\n2;none\n",
])
def test_bulk_reader_falls_back_on_odd_input(text, monkeypatch):
    fast = pabulib.parse_pabulib(text)
    monkeypatch.setattr(pabulib, "_parse_votes_fast", lambda *a: None)
    _same_election(fast, pabulib.parse_pabulib(text))


def _shares(e, utility):
    values = profile.entry_utilities(e, utility)
    return EqualShares(e, profile.group_voters(e, values), profile.tie_ranks(e, RuleSpec.parse(f"mes:{utility}")))


def _check_batch(es, budgets, method="run_batch"):
    outs = es.run_many(budgets, kernel=True) if method == "kernel" else es.run_batch(budgets)
    for x, got in zip(budgets, outs):
        if got is not None:  # None: left to the exact single run
            assert got == es.run(x, explain=False).selected, x
    return outs


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections(), st.integers(1, 12), st.sampled_from(["cost", "cardinality"]))
def test_mes_batch_equals_single_runs(e, count, utility):
    if e.num_voters == 0:
        return
    b0 = Fraction(e.budget, e.num_voters)
    _check_batch(_shares(e, utility), [b0 + i for i in range(count)])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections(), st.integers(1, 12), st.sampled_from(["cost", "cardinality"]))
def test_mes_compiled_kernel_equals_single_runs(e, count, utility):
    assert mes_kernel.AVAILABLE  # numba is a dependency: the fast path must be the one tested
    if e.num_voters == 0:
        return
    b0 = Fraction(e.budget, e.num_voters)
    _check_batch(_shares(e, utility), [b0 + i for i in range(count)], "kernel")


@pytest.mark.parametrize("name,utility,start", [("France_Toulouse_2022.pb", "cost", 600),
                                                ("Poland_Gdansk_2020_Srodmiescie.pb", "points", 0),
                                                ("US_Stanford_Dataset_PB_Rochester_NY_2019_vote_rankings.pb",
                                                 "borda", 0)])
def test_mes_batch_equals_single_runs_on_shared_files(name, utility, start):
    e = shared_election(name)
    b0 = Fraction(e.budget, e.num_voters)
    budgets = [b0 + (start + i) * e.money_scale for i in range(24)]
    es = _shares(e, utility)
    _check_batch(es, budgets)
    decided = _check_batch(es, budgets, "kernel")
    assert sum(x is not None for x in decided) >= 20  # the kernel decides, it does not just pass on


@pytest.mark.parametrize("name", ["Poland_Warszawa_2020_Praga-Poludnie.pb", "France_Toulouse_2019.pb"])
def test_hashed_grouping_equals_unique_rows(name):
    table = np.random.default_rng(1).integers(-1, 4, size=(500, 3))
    rows, counts = profile._unique_rows(table)
    ref_rows, ref_counts = np.unique(table, axis=0, return_counts=True)
    order = np.lexsort(rows.T[::-1])
    assert np.array_equal(rows[order], ref_rows) and np.array_equal(counts[order], ref_counts)
    e = shared_election(name)
    g = profile.group_voters(e, profile.entry_utilities(e, "cost"))
    assert int(g.weight.sum()) == int((e.ballots.lengths() > 0).sum())


@pytest.mark.parametrize("name,utility", [("Poland_Warszawa_2020_Praga-Poludnie.pb", "cost"),
                                          ("Poland_Czestochowa_2025_Tysiaclecie.pb", "points"),
                                          ("Switzerland_Zurich_S5R.pb", "borda")])
def test_money_left_in_bulk_equals_per_project_sums(name, utility):
    e = shared_election(name)
    es = _shares(e, utility)
    run = es.run(Fraction(e.budget, e.num_voters), explain=True)
    assert run.left_of_supporters
    assert run.left_of_supporters == {p: es._exact_sum(es.sup[p], es.supw[p]) for p in run.left_of_supporters}



@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections(), st.integers(0, 6), st.integers(0, 40))
def test_compiled_interval_certificate_holds_for_every_budget_inside(e, start, width):
    """Whatever the compiled certificate claims for [x, x + width] is the exact outcome at each budget."""
    if e.num_voters == 0:
        return
    es = _shares(e, "cost")
    b0 = Fraction(e.budget, e.num_voters)
    lo, hi = b0 + start, b0 + start + width
    got = es.run_interval(lo, hi, kernel=True)
    assert got == es.run_interval(lo, hi, kernel=False)  # the same certificate as the numpy version
    if got is not None:
        for x in range(start, start + width + 1):
            assert got == es.run(b0 + x, explain=False).selected


@pytest.mark.parametrize("name,utility,start,width", [("Hungary_Budapest_2023_VIII_Jozsefvaros.pb", "cost", 4600, 256),
                                                      ("Hungary_Budapest_2023_VIII_Jozsefvaros.pb", "cost", 8299, 64),
                                                      ("France_Toulouse_2022.pb", "cost", 0, 1),
                                                      ("Poland_Krakow_2018.pb", "borda", 0, 4)])
def test_compiled_interval_equals_numpy_interval_on_shared_files(name, utility, start, width):
    e = shared_election(name)
    es = _shares(e, utility)
    b0 = Fraction(e.budget, e.num_voters)
    certified = 0
    for k in range(8):
        lo, hi = b0 + (start + k * width) * e.money_scale, b0 + (start + (k + 1) * width - 1) * e.money_scale
        got = es.run_interval(lo, hi, kernel=True)
        assert got == es.run_interval(lo, hi, kernel=False)
        if got is not None:
            certified += 1
            assert got == es.run(lo, explain=False).selected == es.run(hi, explain=False).selected
    assert certified  # some certificate was given, so the comparison is not vacuous


def test_kernel_can_be_switched_off():
    import os
    import subprocess
    import sys
    code = "import toolkit.budget.rules.mes_kernel as k; print(k.AVAILABLE)"
    root = str(__import__("pathlib").Path(__file__).resolve().parents[2])
    out = {flag: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                                env={**os.environ, "LINLI_NO_KERNEL": flag} if flag else
                                {k: v for k, v in os.environ.items() if k != "LINLI_NO_KERNEL"}).stdout.strip()
           for flag in ("", "1")}
    assert out == {"": "True", "1": "False"}


def test_a_kernel_that_cannot_compile_falls_back_to_the_numpy_path(monkeypatch):
    monkeypatch.setattr(mes_kernel, "AVAILABLE", True)
    monkeypatch.setattr(mes_kernel, "_compiled", None)

    def broken():
        raise RuntimeError("no LLVM here")

    monkeypatch.setattr(mes_kernel, "_compile", broken)
    e = shared_election("France_Toulouse_2022.pb")
    es = _shares(e, "cost")
    b0 = Fraction(e.budget, e.num_voters)
    with pytest.warns(RuntimeWarning, match="numpy path"):
        got = es.run_many([b0 + 600, b0 + 601], kernel=True)
    assert mes_kernel.AVAILABLE is False
    assert got == es.run_batch([b0 + 600, b0 + 601])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections(), st.sampled_from(["cost", "cardinality"]))
def test_compiled_add1_scan_reports_every_outcome_change(e, utility):
    """The compiled one-by-one scan of add1 increments: its outcome at every increment it covers (the
    last change reported before it) is the exact run's, and it stops where the completion must."""
    assert mes_kernel.ensure()
    if e.num_voters == 0:
        return
    es = _shares(e, utility)
    arrays = es._kernel_arrays()
    if arrays is None:
        return
    b0 = Fraction(e.budget, e.num_voters)
    first = es.run(b0, explain=False).selected
    index = {p: j for j, p in enumerate(es.eligible)}
    free = list(es.free)
    t_last, status, changes = mes_kernel.add1_scan(arrays, float(b0), 1.0, 40, e.budget,
                                                   [index[p] for p in first[len(free):]], changes=8)
    covered = t_last - 1 if status == 3 else t_last
    outcome = first
    for t in range(1, covered + 1):
        for dt, winners in changes:
            if dt == t:
                outcome = free + [es.eligible[j] for j in winners]
        exact = es.run(b0 + t, explain=False).selected
        assert outcome == exact, t
        spent = sum(es.costs[p] for p in exact)
        over = spent > e.budget
        full = all(p in exact or es.costs[p] + spent > e.budget for p in es.eligible)
        if t < covered or status in (0, 4):
            assert not (over or full), t  # the scan went on, so this outcome was not terminal
        else:
            assert (status == 1) == over and (status == 2) == (full and not over)
