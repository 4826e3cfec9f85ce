"""``linli score ...``: parse arguments, call one library function, print.

The lead's ``toolkit/cli.py`` calls :func:`register` with its subparsers; ``main(argv)`` runs the
``score`` command on its own (``python -m toolkit.scoring.cli aggregate SCORES.csv ...``).
Bad input prints one line to stderr and exits 2; output is deterministic (JSON keys in a
fixed order, projects in rank order).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Sequence

from toolkit.errors import FileFormatError, LinliError
from toolkit.scoring.aggregation import NORMALISE, WITHIN, aggregate
from toolkit.scoring.rubric import load_rubric
from toolkit.scoring.sensitivity import sensitivity
from toolkit.scoring.sheets import collect_sheets, read_score_csv

EXIT_BAD_INPUT = 2


def read_votes_csv(path: str) -> dict[str, Fraction]:
    """A CSV with columns ``project,votes`` -> project -> count."""
    try:
        text = Path(path).read_text(encoding="utf-8").lstrip("\ufeff")
    except FileNotFoundError:
        raise FileFormatError(path, "file not found", fix="check the path") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    if header != ["project", "votes"]:
        raise FileFormatError(path, f"header is {','.join(header)!r}", line=1, fix="use the header project,votes")
    votes: dict[str, Fraction] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != 2:
            raise FileFormatError(path, f"has {len(cells)} cells, expected 2", line=line, fix="write project,votes")
        project, count = cells[0].strip(), cells[1].strip()
        try:
            value = Fraction(count)
        except (ValueError, ZeroDivisionError):
            raise FileFormatError(path, f"votes {count!r} is not a number", line=line, field="votes", fix="write a whole number") from None
        if value < 0:
            raise FileFormatError(path, f"votes {count} is negative", line=line, field="votes", fix="write 0 or more")
        if project in votes:
            raise FileFormatError(path, f"project {project!r} is listed twice", line=line, field="project", fix="keep one row per project")
        votes[project] = value
    return votes


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scores", metavar="SCORES.csv", help="columns scorer,tier,project,criterion,value[,conflict]")
    parser.add_argument("--rubric", default="selection", help="rubric TOML file, or the name of a shipped rubric (default: selection)")
    parser.add_argument("--within", choices=sorted(WITHIN), default="mean", help="how a tier combines its scorers' totals (default: mean)")
    parser.add_argument("--trim", type=int, default=1, help="with --within trimmed: how many highest and lowest totals to drop (default: 1)")
    parser.add_argument("--normalise", choices=sorted(NORMALISE), default="none", help="per-scorer normalisation (default: none)")
    parser.add_argument("--votes", metavar="VOTES.csv", help="resident votes, columns project,votes")
    parser.add_argument("--vote-weight", type=Fraction, default=Fraction(0), help="weight of the resident votes, 0 to 1 (default: 0)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``score`` command (subcommands ``aggregate`` and ``sensitivity``)."""
    score = subparsers.add_parser("score", help="aggregate rubric scores into a ranking", description="Aggregate three-tier rubric scores.")
    sub = score.add_subparsers(dest="score_command", metavar="{aggregate,sensitivity}", required=True)
    agg = sub.add_parser("aggregate", help="rank projects from a score CSV", description="Rank projects from a score CSV.")
    _common(agg)
    agg.set_defaults(func=run_aggregate)
    sens = sub.add_parser("sensitivity", help="how robust the ranking is to weight changes", description="Top-k probabilities under random weight changes, and the smallest swaps.")
    _common(sens)
    sens.add_argument("--top-k", type=int, default=3, help="k for the top-k probability (default: 3)")
    sens.add_argument("--spread", type=float, default=0.2, help="relative weight perturbation (default: 0.2 = ±20%%)")
    sens.add_argument("--draws", type=int, default=1000, help="number of random weight draws (default: 1000)")
    sens.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    sens.set_defaults(func=run_sensitivity)
    return score


def _inputs(args: argparse.Namespace):
    rubric = load_rubric(args.rubric)
    sheets = collect_sheets(read_score_csv(args.scores), rubric, args.scores)
    votes = read_votes_csv(args.votes) if args.votes else None
    return rubric, sheets, votes


def _guarded(run):
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except LinliError as exc:
            print(f"linli score: error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT

    wrapper.__name__ = run.__name__
    wrapper.__doc__ = run.__doc__
    return wrapper


@_guarded
def run_aggregate(args: argparse.Namespace) -> int:
    """``linli score aggregate``: print the ranking (a table, or JSON with --json)."""
    rubric, sheets, votes = _inputs(args)
    ranking = aggregate(sheets, rubric, within=args.within, normalise=args.normalise, trim=args.trim, votes=votes, vote_weight=args.vote_weight)
    if args.json:
        print(json.dumps(ranking.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"rubric {ranking.rubric_ref}")
    for p in ranking.projects:
        print(f"{p.rank:>4}  {p.id:<20} {float(p.total):.4f}")
    for tier, w in ranking.agreement:
        print(f"agreement {tier}: " + ("n/a" if w is None else f"W = {float(w):.4f}"))
    for warning in ranking.warnings:
        print(f"warning: {warning}")
    return 0


@_guarded
def run_sensitivity(args: argparse.Namespace) -> int:
    """``linli score sensitivity``: top-k probabilities and smallest neighbour swaps."""
    rubric, sheets, votes = _inputs(args)
    result = sensitivity(
        sheets, rubric, k=args.top_k, spread=args.spread, draws=args.draws, seed=args.seed,
        within=args.within, normalise=args.normalise, trim=args.trim, votes=votes, vote_weight=args.vote_weight,
    )
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"rubric {result.rubric_ref}; weights ±{result.spread:.0%}, {result.draws} draws, seed {result.seed}")
    for i, (p, prob) in enumerate(result.top_k, start=1):
        print(f"{i:>4}  {p:<20} P(top {result.k}) = {prob:.3f}")
    for s in result.swaps:
        what = "no single weight swaps them" if s.weight is None else f"{s.weight} {s.change:+.1%}"
        print(f"swap {s.upper} / {s.lower}: {what}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``score`` subcommands on their own: ``main(["aggregate", "scores.csv", "--json"])``."""
    parser = argparse.ArgumentParser(prog="linli", description="Linli scoring commands.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    register(subparsers)
    args = parser.parse_args(["score", *(argv if argv is not None else sys.argv[1:])])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
