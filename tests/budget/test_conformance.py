"""Every golden outcome produced by pabutools 1.2.3 (tests/budget/make_goldens.py) is reproduced exactly."""

import json
from fractions import Fraction

import pytest

from pbfiles import GOLDEN, PABULIB, shared_election
from toolkit.budget.rules import allocate, rule_specs

GOLDENS = {p.stem: json.loads(p.read_text()) for p in sorted(GOLDEN.glob("*.json"))}
CASES = [(g["file"], spec) for g in GOLDENS.values() for spec in g["rules"]]


def test_goldens_cover_every_shared_file():
    assert sorted(g["file"] for g in GOLDENS.values()) == sorted(p.name for p in PABULIB.glob("*.pb"))


def test_golden_specs_are_the_registry_matrix():
    # the golden script and the registry agree on which rules apply to which ballots
    for g in GOLDENS.values():
        specs = set(g["rules"]) | set(g.get("errors", {}))
        assert specs <= set(rule_specs(g["vote_type"]))


def test_goldens_match_their_files():
    import hashlib
    for g in GOLDENS.values():
        assert hashlib.sha256((PABULIB / g["file"]).read_bytes()).hexdigest() == g["sha256"], g["file"]


@pytest.mark.parametrize("name,spec", CASES, ids=[f"{n[:-3]}-{s}" for n, s in CASES])
def test_outcome_equals_pabutools(name, spec):
    golden = GOLDENS[name[:-3]]["rules"][spec]
    result = allocate(shared_election(name), spec)
    if spec.startswith("max-welfare"):
        assert result.welfare == Fraction(golden["welfare"])
        assert result.total_cost <= result.budget
    else:
        assert sorted(result.selected) == golden["selected"]
        assert result.total_cost == Fraction(golden["total_cost"])


COMPLETION_CASES = [(n, s) for n, s in CASES if ":add1" in s]


@pytest.mark.parametrize("path", ["numpy", "compiled"])
@pytest.mark.parametrize("name,spec", COMPLETION_CASES, ids=[f"{n[:-3]}-{s}" for n, s in COMPLETION_CASES])
def test_completion_equals_pabutools_on_both_paths(name, spec, path, monkeypatch):
    """The add1 completion gives pabutools' outcome with the compiled kernel used from the first step and
    with the numpy path only (which path a run takes otherwise depends on what ran before it)."""
    from toolkit.budget.rules import mes_kernel
    if path == "compiled":
        assert mes_kernel.ensure()
        monkeypatch.setattr(mes_kernel, "loaded", lambda: True)
    else:
        monkeypatch.setattr(mes_kernel, "loaded", lambda: False)
        monkeypatch.setattr(mes_kernel, "AVAILABLE", False)
    golden = GOLDENS[name[:-3]]["rules"][spec]
    result = allocate(shared_election(name), spec)
    assert sorted(result.selected) == golden["selected"]
