"""Hand-computed aggregation examples. The arithmetic is in the comments; nothing here was
obtained by running the code under test."""

import math
from fractions import Fraction as F

import pandas as pd
import pytest

from toolkit.errors import ValidationError
from toolkit.scoring import ScoreRow, aggregate, collect_sheets, read_score_csv, score_frame


def one(rows):
    """rows for rubric_one (criterion "a" only): (scorer, tier, project, value)."""
    return [ScoreRow(s, t, p, "a", v) for s, t, p, v in rows]


def test_default_three_tier_example(data, small_rubric):
    # rubric_small: weights a = 2, b = 1; tiers community 0.5, street 0.3, district 0.2.
    # Scorer totals (2a + b) / 3:
    #   c1 (community): P1 (16+5)/3 = 7    P2 (12+9)/3 = 7    P3 (8+1)/3 = 3
    #   c2 (community): P1 (18+6)/3 = 8    P2 (10+2)/3 = 4    P3 (14+4)/3 = 6
    #   s1 (street):    P1 (12+6)/3 = 6    P2 (18+6)/3 = 8    P3 (6+6)/3 = 4
    #   d1 (district):  P1 (10+5)/3 = 5    P2 (20+7)/3 = 9    P3 conflicted -> left out
    # Tier scores: community P1 (7+8)/2 = 7.5, P2 (7+4)/2 = 5.5, P3 (3+6)/2 = 4.5
    #              street P1 6, P2 8, P3 4; district P1 5, P2 9, P3 none
    # Totals: P1 = 0.5*7.5 + 0.3*6 + 0.2*5 = 3.75 + 1.8 + 1.0 = 6.55
    #         P2 = 0.5*5.5 + 0.3*8 + 0.2*9 = 2.75 + 2.4 + 1.8 = 6.95
    #         P3 = (0.5*4.5 + 0.3*4) / (0.5 + 0.3) = 3.45 / 0.8 = 4.3125
    path = data / "valid" / "scores_default.csv"
    ranking = aggregate(collect_sheets(read_score_csv(path), small_rubric, path), small_rubric)
    assert ranking.order == ("P2", "P1", "P3")
    assert [p.total for p in ranking.projects] == [F("6.95"), F("6.55"), F("4.3125")]
    assert [p.rank for p in ranking.projects] == [1, 2, 3]
    assert dict(ranking.projects[2].tiers) == {"community": F("4.5"), "street": F(4)}
    assert ("d1", "P3", "conflict of interest") in ranking.left_out
    # Community agreement, Kendall's W with a tie (ranks lowest total first):
    #   c1 totals (7, 7, 3) -> ranks P1 2.5, P2 2.5, P3 1;  c2 (8, 4, 6) -> P1 3, P2 1, P3 2
    #   R = (5.5, 3.5, 3), mean m(n+1)/2 = 4, S = 2.25 + 0.25 + 1 = 3.5
    #   ties: c1 has one pair -> 2^3 - 2 = 6
    #   W = 12*3.5 / (2^2 * (27 - 3) - 2*6) = 42 / 84 = 1/2
    assert dict(ranking.agreement) == {"community": F(1, 2), "street": None, "district": None}
    assert ranking.to_dict()["agreement"] == {"community": 0.5, "street": None, "district": None}
    assert any("tier 'street'" in w for w in ranking.warnings)


def test_result_records_rubric_and_options(data, small_rubric):
    path = data / "valid" / "scores_default.csv"
    out = aggregate(collect_sheets(read_score_csv(path), small_rubric, path), small_rubric, within="median").to_dict()
    assert out["rubric"] == "small@1"
    assert out["options"] == {"within": "median", "normalise": "none", "trim": 1, "vote_weight": 0.0}
    assert out["projects"][0] == {"id": "P2", "total": 6.95, "rank": 1}


