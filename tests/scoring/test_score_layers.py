"""Scoring and screening stay pure: no widgets, no SQL; their doctests run."""

import doctest
import importlib
import re
from pathlib import Path

import pytest

import toolkit

PACKAGES = ["scoring", "screening"]
MODULES = [f"toolkit.{pkg}.{p.stem}" for pkg in PACKAGES for p in sorted((Path(toolkit.__file__).parent / pkg).glob("*.py")) if p.stem != "__init__"]
FORBIDDEN = re.compile(r"^\s*(from|import)\s+(ipywidgets|ipyleaflet|voila|sqlalchemy|sqlite3|toolkit\.ui|toolkit\.store)\b", re.M)


@pytest.mark.parametrize("module", MODULES)
def test_no_widget_or_sql_imports(module):
    source = Path(importlib.import_module(module).__file__).read_text(encoding="utf-8")
    assert not FORBIDDEN.search(source)


@pytest.mark.parametrize("module", MODULES + ["toolkit.scoring", "toolkit.screening"])
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0
