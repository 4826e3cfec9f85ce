"""Score rows and score sheets: checking, grouping, and the score CSV format.

A score row is ``(scorer, tier, project, criterion, value)`` plus a conflict-of-interest flag;
a *sheet* is all rows of one scorer for one project. The CSV format, read by
``linli score aggregate`` and written by :func:`format_score_csv` / :func:`write_score_csv`::

    scorer,tier,project,criterion,value,conflict
    s1,community,P01,relevance,8,0

``conflict`` is optional (0/1, default 0). The table form (:func:`score_frame`) is a pandas frame
with exactly these columns: ``scorer``, ``tier``, ``project``, ``criterion`` (str), ``value``
(:class:`~fractions.Fraction`, or ``None`` on a conflict declaration row), ``conflict`` (bool).

Design decisions
----------------
* Ids (scorer, tier, project, criterion) are strings, stripped of surrounding blanks.
* Values are exact Fractions read from their text: ``7``, ``7.5`` and ``15/2`` are all accepted;
  the writer uses the shortest exact text (a decimal when there is one, else ``p/q``), so a
  written file reads back to the same values.
* A sheet is conflicted if any of its rows has ``conflict = 1``. A conflicted scorer may declare
  the conflict without scoring: a row with ``conflict = 1`` and empty ``criterion`` and ``value``.
  Conflicted sheets are left out of everything (totals, normalisation, agreement), so their
  values cannot affect any result.
* Hard errors (:class:`~toolkit.errors.FileFormatError`, naming file, line and column): unknown
  tier or criterion, a value that is not a number or lies outside the rubric's scale, a
  repeated (scorer, project, criterion) — a duplicate sheet —, a scorer listed under two tiers,
  a conflict flag other than 0/1, missing ids, unknown or missing CSV columns.
* A sheet missing a criterion is *not* an error: it is incomplete, left out, and reported in
  the warnings naming scorer and project.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from fractions import Fraction
from os import PathLike
from pathlib import Path
from typing import Iterable

import pandas as pd

from toolkit.spreadsheets import read_cell, safe_cell
from toolkit.errors import FileFormatError
from toolkit.scoring.rubric import Rubric, exact

CSV_COLUMNS = ("scorer", "tier", "project", "criterion", "value", "conflict")
REQUIRED_COLUMNS = CSV_COLUMNS[:5]


@dataclass(frozen=True)
class ScoreRow:
    """One score: ``value`` for ``criterion`` given by ``scorer`` (of ``tier``) to ``project``.

    Numbers are stored as exact Fractions (floats via their shortest text: 0.1 -> 1/10).
    ``criterion`` is ``""`` and ``value`` is ``None`` on a bare conflict declaration.
    """

    scorer: str
    tier: str
    project: str
    criterion: str
    value: Fraction | None
    conflict: bool = False

    def __post_init__(self) -> None:
        if self.value is not None and not isinstance(self.value, Fraction):
            object.__setattr__(self, "value", exact(self.value))


@dataclass(frozen=True)
class Sheet:
    """All rows of one scorer for one project."""

    scorer: str
    tier: str
    project: str
    values: dict[str, Fraction] = field(hash=False)
    conflict: bool
    line: int  # first row of the sheet (CSV line, or 1-based row number)


@dataclass(frozen=True)
class SheetSet:
    """Checked sheets: ``used`` (complete, unconflicted), ``left_out`` (scorer, project, reason)."""

    used: tuple[Sheet, ...]
    left_out: tuple[tuple[str, str, str], ...]
    warnings: tuple[str, ...]
    projects: tuple[str, ...]  # every project seen in the rows, sorted


def _fraction(text: str) -> Fraction | None:
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def format_value(value: Fraction) -> str:
    """Shortest exact text of a value: ``8``, ``7.5``, ``-0.25`` or ``1/3``."""
    if value.denominator == 1:
        return str(value.numerator)
    d = value.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = value * 10**places
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def collect_sheets(rows: Iterable[tuple[int, ScoreRow]], rubric: Rubric, source: str | PathLike[str] = "<rows>") -> SheetSet:
    """Check numbered rows against ``rubric`` and group them into sheets.

    ``rows`` yields ``(line, row)``; errors name ``source`` and that line.
    """
    lo, hi = rubric.scale
    criteria = rubric.criterion_ids
    tiers = rubric.tier_ids
    seen: dict[tuple[str, str, str], int] = {}
    scorer_tier: dict[str, tuple[str, int]] = {}
    sheets: dict[tuple[str, str], dict] = {}
    for line, row in rows:
        for name in ("scorer", "tier", "project"):
            if not getattr(row, name):
                raise FileFormatError(source, f"{name} is empty", line=line, field=name, fix=f"write the {name} id")
        if row.tier not in tiers:
            raise FileFormatError(source, f"tier {row.tier!r} is not in rubric {rubric.ref}", line=line, field="tier", fix=f"use one of: {', '.join(tiers)}")
        if row.scorer in scorer_tier and scorer_tier[row.scorer][0] != row.tier:
            first_tier, first_line = scorer_tier[row.scorer]
            raise FileFormatError(
                source,
                f"scorer {row.scorer!r} is in tier {row.tier!r} here but in tier {first_tier!r} on line {first_line}",
                line=line,
                field="tier",
                fix="a scorer belongs to one tier; correct the tier or use another scorer id",
            )
        scorer_tier.setdefault(row.scorer, (row.tier, line))
        sheet = sheets.setdefault((row.scorer, row.project), {"tier": row.tier, "values": {}, "conflict": False, "line": line})
        sheet["conflict"] = sheet["conflict"] or bool(row.conflict)
        if row.criterion == "" and row.value is None:
            if not row.conflict:
                raise FileFormatError(source, "criterion and value are empty", line=line, field="criterion", fix="fill them in, or set conflict to 1 to declare a conflict of interest")
            continue
        if row.criterion not in criteria:
            raise FileFormatError(
                source, f"unknown criterion {row.criterion!r} for rubric {rubric.ref}", line=line, field="criterion", fix=f"use one of: {', '.join(criteria)}"
            )
        if row.value is None and row.conflict:
            continue
        if row.value is None:
            raise FileFormatError(source, "value is empty", line=line, field="value", fix=f"write a number from {format_value(lo)} to {format_value(hi)}")
        if not lo <= row.value <= hi:
            raise FileFormatError(
                source,
                f"value {format_value(row.value)} is outside the scale {format_value(lo)}–{format_value(hi)} of rubric {rubric.ref}",
                line=line,
                field="value",
                fix=f"write a number from {format_value(lo)} to {format_value(hi)}",
            )
        key = (row.scorer, row.project, row.criterion)
        if key in seen:
            raise FileFormatError(
                source,
                f"duplicate sheet: scorer {row.scorer!r} already scored {row.criterion!r} for project {row.project!r} on line {seen[key]}",
                line=line,
                fix="keep one score sheet per scorer and project; delete the repeated rows",
            )
        seen[key] = line
        sheet["values"][row.criterion] = row.value
    used: list[Sheet] = []
    left_out: list[tuple[str, str, str]] = []
    warnings: list[str] = []
    for (scorer, project), s in sorted(sheets.items()):
        if s["conflict"]:
            left_out.append((scorer, project, "conflict of interest"))
            continue
        missing = [c for c in criteria if c not in s["values"]]
        if missing:
            left_out.append((scorer, project, "incomplete"))
            warnings.append(f"scorer {scorer!r}, project {project!r}: sheet incomplete (missing {', '.join(missing)}); left out")
            continue
        used.append(Sheet(scorer, s["tier"], project, dict(s["values"]), False, s["line"]))
    projects = tuple(sorted({p for _, p in sheets}))
    return SheetSet(tuple(used), tuple(left_out), tuple(warnings), projects)


def number_rows(rows: Iterable[ScoreRow] | pd.DataFrame) -> list[tuple[int, ScoreRow]]:
    """Rows from a list of :class:`ScoreRow` or a score frame, numbered from 1."""
    if isinstance(rows, pd.DataFrame):
        rows = rows_from_frame(rows)
    return [(i, r) for i, r in enumerate(rows, start=1)]


def score_frame(rows: Iterable[ScoreRow]) -> pd.DataFrame:
    """The rows as a frame with columns ``scorer, tier, project, criterion, value, conflict``."""
    records = [(r.scorer, r.tier, r.project, r.criterion, r.value, bool(r.conflict)) for r in rows]
    frame = pd.DataFrame(records, columns=list(CSV_COLUMNS))
    return frame.astype({"value": object, "conflict": bool})


def rows_from_frame(frame: pd.DataFrame) -> list[ScoreRow]:
    """Inverse of :func:`score_frame` (``conflict`` optional)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise FileFormatError("<frame>", f"missing columns {', '.join(missing)}", fix=f"give the frame columns {', '.join(CSV_COLUMNS)}")
    conflict = frame["conflict"] if "conflict" in frame.columns else [False] * len(frame)
    out = []
    for s, t, p, c, v, k in zip(frame["scorer"], frame["tier"], frame["project"], frame["criterion"], frame["value"], conflict):
        value = None if v is None or (isinstance(v, float) and v != v) else v
        out.append(ScoreRow(str(s), str(t), str(p), "" if c is None else str(c), value, bool(k)))
    return out