def test_incomplete_sheet_is_left_out_with_a_warning_naming_scorer_and_project(small_rubric):
    rows = [
        ScoreRow("c1", "community", "P1", "a", 8), ScoreRow("c1", "community", "P1", "b", 5),
        ScoreRow("c2", "community", "P1", "a", 2),  # no "b": incomplete
    ]
    ranking = aggregate(rows, small_rubric)
    # only c1 counts: (16 + 5) / 3 = 7
    assert ranking.total("P1") == 7
    assert "scorer 'c2', project 'P1': sheet incomplete (missing b); left out" in ranking.warnings


def test_equal_totals_take_consecutive_ranks_in_ascending_id(one_rubric):
    rows = one([("s1", "community", "P3", 5), ("s1", "community", "P10", 5), ("s1", "community", "P2", 5), ("s1", "community", "P1", 9)])
    ranking = aggregate(rows, one_rubric)
    # P1 = 9 first; the three 5s in string order: "P10" < "P2" < "P3"
    assert ranking.order == ("P1", "P10", "P2", "P3")
    assert [p.rank for p in ranking.projects] == [1, 2, 3, 4]


def test_tiers_that_did_not_score_a_project_are_left_out_of_its_weights(one_rubric):
    # tiers community 0.5, street 0.5. P1: community 8, street 4 -> (4 + 2) / 1 = 6.
    # P2: only street scored 7 -> 0.5*7 / 0.5 = 7.
    rows = one([("c", "community", "P1", 8), ("s", "street", "P1", 4), ("s", "street", "P2", 7)])
    ranking = aggregate(rows, one_rubric)
    assert [(p.id, p.total) for p in ranking.projects] == [("P2", 7), ("P1", 6)]


def test_project_with_only_conflicted_sheets_is_not_ranked(one_rubric):
    rows = [ScoreRow("c", "community", "P1", "a", 8), ScoreRow("c", "community", "P2", "", None, conflict=True)]
    ranking = aggregate(rows, one_rubric)
    assert ranking.order == ("P1",)
    assert any("project 'P2'" in w and "not ranked" in w for w in ranking.warnings)


# Within-tier options. rubric_one, community tier only, so the total is the tier score.
#   P1 totals from s1..s5: 1, 2, 3, 9, 10
#   P2: 4, 4, 4, 4, 4
#   P3: 0, 5, 5, 5, 9
WITHIN_ROWS = one(
    [(f"s{i + 1}", "community", p, v) for p, values in {"P1": [1, 2, 3, 9, 10], "P2": [4] * 5, "P3": [0, 5, 5, 5, 9]}.items() for i, v in enumerate(values)]
)


@pytest.mark.parametrize(
    "within, trim, totals",
    [
        # mean: P1 25/5 = 5, P2 4, P3 24/5 = 4.8
        ("mean", 1, {"P1": F(5), "P3": F(24, 5), "P2": F(4)}),
        # median (middle of 5): P1 3, P2 4, P3 5
        ("median", 1, {"P3": F(5), "P2": F(4), "P1": F(3)}),
        # trimmed, drop 1 lowest and 1 highest: P1 (2+3+9)/3 = 14/3, P2 4, P3 (5+5+5)/3 = 5
        ("trimmed", 1, {"P3": F(5), "P1": F(14, 3), "P2": F(4)}),
        # trimmed, drop 2 each end: P1 3, P2 4, P3 5
        ("trimmed", 2, {"P3": F(5), "P2": F(4), "P1": F(3)}),
        # trimmed, drop 3 each end: 5 scorers <= 2*3, nothing dropped -> the mean
        ("trimmed", 3, {"P1": F(5), "P3": F(24, 5), "P2": F(4)}),
    ],
)
def test_within_tier_options(one_rubric, within, trim, totals):
    ranking = aggregate(WITHIN_ROWS, one_rubric, within=within, trim=trim)
    assert [(p.id, p.total) for p in ranking.projects] == list(totals.items())


def test_median_of_an_even_number_is_the_mean_of_the_middle_two(one_rubric):
    # P1: 2, 9, 4, 5 -> sorted 2 4 5 9 -> (4+5)/2 = 4.5 (mean would be 5)
    # P2: 6, 1, 6, 5 -> sorted 1 5 6 6 -> (5+6)/2 = 5.5 (mean would be 4.5)
    rows = one([(f"s{i}", "community", "P1", v) for i, v in enumerate([2, 9, 4, 5])] + [(f"s{i}", "community", "P2", v) for i, v in enumerate([6, 1, 6, 5])])
    assert [(p.id, p.total) for p in aggregate(rows, one_rubric, within="median").projects] == [("P2", F(11, 2)), ("P1", F(9, 2))]
    assert aggregate(rows, one_rubric).order == ("P1", "P2")


