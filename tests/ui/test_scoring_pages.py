"""Scoring tablet and tally, in-process: sheets are checked in Python and by the database, the
tally locks when all sheets are in, and its export is what `linli score aggregate` reads."""

from __future__ import annotations

import base64
import re

import pytest

from toolkit.errors import StoreError
from toolkit.panels import create_panel, reviewer_by_code
from toolkit.scoring import aggregate, load_rubric, parse_score_csv
from toolkit.ui.scoring import ScoringForm, Tally
from toolkit.workspace import open_workspace


@pytest.fixture
def panel(db_url):
    from toolkit.demo import build_demo_database

    db = db_url
    build_demo_database(db, count=5)
    ws = open_workspace(db)
    panel_id, codes = create_panel(db, "东风社区微更新评审", "selection", ["1", "2", "3"], ["王芳:community", "李工:district"])
    return ws, panel_id, codes


def tally_rows(ws, panel_id):
    from toolkit.scoring import rows_from_frame

    return rows_from_frame(ws.store.panel_scores(panel_id))


def rubric_for(panel):
    return load_rubric(panel["rubric"])


def score_all(form, base):
    for i, (pid, _title) in enumerate(form.panel["projects"]):
        form.project.value = pid
        for j, picker in enumerate(form.pickers.values()):
            picker.value = (base + i * 3 + j) % 11
        assert form.submit()


def test_two_reviewers_then_lock_and_export(panel):
    ws, panel_id, codes = panel
    tally = Tally(ws.store, rubric_for, panel_id, ws.store.watcher().changed)
    assert tally.tick()
    assert "0 / 6" in tally.sheets.value and "王芳" in tally.missing.value and "李工" in tally.missing.value

    a = ScoringForm(ws.store, rubric_for, lambda c: reviewer_by_code(ws.store, c))
    assert not a.sign_in("WRONG-CODE") and "评审码不正确" in a.message.value
    typo = codes["王芳"][:-1] + ("3" if codes["王芳"][-1] != "3" else "4")
    assert not a.sign_in(typo)  # the check character catches a one-character slip
    assert a.sign_in(codes["王芳"].lower().replace("-", " "))  # typed loosely
    a.project.value = "P0001"
    assert not a.submit() and "请为每一项打分" in a.message.value  # incomplete sheet refused in Python
    score_all(a, 4)
    assert "全部评分已提交" in a.progress.value
    assert tally.tick() and "3 / 6" in tally.sheets.value and "王芳" not in tally.missing.value

    b = ScoringForm(ws.store, rubric_for, lambda c: reviewer_by_code(ws.store, c))
    assert b.sign_in(codes["李工"])
    b.project.value = "P0002"
    b.conflict.value = True  # declares a conflict for P0002: no scores
    assert b.submit()
    for pid in ("P0001", "P0003"):
        b.project.value = pid
        for j, picker in enumerate(b.pickers.values()):
            picker.value = (7 + j) % 11
        assert b.submit()
    assert tally.tick() and tally.locked and "已锁定" in tally.missing.value
    # Once final, the tally says how robust the order is (same seeded computation as the CLI).
    from toolkit.scoring import sensitivity

    expected = sensitivity(tally_rows(ws, panel_id), load_rubric("selection"), k=2, draws=400, seed=0)
    shown = re.findall(r'<li data-project="([^"]+)">[^<]*<span class="linli-user"[^>]*>[^<]*</span>: (\d+)%</li>', tally.sensitivity.value)
    assert shown == [(pid, f"{p * 100:.0f}") for pid, p in expected.top_k]
    assert ws.store.panel(panel_id)["locked_at"] is not None

    # The database refuses a late sheet, whatever a page sends.
    with pytest.raises(StoreError, match="locked"):
        ws.store.submit_sheet(b.reviewer["id"], "P0002", {"relevance": 5}, conflict=False, submission_id="late-one-123")

    href = re.search(r'id="linli-export-csv" download="[^"]+" href="data:text/csv;charset=utf-8;base64,([^"]+)"', tally.export.value).group(1)
    rows = [r for _, r in parse_score_csv(base64.b64decode(href).decode("utf-8"), "export.csv")]
    shown = re.findall(r'<tr data-project="([^"]+)"><td class="num">(\d+)</td>', tally.ranking.value)
    expected = aggregate(rows, load_rubric("selection"))
    assert [(p.id, str(p.rank)) for p in expected.projects] == shown
    assert len(shown) == 3


def test_database_refuses_values_outside_the_scale_and_second_sheets(panel):
    ws, panel_id, codes = panel
    reviewer = reviewer_by_code(ws.store, codes["王芳"])
    with pytest.raises(StoreError, match="outside the rubric scale"):
        ws.store.submit_sheet(reviewer["id"], "P0001", {"relevance": 11}, conflict=False, submission_id="s-0000000001")
    assert ws.store.submitted_sheets(panel_id) == set()  # nothing half-written
    assert ws.store.submit_sheet(reviewer["id"], "P0001", {"relevance": 5}, conflict=False, submission_id="s-0000000002")
    assert not ws.store.submit_sheet(reviewer["id"], "P0001", {"relevance": 5}, conflict=False, submission_id="s-0000000002")
    with pytest.raises(StoreError, match="already submitted"):
        ws.store.submit_sheet(reviewer["id"], "P0001", {"relevance": 6}, conflict=False, submission_id="s-0000000003")
