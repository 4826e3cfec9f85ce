"""Rubric scoring for the three-tier team: rubrics, score sheets, aggregation, agreement,
sensitivity. Pure functions; the CLI (``linli score``) and the pages only call them.

Layers, one way: ``rubric`` → ``sheets`` → ``agreement`` → ``aggregation`` → ``sensitivity``
→ ``cli``.
"""

from toolkit.scoring.aggregation import NORMALISE, WITHIN, Options, ProjectResult, Ranking, aggregate, scorer_totals, vote_scores
from toolkit.scoring.agreement import kendall_w, midranks
from toolkit.scoring.rubric import Criterion, Rubric, load_rubric, parse_rubric
from toolkit.scoring.sensitivity import Sensitivity, Swap, sensitivity
from toolkit.scoring.sheets import (
    CSV_COLUMNS,
    ScoreRow,
    Sheet,
    SheetSet,
    collect_sheets,
    format_score_csv,
    parse_score_csv,
    read_score_csv,
    rows_from_frame,
    score_frame,
    write_score_csv,
)

__all__ = [
    "CSV_COLUMNS", "Criterion", "NORMALISE", "Options", "ProjectResult", "Ranking", "Rubric", "ScoreRow",
    "Sensitivity", "Sheet", "SheetSet", "Swap", "WITHIN", "aggregate", "collect_sheets", "format_score_csv",
    "kendall_w", "load_rubric", "midranks", "parse_rubric", "parse_score_csv", "read_score_csv",
    "rows_from_frame", "score_frame", "scorer_totals", "sensitivity", "vote_scores", "write_score_csv",
]