# Normalisation. Three community scorers, three projects (rubric_one, total = value):
#   s1 (harsh):   P1 2, P2 4, P3 3
#   s2 (lenient): P1 8, P2 6, P3 10
#   s3:           P1 5, P2 5, P3 9
# Raw means: P1 15/3 = 5, P2 15/3 = 5, P3 22/3 -> P3, P1, P2 (P1/P2 tie, by id)
NORM_ROWS = one(
    [("s1", "community", "P1", 2), ("s1", "community", "P2", 4), ("s1", "community", "P3", 3),
     ("s2", "community", "P1", 8), ("s2", "community", "P2", 6), ("s2", "community", "P3", 10),
     ("s3", "community", "P1", 5), ("s3", "community", "P2", 5), ("s3", "community", "P3", 9)]
)


def test_no_normalisation_baseline(one_rubric):
    ranking = aggregate(NORM_ROWS, one_rubric)
    assert [(p.id, p.total) for p in ranking.projects] == [("P3", F(22, 3)), ("P1", F(5)), ("P2", F(5))]


def test_zscore_normalisation(one_rubric):
    # s1: mean 3, deviations (-1, 1, 0), variance 2/3, sd sqrt(2/3): z = (-sqrt(3/2), sqrt(3/2), 0)
    # s2: mean 8, deviations (0, -2, 2), variance 8/3, sd sqrt(8/3): z = (0, -sqrt(3/2), sqrt(3/2))
    # s3: mean 19/3, deviations (-4/3, -4/3, 8/3), variance (16+16+64)/27 = 32/9, sd 4*sqrt(2)/3:
    #     z = (-1/sqrt(2), -1/sqrt(2), sqrt(2))
    # Tier means: P1 (-sqrt(3/2) + 0 - 1/sqrt(2)) / 3, P2 (0 - 1/sqrt(2)) / 3, P3 (sqrt(3/2) + sqrt(2)) / 3
    a, b = math.sqrt(1.5), 1 / math.sqrt(2)
    expected = {"P3": (a + 2 * b) / 3, "P2": -b / 3, "P1": (-a - b) / 3}  # 0.87965, -0.23570, -0.64395
    ranking = aggregate(NORM_ROWS, one_rubric, normalise="zscore")
    assert ranking.order == ("P3", "P2", "P1")
    for p in ranking.projects:
        assert float(p.total) == pytest.approx(expected[p.id], abs=1e-12)


def test_zscore_of_a_scorer_with_equal_totals_is_zero_with_a_warning(one_rubric):
    # s1: (2, 4) -> mean 3, sd 1 -> z (-1, 1); s2 gives 7 and 7 -> z (0, 0) and a warning.
    # Tier means: P1 (-1 + 0)/2 = -1/2, P2 (1 + 0)/2 = 1/2
    rows = one([("s1", "community", "P1", 2), ("s1", "community", "P2", 4), ("s2", "community", "P1", 7), ("s2", "community", "P2", 7)])
    ranking = aggregate(rows, one_rubric, normalise="zscore")
    assert [(p.id, p.total) for p in ranking.projects] == [("P2", F(1, 2)), ("P1", F(-1, 2))]
    assert any("scorer 's2'" in w and "z-score is 0" in w for w in ranking.warnings)


