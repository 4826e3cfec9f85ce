"""Round pages in-process: the desk builds a round from proposals, the vote page checks in
Python whatever the browser sent, the paper desk keeps mismatches out, the results board shows
no counts before close and the explained result after."""

from __future__ import annotations

import base64
import re

import pytest

from toolkit.demo import build_demo_database
from toolkit.ui.ballot import VotePage
from toolkit.ui.rounds import PaperDesk, ResultsBoard, RoundDesk
from toolkit.voting import cast, code_problem, round_settings
from toolkit.workspace import open_workspace


@pytest.fixture
def ws(tmp_path):
    db = tmp_path / "r.sqlite"
    build_demo_database(db, count=12)
    return open_workspace(db)


def make_round(ws, kind="knapsack", amount=150_000):
    desk = RoundDesk(ws.store, ws.store.proposals_frame(), scrypt_n=2**8)
    desk.name.value = "锦绣花园第一轮"
    desk.amount.value = amount
    desk.ballot_type.value = kind
    for pid in list(desk.candidates)[:5]:
        desk.table.pick(pid, 40_000 + 10_000 * pid)
    rid = desk.create()
    assert rid is not None, desk.message.value
    return desk, rid


def test_desk_creates_round_prints_codes_opens_and_closes(ws):
    desk, rid = make_round(ws)
    r = ws.store.round(rid)
    assert r["status"] == "draft" and r["ballot_type"] == "knapsack" and r["budget_fen"] == 150_000_00
    assert [p["cost_fen"] for p in r["projects"]] == [(40_000 + 10_000 * i) * 100 for i in range(1, 6)]
    desk.codes_count.value = 3
    codes = desk.make_codes()
    sheet = base64.b64decode(re.search(r'href="data:text/html;base64,([^"]+)"', desk.codes_link.value).group(1)).decode()
    assert all(c in sheet or c.replace("-", "") in sheet for c in codes) and "<svg" in sheet
    desk.open_button.click()
    assert ws.store.round(rid)["status"] == "open"
    desk.close_button.click()
    assert ws.store.round(rid)["status"] == "open"  # not before the confirmation
    desk.confirm_close.yes.click()
    assert ws.store.round(rid)["status"] == "closed"


def vote_page(ws, rid):
    store = ws.store
    return VotePage(round_settings(store.round(rid)), lambda c: code_problem(store, rid, c),
                    lambda c, d, sid, a: cast(store, rid, c, d, submission_id=sid, assisted_by=a))


def test_vote_page_checks_in_python_what_the_browser_forces(ws):
    desk, rid = make_round(ws)
    desk.codes_count.value = 2
    codes = desk.make_codes()
    page = vote_page(ws, rid)
    assert not page.enter_code(codes[0]) and "投票还没开始" in page.code_error.value
    desk.open_button.click()
    assert not page.enter_code("AAA-AAA-AAA")
    assert page.enter_code(codes[0])
    for pid in ("P0001", "P0002", "P0003"):  # ¥50,000 + ¥60,000 + ¥70,000 > ¥150,000
        page.editor.toggle(pid)
    assert "超出预算 ¥30,000" in page.meter.value and page.review_button.disabled
    page.review_button.disabled = False  # what a browser can do
    page.review_button.click()
    assert "超出预算 ¥30,000" in page.error.value and page.review_box.layout.display == "none"
    assert not page.confirm() and "超出预算 ¥30,000" in page.confirm_error.value  # the confirm path checks too
    assert ws.store.turnout(rid)["ballots"] == 0
    page.editor.toggle("P0003")
    page.review_button.click()
    assert "P0001" not in page.summary.value and "¥50,000" in page.summary.value
    page.confirm_button.click()
    receipt = re.search(r'id="linli-vote-receipt">([^<]+)<', page.receipt.value).group(1)
    assert ws.store.turnout(rid)["ballots"] == 1 and len(receipt) == 7
    assert ws.store.counted_ballots(rid) == [{"P0001": 1, "P0002": 1}]
    again = vote_page(ws, rid)
    assert not again.enter_code(codes[0]) and "已经投过票" in again.code_error.value


