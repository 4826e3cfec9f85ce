"""The 4-project sensitivity case, worked by hand, and the float kernel against the exact rules."""

from fractions import Fraction as F

import numpy as np
import pytest

from toolkit.scoring import ScoreRow, aggregate, collect_sheets, read_score_csv, sensitivity
from toolkit.scoring.rubric import Criterion, Rubric
from toolkit.scoring.sensitivity import Kernel


def sheets(data, rubric, name):
    path = data / "valid" / name
    return collect_sheets(read_score_csv(path), rubric, path)


def test_four_project_case(data, two_rubric):
    # rubric_two: criteria c1, c2 with weight 1 each; one tier. Values (c1, c2):
    #   A (10, 10), B (9, 3), C (5, 8), D (1, 1)
    # Base totals (c1 + c2)/2: A 10, C 6.5, B 6, D 1 -> ranking A, C, B, D.
    # With weights w1, w2 every total is (w1*c1 + w2*c2)/(w1 + w2):
    #   A = 10 always (top), D = 1 always (bottom); B and C are always between.
    #   B is ahead of C iff w1*(9-5) + w2*(3-8) > 0, i.e. 4*w1 > 5*w2, i.e. w2 < 0.8*w1.
    # Draws: w1, w2 independent, uniform on [0.8, 1.2] (density 1/0.16):
    #   P(w2 < 0.8 w1) = (1/0.16) * integral_{w1=1}^{1.2} (0.8 w1 - 0.8) dw1
    #                  = (1/0.16) * 0.8 * (0.2^2 / 2) = 0.016 / 0.16 = 0.1
    # So P(top 2): A 1, C 0.9, B 0.1, D 0. With 4000 draws the standard error of 0.1 is
    # sqrt(0.1*0.9/4000) = 0.0047; allow 0.025 (over 5 standard errors).
    result = sensitivity(sheets(data, two_rubric, "scores_sensitivity.csv"), two_rubric, k=2, draws=4000, seed=7)
    assert result.baseline == ("A", "C", "B", "D")
    p = dict(result.top_k)
    assert p["A"] == 1.0 and p["D"] == 0.0
    assert p["C"] == pytest.approx(0.9, abs=0.025)
    assert p["B"] == pytest.approx(0.1, abs=0.025)
    assert p["B"] + p["C"] == pytest.approx(1.0)  # exactly one of them is second in every draw
    # Smallest single-weight change that swaps neighbours:
    #   A/C: C = (5 w1 + 8 w2)/(w1 + w2) < 10 for any weights -> none
    #   C/B: change w2 alone: 4 > 5 w2 -> w2 < 0.8, i.e. -20 % (at exactly -20 % they tie and
    #        B comes first by id); change w1 alone: 4 w1 > 5 -> +25 %. Smallest: c2, -20 %.
    #   B/D: none
    swaps = {(s.upper, s.lower): s for s in result.swaps}
    assert swaps[("A", "C")].weight is None and swaps[("B", "D")].weight is None
    cb = swaps[("C", "B")]
    assert cb.weight == "criterion:c2"
    assert cb.change == pytest.approx(-0.2, abs=1e-6)
    assert cb.weight_from == 1.0 and cb.weight_to == pytest.approx(0.8, abs=1e-6)
    assert result.smallest == cb


def test_same_seed_same_result_and_seed_matters(data, two_rubric):
    s = sheets(data, two_rubric, "scores_sensitivity.csv")
    first = sensitivity(s, two_rubric, k=2, draws=500, seed=3)
    assert sensitivity(s, two_rubric, k=2, draws=500, seed=3) == first
    other = sensitivity(s, two_rubric, k=2, draws=500, seed=4)
    assert dict(other.top_k)["B"] != dict(first.top_k)["B"]


def test_tier_weight_swap(one_rubric):
    # rubric_one: tiers community 0.5, street 0.5, one criterion.
    # P: community 8, street 4 -> 6;  Q: community 6, street 7 -> 6.5. Ranking Q, P.
    # P - Q is proportional to 2*w_community - 3*w_street:
    #   community alone: 2 w_c >= 1.5 -> w_c >= 0.75 -> +50 %
    #   street alone: 1 >= 3 w_s -> w_s <= 1/3 -> 1/3 / 0.5 - 1 = -1/3 (about -33.3 %)
    #   criterion "a" alone: no effect (one criterion). Smallest: tier:street, -1/3.
    rows = [ScoreRow("c", "community", "P", "a", 8), ScoreRow("s", "street", "P", "a", 4),
            ScoreRow("c", "community", "Q", "a", 6), ScoreRow("s", "street", "Q", "a", 7)]
    (swap,) = sensitivity(rows, one_rubric, k=1, draws=10).swaps
    assert (swap.upper, swap.lower, swap.weight) == ("Q", "P", "tier:street")
    assert swap.change == pytest.approx(-1 / 3, abs=1e-6)


