"""MES in a fresh process, side by side: ``linli pb allocate --json`` against pabutools 1.2.3.

For every pabulib file with at least ``--min-voters`` voters (default 10,000) in ``--data`` and each rule
(default ``mes:cost`` and ``mes:cardinality``, no completion), each repeat starts two new processes, one
after the other:

- ours: ``linli pb allocate FILE --rule SPEC --json``; its ``seconds.rule`` is the time of
  :func:`toolkit.budget.rules.allocate` for the rule -- everything after parsing the file: utilities,
  grouping voters with identical ballots, tie-break ranks, the MES run and the per-project explanations;
- pabutools: a new interpreter (``--oracle-python``, a venv with ``pabutools==1.2.3``) that parses the
  same file with ``pabutools.election.parse_pabulib`` and then times
  ``method_of_equal_shares(instance, profile, sat_class=Cost_Sat | Cardinality_Sat)`` (no completion) --
  which includes pabutools' own preparation (its MES voters and satisfactions).

Parsing is excluded on both sides (printed separately).  The machine is shared, so every process start
records ``os.getloadavg()`` (1-minute); the table shows medians over the repeats, the ratio of the medians
(pabutools / ours), the worst ratio over repeats paired in order, the load range, and whether both
selected the same projects.

    python benchmarks/fresh_process.py                       # every >= 10k file, 3 repeats
    python benchmarks/fresh_process.py --repeat 5 --files 'Poland_W*' --markdown out.md
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# the shared pabulib folder next to the checkout (../shared/pabulib), also from a worktree one level deeper
DATA = next((d for d in (REPO.parent / "shared" / "pabulib", REPO.parents[1] / "shared" / "pabulib") if d.is_dir()),
            REPO.parent / "shared" / "pabulib")

ORACLE = """
import json, sys, time
t = time.perf_counter()
from pabutools.election import Cardinality_Sat, Cost_Sat, parse_pabulib
from pabutools.rules import method_of_equal_shares
imp = time.perf_counter() - t
t = time.perf_counter(); instance, profile = parse_pabulib(sys.argv[1]); parse = time.perf_counter() - t
sat = {"cost": Cost_Sat, "cardinality": Cardinality_Sat}[sys.argv[2]]
t = time.perf_counter(); sel = method_of_equal_shares(instance, profile, sat_class=sat)
rule = time.perf_counter() - t
print(json.dumps({"import": imp, "parse": parse, "rule": rule, "selected": sorted(p.name for p in sel),
                  "voters": profile.num_ballots()}))
"""


def voters_and_type(path: str) -> tuple[int, str]:
    """Voter count (rows of VOTES) and vote_type, read from the file's text without the engine."""
    n, vote_type, section = 0, "approval", ""
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            s = line.strip()
            if s.upper() in ("META", "PROJECTS", "VOTES"):
                section = s.upper()
                next(fh, None)  # header row
                continue
            if section == "META" and s.split(";")[0].strip() == "vote_type":
                vote_type = s.split(";")[1].strip()
            elif section == "VOTES" and s:
                n += 1
    return n, vote_type


def run_ours(linli: str, path: str, spec: str, timeout: float) -> dict:
    t = time.perf_counter()
    r = subprocess.run([linli, "pb", "allocate", path, "--rule", spec, "--json"], capture_output=True, text=True,
                       timeout=timeout)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"linli failed on {path} {spec}: {r.stderr.strip()}")
    out = json.loads(r.stdout)
    return {"rule": out["seconds"]["rule"], "parse": out["seconds"]["parse"], "wall": wall,
            "selected": sorted(out["selected"]), "voters": out["voters"]}