def test_results_board_hides_counts_until_close_then_explains(ws):
    desk, rid = make_round(ws)
    desk.codes_count.value = 3
    codes = desk.make_codes()
    desk.open_button.click()
    for n, (code, picks) in enumerate(zip(codes, (["P0001"], ["P0001", "P0002"], ["P0003"]))):
        cast(ws.store, rid, code, {"projects": picks}, submission_id=f"rb-{n:05d}")
    board = ResultsBoard(ws.store, rid, ws.district, ws.store.watcher().changed)
    assert board.tick()
    assert "已投 3 票" in board.turnout.value and "投票结束前不显示得票" in board.summary.value
    assert board.table.value == "" and board.compare.value == "" and board.export.value == ""
    desk.close_button.click()
    desk.confirm_close.yes.click()
    assert board.tick()
    rows = dict(re.findall(r'data-project="([^"]+)" data-funded="(\d)"', board.table.value))
    assert rows == {"P0001": "1", "P0002": "1", "P0003": "0", "P0004": "0", "P0005": "0"}
    assert "获得资助" in board.table.value and "linli-export-pb" in board.export.value


def test_paper_desk_double_entry(ws):
    desk, rid = make_round(ws, kind="approval")
    desk.codes_count.value = 1
    desk.make_codes()
    desk.open_button.click()
    paper = PaperDesk(ws.store, rid)
    for operator, picks in (("张敏", ["P0001"]), ("刘洋", ["P0001", "P0004"])):
        paper.operator.value, paper.serial.value = operator, "0007"
        for pid in picks:
            paper.editor.toggle(pid)
        assert paper.enter(), paper.message.value
    assert 'data-status="mismatch"' in paper.state.value
    name = paper.settings.project("P0004").name.zh
    assert f"项目 4. {name}" in paper.state.value and "projects." not in paper.state.value  # a label, not a field id
    assert ws.store.turnout(rid)["ballots"] == 0
    paper.operator.value, paper.serial.value, paper.resolver.value = "王强", "0007", True
    paper.editor.toggle("P0001")
    assert paper.enter()
    assert 'data-status="resolved"' in paper.state.value and ws.store.counted_ballots(rid) == [{"P0001": 1}]


def test_one_code_per_household(ws):
    desk = RoundDesk(ws.store, ws.store.proposals_frame(), scrypt_n=2**8)
    desk.voters.value = "household"
    for pid in list(desk.candidates)[:3]:
        desk.table.pick(pid)
    rid = desk.create()
    assert desk.households.layout.display == "flex"
    desk.households.value = "3栋2单元501\n3栋2单元501\n"
    assert desk.make_codes() == [] and "每行填写一户" in desk.codes_link.value
    desk.households.value = "3栋2单元501\n3栋2单元502\n5栋1单元101\n"
    codes = desk.make_codes()
    assert len(codes) == 3 and ws.store.turnout(rid)["codes_issued"] == 3


def test_vote_page_shows_the_candidates_on_a_map(ws):
    desk, rid = make_round(ws)
    page = VotePage(round_settings(ws.store.round(rid)), lambda c: None, lambda *a: ("X", True), district=ws.district)
    maps = [c for c in page.ballot.children if c.__class__.__name__ == "Map"]
    assert len(maps) == 1
    pins = [layer for layer in maps[0].layers if layer.__class__.__name__ == "Marker"]
    located = [p for p in ws.store.round(rid)["projects"] if p["lon"] is not None]
    assert len(pins) == len(located) > 0


def test_code_sheet_qr_opens_the_vote_page_when_public_url_is_set(ws):
    from toolkit.rounds.sheets import qr_svg

    desk = RoundDesk(ws.store, ws.store.proposals_frame(), scrypt_n=2**8, public_url="http://192.168.1.10:8866")
    for pid in list(desk.candidates)[:2]:
        desk.table.pick(pid)
    rid = desk.create()
    assert desk.sheet_link() == f"http://192.168.1.10:8866/voila/render/vote.ipynb?round={rid}&code={{code}}"
    desk.codes_count.value = 1
    code = desk.make_codes()[0].replace("-", "")
    sheet = base64.b64decode(re.search(r'href="data:text/html;base64,([^"]+)"', desk.codes_link.value).group(1)).decode()
    # The card's QR is the QR of the link with this code (same encoder, same text → same SVG).
    url_qr = qr_svg(desk.sheet_link().replace("{code}", code))
    assert re.search(r'd="([^"]+)"', url_qr).group(1) in sheet
    assert re.search(r'd="([^"]+)"', qr_svg(code)).group(1) not in sheet
