"""Finding 9: text that breaks formats. Every hostile string through every export: the tally's
score CSV and Excel file, the round's ballots CSV / Excel result, and the ``.pb`` file — which Linli
and pabutools (the reference reader, the ``oracle`` extra that ``make test`` installs) must read
back identically. No exported cell may start a formula. (On the code as it was, a reviewer named
``=HYPERLINK(...)`` became a live formula in the tally's Excel file and a title with ``;`` and a
newline made the exported ``.pb`` unreadable by Linli's own parser.)"""

from __future__ import annotations

import csv
import io
import re
from fractions import Fraction

import pandas as pd
import pytest
from openpyxl import load_workbook

from toolkit.budget.pabulib import parse_pabulib
from toolkit.round_results import round_pabulib
from toolkit.scoring import format_score_csv, parse_score_csv
from toolkit.scoring.sheets import ScoreRow
from toolkit.spreadsheets import FORMULA_START, csv_text, excel_bytes
from toolkit.text import one_line

from .corpus import HOSTILE


def assert_no_formula_cells(text: str) -> None:
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell


def test_score_csv_carries_no_formula_and_reads_back(tmp_path):
    rows = [ScoreRow(name, "community", f"P{i}", "need", Fraction(7), False) for i, name in enumerate(HOSTILE)]
    text = format_score_csv(rows)
    assert_no_formula_cells(text)
    back = [r.scorer for _line, r in parse_score_csv(text)]
    for got, name in zip(back, HOSTILE):
        sent = name.replace("\r\n", "\n").replace("\r", "\n")
        assert got in (sent, sent.strip(), sent.rstrip())  # the reader strips blanks the apostrophe does not guard


def test_excel_cells_are_text_never_formulas():
    frame = pd.DataFrame({"scorer": HOSTILE, "value": [7.5] * len(HOSTILE), "n": list(range(len(HOSTILE)))})
    wb = load_workbook(io.BytesIO(excel_bytes({"scores": frame})))
    ws = wb["scores"]
    cells = [row for row in ws.iter_rows(min_row=2)]
    for (name_cell, value_cell, n_cell), original in zip(cells, HOSTILE):
        assert name_cell.data_type == "s"
        held = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", " ", original)  # what a worksheet can hold
        assert name_cell.value == held.replace("\r\n", "\n").replace("\r", "\n")  # XML reads CR as LF
        assert value_cell.value == 7.5 and n_cell.data_type == "n"
        if original.startswith(FORMULA_START):
            assert name_cell.quotePrefix
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_ballots_csv_carries_no_formula():
    text = csv_text(["ballot", "project", "value"], [(1, name, 1) for name in HOSTILE])
    assert_no_formula_cells(text)


def hostile_round(names: list[str]) -> tuple[dict, list[dict[str, int]]]:
    projects = [dict(project_id=f"P{i}", name=name, name_en=name, cost_fen=100 * (i + 1), description="d", lon=None, lat=None)
                for i, name in enumerate(names)]
    round_ = dict(id=3, name=names[0], fund=names[1], budget_fen=10_000, ballot_type="approval", rule="greedy-votes",
                  points_total=0, max_picks=len(names), projects=projects)
    ballots = [{"P0": 1, "P1": 1}, {f"P{i}": 1 for i in range(0, len(names), 3)}, {"P2": 1}]
    return round_, ballots


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_pb_read_back_identically_by_linli_and_pabutools(name):
    from pabutools.election.pabulib import parse_pabulib_from_string

    names = [name, f"{name}!", "普通项目", name[::-1] or "x"]
    text = round_pabulib(*hostile_round(names))
    ours = parse_pabulib(text)
    instance, profile = parse_pabulib_from_string(text)
    theirs = {p.name: p for p in instance}
    assert [p.id for p in ours.projects] == sorted(theirs, key=lambda pid: [p.id for p in ours.projects].index(pid))
    for p in ours.projects:
        mine, reference = p.name, instance.project_meta[theirs[p.id]]["name"]
        assert mine == reference == one_line(names[int(p.id[1:])]).strip()
        assert Fraction(p.cost, ours.money_scale) == Fraction(theirs[p.id].cost)
    assert ours.meta["description"] == instance.meta["description"]
    ours_votes = [sorted(ours.projects[i].id for i in ours.ballots.items[ours.ballots.indptr[v]:ours.ballots.indptr[v + 1]])
                  for v in range(ours.ballots.count)]
    theirs_votes = [sorted(p.name for p in ballot) for ballot in profile]
    assert sorted(ours_votes) == sorted(theirs_votes)
    for p in ours.projects:  # one line, no control characters: the file stays line-readable
        assert "\n" not in dict(p.fields)["name"] and "\x00" not in dict(p.fields)["name"]
