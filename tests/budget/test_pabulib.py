import json
import subprocess
import sys

import numpy as np
import pytest

from pbfiles import INVALID, PABULIB, VALID, shared_election
from toolkit.budget.election import Election
from toolkit.budget.pabulib import PabulibError, format_pabulib, parse_pabulib, read_pabulib, write_pabulib

EXPECTED = json.loads((INVALID / "expected.json").read_text())
SHARED = sorted(p.name for p in PABULIB.glob("*.pb"))


def same(a: Election, b: Election) -> bool:
    return (a.projects == b.projects and a.budget == b.budget and a.vote_type == b.vote_type
            and np.array_equal(a.ballots.indptr, b.ballots.indptr) and np.array_equal(a.ballots.items, b.ballots.items)
            and (a.ballots.points is None) == (b.ballots.points is None)
            and (a.ballots.points is None or np.array_equal(a.ballots.points, b.ballots.points))
            and a.ballots.voter_ids == b.ballots.voter_ids and a.ballots.rows == b.ballots.rows
            and a.money_scale == b.money_scale and a.points_scale == b.points_scale)


def test_shared_set_is_present():
    assert len(SHARED) == 34


@pytest.mark.parametrize("name", SHARED)
def test_shared_files_parse_with_meta_counts(name):
    e = shared_election(name)
    assert e.num_voters == int(e.meta["num_votes"])
    assert len(e.projects) == int(e.meta["num_projects"])
    assert e.budget == int(e.meta["budget"])


@pytest.mark.parametrize("name", SHARED[:34:4])
def test_shared_round_trip(name, tmp_path):
    e = shared_election(name)
    write_pabulib(e, tmp_path / name)
    assert same(read_pabulib(tmp_path / name), e)


@pytest.mark.parametrize("path", sorted(VALID.glob("*.pb")), ids=lambda p: p.name)
def test_valid_round_trip(path):
    e = read_pabulib(path)
    text = format_pabulib(e)
    assert same(parse_pabulib(text), e)
    assert format_pabulib(parse_pabulib(text)) == text


def test_extra_columns_and_quotes_are_kept():
    e = read_pabulib(VALID / "approval_small.pb")
    a = e.projects[0]
    assert a.name == "Pavilion; with roof"
    assert a.categories == ("environment", "culture") and a.targets == ("elderly",)
    assert (a.latitude, a.longitude) == (31.2304, 121.4737)
    assert e.projects[3].latitude is None and e.projects[1].targets == ()
    assert e.ballots.columns == ("age",) and e.ballots.rows[3] == ("none",)


def test_decimal_money_is_scaled_exactly():
    e = read_pabulib(VALID / "scoring_decimal.pb")
    assert e.money_scale == 4 and e.budget == 42 and [p.cost for p in e.projects] == [17, 26]
    assert e.points_scale == 2 and e.ballots.points.tolist() == [3, 4, 6]


def test_every_vote_type_parses():
    types = {read_pabulib(p).vote_type for p in VALID.glob("*.pb")}
    assert types == {"approval", "choose-1", "cumulative", "ordinal", "scoring"}
    o = read_pabulib(VALID / "ordinal_small.pb")
    assert o.ballots.items.tolist() == [0, 1, 2, 1, 0, 2]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_files_name_line_and_field(name):
    with pytest.raises(PabulibError) as info:
        read_pabulib(INVALID / name)
    err = info.value
    assert (err.line, err.field) == (EXPECTED[name]["line"], EXPECTED[name]["field"])
    assert f"{name}:{err.line}:" in str(err) and "Fix:" in str(err)


def test_every_invalid_file_has_an_expectation():
    assert sorted(p.name for p in INVALID.glob("*.pb")) == sorted(EXPECTED)


def test_cli_malformed_exits_2_with_one_line():
    r = subprocess.run([sys.executable, "-m", "toolkit.budget.cli", "pb", "allocate", str(INVALID / "unknown_project.pb"),
                        "--rule", "greedy-votes", "--json"], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1 and "unknown_project.pb:12" in r.stderr


@pytest.mark.parametrize("cut", [0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_truncated_real_file_fails_cleanly(cut):
    text = (PABULIB / "Poland_Swiecie_2023.pb").read_text(encoding="utf-8")
    with pytest.raises(PabulibError) as info:
        parse_pabulib(text[: int(len(text) * cut)], "cut.pb")
    assert info.value.line is not None


def test_garbage_never_crashes():
    from hypothesis import given, settings, strategies as st

    base = (VALID / "approval_small.pb").read_text(encoding="utf-8")

    @settings(max_examples=150, deadline=None)
    @given(st.integers(0, len(base)), st.integers(0, 40), st.text(alphabet=";,\n0123456789abx-.\"", max_size=8))
    def run(pos, drop, insert):
        text = base[:pos] + insert + base[pos + drop:]
        try:
            parse_pabulib(text, "fuzz.pb")
        except PabulibError as err:
            assert err.line is None or err.line >= 1
    run()
