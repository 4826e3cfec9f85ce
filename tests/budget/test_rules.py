"""Registry behaviour and hand-checked outcomes (the arithmetic is in the comments)."""

from fractions import Fraction

import pytest

from pbfiles import VALID
from toolkit.budget import Election, RuleError, allocate, explain, read_pabulib, rule_specs
from toolkit.budget.rules import RULES


def approval(costs, ballots, budget):
    return Election.from_ballots(list(costs.items()), ballots, budget)


def test_unknown_rule_lists_valid_ids():
    e = approval({"a": 1}, [["a"]], 1)
    with pytest.raises(RuleError) as info:
        allocate(e, "greedy")
    for rule in RULES:
        assert rule in str(info.value)


def test_utility_must_fit_ballots():
    e = approval({"a": 1}, [["a"]], 1)
    with pytest.raises(RuleError, match="valid: cost, cardinality"):
        allocate(e, "mes:points")
    with pytest.raises(RuleError, match="does not apply"):
        allocate(e, "greedy-score")


@pytest.mark.parametrize("path", sorted(VALID.glob("*.pb")), ids=lambda p: p.name)
def test_every_applicable_rule_runs_on_every_vote_type(path):
    e = read_pabulib(path)
    for spec in rule_specs(e.vote_type):
        r = allocate(e, spec)
        assert r.total_cost <= r.budget
        assert set(r.decisions) == {p.id for p in e.projects}


def test_greedy_skips_what_no_longer_fits():
    # votes: a=3, b=2, c=1; budget 10: a(6) fits, b(5) does not (4 left), c(3) fits
    e = approval({"a": 6, "b": 5, "c": 3}, [["a", "b"], ["a", "b"], ["a", "c"]], 10)
    r = allocate(e, "greedy-votes")
    assert r.selected == ("a", "c")
    d = r.decisions["b"]
    assert not d.funded and d.numbers["rank"] == 2 and d.numbers["left"] == 4


def test_greedy_ties_go_to_smallest_id_as_string():
    e = approval({"9": 1, "10": 1}, [["9"], ["10"]], 1)
    assert allocate(e, "greedy-votes").selected == ("10",)
    assert allocate(e, "greedy-votes", tie_break="cost").selected == ("10",)


def test_tie_break_options():
    e = approval({"a": 2, "b": 1}, [["a"], ["b"]], 2)
    assert allocate(e, "greedy-votes").selected == ("a",)           # id order
    assert allocate(e, "greedy-votes", tie_break="cost").selected == ("b",)  # cheaper first; a (2) no longer fits
    lots = {allocate(e, "greedy-votes", tie_break="lot", seed=s).selected for s in range(20)}
    assert lots == {("a",), ("b",)}
    assert allocate(e, "greedy-votes", tie_break="lot", seed=3).selected == allocate(
        e, "greedy-votes", tie_break="lot", seed=3).selected


def test_mes_hand_example():
    # 4 voters, budget 100 -> 25 each.  c(40): supporters v3,v4 have 50 >= 40, each pays 20 (rho = 1/2).
    # a(60): v1,v2 hold 50 < 60; b(50): v2 alone holds 25.  MES funds c only.
    e = approval({"a": 60, "b": 50, "c": 40}, [["a"], ["a", "b"], ["c"], ["c"]], 100)
    r = allocate(e, "mes:cost")
    assert r.selected == ("c",)
    assert r.decisions["c"].numbers["price_max"] == 20
    assert r.decisions["a"].numbers["left"] == 50
    # add1: at 30 per voter a becomes affordable (rho 60/120 = 1/2), tied with c (40/80); id order -> a, c.
    # Spent 100, b (50) no longer fits: exhaustive.
    r = allocate(e, "mes:cost:add1")
    assert r.selected == ("a", "c") and r.decisions["a"].numbers["per_voter_budget"] == 30


