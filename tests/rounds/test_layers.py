"""toolkit.rounds stays pure (no SQL, widgets or the engine), and its doctests run."""

from __future__ import annotations

import ast
import doctest
import importlib
from pathlib import Path

import pytest

ROUNDS = Path(__file__).resolve().parents[2] / "toolkit" / "rounds"
FORBIDDEN = ("sqlalchemy", "sqlite3", "psycopg", "ipywidgets", "ipyleaflet", "voila", "toolkit.store", "toolkit.ui",
             "toolkit.budget")
MODULES = sorted(p.stem for p in ROUNDS.glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", MODULES)
def test_no_sql_widgets_or_engine_imports(name):
    tree = ast.parse((ROUNDS / f"{name}.py").read_text(encoding="utf-8"))
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    assert not [m for m in imported if m.split(".")[0] in FORBIDDEN or m.startswith(FORBIDDEN)]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(f"toolkit.rounds.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0
    if name in ("ballots", "codes", "plan", "settings"):
        assert result.attempted > 0