def parse_score_csv(text: str, path: str | PathLike[str] = "<string>") -> list[tuple[int, ScoreRow]]:
    """Parse score CSV text into ``(line, row)`` pairs; checks the columns, numbers and flags.

    Checks against a rubric happen in :func:`collect_sheets`.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FileFormatError(path, "the file is empty", line=1, fix=f"start with the header {','.join(CSV_COLUMNS)}") from None
    header = [h.strip() for h in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        problem = "; ".join(
            filter(None, [unknown and f"unknown columns {', '.join(unknown)}", missing and f"missing columns {', '.join(missing)}", len(set(header)) != len(header) and "a column is repeated"])
        )
        raise FileFormatError(path, problem, line=1, fix=f"use the header {','.join(CSV_COLUMNS)} (conflict is optional)")
    index = {name: header.index(name) for name in header}
    out: list[tuple[int, ScoreRow]] = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise FileFormatError(path, f"has {len(cells)} cells, the header has {len(header)}", line=line, fix="give every row one cell per column")
        get = {name: cells[i].strip() for name, i in index.items()}
        flag = get.get("conflict", "") or "0"
        if flag not in ("0", "1"):
            raise FileFormatError(path, f"conflict must be 0 or 1, got {flag!r}", line=line, field="conflict", fix="write 1 for a conflict of interest, else 0")
        value: Fraction | None = None
        if get["value"]:
            value = _fraction(get["value"])
            if value is None:
                raise FileFormatError(path, f"value {get['value']!r} is not a number", line=line, field="value", fix="write a number such as 7 or 7.5")
        out.append((line, ScoreRow(read_cell(get["scorer"]), read_cell(get["tier"]), read_cell(get["project"]), read_cell(get["criterion"]), value, flag == "1")))
    return out


def read_score_csv(path: str | PathLike[str]) -> list[tuple[int, ScoreRow]]:
    """Read a score CSV file (thin wrapper over :func:`parse_score_csv`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileFormatError(path, "file not found", fix="check the path") from None
    except UnicodeDecodeError:
        raise FileFormatError(path, "not UTF-8 text", fix="save the CSV as UTF-8") from None
    return parse_score_csv(text, path)


def format_score_csv(rows: Iterable[ScoreRow] | pd.DataFrame) -> str:
    """The rows as score CSV text, exactly the format ``linli score aggregate`` reads."""
    if isinstance(rows, pd.DataFrame):
        rows = rows_from_frame(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        # Text cells that a spreadsheet would run as formulas get a leading apostrophe; read back by parse_score_csv.
        writer.writerow([safe_cell(r.scorer), safe_cell(r.tier), safe_cell(r.project), safe_cell(r.criterion),
                         "" if r.value is None else format_value(r.value), "1" if r.conflict else "0"])
    return buffer.getvalue()


def write_score_csv(rows: Iterable[ScoreRow] | pd.DataFrame, path: str | PathLike[str]) -> Path:
    """Write :func:`format_score_csv` output to ``path`` (UTF-8) and return the path."""
    p = Path(path)
    p.write_text(format_score_csv(rows), encoding="utf-8")
    return p