def test_rank_normalisation(one_rubric):
    # Mid-ranks, lowest total first, mapped by (rank - 1) / (n - 1) with n = 3:
    #   s1 (2, 4, 3): ranks 1, 3, 2 -> 0, 1, 1/2
    #   s2 (8, 6, 10): ranks 2, 1, 3 -> 1/2, 0, 1
    #   s3 (5, 5, 9): ranks 1.5, 1.5, 3 -> 1/4, 1/4, 1
    # Means: P1 (0 + 1/2 + 1/4)/3 = 1/4, P2 (1 + 0 + 1/4)/3 = 5/12, P3 (1/2 + 1 + 1)/3 = 5/6
    ranking = aggregate(NORM_ROWS, one_rubric, normalise="rank")
    assert [(p.id, p.total) for p in ranking.projects] == [("P3", F(5, 6)), ("P2", F(5, 12)), ("P1", F(1, 4))]


def test_blending_with_resident_votes(one_rubric):
    # Expert totals (raw means) P1 5, P2 5, P3 22/3. Votes P1 30, P2 60, P3 none (= 0).
    # Vote scores on the scale 0-10: 10 * votes / 60 -> P1 5, P2 10, P3 0.
    # With weight 1/4: P1 3/4*5 + 1/4*5 = 5; P2 3/4*5 + 1/4*10 = 6.25; P3 3/4*22/3 + 0 = 5.5
    ranking = aggregate(NORM_ROWS, one_rubric, votes={"P1": 30, "P2": 60}, vote_weight=F(1, 4))
    assert [(p.id, p.total) for p in ranking.projects] == [("P2", F(25, 4)), ("P3", F(11, 2)), ("P1", F(5))]
    assert ranking.projects[0].expert == 5 and ranking.projects[0].vote_score == 10


def test_blending_votes_with_rank_normalisation(one_rubric):
    # Expert (rank-normalised, above): P1 1/4, P2 5/12, P3 5/6.
    # Votes (30, 60, 0) rank-normalised like a scorer: P3 rank 1 -> 0, P1 rank 2 -> 1/2, P2 rank 3 -> 1.
    # Weight 1/2: P1 (1/4 + 1/2)/2 = 3/8; P2 (5/12 + 1)/2 = 17/24; P3 (5/6 + 0)/2 = 5/12
    ranking = aggregate(NORM_ROWS, one_rubric, normalise="rank", votes={"P1": 30, "P2": 60, "P3": 0}, vote_weight=0.5)
    assert [(p.id, p.total) for p in ranking.projects] == [("P2", F(17, 24)), ("P3", F(5, 12)), ("P1", F(3, 8))]


def test_votes_for_unscored_projects_are_ignored_with_a_warning(one_rubric):
    ranking = aggregate(NORM_ROWS, one_rubric, votes={"P9": 5}, vote_weight=0.5)
    assert any("'P9'" in w for w in ranking.warnings)
    # nobody voted for a scored project -> every vote score is the low end 0:
    # P1 5/2, P2 5/2, P3 11/3
    assert [(p.id, p.total) for p in ranking.projects] == [("P3", F(11, 3)), ("P1", F(5, 2)), ("P2", F(5, 2))]


@pytest.mark.parametrize(
    "kwargs, field",
    [({"within": "mode"}, "within"), ({"normalise": "minmax"}, "normalise"), ({"trim": -1}, "trim"), ({"vote_weight": 2}, "vote_weight")],
)
def test_unknown_options_list_the_valid_ones(one_rubric, kwargs, field):
    with pytest.raises(ValidationError) as info:
        aggregate(NORM_ROWS, one_rubric, **kwargs)
    assert field in info.value.errors
    if field == "within":
        assert "mean, median, trimmed" in str(info.value)


def test_accepts_a_score_frame(one_rubric):
    frame = score_frame(NORM_ROWS)
    assert list(frame.columns) == ["scorer", "tier", "project", "criterion", "value", "conflict"]
    assert aggregate(frame, one_rubric) == aggregate(NORM_ROWS, one_rubric)


def test_ranking_frame(data, small_rubric):
    path = data / "valid" / "scores_default.csv"
    frame = aggregate(collect_sheets(read_score_csv(path), small_rubric, path), small_rubric).to_frame()
    assert list(frame.columns) == ["id", "rank", "total", "community", "street", "district"]
    assert frame["id"].tolist() == ["P2", "P1", "P3"]
    assert pd.isna(frame.loc[2, "district"]) and frame.loc[2, "street"] == 4.0
