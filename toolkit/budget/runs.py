"""Multi-file runs with a progress bar (tqdm)."""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike

from toolkit.budget.pabulib import read_pabulib
from toolkit.budget.rules import Allocation, allocate


def allocate_files(paths: Iterable[str | PathLike[str]], specs: Iterable[str], progress: bool = True
                   ) -> dict[tuple[str, str], Allocation]:
    """Run every spec that fits on every file; keys are (path, spec).  Specs that do not fit a file's
    ballot type are left out."""
    from tqdm import tqdm  # only here: ``linli pb`` and the pages that import toolkit.budget do not need it

    from toolkit.budget.rules import RuleError, resolve
    specs = list(specs)
    out: dict[tuple[str, str], Allocation] = {}
    paths = [str(p) for p in paths]
    for path in tqdm(paths, desc="elections", disable=not progress, unit="file"):
        election = read_pabulib(path)
        for spec in specs:
            try:
                resolve(election, spec)
            except RuleError:
                continue
            out[(path, spec)] = allocate(election, spec)
    return out
