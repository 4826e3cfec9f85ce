"""Paper-ballot desk in the page's language (issue 10): the saved role and the fields of a mismatch
are words ("第一位录入员", "项目 4. 名称"), not ids ("first", "projects.P0004"); store refusals too."""

from __future__ import annotations

import re

import pytest

from toolkit.demo import build_demo_database
from toolkit.ui.rounds import PaperDesk, RoundDesk
from toolkit.workspace import open_workspace

CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def setup(tmp_path):
    db = tmp_path / "p.sqlite"
    build_demo_database(db, count=240)
    ws = open_workspace(db)
    desk = RoundDesk(ws.store, ws.store.proposals_frame(), scrypt_n=2**8)
    desk.name.value = "锦绣花园第一轮"
    desk.ballot_type.value = "ranking"
    for pid in list(desk.candidates)[:5]:
        desk.table.pick(pid, 1000 * pid)
    rid = desk.create()
    desk.codes_count.value = 2
    desk.make_codes()  # voting opens only once codes are issued
    desk.open_button.click()
    return ws, rid, desk


def enter(paper, operator, serial, picks, resolver=False):
    paper.operator.value, paper.serial.value, paper.resolver.value = operator, serial, resolver
    for pid in picks:
        paper.editor.toggle(pid)
    return paper.enter()


def test_zh_paper_desk_speaks_chinese(setup):
    ws, rid, _desk = setup
    paper = PaperDesk(ws.store, rid, lang="zh")
    assert enter(paper, "张敏", "0007", ["P0001", "P0004"])
    assert "已保存（第一位录入员）" in paper.message.value
    assert enter(paper, "刘洋", "0007", ["P0001", "P0002"])
    assert "已保存（第二位录入员）" in paper.message.value
    state = visible(paper.state.value)
    assert "第 2 名" in state and "mismatch" not in state and "ranking[" not in state
    assert not LATIN.search(state.replace("0007", ""))
    assert enter(paper, "王强", "0007", ["P0001", "P0002"], resolver=True)
    assert "已保存（第三人核对）" in paper.message.value


def test_en_paper_desk_speaks_english(setup):
    ws, rid, _desk = setup
    paper = PaperDesk(ws.store, rid, lang="en")
    assert enter(paper, "Zhang", "0009", ["P0003"])
    assert "Saved (first operator)" in paper.message.value
    assert not CJK.search(visible(paper.message.value))


def test_store_refusals_in_the_page_language(setup):
    ws, rid, desk = setup
    zh = PaperDesk(ws.store, rid, lang="zh")
    en = PaperDesk(ws.store, rid, lang="en")
    desk.close_button.click()  # the round closes under the operators' feet
    desk.confirm_close.yes.click()
    assert not enter(zh, "张敏", "0011", ["P0001"])
    shown = visible(zh.message.value)
    assert "投票还没开始或已经结束" in shown and not LATIN.search(shown)
    assert not enter(en, "Zhang", "0011", ["P0001"])
    assert "Voting is not open" in en.message.value and not CJK.search(visible(en.message.value))


def test_approval_mismatch_names_the_project():
    from toolkit.labels import Label
    from toolkit.rounds import Fund, Project, RoundSettings
    from toolkit.rounds.settings import Approval

    settings = RoundSettings(
        "t", Label("轮", "Round"),
        (Project("A", Label("充电棚", "Charging shed"), 100), Project("B", Label("凉亭", "Pavilion"), 100)),
        (Fund("f", Label("资金", "Fund"), 1000),), Approval(),
    )
    paper = PaperDesk.__new__(PaperDesk)
    paper.settings, paper.lang = settings, "zh"
    assert paper.difference_label("projects.B") == "项目 2. 凉亭"
    assert paper.difference_label("points.A") == "项目 1. 充电棚 的积分"
    paper.lang = "en"
    assert paper.difference_label("projects.B") == "project 2. Pavilion"
    assert paper.difference_label("assisted") == "whether it was assisted"