def run_pabutools(python: str, path: str, spec: str, timeout: float) -> dict | None:
    utility = spec.split(":")[1]
    t = time.perf_counter()
    try:
        r = subprocess.run([python, "-c", ORACLE, path, utility], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"pabutools failed on {path} {spec}: {r.stderr.strip().splitlines()[-1:]}")
    out = json.loads(r.stdout)
    out["wall"] = wall
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("LINLI_PABULIB", str(DATA)))
    ap.add_argument("--files", default="*.pb", help="glob inside --data")
    ap.add_argument("--rules", default="mes:cost,mes:cardinality")
    ap.add_argument("--min-voters", type=int, default=10_000)
    ap.add_argument("--vote-types", default="approval,choose-1,cumulative,scoring,ordinal",
                    help="comma-separated vote types to include (the issue's claim is about approval/choose-1)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per side, (file, rule)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per process")
    ap.add_argument("--linli", default=str(REPO / ".venv" / "bin" / "linli"))
    ap.add_argument("--oracle-python", default=os.environ.get("LINLI_ORACLE_PYTHON", "/tmp/oracle/bin/python"))
    ap.add_argument("--json", help="write every measurement to this JSON file")
    ap.add_argument("--markdown", help="write the table as Markdown to this file")
    args = ap.parse_args(argv)
    types = {t for t in args.vote_types.split(",") if t}
    specs = [s for s in args.rules.split(",") if s]
    files = []
    for path in sorted(glob.glob(os.path.join(args.data, args.files))):
        n, vote_type = voters_and_type(path)
        if n >= args.min_voters and vote_type in types:
            files.append((path, n, vote_type))
    print(f"{len(files)} files with >= {args.min_voters} voters; {args.repeat} fresh processes per side; "
          f"{os.cpu_count()} CPUs; load at start {os.getloadavg()[0]:.1f}", flush=True)
    head = (f"{'file':40} {'type':9} {'voters':>7} {'rule':16} {'ours ms':>9} {'pabutools s':>11} {'ratio':>8} "
            f"{'worst':>7} {'load':>11} same")
    print(head, flush=True)
    rows = []
    for path, n, vote_type in files:
        name = Path(path).stem
        for spec in specs:
            ours, theirs, loads = [], [], []
            for _ in range(args.repeat):
                loads.append(os.getloadavg()[0])
                ours.append(run_ours(args.linli, path, spec, args.timeout))
                loads.append(os.getloadavg()[0])
                got = run_pabutools(args.oracle_python, path, spec, args.timeout)
                if got is None:
                    break
                theirs.append(got)
            o = statistics.median(x["rule"] for x in ours)
            if theirs:
                p = statistics.median(x["rule"] for x in theirs)
                ratio = p / o
                worst = min(t["rule"] / x["rule"] for x, t in zip(ours, theirs))
                same = all(x["selected"] == theirs[0]["selected"] for x in ours) and \
                    all(t["selected"] == theirs[0]["selected"] for t in theirs)
                p_txt, r_txt, w_txt = f"{p:11.3f}", f"{ratio:8.0f}", f"{worst:7.0f}"
            else:
                p, ratio, worst, same = None, None, None, None
                p_txt, r_txt, w_txt = f"{'>' + str(int(args.timeout)):>11}", f"{'':>8}", f"{'':>7}"
            load = f"{min(loads):.1f}-{max(loads):.1f}"
            print(f"{name[:40]:40} {vote_type:9} {n:7} {spec:16} {o * 1000:9.1f} {p_txt} {r_txt} {w_txt} "
                  f"{load:>11} {'yes' if same else ('?' if same is None else 'NO')}", flush=True)
            rows.append({"file": name, "vote_type": vote_type, "voters": n, "rule": spec,
                         "ours_rule_s": [x["rule"] for x in ours], "ours_parse_s": [x["parse"] for x in ours],
                         "ours_wall_s": [x["wall"] for x in ours],
                         "pabutools_rule_s": [t["rule"] for t in theirs],
                         "pabutools_parse_s": [t["parse"] for t in theirs],
                         "pabutools_wall_s": [t["wall"] for t in theirs],
                         "median_ours_s": o, "median_pabutools_s": p, "ratio": ratio, "worst_ratio": worst,
                         "load1": loads, "same": same})
    print(f"load at end {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    if args.markdown:
        lines = ["| file | type | voters | rule | ours (ms, median) | pabutools (s, median) | ratio | worst | "
                 "load (1 min) | same |", "|---|---|---:|---|---:|---:|---:|---:|---|---|"]
        for r in rows:
            p = f"{r['median_pabutools_s']:.2f}" if r["median_pabutools_s"] is not None else "timeout"
            ratio = f"{r['ratio']:.0f}x" if r["ratio"] else ""
            worst = f"{r['worst_ratio']:.0f}x" if r["worst_ratio"] else ""
            lines.append(f"| {r['file']} | {r['vote_type']} | {r['voters']} | {r['rule']} | "
                         f"{r['median_ours_s'] * 1000:.1f} | {p} | {ratio} | {worst} | "
                         f"{min(r['load1']):.1f}-{max(r['load1']):.1f} | {'yes' if r['same'] else 'NO'} |")
        Path(args.markdown).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
