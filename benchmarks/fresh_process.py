"""MES in a fresh process, side by side: ``linli pb allocate --json`` against pabutools 1.2.3.

For every pabulib file with at least ``--min-voters`` voters (default 10,000) in ``--data`` and each rule
(default ``auto``: ``mes:cost`` and ``mes:cardinality`` for every file, plus ``mes:points`` for cumulative and
``mes:borda`` for ordinal ballots; no completion), each repeat starts two new processes, one after the other:

- ours: ``linli pb allocate FILE --rule SPEC --json``; its ``seconds.rule`` (wall) and ``seconds.rule_cpu``
  (CPU time of the process over the same span) time
  :func:`toolkit.budget.rules.allocate` for the rule -- everything after parsing the file: utilities,
  grouping voters with identical ballots, tie-break ranks, the MES run and the per-project explanations;
- pabutools: a new interpreter (``--oracle-python``, a venv with ``pabutools==1.2.3``) that parses the
  same file with ``pabutools.election.parse_pabulib`` and then times
  ``method_of_equal_shares(instance, profile, sat_class=...)`` with ``Cost_Sat``, ``Cardinality_Sat``,
  ``Additive_Cardinal_Sat`` (points) or ``Additive_Borda_Sat`` (borda), no completion --
  which includes pabutools' own preparation (its MES voters and satisfactions).

Parsing is excluded on both sides (it is not in either timed span).  The machine is shared, so every
process start records ``os.getloadavg()`` (1-minute) and both sides also report CPU time: on a busy machine
wall-clock times of short runs swing with the scheduler, CPU times much less.  The table shows medians over
the repeats, the ratio of the medians (pabutools / ours) in wall and CPU time, the worst case (fastest
pabutools run / slowest run of ours), the load range, and whether every run selected the same projects.
``--before CMD`` measures a second linli (e.g. an older checkout) alongside, for a before/after table.
``--markdown`` writes the table the README carries; its ``target`` column marks the rows the >= 100x
claim is about (approval and choose-1 ballots).

    python benchmarks/fresh_process.py                       # every >= 10k file
    python benchmarks/fresh_process.py --repeat 5 --files 'Poland_W*' --markdown out.md
    python benchmarks/fresh_process.py --before "sh -c 'cd /tmp/old && exec python -m toolkit.cli \"$@\"' linli"
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# the shared pabulib folder next to the checkout (../shared/pabulib), also from a worktree one level deeper
DATA = next((d for d in (REPO.parent / "shared" / "pabulib", REPO.parents[1] / "shared" / "pabulib") if d.is_dir()),
            REPO.parent / "shared" / "pabulib")

ORACLE_PYTHON = next((p for p in ("/work/oracle-venv/bin/python", "/tmp/oracle/bin/python") if os.path.exists(p)),
                     "/work/oracle-venv/bin/python")

ORACLE = """
import json, sys, time
t = time.perf_counter()
from pabutools.election import Additive_Borda_Sat, Additive_Cardinal_Sat, Cardinality_Sat, Cost_Sat, parse_pabulib
from pabutools.rules import method_of_equal_shares
imp = time.perf_counter() - t
t = time.perf_counter(); instance, profile = parse_pabulib(sys.argv[1]); parse = time.perf_counter() - t
sat = {"cost": Cost_Sat, "cardinality": Cardinality_Sat, "points": Additive_Cardinal_Sat,
       "borda": Additive_Borda_Sat}[sys.argv[2]]
