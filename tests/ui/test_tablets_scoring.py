"""Scoring tablet as a reviewer meets it (issue 10): after the code the first unfinished project
is selected, so scoring and submitting works without touching the project list; finished
projects carry ✓ and a count; the reviewer sees description, cost and place; the conflict
declaration is a large toggle that stays visible; refusals come out in the page's language."""

from __future__ import annotations

import re

import pytest

from toolkit.errors import StoreError
from toolkit.panels import create_panel, project_info, reviewer_by_code
from toolkit.scoring import load_rubric
from toolkit.ui.scoring import ScoringForm
from toolkit.workspace import open_workspace

LATIN = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture
def panel(tmp_path):
    from toolkit.demo import build_demo_database

    db = str(tmp_path / "linli.sqlite")
    build_demo_database(db, count=240)
    ws = open_workspace(db)
    panel_id, codes = create_panel(db, "东风社区微更新评审", "selection", ["3", "1", "7"], ["王芳:community", "李工:district"])
    return ws, panel_id, codes


def form_for(ws, lang="zh"):
    store = ws.store
    return ScoringForm(
        store, lambda p: load_rubric(p["rubric"]), lambda c: reviewer_by_code(store, c), lang=lang,
        project_info=lambda pid: project_info(store, pid), district=ws.district,
    )


def score(form, value=6):
    for picker in form.pickers.values():
        picker.value = value


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_code_then_score_then_submit_without_choosing_a_project(panel):
    ws, panel_id, codes = panel
    form = form_for(ws)
    assert form.sign_in(codes["王芳"])
    assert form.project.value == "P0001"  # the first unfinished project is selected
    assert "0 / 3" in form.done_count.value
    score(form)
    assert form.submit(), form.message.value
    assert form.project.value == "P0003"  # moves on to the next unfinished one
    labels = [label for label, _ in form.project.options]
    assert labels[0].startswith("✓ P0001") and not labels[1].startswith("✓")
    assert "1 / 3" in form.done_count.value
    score(form)
    assert form.submit()
    form.conflict.value = True
    assert form.criteria_box.layout.display == "none"
    assert "已申请回避" in form.conflict.description  # the declaration stays in sight, in words
    assert form.submit()
    assert "全部评分已提交" in form.progress.value and "3 / 3" in form.done_count.value
    assert all(label.startswith("✓") for label, _ in form.project.options)
    assert form.submit_button.disabled
    done = ws.store.submitted_sheets(panel_id)
    assert done == {(form.reviewer["id"], p) for p in ("P0001", "P0003", "P0007")}


def test_reviewer_sees_description_cost_and_place(panel):
    ws, _panel_id, codes = panel
    form = form_for(ws)
    form.sign_in(codes["李工"])
    p1 = ws.store.proposal(1)
    text = visible_text(form.details.value)
    assert p1["title"] in text and p1["problem"][:10] in text
    assert ("预估费用" in text) and (("¥" in text) == (p1["cost_fen"] is not None))
    assert form.map is not None and form._marker is not None
    assert form._marker.location == [p1["lat"], p1["lon"]] or tuple(form._marker.location) == (p1["lat"], p1["lon"])
    form.project.value = "P0007"
    assert ws.store.proposal(7)["title"] in visible_text(form.details.value)


def test_no_project_is_refused_in_words_not_with_a_database_message(panel):
    ws, _panel_id, codes = panel
    for lang, words in (("zh", "请先在上面选一个项目"), ("en", "Choose a project above first")):
        form = form_for(ws, lang)
        form.sign_in(codes["王芳"])
        form.project.value = None  # what the page showed before: nothing selected
        score(form)
        assert not form.submit()
        assert words in form.message.value and "FOREIGN" not in form.message.value


def test_store_refuses_a_project_outside_the_panel_with_a_key(panel):
    ws, _panel_id, codes = panel
    reviewer = reviewer_by_code(ws.store, codes["王芳"])
    with pytest.raises(StoreError) as info:
        ws.store.submit_sheet(reviewer["id"], "None", {"relevance": 5}, conflict=False, submission_id="s-none-000001")
    assert info.value.key == "sheet_project"


def test_refusals_in_the_page_language(panel):
    ws, panel_id, codes = panel
    zh = form_for(ws, "zh")
    zh.sign_in(codes["王芳"])
    score(zh)
    ws.store.lock_panel(panel_id)
    assert not zh.submit()
    shown = visible_text(zh.message.value)
    assert "评分已锁定" in shown and not LATIN.search(shown)
    en = form_for(ws, "en")
    en.sign_in(codes["李工"])
    score(en)
    assert not en.submit() and "Scoring is locked" in en.message.value
