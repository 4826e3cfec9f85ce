"""Property tests on generated elections."""

from fractions import Fraction

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
