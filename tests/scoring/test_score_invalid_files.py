"""Every file in data/invalid fails with the file, line, field and words listed in expected.toml."""

import tomllib
from pathlib import Path

import pytest

from toolkit.errors import FileFormatError, RuleFileError
from toolkit.scoring import aggregate, collect_sheets, load_rubric, read_score_csv

INVALID = Path(__file__).parent / "data" / "invalid"
EXPECTED = tomllib.loads((INVALID / "expected.toml").read_text(encoding="utf-8"))
FILES = sorted(p.name for p in INVALID.iterdir() if p.suffix in (".toml", ".csv") and p.name != "expected.toml")


def test_every_invalid_file_has_an_expectation():
    assert sorted(EXPECTED) == FILES


@pytest.mark.parametrize("name", FILES)
def test_invalid_file_fails_naming_file_line_and_field(name):
    path = INVALID / name
    expect = EXPECTED[name]
    if name.endswith(".toml"):
        with pytest.raises(RuleFileError) as info:
            load_rubric(path)
    else:
        rubric = load_rubric(Path(__file__).parent / "data" / "valid" / "rubric_small.toml")
        with pytest.raises(FileFormatError) as info:
            collect_sheets(read_score_csv(path), rubric, path)
    err = info.value
    assert err.path == str(path)
    assert str(path) in str(err)
    if "line" in expect:
        assert err.line == expect["line"]
    if "field" in expect:
        assert err.field == expect["field"]
    assert err.fix, "every error says how to fix it"
    for words in expect["says"]:
        assert words in str(err)


def test_in_memory_rows_are_checked_the_same_way(small_rubric):
    from toolkit.scoring import ScoreRow

    rows = [ScoreRow("c1", "community", "P1", "a", 8), ScoreRow("c1", "community", "P1", "a", 9)]
    with pytest.raises(FileFormatError) as info:
        aggregate(rows, small_rubric)
    assert info.value.line == 2 and "duplicate sheet" in str(info.value)
