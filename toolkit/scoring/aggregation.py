"""Aggregating three-tier rubric scores into a ranking.

Default aggregation (outside checks rely on it)
-----------------------------------------------
1. A scorer's total for a project = Σ_c weight_c × value_c / Σ_c weight_c over the rubric's
   criteria. A sheet missing a criterion is incomplete and left out, with a warning naming
   scorer and project.
2. A tier's score for a project = the mean of its scorers' totals; scorers flagged with a
   conflict of interest for that project are left out.
3. The project total = Σ_t W_t × tier_t / Σ_t W_t over the tiers that scored it.
4. Rank by total, descending; equal totals take consecutive ranks in ascending project id.

Options (registries :data:`WITHIN` and :data:`NORMALISE`; unknown ids list the valid ones)
-----------------------------------------------------------------------------------------
* ``within``: ``mean`` (default), ``median`` (mean of the two middle totals when their number
  is even), ``trimmed`` — drop the ``trim`` lowest and ``trim`` highest totals (default 1:
  去掉一个最高分、一个最低分) and average the rest; when a tier has ``2 × trim`` scorers or
  fewer for a project nothing is dropped.
* ``normalise`` (per scorer, applied to the scorer's totals over the projects on the scorer's
  used sheets, before the tier step): ``none``; ``zscore`` — (total − mean) / standard
  deviation (population, ÷ n); a scorer whose totals are all equal (or who scored one project)
  gets 0 everywhere, with a warning; ``rank`` — mid-rank among the scorer's projects, lowest
  first, mapped to [0, 1] by (rank − 1)/(n − 1), ½ for a single project. Both take out harsh
  and lenient scorers; ``rank`` also takes out how far apart a scorer spreads projects.
* Resident votes (``votes`` = project → count, ``vote_weight`` = λ in [0, 1]): the total becomes
  (1 − λ) × expert total + λ × vote score. The vote score is on the same footing as the
  expert totals: with ``normalise = none`` it is low + (high − low) × votes / most votes (the
  rubric's scale; all low when nobody voted), with ``zscore`` or ``rank`` the vote counts are
  normalised across the ranked projects exactly as a scorer's totals are. Projects without a
  count have 0 votes; counts for projects nobody scored are ignored with a warning.

Design decisions
----------------
* Exact arithmetic: values and weights are Fractions, so totals and ties are exact and the
  result does not depend on the order of the rows. The z-score needs a square root: each
  scorer's deviations are first divided exactly by their largest absolute deviation (so the
  result is *exactly* unchanged when a scorer's values are multiplied by a positive constant
  or shifted), then divided by the standard deviation of those, taken as a 40-digit decimal
  square root. Two totals that are equal only through an irrational coincidence may therefore
  differ in the 40th digit.
* Conflicted and incomplete sheets are removed before anything else, so they can influence
  neither normalisation, nor tier scores, nor agreement.
* A project is ranked when at least one tier with a positive weight has a used sheet for it;
  others are listed in the warnings.
* Project ids are strings; "ascending project id" is Python's string order (code points), so
  ``P10`` comes before ``P2`` — use zero-padded ids (``P02``) for a natural order. Ranks are
  1-based and consecutive (no shared ranks).
* Agreement: Kendall's W (tie-corrected, :mod:`toolkit.scoring.agreement`) per tier on the
  scorers' raw totals (normalisation is order-preserving per scorer, so W is the same). W needs
  complete rankings: it is computed over the projects that *every* used scorer of the tier
  scored; projects outside that common set are named in a warning. With fewer than two
  scorers or common projects W is ``None`` (JSON ``null``), with a warning.
* JSON: totals and W are written as floats (the nearest double to the exact value); ranking
  and ties are decided on the exact values before that conversion. Output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from statistics import median
from typing import Callable, Iterable, Mapping

import pandas as pd

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.scoring.agreement import kendall_w, midranks
from toolkit.scoring.rubric import Rubric, exact
from toolkit.scoring.sheets import ScoreRow, SheetSet, collect_sheets, number_rows

SQRT_DIGITS = 40


def _mean(values: list[Fraction], trim: int) -> Fraction:
    return sum(values, Fraction(0)) / len(values)


def _median(values: list[Fraction], trim: int) -> Fraction:
    return Fraction(median(sorted(values)))


def _trimmed(values: list[Fraction], trim: int) -> Fraction:
    ordered = sorted(values)
    if len(ordered) > 2 * trim:
        ordered = ordered[trim : len(ordered) - trim]
    return sum(ordered, Fraction(0)) / len(ordered)


WITHIN: dict[str, Callable[[list[Fraction], int], Fraction]] = {"mean": _mean, "median": _median, "trimmed": _trimmed}
"""Within-tier aggregators: id -> f(totals of the tier's scorers, trim)."""


def _sqrt(q: Fraction) -> Fraction:
    with localcontext() as ctx:
        ctx.prec = SQRT_DIGITS
        return Fraction((Decimal(q.numerator) / Decimal(q.denominator)).sqrt())


def _no_normalisation(totals: dict[str, Fraction]) -> tuple[dict[str, Fraction], bool]:
    return dict(totals), True


def _zscore(totals: dict[str, Fraction]) -> tuple[dict[str, Fraction], bool]:
    n = len(totals)
    mean = sum(totals.values(), Fraction(0)) / n
    deviations = {p: t - mean for p, t in totals.items()}
    largest = max(abs(d) for d in deviations.values())
    if largest == 0:
        return {p: Fraction(0) for p in totals}, False
    scaled = {p: d / largest for p, d in deviations.items()}
    sd = _sqrt(sum((y * y for y in scaled.values()), Fraction(0)) / n)
    return {p: y / sd for p, y in scaled.items()}, True


def _rank(totals: dict[str, Fraction]) -> tuple[dict[str, Fraction], bool]:
    ids = sorted(totals)
    n = len(ids)
    if n == 1:
        return {ids[0]: Fraction(1, 2)}, True
    ranks = midranks([totals[p] for p in ids])
    return {p: (r - 1) / (n - 1) for p, r in zip(ids, ranks)}, True


NORMALISE: dict[str, Callable[[dict[str, Fraction]], tuple[dict[str, Fraction], bool]]] = {
    "none": _no_normalisation,
    "zscore": _zscore,
    "rank": _rank,
}
"""Per-scorer normalisations: id -> f(project -> total) -> (project -> normalised, informative?)."""


@dataclass(frozen=True)
class Options:
    """How to aggregate; recorded with every ranking."""

    within: str = "mean"
    normalise: str = "none"
    trim: int = 1
    vote_weight: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        errors = {}
        if self.within not in WITHIN:
            errors["within"] = Label(f"未知的组内汇总方式“{self.within}”，可选：{'、'.join(WITHIN)}", f"unknown within-tier option {self.within!r}; choose one of: {', '.join(WITHIN)}")
        if self.normalise not in NORMALISE:
            errors["normalise"] = Label(
                f"未知的标准化方式“{self.normalise}”，可选：{'、'.join(NORMALISE)}", f"unknown normalisation {self.normalise!r}; choose one of: {', '.join(NORMALISE)}"
            )
        if isinstance(self.trim, bool) or not isinstance(self.trim, int) or self.trim < 0:
            errors["trim"] = Label("去掉的最高分、最低分个数须为非负整数", f"trim must be a whole number 0 or more, got {self.trim!r}")
        weight = exact(self.vote_weight)
        object.__setattr__(self, "vote_weight", weight)
        if not 0 <= weight <= 1:
            errors["vote_weight"] = Label("居民投票权重须在 0 到 1 之间", f"vote weight must be between 0 and 1, got {float(weight)}")
        if errors:
            raise ValidationError(errors)

    def to_dict(self) -> dict:
        return {"within": self.within, "normalise": self.normalise, "trim": self.trim, "vote_weight": float(self.vote_weight)}


@dataclass(frozen=True)
class ProjectResult:
    id: str
    total: Fraction
    rank: int
    tiers: tuple[tuple[str, Fraction], ...]  # tier id -> tier score, for the tiers that scored it
    expert: Fraction  # the total before blending with votes (== total without votes)
    vote_score: Fraction | None = None


@dataclass(frozen=True)
class Ranking:
    """The result of :func:`aggregate`, with its trace: what was left out and why."""

    rubric_ref: str
    options: Options
    projects: tuple[ProjectResult, ...]  # in rank order
    agreement: tuple[tuple[str, Fraction | None], ...]  # tier id -> Kendall's W
    warnings: tuple[str, ...]
    left_out: tuple[tuple[str, str, str], ...] = field(default=())  # (scorer, project, reason)

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.projects)

    def total(self, project: str) -> Fraction:
        for p in self.projects:
            if p.id == project:
                return p.total
        raise KeyError(project)

    def to_dict(self) -> dict:
        """JSON-ready: ``{"rubric", "options", "projects": [{"id", "total", "rank"}], "agreement", "warnings"}``."""
        return {
            "rubric": self.rubric_ref,
            "options": self.options.to_dict(),
            "projects": [{"id": p.id, "total": float(p.total), "rank": p.rank} for p in self.projects],
            "agreement": {tier: None if w is None else float(w) for tier, w in self.agreement},
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        """Columns ``id``, ``rank``, ``total`` (float), then one float column per tier (NaN when
        the tier did not score the project)."""
        tiers = [t for t, _ in self.agreement]
        records = []
        for p in self.projects:
            scores = dict(p.tiers)
            records.append({"id": p.id, "rank": p.rank, "total": float(p.total), **{t: float(scores[t]) if t in scores else float("nan") for t in tiers}})
        return pd.DataFrame(records, columns=["id", "rank", "total", *tiers])


def scorer_totals(sheets: SheetSet, rubric: Rubric, criterion_weights: Mapping[str, Fraction] | None = None) -> dict[str, dict[str, Fraction]]:
    """scorer -> project -> weighted mean of the sheet's values (used sheets only)."""
    weights = dict(criterion_weights) if criterion_weights is not None else {c.id: c.weight for c in rubric.criteria}
    denominator = sum(weights.values(), Fraction(0))
    totals: dict[str, dict[str, Fraction]] = {}
    for sheet in sheets.used:
        total = sum((weights[c] * sheet.values[c] for c in rubric.criterion_ids), Fraction(0)) / denominator
        totals.setdefault(sheet.scorer, {})[sheet.project] = total
    return totals


def vote_scores(votes: Mapping[str, int | Fraction], projects: Iterable[str], rubric: Rubric, normalise: str) -> dict[str, Fraction]:
    """The vote score of each project, on the same footing as expert totals (see module doc)."""
    counts = {p: exact(votes.get(p, 0)) for p in projects}
    if not counts:
        return {}
    if normalise == "none":
        lo, hi = rubric.scale
        most = max(counts.values())
        return {p: lo if most == 0 else lo + (hi - lo) * v / most for p, v in counts.items()}
    return NORMALISE[normalise](counts)[0]


def _check_votes(votes: Mapping[str, int | Fraction]) -> None:
    for project, count in votes.items():
        if isinstance(count, bool) or not isinstance(count, (int, float, Fraction)) or count < 0:
            raise ValidationError({"votes": Label(f"项目“{project}”的票数须为非负数", f"vote count of project {project!r} must be a number 0 or more, got {count!r}")})


def aggregate(
    rows: Iterable[ScoreRow] | pd.DataFrame | SheetSet,
    rubric: Rubric,
    *,
    within: str = "mean",
    normalise: str = "none",
    trim: int = 1,
    votes: Mapping[str, int | Fraction] | None = None,
    vote_weight: Fraction | float | int = 0,
    source: str = "<rows>",
) -> Ranking:
    """Rank projects from score rows (a list of :class:`ScoreRow`, a score frame, or the
    :class:`SheetSet` from :func:`collect_sheets`). See the module docstring for the rules.

    >>> from toolkit.scoring.rubric import parse_rubric
    >>> r = parse_rubric('name = "r"\\nversion = "1"\\nscale = [0, 10]\\n[tiers]\\ncommunity = 1\\n'
    ...                  '[[criteria]]\\nid = "a"\\nlabel = { zh = "甲", en = "A" }\\nweight = 1\\n')
    >>> aggregate([ScoreRow("s1", "community", "P1", "a", 6), ScoreRow("s1", "community", "P2", "a", 9)], r).order
    ('P2', 'P1')
    """
    options = Options(within, normalise, trim, exact(vote_weight))
    if votes is not None:
        _check_votes(votes)
    sheets = rows if isinstance(rows, SheetSet) else collect_sheets(number_rows(rows), rubric, source)
    warnings = list(sheets.warnings)

    raw = scorer_totals(sheets, rubric)
    normalised: dict[str, dict[str, Fraction]] = {}
    for scorer in sorted(raw):
        values, informative = NORMALISE[options.normalise](raw[scorer])
        if not informative:
            warnings.append(f"scorer {scorer!r}: all totals are equal, so the z-score is 0 for every project")
        normalised[scorer] = values

    tier_of = {s.scorer: s.tier for s in sheets.used}
    by_tier_project: dict[tuple[str, str], list[Fraction]] = {}
    for scorer in sorted(normalised):
        for project, value in normalised[scorer].items():
            by_tier_project.setdefault((tier_of[scorer], project), []).append(value)

    tier_weights = dict(rubric.tiers)
    expert: dict[str, Fraction] = {}
    tier_scores: dict[str, tuple[tuple[str, Fraction], ...]] = {}
    for project in sheets.projects:
        scores = tuple(
            (tier, WITHIN[options.within](by_tier_project[(tier, project)], options.trim)) for tier in rubric.tier_ids if (tier, project) in by_tier_project
        )
        weight = sum((tier_weights[t] for t, _ in scores), Fraction(0))
        if weight == 0:
            why = "no complete score sheet without a conflict of interest" if not scores else "only tiers with weight 0 scored it"
            warnings.append(f"project {project!r}: {why}; not ranked")
            continue
        expert[project] = sum((tier_weights[t] * s for t, s in scores), Fraction(0)) / weight
        tier_scores[project] = scores

    totals = dict(expert)
    blended: dict[str, Fraction] = {}
    if votes is not None:
        for project in sorted(set(votes) - set(expert)):
            warnings.append(f"votes for project {project!r} ignored: it has no ranked expert score")
        if options.vote_weight > 0:
            blended = vote_scores(votes, sorted(expert), rubric, options.normalise)
            lam = options.vote_weight
            totals = {p: (1 - lam) * expert[p] + lam * blended[p] for p in expert}

    order = sorted(totals, key=lambda p: (-totals[p], p))
    projects = tuple(ProjectResult(p, totals[p], i, tier_scores[p], expert[p], blended.get(p)) for i, p in enumerate(order, start=1))

    agreement = []
    for tier in rubric.tier_ids:
        scorers = sorted(s for s in raw if tier_of[s] == tier)
        if not scorers:
            continue
        common = sorted(set.intersection(*(set(raw[s]) for s in scorers)))
        scored = sorted(set().union(*(set(raw[s]) for s in scorers)))
        if len(scorers) < 2 or len(common) < 2:
            agreement.append((tier, None))
            warnings.append(f"tier {tier!r}: agreement not computed (needs 2 scorers who all scored the same 2 or more projects)")
            continue
        if len(common) < len(scored):
            left = [p for p in scored if p not in common]
            warnings.append(f"tier {tier!r}: agreement computed on the {len(common)} projects every scorer scored; left out: {', '.join(left)}")
        w = kendall_w([[raw[s][p] for p in common] for s in scorers])
        if w is None:
            warnings.append(f"tier {tier!r}: agreement not computed (every scorer gave every project the same total)")
        agreement.append((tier, w))

    return Ranking(rubric.ref, options, projects, tuple(agreement), tuple(warnings), sheets.left_out)
