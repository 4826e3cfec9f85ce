"""Property tests on generated elections."""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from toolkit.budget import Election, allocate, explain, rule_specs

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def elections(draw, vote_type=None, unit_costs=False):
    vote_type = vote_type or draw(st.sampled_from(["approval", "choose-1", "cumulative", "ordinal"]))
    m = draw(st.integers(1, 6))
    ids = [str(i) for i in draw(st.lists(st.integers(0, 30), min_size=m, max_size=m, unique=True))]
    costs = [1 if unit_costs else draw(st.integers(0 if vote_type != "choose-1" else 1, 12)) for _ in ids]
    n = draw(st.integers(0, 9))
    ballots = []
    for _ in range(n):
        if vote_type == "choose-1":
            ballots.append([draw(st.sampled_from(ids))])
            continue
        chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=m))
        if vote_type == "cumulative":
            ballots.append({p: draw(st.integers(1, 4)) for p in chosen})
        else:
            ballots.append(chosen)
    budget = draw(st.integers(0, sum(costs) + 3))
    return Election.from_ballots(list(zip(ids, costs)), ballots, budget, vote_type)


@SETTINGS
@given(elections())
def test_never_over_budget_and_explanations_agree(e):
    for spec in rule_specs(e.vote_type):
        r = allocate(e, spec)
        assert r.total_cost <= r.budget
        assert len(set(r.selected)) == len(r.selected)
        funded = {p for p, d in r.decisions.items() if d.funded}
        assert funded == set(r.selected)
        for p in r.decisions:
            text = explain(r, p, "en")
            assert text.startswith(f"Project {p}: ") and (("not funded" in text) != (p in funded))
        if spec.startswith("greedy"):
            for d in r.decisions.values():
                # a greedy project is funded exactly when its cost fit in the money left at its turn
                assert d.funded == (d.numbers["cost"] <= d.numbers["left"])


@SETTINGS
@given(elections(), st.randoms(use_true_random=False))
def test_voter_order_does_not_matter(e, rnd):
    b = e.ballots
    order = list(range(e.num_voters))
    rnd.shuffle(order)
    ids = [p.id for p in e.projects]
    ballots = []
    for v in order:
        lo, hi = int(b.indptr[v]), int(b.indptr[v + 1])
        if b.points is not None:
            ballots.append({ids[i]: int(x) for i, x in zip(b.items[lo:hi], b.points[lo:hi])})
        else:
            ballots.append([ids[i] for i in b.items[lo:hi]])
    shuffled = Election.from_ballots(e.projects, ballots, e.budget, e.vote_type)
    for spec in rule_specs(e.vote_type):
        a, c = allocate(e, spec), allocate(shuffled, spec)
        if spec.startswith("max-welfare"):
            assert a.welfare == c.welfare
        else:
            assert a.selected == c.selected


def textbook_mes_unit_costs(ids, ballots, budget):
    """MES on approval ballots with unit costs, straight from the definition (exact, no shortcuts):
    each voter holds budget/n; a project is affordable at price rho per supporter if
    sum(min(b_i, rho)) = 1; fund the least rho, ties by smallest id; stop when nothing is affordable."""
    n = len(ballots)
    money = [Fraction(budget, n)] * n
    left = set(ids)
    chosen = []
    while True:
        best = None
        for p in sorted(left):
            sup = [i for i in range(n) if p in ballots[i]]
            if not sup or sum(money[i] for i in sup) < 1:
                continue
            # rho solves sum(min(b_i, rho)) = 1: try each "the k poorest pay all" split
            caps = sorted(money[i] for i in sup)
            for k in range(len(caps)):
                rho = (1 - sum(caps[:k], Fraction(0))) / (len(caps) - k)  # Fraction, never a float
                if rho <= caps[k]:
                    break
            if best is None or rho < best[0]:
                best = (rho, p)
        if best is None:
            return chosen
        rho, p = best
        for i in range(n):
            if p in ballots[i]:
                money[i] -= min(money[i], rho)
        chosen.append(p)
        left.discard(p)


@SETTINGS
@given(elections(vote_type="approval", unit_costs=True))
def test_mes_unit_costs_matches_textbook(e):
    ids = [p.id for p in e.projects]
    b = e.ballots
    ballots = [{ids[i] for i in b.items[b.indptr[v]:b.indptr[v + 1]]} for v in range(e.num_voters)]
    expected = textbook_mes_unit_costs(ids, ballots, e.budget) if e.num_voters else []
    assert list(allocate(e, "mes:cardinality").selected) == expected
    assert list(allocate(e, "mes:cost").selected) == expected  # unit costs: cost utility = cardinality


