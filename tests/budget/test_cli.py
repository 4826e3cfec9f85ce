import json
import subprocess
import sys

import pytest

from pbfiles import PABULIB, VALID
from toolkit.budget.cli import main

SMALL = str(PABULIB / "Poland_Swiecie_2023.pb")


def run(*args):
    return subprocess.run([sys.executable, "-m", "toolkit.budget.cli", "pb", *args], capture_output=True, text=True)


def test_allocate_json_contract():
    r = run("allocate", SMALL, "--rule", "mes", "--utility", "cost", "--completion", "add1-greedy", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {"selected", "total_cost", "seconds"} <= set(out)
    assert set(out["seconds"]) == {"parse", "rule", "rule_cpu"} and out["total_cost"] <= 1070000
    assert out["rule"] == "mes:cost:add1-greedy"


def test_allocate_spec_string_and_welfare():
    r = run("allocate", SMALL, "--rule", "max-welfare:cost", "--json")
    out = json.loads(r.stdout)
    assert isinstance(out["welfare"], int) and out["welfare"] > 0


@pytest.mark.parametrize("lang,word", [("en", "funded"), ("zh", "资助")])
def test_explain(lang, word):
    r = run("explain", SMALL, "--rule", "greedy-votes", "--project", "c8", "--lang", lang)
    assert r.returncode == 0 and word in r.stdout and "413,000" in r.stdout


def test_compare(capsys):
    assert main(["pb", "compare", SMALL, "--rules", "greedy-votes,mes:cost:add1-greedy", "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "only A funds (greedy-votes): c8" in text and "voters better off with B" in text
    assert main(["pb", "compare", SMALL, "--rules", "greedy-votes,mes:cost:add1-greedy", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["only_a"] == ["c8"] and out["voters_better_a"] + out["voters_better_b"] + out["voters_same"] == 2553


@pytest.mark.parametrize("args", [
    ["allocate", SMALL, "--rule", "nope", "--json"],
    ["allocate", SMALL, "--rule", "mes", "--utility", "borda", "--json"],
    ["allocate", "/nonexistent.pb", "--rule", "mes", "--json"],
    ["explain", SMALL, "--rule", "mes", "--project", "zz"],
    ["compare", SMALL, "--rules", "mes"],
])
def test_user_errors_exit_2_one_line(args, capsys):
    assert main(["pb", *args]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")


def test_register_adds_pb_to_a_parent_parser():
    import argparse

    from toolkit.budget.cli import register
    parser = argparse.ArgumentParser(prog="linli")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["pb", "allocate", str(VALID / "approval_small.pb"), "--rule", "greedy-votes"])
    assert args.func(args) == 0
