"""``linli pb ...``: allocate, explain, compare -- each parses arguments, calls the library, prints.

The lead's ``toolkit/cli.py`` calls :func:`register`; ``python -m toolkit.budget.cli pb ...`` works on
its own through :func:`main`.  Errors a user can fix print one line to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from fractions import Fraction

from toolkit.budget.explain import explain, explain_all, format_amount
from toolkit.budget.measures import compare
from toolkit.budget.pabulib import read_pabulib
from toolkit.budget.rules import RULES, allocate
from toolkit.budget.rules.spec import TIE_BREAKS, RuleSpec
from toolkit.errors import LinliError


def _num(x):
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else float(x)
    return x


def _spec(args) -> RuleSpec:
    spec = RuleSpec.parse(args.rule, tie_break=args.tie_break, seed=args.seed)
    if args.utility or args.completion:
        spec = RuleSpec(spec.rule, args.utility or spec.utility, args.completion or spec.completion,
                        spec.tie_break, spec.seed)
    return spec


def _load(path: str):
    t0 = time.perf_counter()
    election = read_pabulib(path)
    return election, time.perf_counter() - t0


def cmd_allocate(args) -> int:
    election, parse_s = _load(args.file)
    result = allocate(election, _spec(args))
    if args.json:
        out = {"file": args.file, "rule": str(result.spec), "selected": list(result.selected),
               "total_cost": _num(result.total_cost), "budget": _num(result.budget),
               "voters": election.num_voters,
               "seconds": {"parse": round(parse_s, 6), "rule": round(result.seconds, 6),
                           "rule_cpu": round(result.cpu_seconds, 6)}}
        if result.welfare is not None:
            out["welfare"] = _num(result.welfare)
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{result.spec}: {len(result.selected)} projects, {format_amount(result.total_cost)} of "
              f"{format_amount(result.budget)}")
        for line in explain_all(result, args.lang):
            print(" ", line)
    return 0


def cmd_explain(args) -> int:
    election, _ = _load(args.file)
    result = allocate(election, _spec(args))
    print(explain(result, args.project, args.lang))
    return 0


def cmd_compare(args) -> int:
    election, _ = _load(args.file)
    specs = [s for s in args.rules.split(",") if s.strip()]
    if len(specs) != 2:
        raise LinliError(f"--rules needs exactly two specs separated by a comma, got {args.rules!r}")
    a, b = (allocate(election, s, tie_break=args.tie_break, seed=args.seed) for s in specs)
    c = compare(election, a, b)
    if args.json:
        def m(x):
            return {"rule": x.rule, "spent": _num(x.spent), "share_spent": float(x.share_spent),
                    "share_served": float(x.share_served), "funded_histogram": list(x.funded_histogram),
                    "money_quantiles": list(x.money_quantiles)}
        print(json.dumps({"a": m(c.a), "b": m(c.b), "only_a": list(c.only_a), "only_b": list(c.only_b),
                          "both": list(c.both), "voters_better_a": c.voters_better_a,
                          "voters_better_b": c.voters_better_b, "voters_same": c.voters_same}, ensure_ascii=False))
        return 0
    zh = args.lang == "zh"
    for x in (c.a, c.b):
        print(f"{x.rule}: " + (f"花费 {format_amount(x.spent)} / {format_amount(x.budget)}，"
                               f"{float(x.share_served):.1%} 的选民至少有一个支持的项目获资助" if zh else
                               f"spent {format_amount(x.spent)} of {format_amount(x.budget)}, "
                               f"{float(x.share_served):.1%} of voters have at least one funded project they voted for"))
    print(("仅 A 资助" if zh else "only A funds") + f" ({c.a.rule}): " +
          ", ".join(f"{p} ({c.supporters_only_a[p]})" for p in c.only_a))
    print(("仅 B 资助" if zh else "only B funds") + f" ({c.b.rule}): " +
          ", ".join(f"{p} ({c.supporters_only_b[p]})" for p in c.only_b))
    print((f"B 更好的选民 {c.voters_better_b}，A 更好的选民 {c.voters_better_a}，相同 {c.voters_same}" if zh else
           f"voters better off with B: {c.voters_better_b}, with A: {c.voters_better_a}, same: {c.voters_same}"))
    return 0


def _guard(func):
    def run(args) -> int:
        try:
            return func(args)
        except (LinliError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return run


def register(subparsers) -> None:
    """Add ``pb`` with subcommands allocate / explain / compare to an argparse subparsers action."""
    pb = subparsers.add_parser("pb", help="participatory budgeting on pabulib .pb files")
    sub = pb.add_subparsers(dest="pb_command", required=True)

    def common(p, single_rule=True):
        p.add_argument("file", help="a pabulib .pb file")
        if single_rule:
            p.add_argument("--rule", required=True, help=f"rule spec rule[:utility[:completion]]; rules: {', '.join(RULES)}")
            p.add_argument("--utility", help="cost, cardinality, points or borda (mes, max-welfare)")
            p.add_argument("--completion", help="none, add1 or add1-greedy (mes)")
        p.add_argument("--tie-break", default="id", choices=TIE_BREAKS, help="default id: smallest project id wins")
        p.add_argument("--seed", type=int, default=0, help="seed for --tie-break lot")
        p.add_argument("--lang", default="zh", choices=["zh", "en"])

    a = sub.add_parser("allocate", help="run a rule and print the funded projects")
    common(a)
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.set_defaults(func=_guard(cmd_allocate))
    e = sub.add_parser("explain", help="why a project was (not) funded, with numbers")
    common(e)
    e.add_argument("--project", required=True)
    e.set_defaults(func=_guard(cmd_explain))
    c = sub.add_parser("compare", help="compare two rules side by side")
    common(c, single_rule=False)
    c.add_argument("--rules", required=True, help="two specs, e.g. greedy-votes,mes:cost:add1-greedy")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_guard(cmd_compare))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="linli")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