def test_textbook_hand_case():
    # 3 voters, budget 2 (2/3 each), unit costs.  a: v1, v2 -> 1/2 each.  b: v2 (1/6 left), v3 (2/3):
    # rho solves min(1/6, rho) + min(2/3, rho) = 1 -> 1/6 + 2/3 < 1: not affordable.  c: v3 alone 2/3 < 1.
    ballots = [{"a"}, {"a", "b"}, {"b", "c"}]
    assert textbook_mes_unit_costs(["a", "b", "c"], ballots, 2) == ["a"]
    e = Election.from_ballots([("a", 1), ("b", 1), ("c", 1)], [sorted(x) for x in ballots], 2)
    assert allocate(e, "mes:cost").selected == ("a",)



def textbook_mes(e: Election, utility: str, order: list[str] | None = None):
    """MES from its definition, exact (Fractions, no grouping, no floats), on approval/choose-1 ballots with
    utility ``cost`` or ``cardinality``: every round, each affordable project's least rho with
    sum(min(b_i, rho u_i)) = cost (try each "the poorest k pay all" split), the least (rho, id) wins and its
    supporters pay min(b_i, rho u_i).  With ``order``, those projects win in that order instead (a replay:
    for elections too large to search every round).  Returns [(id, rho)] in funding order and, for every
    project not funded that someone supports, the money its supporters hold at the end."""
    ids = [p.id for p in e.projects]
    cost = {p.id: p.cost for p in e.projects}
    b = e.ballots
    n = e.num_voters
    sup: dict[str, list[int]] = {}
    for v in range(n):
        for i in b.items[b.indptr[v]:b.indptr[v + 1]]:
            if utility == "cardinality" or cost[ids[i]] > 0:
                sup.setdefault(ids[i], []).append(v)
    util = {p: (cost[p] if utility == "cost" else 1) for p in ids}
    money = [Fraction(e.budget, n)] * n if n else []

    def rho_of(p):
        voters = sorted(sup[p], key=lambda i: money[i])
        for k in range(len(voters)):
            rho = (cost[p] - sum((money[i] for i in voters[:k]), Fraction(0))) / (util[p] * (len(voters) - k))
            if rho * util[p] <= money[voters[k]]:
                return rho
        return None

    funded = [p for p in ids if p in sup and cost[p] == 0]  # free projects, funded up front
    rounds = []
    for step in range(len(order) if order is not None else len(ids)):
        if order is not None:
            best = (rho_of(order[step]), order[step])
        else:
            best = None
            for p in sorted(set(sup) - set(funded)):
                if sum(money[i] for i in sup[p]) >= cost[p]:
                    rho = rho_of(p)
                    if best is None or rho < best[0]:
                        best = (rho, p)
            if best is None:
                break
        rho, p = best
        for i in sup[p]:
            money[i] -= min(money[i], rho * util[p])
        funded.append(p)
        rounds.append((p, rho))
    left = {p: sum((money[i] for i in sup[p]), Fraction(0)) for p in set(sup) - set(funded)}
    return rounds, left


def assert_mes_explained_exactly(e: Election, utility: str, replay: bool = False) -> None:
    r = allocate(e, f"mes:{utility}")
    got = [(s.project, s.numbers["rho"]) for s in r.steps if s.kind == "fund"]
    rounds, left = textbook_mes(e, utility, [p for p, _ in got] if replay else None)
    assert got == rounds
    assert {p: d.numbers["left"] for p, d in r.decisions.items() if d.reason == "mes_no_money"} == left


@SETTINGS
@given(elections(vote_type="approval"), st.sampled_from(["cost", "cardinality"]))
def test_mes_rounds_and_money_left_are_exact(e, utility):
    """Every round's rho and the money left with each unfunded project's supporters, as the explanation
    states them, equal the textbook run's -- also when a voter with nothing left supports a later winner."""
    assert_mes_explained_exactly(e, utility)


def test_mes_explanation_exact_when_a_voter_with_nothing_left_supports_later_winners():
    # budget 6, 1.5 each, cost utility.  Round 1: project 1 (cost 3), voters 3 and 4 pay 1.5 each, all they
    # have (rho 1/2).  Round 2: project 2 (cost 1) by voter 2 alone (rho 1; voter 4 supports it with 0).
    # Round 3: project 3 (cost 1) by voter 1 (rho 1; voter 4 again with 0).  Voter 1 keeps 1/2 for project 0.
    e = Election.from_ballots([("0", 6), ("1", 3), ("2", 1), ("3", 1)],
                              [["3", "0"], ["2"], ["0", "1"], ["1", "0", "3", "2"]], 6)
    assert textbook_mes(e, "cost") == ([("1", Fraction(1, 2)), ("2", Fraction(1)), ("3", Fraction(1))],
                                       {"0": Fraction(1, 2)})
    assert_mes_explained_exactly(e, "cost")


@pytest.mark.parametrize("utility", ["cost", "cardinality"])
def test_mes_explanation_exact_on_a_large_election(utility):
    """Warszawa 2020: thousands of voters with nothing left support later winners (their round must stay the
    one their money ran out); rho and money left equal an exact replay of the same winners."""
    from pbfiles import shared_election
    assert_mes_explained_exactly(shared_election("Poland_Warszawa_2020_Praga-Poludnie.pb"), utility, replay=True)
