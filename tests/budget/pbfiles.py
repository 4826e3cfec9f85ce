"""Paths of the test data and a cached reader for the shared pabulib files."""
import functools
import os
from pathlib import Path

import pytest

from toolkit.budget.pabulib import read_pabulib

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PABULIB = Path(os.environ.get("LINLI_PABULIB", REPO.parent / "shared" / "pabulib"))
GOLDEN = HERE / "golden"
VALID = HERE / "data" / "valid"
INVALID = HERE / "data" / "invalid"


@functools.lru_cache(maxsize=None)
def shared_election(name: str):
    """Parsed once per test session (the files are read-only)."""
    path = PABULIB / name
    if not path.exists():
        pytest.fail(f"{path} is missing: set LINLI_PABULIB to the folder with the shared pabulib files")
    return read_pabulib(path)
