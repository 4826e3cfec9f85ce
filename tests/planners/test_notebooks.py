"""The planners' notebooks run headless top to bottom (nbclient) on a copy of the demo database."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

from toolkit.lab import PLANNERS_NOTEBOOKS


@pytest.mark.parametrize("name", ["edit-geodata", "needs"])
def test_notebook_runs_headless(name, demo_db, monkeypatch, tmp_path):
    monkeypatch.setenv("LINLI_DB", demo_db)
    nb = nbformat.read(PLANNERS_NOTEBOOKS / f"{name}.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(PLANNERS_NOTEBOOKS)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    if name == "needs":
        exports = sorted(p.name for p in (tmp_path / "exports").iterdir())
        assert [p.split("-")[0] for p in exports] == ["needs", "needs", "needs"] and any(p.endswith(".xlsx") for p in exports)
    else:
        from toolkit.store import geodata as stored
        from toolkit.store import open_store

        assert stored.current_version(open_store(demo_db)) == 1 and stored.drafts(open_store(demo_db))
