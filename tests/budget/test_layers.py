"""The budget engine stays pure: no UI, storage or map imports, no utils/misc modules."""

import ast
from pathlib import Path

import toolkit.budget

PACKAGE = Path(toolkit.budget.__file__).parent
FORBIDDEN = ("toolkit.ui", "toolkit.store", "toolkit.maps", "toolkit.documents", "ipywidgets", "sqlalchemy",
             "folium", "pabutools")


def test_no_forbidden_imports():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"


def test_no_grab_bag_modules():
    assert not [p for p in PACKAGE.rglob("*.py") if p.stem in ("utils", "misc", "helpers")]