def _varied_rows():
    # A three-tier set with conflicts, ties and a missing tier, used only for cross-checks.
    values = {
        ("c1", "community"): {"P1": (8, 5), "P2": (6, 9), "P3": (4, 1), "P4": (7, 7)},
        ("c2", "community"): {"P1": (9, 6), "P2": (5, 2), "P3": (7, 4), "P4": (3, 9)},
        ("c3", "community"): {"P1": (2, 2), "P2": (10, 10), "P4": (6, 1)},
        ("s1", "street"): {"P1": (6, 6), "P2": (9, 6), "P3": (3, 6), "P4": (5, 5)},
        ("s2", "street"): {"P1": (7, 1), "P3": (8, 8), "P4": (5, 5)},
        ("d1", "district"): {"P1": (5, 5), "P2": (10, 7), "P4": (1, 9)},
    }
    rows = [ScoreRow(s, t, p, c, v) for (s, t), sheet in values.items() for p, pair in sheet.items() for c, v in zip("ab", pair)]
    rows += [ScoreRow("d1", "district", "P3", "a", 10, True), ScoreRow("d1", "district", "P3", "b", 10, True)]
    return rows


OPTIONS = [
    dict(within=w, normalise=n) for w in ("mean", "median", "trimmed") for n in ("none", "zscore", "rank")
] + [dict(votes={"P1": 3, "P2": 10, "P4": 7}, vote_weight=F(3, 10), normalise=n) for n in ("none", "zscore", "rank")]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(str(v) for k, v in o.items() if k != "votes"))
def test_float_kernel_matches_exact_aggregation(small_rubric, options):
    """Oracle check: at the base weights and at other weights the kernel gives the exact totals."""
    rows = _varied_rows()
    s = collect_sheets([(i, r) for i, r in enumerate(rows, 1)], small_rubric)
    for cw, tw in [((2, 1), (F(1, 2), F(3, 10), F(1, 5))), ((1, 3), (F(1, 10), F(7, 10), F(1, 5))), ((5, 1), (1, 0, 0))]:
        rubric = Rubric(
            "small", "1", small_rubric.path, None, small_rubric.scale,
            tuple(Criterion(c.id, c.label, F(w)) for c, w in zip(small_rubric.criteria, cw)),
            tuple((t, F(w)) for (t, _), w in zip(small_rubric.tiers, tw)),
        )
        exact = aggregate(s, rubric, **options)
        kernel = Kernel(s, rubric, exact.options, exact.order, options.get("votes"))
        totals = kernel.totals(kernel.cw[None, :], kernel.tw[None, :])[0]
        for project in exact.projects:
            assert totals[kernel.projects.index(project.id)] == pytest.approx(float(project.total), abs=1e-9)


def test_every_reported_swap_is_a_real_swap_in_exact_arithmetic(small_rubric):
    """At the reported change (plus a hair) the exact aggregation puts the lower project at or
    above the upper one; a little before it, it does not."""
    rows = _varied_rows()
    result = sensitivity(rows, small_rubric, k=2, draws=50)
    assert any(s.weight is not None for s in result.swaps)
    for swap in result.swaps:
        if swap.weight is None:
            continue
        kind, name = swap.weight.split(":")

        def order_at(change):
            criteria = tuple(Criterion(c.id, c.label, c.weight * (1 + F(change)) if kind == "criterion" and c.id == name else c.weight) for c in small_rubric.criteria)
            tiers = tuple((t, w * (1 + F(change)) if kind == "tier" and t == name else w) for t, w in small_rubric.tiers)
            r = Rubric("small", "1", small_rubric.path, None, small_rubric.scale, criteria, tiers)
            order = aggregate(rows, r).order
            return order.index(swap.lower) < order.index(swap.upper)

        assert order_at(swap.change * (1 + 1e-6) + np.sign(swap.change) * 1e-9)
        assert not order_at(swap.change * (1 - 1e-3))
