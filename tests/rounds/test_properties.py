"""Property tests: accepted ballots never break the budget or point limits; codes survive typing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.errors import ValidationError
from toolkit.rounds.ballots import check_ballot
from toolkit.rounds.codes import ALPHABET, CODE_LENGTH, check_char, format_code, is_valid, normalise_code
from toolkit.rounds.settings import Cumulative, Knapsack

from .conftest import COSTS, make_settings

KNAPSACK = make_settings(Knapsack(min_spend_fen=1_000_000))
CUMULATIVE = make_settings(Cumulative(points=10, per_project_cap=4))
IDS = list(COSTS) + ["p9", ""]
ANY_VALUE = st.one_of(st.integers(-5, 12), st.floats(allow_nan=True), st.text(max_size=3), st.booleans(), st.none())
FAST = settings(max_examples=150, deadline=None)


@FAST
@given(st.lists(st.sampled_from(IDS), max_size=8))
def test_accepted_knapsack_ballot_never_exceeds_the_budget(picks):
    try:
        b = check_ballot(KNAPSACK, {"projects": picks})
    except ValidationError:
        return
    assert b.cost_fen == sum(COSTS[p] for p in set(picks)) <= KNAPSACK.budget_fen
    assert b.cost_fen >= 1_000_000 and len(b.projects) == len(picks)


@FAST
@given(st.dictionaries(st.sampled_from(IDS), ANY_VALUE, max_size=7))
def test_accepted_cumulative_ballot_never_exceeds_the_points(points):
    try:
        b = check_ballot(CUMULATIVE, {"points": points})
    except ValidationError:
        return
    assert 0 < sum(b.points) <= 10 and all(0 < v <= 4 for v in b.points)
    assert all(type(v) is int for v in points.values())


@FAST
@given(st.recursive(ANY_VALUE, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                    max_leaves=8))
def test_check_ballot_is_total(anything):
    for s in (KNAPSACK, CUMULATIVE):
        for ballot in (anything, {"projects": anything}, {"points": anything}):
            try:
                check_ballot(s, ballot)
            except ValidationError:
                pass


CODES = st.text(ALPHABET, min_size=CODE_LENGTH - 1, max_size=CODE_LENGTH - 1).map(lambda d: d + check_char(d))


@FAST
@given(CODES, st.lists(st.sampled_from([" ", "-", "  ", "\u3000"]), min_size=CODE_LENGTH + 1, max_size=CODE_LENGTH + 1),
       st.lists(st.booleans(), min_size=CODE_LENGTH, max_size=CODE_LENGTH))
def test_normalisation_round_trips(code, seps, lower):
    assert normalise_code(format_code(code)) == code
    typed = "".join(s + (c.lower() if lo else c) for s, c, lo in zip(seps, code, lower)) + seps[-1]
    assert normalise_code(typed) == code


@FAST
@given(CODES, st.integers(0, CODE_LENGTH - 1), st.sampled_from(ALPHABET))
def test_a_single_character_typo_is_caught(code, position, char):
    typo = code[:position] + char + code[position + 1:]
    assert is_valid(typo) == (typo == code)
