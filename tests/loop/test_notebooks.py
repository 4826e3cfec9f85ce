"""The loop's notebooks run headless in a real kernel against the demo carried through the loop,
with and without ids in the query (a wrong id gives a plain message, never a traceback)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from toolkit.demo import build_demo_database

ROOT = Path(__file__).resolve().parents[2] / "notebooks"
CASES = [
    ("resident/status.ipynb", "code=ZZZ-ZZZ", "没有找到这个回执码"),
    ("resident/status.ipynb", "", "办理进度查询"),
    ("resident/notice.ipynb", "", "公示"),
    ("resident/notice.ipynb", "notice=1&lang=en", "Notice no. 1"),
    ("resident/notice.ipynb", "notice=999", "链接里的编号不对"),
    ("staff/feedback.ipynb", "", "待送达"),
    ("staff/projects.ipynb", "project=1", "linli-project"),
    ("staff/projects.ipynb", "project=x1", "链接里的编号不对"),
    ("staff/notices.ipynb", "", "公示管理"),
    ("staff/dashboard.ipynb", "lang=en", "Fund use"),
]


@pytest.fixture(scope="module")
def loop_db(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("nb") / "linli.sqlite")
    build_demo_database(db, count=90, loop=True)
    return db


@pytest.mark.parametrize("path,query,expected", CASES, ids=[f"{p}?{q}" for p, q, _ in CASES])
def test_notebook_runs(loop_db, monkeypatch, path, query, expected):
    monkeypatch.setenv("LINLI_DB", loop_db)
    monkeypatch.setenv("QUERY_STRING", query)
    nb = nbformat.read(ROOT / path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT.parent)}}).execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    state = str(nb.metadata.get("widgets", {}))
    assert expected in state, f"{expected!r} not in the page"
