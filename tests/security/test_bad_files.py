"""Finding 10: bad files give a clear error naming file, line and field — never a traceback. The
named cases live in the malformed-input suites (tests/budget/data/invalid, tests/scoring/data/
invalid, tests/test_proposals.py); here the command line on them, and a property test: whatever
number text a .pb cost, budget or points field holds, the reader returns or raises PabulibError."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.budget.pabulib import PabulibError, parse_pabulib

INVALID = Path(__file__).resolve().parents[1] / "budget" / "data" / "invalid"
NUMBERS = st.text(alphabet="0123456789.eE+-/ infa,", min_size=1, max_size=14) | st.sampled_from(
    ["1e40", "1e100000", "1e-31", "1e30", "inf", "nan", "1/3", "-0", "9" * 30, "0.0000000001", "1e15", "1E+6"])


def pb(budget: str = "10", cost: str = "5", points: str = "3") -> str:
    return ("META\nkey;value\nbudget;%s\nvote_type;cumulative\nPROJECTS\nproject_id;cost\na;%s\nb;6\n"
            "VOTES\nvoter_id;vote;points\n1;a;%s\n2;b;3\n" % (budget, cost, points))


@settings(max_examples=300, deadline=None)
@given(NUMBERS, st.sampled_from(["budget", "cost", "points"]))
def test_any_number_text_parses_or_is_named(text, field):
    try:
        e = parse_pabulib(pb(**{field: text}), "x.pb")
    except PabulibError as err:
        assert err.path == "x.pb" and err.line in (3, 7, 11) and err.field == field and err.fix
    else:
        assert 0 <= e.budget and all(0 <= p.cost < 10**16 * e.money_scale for p in e.projects)
        assert e.ballots.points is None or int(e.ballots.points.max()) <= 10**9 * e.points_scale


@pytest.mark.parametrize("name, line", [("cost_huge.pb", 8), ("cost_overflow.pb", 8), ("cost_tiny.pb", 8), ("points_huge.pb", 11),
                                        ("points_long.pb", 11), ("budget_fraction.pb", 3), ("budget_two_values.pb", 3), ("duplicate_voter.pb", 13)])
def test_linli_pb_says_file_and_line_in_one_line(name, line):
    r = subprocess.run([sys.executable, "-m", "toolkit.budget.cli", "pb", "allocate", str(INVALID / name), "--rule", "greedy-votes"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert f"{name}:{line}:" in r.stderr and "Fix:" in r.stderr