c, t = time.process_time(), time.perf_counter()
sel = method_of_equal_shares(instance, profile, sat_class=sat)
rule, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({"import": imp, "parse": parse, "rule": rule, "rule_cpu": cpu,
                  "selected": sorted(p.name for p in sel), "voters": profile.num_ballots()}))
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
    r = subprocess.run([*shlex.split(linli), "pb", "allocate", path, "--rule", spec, "--json"], capture_output=True,
                       text=True, timeout=timeout)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"linli failed on {path} {spec}: {r.stderr.strip()}")
    out = json.loads(r.stdout)
    return {"rule": out["seconds"]["rule"], "rule_cpu": out["seconds"].get("rule_cpu"),
            "parse": out["seconds"]["parse"], "wall": wall, "selected": sorted(out["selected"]),
            "voters": out["voters"]}


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


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("LINLI_PABULIB", str(DATA)))
    ap.add_argument("--files", default="*.pb", help="glob inside --data")
    ap.add_argument("--rules", default="auto",
                    help="comma-separated specs, or auto: mes:cost and mes:cardinality for every file, plus "
                         "mes:points for cumulative/scoring and mes:borda for ordinal ballots")
    ap.add_argument("--min-voters", type=int, default=10_000)
    ap.add_argument("--vote-types", default="approval,choose-1,cumulative,scoring,ordinal",
                    help="comma-separated vote types to include (the issue's claim is about approval/choose-1)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh pabutools processes per (file, rule)")
    ap.add_argument("--ours-repeat", type=int, default=7, help="fresh linli processes per (file, rule)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per process")
    ap.add_argument("--linli", default=str(REPO / ".venv" / "bin" / "linli"), help="the linli command to measure")
    ap.add_argument("--before", help="another linli command (e.g. an older checkout) measured the same way, "
                                     "for a before/after table")
    ap.add_argument("--oracle-python", default=os.environ.get("LINLI_ORACLE_PYTHON", ORACLE_PYTHON),
                    help="a python with pabutools==1.2.3 (default: /work/oracle-venv as in the README, else /tmp/oracle)")
    ap.add_argument("--json", help="write every measurement to this JSON file")
    ap.add_argument("--markdown", help="write the table as Markdown to this file")
    args = ap.parse_args(argv)
    types = {t for t in args.vote_types.split(",") if t}

    def specs_for(vote_type: str) -> list[str]:
        if args.rules != "auto":
            return [s for s in args.rules.split(",") if s]
        extra = {"cumulative": ["mes:points"], "scoring": ["mes:points"], "ordinal": ["mes:borda"]}
        return ["mes:cost", "mes:cardinality"] + extra.get(vote_type, [])
    files = []
    for path in sorted(glob.glob(os.path.join(args.data, args.files))):
        n, vote_type = voters_and_type(path)
        if n >= args.min_voters and vote_type in types:
            files.append((path, n, vote_type))
    sides = [("ours", args.linli)] + ([("before", args.before)] if args.before else [])
    print(f"{len(files)} files with >= {args.min_voters} voters; fresh processes: {args.ours_repeat} per linli "
          f"side, {args.repeat} pabutools; {os.cpu_count()} CPUs; load at start {os.getloadavg()[0]:.1f}")
    print("wall = the rule's wall-clock time (linli's seconds.rule), cpu = the same span in process CPU time; "
          "ratio = pabutools median / ours median; worst = fastest pabutools run / slowest run of ours", flush=True)
    cols = "".join(f" {s + ' ms':>9} {s + ' cpu':>9}" for s, _ in sides)
    print(f"{'file':34} {'type':9} {'voters':>6} {'rule':16}{cols} {'pabu s':>7} {'pabu cpu':>8} {'ratio':>6} "
          f"{'cpu':>6} {'worst':>6}" + ("  before" if args.before else "") + f" {'load':>11} same", flush=True)
    rows = []
    for path, n, vote_type in files:
        name = Path(path).stem
        for spec in specs_for(vote_type):
            runs = {s: [] for s, _ in sides}
            theirs, loads = [], []
            for i in range(max(args.repeat, args.ours_repeat)):
                for s, cmd in sides:
                    if i < args.ours_repeat:
                        loads.append(os.getloadavg()[0])
                        runs[s].append(run_ours(cmd, path, spec, args.timeout))
                if i < args.repeat and (i == 0 or theirs):
                    loads.append(os.getloadavg()[0])
                    got = run_pabutools(args.oracle_python, path, spec, args.timeout)
                    if got is not None:
                        theirs.append(got)
            med = {s: (_median(x["rule"] for x in runs[s]), _median(x["rule_cpu"] for x in runs[s])) for s in runs}
            o, o_cpu = med["ours"]
            p = _median(t["rule"] for t in theirs)
            p_cpu = _median(t["rule_cpu"] for t in theirs)
            ratio = p / o if p else None
            ratio_cpu = p_cpu / o_cpu if p_cpu and o_cpu else None
            worst = min(t["rule"] for t in theirs) / max(x["rule"] for x in runs["ours"]) if theirs else None
            before_ratio = p / med["before"][0] if p and args.before else None
            same = bool(theirs) and all(x["selected"] == theirs[0]["selected"] for r in runs.values() for x in r) \
                and all(t["selected"] == theirs[0]["selected"] for t in theirs)

            def f(x, fmt, width):
                return format(x, fmt).rjust(width) if x is not None else "-".rjust(width)

            cells = "".join(f" {f(m[0] * 1000, '.1f', 9)} {f(m[1] * 1000 if m[1] is not None else None, '.1f', 9)}"
                            for m in med.values())
            load = f"{min(loads):.1f}-{max(loads):.1f}"
            print(f"{name[:34]:34} {vote_type:9} {n:6} {spec:16}{cells} {f(p, '.2f', 7)} {f(p_cpu, '.2f', 8)} "
                  f"{f(ratio, '.0f', 6)} {f(ratio_cpu, '.0f', 6)} {f(worst, '.0f', 6)}"
                  + (f"  {f(before_ratio, '.0f', 6)}" if args.before else "")
                  + f" {load:>11} {'yes' if same else ('timeout' if not theirs else 'NO')}", flush=True)
            rows.append({"file": name, "vote_type": vote_type, "voters": n, "rule": spec, "runs": runs,
                         "pabutools": theirs, "median_s": {s: m[0] for s, m in med.items()},
                         "median_cpu_s": {s: m[1] for s, m in med.items()}, "median_pabutools_s": p,
                         "median_pabutools_cpu_s": p_cpu, "ratio": ratio, "ratio_cpu": ratio_cpu, "worst": worst,
                         "ratio_before": before_ratio, "load1": loads, "same": same})
    print(f"load at end {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    if args.markdown:
        bcols = " before (ms) | before ratio |" if args.before else ""
        lines = [f"| file | type | voters | rule |{bcols} ours (ms) | ours cpu (ms) | pabutools (s) | pabutools cpu (s)"
                 " | ratio | cpu ratio | worst | load (1 min) | same | target |",
                 "|---|---|---:|---|" + ("---:|---:|" if args.before else "") + "---:|---:|---:|---:|---:|---:|---:|---|---|---|"]

        def g(x, fmt):
            return format(x, fmt) if x is not None else "-"

        for r in rows:
            b = (f" {g(r['median_s']['before'] * 1000, '.1f')} | {g(r['ratio_before'], '.0f')}x |"
                 if args.before else "")
            cpu = r["median_cpu_s"]["ours"]
            lines.append(f"| {r['file']} | {r['vote_type']} | {r['voters']} | {r['rule']} |{b} "
                         f"{r['median_s']['ours'] * 1000:.1f} | {g(cpu * 1000 if cpu is not None else None, '.1f')} | "
                         f"{g(r['median_pabutools_s'], '.2f')} | {g(r['median_pabutools_cpu_s'], '.2f')} | "
                         f"{g(r['ratio'], '.0f')}x | {g(r['ratio_cpu'], '.0f')}x | {g(r['worst'], '.0f')}x | "
                         f"{min(r['load1']):.1f}-{max(r['load1']):.1f} | {'yes' if r['same'] else 'NO'} | "
                         + (("met" if (r["ratio_cpu"] or 0) >= 100 else "MISSED") + " (>= 100x)"
                            if r["vote_type"] in ("approval", "choose-1") else "-") + " |")
        Path(args.markdown).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
