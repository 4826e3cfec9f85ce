import argparse
import json
import subprocess
import sys

import pytest

from toolkit.scoring import ScoreRow, aggregate, collect_sheets, read_score_csv, write_score_csv
from toolkit.scoring.cli import main, register


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_aggregate_json_matches_the_library_and_the_hand_example(capsys, data, small_rubric):
    scores, rubric = data / "valid" / "scores_default.csv", data / "valid" / "rubric_small.toml"
    code, out, err = run(capsys, "aggregate", str(scores), "--rubric", str(rubric), "--json")
    assert code == 0 and err == ""
    result = json.loads(out)
    # hand-computed in test_aggregation.test_default_three_tier_example
    assert result["projects"] == [{"id": "P2", "total": 6.95, "rank": 1}, {"id": "P1", "total": 6.55, "rank": 2}, {"id": "P3", "total": 4.3125, "rank": 3}]
    assert result["agreement"] == {"community": 0.5, "street": None, "district": None}
    assert result["rubric"] == "small@1"
    assert result == aggregate(collect_sheets(read_score_csv(scores), small_rubric, scores), small_rubric).to_dict()
    # deterministic: same bytes on a second run
    assert run(capsys, "aggregate", str(scores), "--rubric", str(rubric), "--json")[1] == out


def test_options_reach_the_library(capsys, data, tmp_path):
    rubric = data / "valid" / "rubric_one.toml"
    rows = [ScoreRow(s, "community", p, "a", v) for s, p, v in [("s1", "P1", 2), ("s1", "P2", 4), ("s2", "P1", 8), ("s2", "P2", 6), ("s3", "P1", 9), ("s3", "P2", 5)]]
    scores = write_score_csv(rows, tmp_path / "s.csv")
    (tmp_path / "v.csv").write_text("project,votes\nP1,0\nP2,10\n", encoding="utf-8")
    # mean: P1 19/3, P2 5 -> P1 first; median: P1 8, P2 5; rank: s1 (0, 1), s2 (1, 0), s3 (1, 0) -> P1 2/3, P2 1/3
    # votes (rubric scale 0-10): P1 0, P2 10; weight 0.5 on the means: P1 19/6 = 3.17, P2 (5 + 10)/2 = 7.5 -> P2 first
    def order(*extra):
        out = run(capsys, "aggregate", str(scores), "--rubric", str(rubric), "--json", *extra)[1]
        return [(p["id"], round(p["total"], 6)) for p in json.loads(out)["projects"]]

    assert order() == [("P1", round(19 / 3, 6)), ("P2", 5.0)]
    assert order("--within", "median") == [("P1", 8.0), ("P2", 5.0)]
    assert order("--normalise", "rank") == [("P1", round(2 / 3, 6)), ("P2", round(1 / 3, 6))]
    assert order("--votes", str(tmp_path / "v.csv"), "--vote-weight", "0.5") == [("P2", 7.5), ("P1", round(19 / 6, 6))]


def test_plain_output(capsys, data):
    code, out, _ = run(capsys, "aggregate", str(data / "valid" / "scores_default.csv"), "--rubric", str(data / "valid" / "rubric_small.toml"))
    assert code == 0
    assert out.splitlines()[0] == "rubric small@1"
    assert out.splitlines()[1].split() == ["1", "P2", "6.9500"]


@pytest.mark.parametrize(
    "name, words",
    [("scores_unknown_criterion.csv", "scores_unknown_criterion.csv:3: field 'criterion'"), ("scores_duplicate_sheet.csv", "scores_duplicate_sheet.csv:4")],
)
def test_bad_input_prints_one_line_and_exits_2(capsys, data, name, words):
    code, out, err = run(capsys, "aggregate", str(data / "invalid" / name), "--rubric", str(data / "valid" / "rubric_small.toml"), "--json")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err and "Traceback" not in err


def test_bad_rubric_exits_2(capsys, data):
    code, _, err = run(capsys, "aggregate", str(data / "valid" / "scores_default.csv"), "--rubric", str(data / "invalid" / "rubric_weights_sum_zero.toml"))
    assert code == 2 and "rubric_weights_sum_zero.toml" in err and "criteria.weight" in err


def test_sensitivity_command(capsys, data):
    code, out, _ = run(capsys, "sensitivity", str(data / "valid" / "scores_sensitivity.csv"), "--rubric", str(data / "valid" / "rubric_two.toml"), "--top-k", "2", "--json", "--seed", "1")
    result = json.loads(out)
    assert code == 0 and [p["id"] for p in result["projects"]] == ["A", "C", "B", "D"]
    assert result["smallest_swap"]["weight"] == "criterion:c2"


def test_register_adds_score_to_a_parent_parser(data):
    parser = argparse.ArgumentParser(prog="linli")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["score", "aggregate", str(data / "valid" / "scores_default.csv"), "--rubric", str(data / "valid" / "rubric_small.toml"), "--json"])
    assert args.func(args) == 0


def test_module_runs_as_a_script(data):
    proc = subprocess.run(
        [sys.executable, "-m", "toolkit.scoring.cli", "aggregate", str(data / "valid" / "scores_default.csv"), "--rubric", str(data / "valid" / "rubric_small.toml"), "--json"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["projects"][0]["id"] == "P2"


def test_export_then_cli_equals_library(capsys, tmp_path, data):
    """What the browser test will rely on: rows written by write_score_csv rank the same via the CLI."""
    from toolkit.scoring import load_rubric

    rubric = load_rubric("selection")
    rows = [ScoreRow(s, t, p, c.id, (i * 7 + j * 3 + k) % 11) for i, (s, t) in enumerate([("m1", "community"), ("m2", "street"), ("m3", "district")])
            for j, p in enumerate(["P01", "P02", "P03"]) for k, c in enumerate(rubric.criteria)]
    path = write_score_csv(rows, tmp_path / "export.csv")
    out = json.loads(run(capsys, "aggregate", str(path), "--json")[1])
    assert out["projects"] == aggregate(rows, rubric).to_dict()["projects"]
    assert out["rubric"] == rubric.ref