def test_mes_cardinality_hand_example():
    # 3 voters, budget 6 -> 2 each.  a (3): v1, v2 hold 4 >= 3 and pay 1.5 each (rho = 3/2 per unit of
    # utility 1).  b (3): v3 holds 2 < 3, never affordable.
    e = approval({"a": 3, "b": 3}, [["a"], ["a"], ["b"]], 6)
    r = allocate(e, "mes:cardinality")
    assert r.selected == ("a",)
    assert r.decisions["a"].numbers["rho"] == Fraction(3, 2)
    assert r.decisions["b"].numbers["left"] == 2


def test_phragmen_stops_at_first_project_that_does_not_fit():
    # new loads: a (8, two supporters) 4; b (3) 3; c (1) 1; d (5) 5.
    # round 1: c (load 1); round 2: b (load 3), 4 spent; round 3: a has the least load (4) but 4 + 8 > 10:
    # Phragmén stops there, although d (5) would still fit.
    e = approval({"a": 8, "b": 3, "c": 1, "d": 5}, [["a"], ["a"], ["b"], ["c"], ["d"]], 10)
    r = allocate(e, "phragmen")
    assert r.selected == ("c", "b")
    assert r.decisions["d"].reason == "phragmen_stopped"
    assert r.decisions["d"].numbers["stopper"] == "a"
    assert r.decisions["b"].numbers["load"] == 3
    # greedy by votes: a (2 votes, 8), then ties b, c, d by id: b (3) no longer fits, c (1) fits, d no
    assert allocate(e, "greedy-votes").selected == ("a", "c")


def test_max_welfare_is_the_knapsack_optimum():
    # welfare = supporters x cost; budget 10: {a, b} -> 2*6 + 1*4 = 16 vs {c} 1*10 = 10
    e = approval({"a": 6, "b": 4, "c": 10}, [["a", "c"], ["a", "b"]], 10)
    r = allocate(e, "max-welfare:cost")
    assert sorted(r.selected) == ["a", "b"] and r.welfare == 16


def test_cumulative_points_rules():
    e = read_pabulib(VALID / "cumulative_small.pb")
    # points: x=3+1=4, y=2+5=7, z=4; budget 10: y(5), then x(6) no, z(4) fits
    assert allocate(e, "greedy-points").selected == ("y", "z")
    # cost/cardinality treat every named project as approved: x 2 votes, y 2, z 1 -> x(6), y(5) no, z(4)
    assert allocate(e, "greedy-votes").selected == ("x", "z")
    # max-welfare:points: {y, z} = 11 points, cost 9
    assert allocate(e, "max-welfare:points").welfare == 11


def test_ordinal_scores():
    e = read_pabulib(VALID / "ordinal_small.pb")
    # L = 3: p: 3 + 2 = 5, q: 2 + 3 = 5, r: 1 + 3 = 4; tie p/q -> p (5), then q (4) fits (9), r no
    assert allocate(e, "greedy-score").selected == ("p", "q")
    # Borda (len - pos - 1): p: 2 + 0, q: 1 + 1, r: 0 + 0 -> per cost p 2/5, q 2/4, r 0 -> q, p
    assert allocate(e, "greedy-borda-per-cost").selected == ("q", "p")


def test_explanations_in_both_languages():
    e = approval({"a": 6, "b": 5, "c": 3}, [["a", "b"], ["a", "b"], ["a", "c"]], 10)
    r = allocate(e, "greedy-votes")
    assert explain(r, "b", "en") == ("Project b: not funded. Ranked 2 by votes (2); when its turn came only 4 "
                                     "was left and it costs 5.")
    assert "未获资助" in explain(r, "b") and "4" in explain(r, "b")


def test_decimal_money_results_are_exact():
    e = read_pabulib(VALID / "scoring_decimal.pb")
    r = allocate(e, "greedy-votes")
    assert r.budget == Fraction(21, 2)
    assert r.total_cost in (Fraction(17, 4), Fraction(13, 2), Fraction(43, 4))
