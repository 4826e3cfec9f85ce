"""Property tests (hypothesis) for the aggregation."""

from fractions import Fraction as F

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.labels import Label
from toolkit.scoring import ScoreRow, aggregate
from toolkit.scoring.rubric import Criterion, Rubric

RUBRIC = Rubric(
    "prop", "1", "<prop>", None, (F(0), F(1000)),
    (Criterion("a", Label("甲", "A"), F(2)), Criterion("b", Label("乙", "B"), F(1))),
    (("community", F(1, 2)), ("street", F(3, 10)), ("district", F(1, 5))),
)
TIERS = ("community", "street", "district")
OPTIONS = st.fixed_dictionaries(
    {"within": st.sampled_from(["mean", "median", "trimmed"]), "normalise": st.sampled_from(["none", "zscore", "rank"])}
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def score_sets(draw):
    """Up to 5 scorers (each in one tier) x up to 4 projects; some sheets conflicted or absent."""
    n_scorers = draw(st.integers(1, 5))
    projects = [f"P{i}" for i in range(draw(st.integers(1, 4)))]
    rows = []
    for s in range(n_scorers):
        tier = draw(st.sampled_from(TIERS))
        for p in projects:
            if draw(st.booleans()) or (s == 0):
                conflict = draw(st.integers(0, 4)) == 0 and s != 0
                for c in ("a", "b"):
                    rows.append(ScoreRow(f"s{s}", tier, p, c, draw(st.integers(0, 10)), conflict))
    return rows


@SETTINGS
@given(rows=score_sets(), options=OPTIONS, data=st.data())
def test_reordering_rows_changes_nothing(rows, options, data):
    shuffled = data.draw(st.permutations(rows))
    first, second = aggregate(rows, RUBRIC, **options), aggregate(shuffled, RUBRIC, **options)
    assert first.projects == second.projects
    assert first.agreement == second.agreement
    assert sorted(first.warnings) == sorted(second.warnings)


@SETTINGS
@given(rows=score_sets(), within=st.sampled_from(["mean", "median", "trimmed"]), c=st.fractions(min_value=F(1, 10), max_value=F(100)), data=st.data())
def test_scaling_one_scorer_keeps_the_zscore_ranking(rows, within, c, data):
    scorer = data.draw(st.sampled_from(sorted({r.scorer for r in rows})))
    scaled = [ScoreRow(r.scorer, r.tier, r.project, r.criterion, r.value * c if r.scorer == scorer else r.value, r.conflict) for r in rows]
    before = aggregate(rows, RUBRIC, within=within, normalise="zscore")
    after = aggregate(scaled, RUBRIC, within=within, normalise="zscore")
    assert after.order == before.order
    assert [p.total for p in after.projects] == [p.total for p in before.projects]


@SETTINGS
@given(rows=score_sets(), options=OPTIONS, data=st.data())
def test_a_conflicted_scorer_never_affects_that_project(rows, options, data):
    conflicted = sorted({(r.scorer, r.project) for r in rows if r.conflict})
    if not conflicted:
        rows = rows + [ScoreRow("sx", "street", rows[0].project, c, 7, True) for c in ("a", "b")]
        conflicted = [("sx", rows[0].project)]
    scorer, project = data.draw(st.sampled_from(conflicted))
    new = data.draw(st.integers(0, 1000))
    changed = [ScoreRow(r.scorer, r.tier, r.project, r.criterion, new, True) if (r.scorer, r.project) == (scorer, project) else r for r in rows]
    removed = [r for r in rows if (r.scorer, r.project) != (scorer, project)]
    base = aggregate(rows, RUBRIC, **options)
    # any other values on the conflicted sheet: nothing changes at all
    assert aggregate(changed, RUBRIC, **options).projects == base.projects
    # the sheet left out entirely: that project's total is the same (or it stays unranked)
    without = aggregate(removed, RUBRIC, **options)
    if project in base.order:
        assert without.total(project) == base.total(project)
    else:
        assert project not in without.order
