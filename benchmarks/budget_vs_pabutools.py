"""Side-by-side speed of Linli's budget engine and pabutools 1.2.3 on the same .pb files.

Runs both implementations now (nothing is read from the goldens): ours in this process, pabutools in a
separate interpreter that has it installed (``--oracle-python``, default /work/oracle-venv/bin/python),
one (file, rule) per call so its memory is returned.  The rule -> pabutools call mapping is the one in
tests/budget/make_goldens.py.  Prints parse time, each rule's time and the ratio pabutools / ours, and
whether both selected the same projects.

    python benchmarks/budget_vs_pabutools.py --max-voters 10000 --rules greedy-votes,mes:cost
    python benchmarks/budget_vs_pabutools.py --files 'Poland_Lodz_2022.pb' --timeout 900
    python benchmarks/budget_vs_pabutools.py --rules mes:cost:add1 --golden-times mes:cost:add1
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from toolkit.budget.pabulib import read_pabulib  # noqa: E402
from toolkit.budget.rules import allocate, rule_specs  # noqa: E402

ORACLE = """
import json, sys, time, importlib.util
spec = importlib.util.spec_from_file_location("mg", sys.argv[1]); mg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mg)
t = time.perf_counter(); inst, prof = mg.parse_pabulib(sys.argv[2]); parse = time.perf_counter() - t
out = {"parse": parse}
if sys.argv[3] != "-":
    t = time.perf_counter(); sel = mg.run(sys.argv[3], inst, prof); out["rule"] = time.perf_counter() - t
    out["selected"] = sorted(p.name for p in sel)
    if sys.argv[3].startswith("max-welfare"):
        out["welfare"] = mg.welfare(sys.argv[3], inst, prof, sel)
print(json.dumps(out))
"""


def oracle(python: str, path: str, spec: str, timeout: float) -> dict | None:
    try:
        r = subprocess.run([python, "-c", ORACLE, str(REPO / "tests/budget/make_goldens.py"), path, spec],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if r.returncode != 0:
        raise SystemExit(f"pabutools failed on {path} {spec}: {r.stderr.strip().splitlines()[-1:]}")
    return json.loads(r.stdout)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("LINLI_PABULIB", str(REPO.parent / "shared" / "pabulib")))
    ap.add_argument("--files", default="*.pb", help="glob inside --data")
    ap.add_argument("--rules", default="", help="comma-separated specs (default: every rule that applies)")
    ap.add_argument("--min-voters", type=int, default=0)
    ap.add_argument("--max-voters", type=int, default=10**9)
    ap.add_argument("--timeout", type=float, default=1200, help="seconds per pabutools call")
    ap.add_argument("--oracle-python", default=os.environ.get("LINLI_ORACLE_PYTHON", "/work/oracle-venv/bin/python"))
    ap.add_argument("--json", help="also write all rows to this JSON file")
    ap.add_argument("--golden-times", default="",
                    help="comma-separated specs (e.g. mes:cost:add1) whose pabutools time and selection are taken "
                         "from tests/budget/golden/*.json (recorded when the golden was made) instead of rerunning "
                         "pabutools; marked 'golden' in the output.  A recorded mes:cost:add1-greedy time shorter "
                         "than the file's mes:cost:add1 time reused that add1 outcome: the two are added")
    ap.add_argument("--repeat", type=int, default=3, help="ours: best of this many runs of each rule")
    args = ap.parse_args(argv)
    # The compiled MES kernel (numba) loads once per process, like an import: do it before timing and say
    # what it cost.  (In a fresh process the add1 completion loads it only once a run is long enough.)
    from toolkit.budget.rules import mes_kernel
    if mes_kernel.AVAILABLE:
        t = time.perf_counter()
        mes_kernel.ensure()
        print(f"compiled MES kernel loaded in {time.perf_counter() - t:.2f} s (once per process; "
              "compiled and cached on disk the first time)")
    wanted = [s for s in args.rules.split(",") if s]
    from_goldens = {s for s in args.golden_times.split(",") if s}
    rows = []
    print(f"{'file':42} {'voters':>7} {'rule':24} {'ours s':>9} {'pabutools s':>12} {'ratio':>8}  same"
          f"   (ours: best of {args.repeat})")
    for path in sorted(glob.glob(os.path.join(args.data, args.files)), key=os.path.getsize):
        t = time.perf_counter()
        election = read_pabulib(path)
        ours_parse = time.perf_counter() - t
        n = election.num_voters
        if not args.min_voters <= n <= args.max_voters:
            continue
        theirs = oracle(args.oracle_python, path, "-", args.timeout)
        name = Path(path).name[:42]
        ratio = theirs["parse"] / ours_parse if theirs else float("nan")
        print(f"{name:42} {n:7} {'(parse)':24} {ours_parse:9.4f} {theirs['parse']:12.3f} {ratio:8.1f}", flush=True)
        rows.append({"file": name, "voters": n, "rule": "parse", "ours": ours_parse, "pabutools": theirs["parse"]})
        golden_file = REPO / "tests/budget/golden" / (Path(path).stem + ".json")
        golden_times = json.loads(golden_file.read_text())["rules"] if golden_file.exists() else {}
        for spec in rule_specs(election.vote_type):
            if wanted and spec not in wanted:
                continue
            result = allocate(election, spec)
            for _ in range(args.repeat - 1):
                again = allocate(election, spec)
                if again.seconds < result.seconds:
                    result = again
            recorded = golden_times.get(spec) if spec in from_goldens else None
            if recorded and spec == "mes:cost:add1-greedy" and "mes:cost:add1" in golden_times:
                add1 = golden_times["mes:cost:add1"]["seconds"]
                if recorded["seconds"] < add1:  # the golden run reused its add1 outcome: count it
                    recorded = dict(recorded, seconds=recorded["seconds"] + add1)
            got = ({"rule": recorded["seconds"], "selected": recorded["selected"], "golden": True} if recorded
                   else oracle(args.oracle_python, path, spec, args.timeout))
            if got is None:
                print(f"{name:42} {n:7} {spec:24} {result.seconds:9.4f} {'>' + str(args.timeout):>12} {'':>8}  (timeout)",
                      flush=True)
                rows.append({"file": name, "voters": n, "rule": spec, "ours": result.seconds, "pabutools": None})
                continue
            if spec.startswith("max-welfare"):
                same = result.welfare == Fraction(got["welfare"])
            else:
                same = sorted(result.selected) == got["selected"]
            ratio = got["rule"] / result.seconds if result.seconds else float("inf")
            print(f"{name:42} {n:7} {spec:24} {result.seconds:9.4f} {got['rule']:12.3f} {ratio:8.1f}  "
                  f"{'yes' if same else 'NO'}{'  (pabutools time from golden)' if got.get('golden') else ''}",
                  flush=True)
            rows.append({"file": name, "voters": n, "rule": spec, "ours": result.seconds, "pabutools": got["rule"],
                         "same": same, "pabutools_from_golden": bool(got.get("golden"))})
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
