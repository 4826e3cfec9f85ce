from fractions import Fraction as F

import pytest

from toolkit.errors import FileFormatError
from toolkit.scoring import (
    ScoreRow, aggregate, collect_sheets, format_score_csv, parse_score_csv, read_score_csv, rows_from_frame, score_frame, write_score_csv,
)
from toolkit.scoring.sheets import format_value


@pytest.mark.parametrize("value, text", [(F(8), "8"), (F(15, 2), "7.5"), (F(-1, 4), "-0.25"), (F(1, 3), "1/3"), (F(1, 20), "0.05"), (F(0), "0")])
def test_format_value_is_exact_and_reads_back(value, text):
    assert format_value(value) == text
    assert F(text) == value


def test_written_csv_reads_back_to_the_same_rows(tmp_path, small_rubric):
    rows = [
        ScoreRow("张老师", "district", "P01", "a", F(15, 2)),
        ScoreRow("张老师", "district", "P01", "b", 0.1),  # float -> exactly 1/10
        ScoreRow("c,1", "community", "P01", "a", F(1, 3)),  # comma in an id is quoted
        ScoreRow("c,1", "community", "P02", "", None, conflict=True),  # a bare conflict declaration
    ]
    path = write_score_csv(rows, tmp_path / "scores.csv")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "scorer,tier,project,criterion,value,conflict"
    assert text.splitlines()[2] == "张老师,district,P01,b,0.1,0"
    assert text.splitlines()[4] == '"c,1",community,P02,,,1'
    assert [r for _, r in read_score_csv(path)] == rows
    assert [line for line, _ in read_score_csv(path)] == [2, 3, 4, 5]
    assert rows[1].value == F(1, 10)


def test_frame_round_trip():
    rows = [ScoreRow("s", "community", "P1", "a", 3), ScoreRow("s", "community", "P2", "", None, True)]
    assert rows_from_frame(score_frame(rows)) == rows
    assert format_score_csv(score_frame(rows)) == format_score_csv(rows)


def test_conflict_column_is_optional_and_a_bom_is_ignored(small_rubric):
    text = "\ufeffscorer,tier,project,criterion,value\r\nc1,community,P1,a,8\r\n\r\nc1,community,P1,b,5\r\n"
    numbered = parse_score_csv(text, "x.csv")
    assert [line for line, _ in numbered] == [2, 4]
    assert all(not r.conflict for _, r in numbered)
    assert aggregate(collect_sheets(numbered, small_rubric), small_rubric).total("P1") == 7  # (16 + 5) / 3


def test_a_conflict_on_any_row_marks_the_whole_sheet(small_rubric):
    rows = [ScoreRow("c1", "community", "P1", "a", 8, True), ScoreRow("c1", "community", "P1", "b", 5),
            ScoreRow("c2", "community", "P1", "a", 1), ScoreRow("c2", "community", "P1", "b", 1)]
    ranking = aggregate(rows, small_rubric)
    assert ranking.total("P1") == 1
    assert ("c1", "P1", "conflict of interest") in ranking.left_out


def test_empty_file_and_missing_file(tmp_path):
    with pytest.raises(FileFormatError, match="empty"):
        parse_score_csv("", "e.csv")
    with pytest.raises(FileFormatError, match="file not found"):
        read_score_csv(tmp_path / "nope.csv")
