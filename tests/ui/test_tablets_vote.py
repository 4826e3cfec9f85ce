"""Shared vote tablets (issue 10): "下一位" resets at once, an idle tablet goes back to the code
screen (never during a submit), the grid-worker field only in the assisted mode, a disabled
"下一步" says why, cards and map markers carry the same numbers."""

from __future__ import annotations

import re

import pytest

from toolkit.demo import build_demo_database
from toolkit.ui.ballot import VotePage, project_numbers
from toolkit.ui.rounds import RoundDesk
from toolkit.voting import cast, code_problem, round_settings
from toolkit.workspace import open_workspace


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ws(tmp_path):
    db = tmp_path / "r.sqlite"
    build_demo_database(db, count=240)
    return open_workspace(db)


@pytest.fixture
def opened(ws):
    desk = RoundDesk(ws.store, ws.store.proposals_frame(), scrypt_n=2**8)
    desk.name.value = "锦绣花园第一轮"
    desk.amount.value = 150_000
    desk.ballot_type.value = "knapsack"
    for pid in list(desk.candidates)[:5]:
        desk.table.pick(pid, 40_000 + 10_000 * pid)
    rid = desk.create()
    desk.codes_count.value = 4
    codes = desk.make_codes()
    desk.open_button.click()
    return rid, codes


def page_for(ws, rid, clock=None, idle=120.0, lang="zh", district=None):
    store = ws.store
    return VotePage(
        round_settings(store.round(rid)), lambda c: code_problem(store, rid, c),
        lambda c, d, sid, a: cast(store, rid, c, d, submission_id=sid, assisted_by=a),
        lang=lang, idle_seconds=idle, clock=clock or Clock(), district=district,
    )


def test_next_voter_resets_everything_at_once(ws, opened):
    rid, codes = opened
    page = page_for(ws, rid)
    assert page.enter_code(codes[0])
    page.assist_toggle.value = True
    page.assisted.value = "网格员李"
    page.editor.toggle("P0001")
    assert page.review() and page.confirm()
    assert page.screen == "receipt" and page.next_button.layout.display != "none"
    first_sid = page.submission_id
    page.next_button.click()
    assert page.screen == "login" and page.login.layout.display == "flex"
    assert page.code_box.value == "" and page.code is None and page.editor.data() == {"projects": []}
    assert not page.assist_toggle.value and page.assisted.value == "" and page.receipt.value == ""
    assert page.submission_id != first_sid
    assert page.enter_code(codes[1])  # the next resident votes with their own code
    page.editor.toggle("P0002")
    assert page.review() and page.confirm()
    assert ws.store.turnout(rid)["ballots"] == 2
    assert sorted(map(sorted, (b.keys() for b in ws.store.counted_ballots(rid)))) == [["P0001"], ["P0002"]]


def test_idle_tablet_returns_to_the_code_screen(ws, opened):
    rid, codes = opened
    clock = Clock()
    page = page_for(ws, rid, clock, idle=120)
    assert not page.idle_check()  # empty code screen: nothing to reset
    assert page.enter_code(codes[0])
    page.editor.toggle("P0001")
    clock.now += 100
    assert not page.idle_check() and page.screen == "ballot"
    page.editor.toggle("P0002")  # a touch restarts the clock
    clock.now += 100
    assert not page.idle_check()
    clock.now += 21
    assert page.idle_check()
    assert page.screen == "login" and page.code is None and page.editor.data() == {"projects": []}
    assert ws.store.turnout(rid)["ballots"] == 0


def test_idle_reset_never_during_a_confirmed_submit(ws, opened):
    rid, codes = opened
    clock = Clock()
    page = page_for(ws, rid, clock, idle=120)
    seen = []
    inner = page.cast

    def slow_cast(*args):
        clock.now += 500  # the submit takes long; the idle check runs meanwhile
        seen.append(page.idle_check())
        return inner(*args)

    page.cast = slow_cast
    assert page.enter_code(codes[0])
    page.editor.toggle("P0001")
    assert page.review() and page.confirm()
    assert seen == [False] and page.screen == "receipt"
    assert ws.store.turnout(rid)["ballots"] == 1
    clock.now += 121  # the receipt does not stay forever on a shared tablet
    assert page.idle_check() and page.screen == "login"


def test_idle_zero_never_resets(ws, opened):
    rid, codes = opened
    clock = Clock()
    page = page_for(ws, rid, clock, idle=0)
    page.enter_code(codes[0])
    clock.now += 10_000
    assert not page.idle_check() and page.screen == "ballot"


def test_grid_worker_field_only_in_assisted_mode(ws, opened):
    rid, codes = opened
    page = page_for(ws, rid)
    assert page.assisted.layout.display == "none" and "工作人员协助" in page.assist_toggle.description
    page.assisted.value = "伪造的代填人"  # a forged value while the field is hidden is ignored
    page.enter_code(codes[0])
    page.editor.toggle("P0001")
    assert page.review() and page.confirm()
    assert ws.store.turnout(rid)["by_channel"] == {"tablet": 1}
    page.next_voter()
    page.assist_toggle.value = True
    assert page.assisted.layout.display == "flex"
    page.assisted.value = "网格员李"
    page.enter_code(codes[1])
    page.editor.toggle("P0001")
    assert page.review() and page.confirm()
    assert ws.store.turnout(rid)["by_channel"] == {"tablet": 1, "assisted": 1}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_disabled_next_says_why(ws, opened, lang):
    rid, codes = opened
    page = page_for(ws, rid, lang=lang)
    page.enter_code(codes[0])
    assert page.review_button.disabled
    assert ("请先选择至少一个项目" if lang == "zh" else "Choose at least one project") in page.why_disabled.value
    for pid in ("P0001", "P0002", "P0003"):  # ¥50,000 + ¥60,000 + ¥70,000 > ¥150,000
        page.editor.toggle(pid)
    assert page.review_button.disabled
    assert "¥30,000" in page.why_disabled.value
    assert ("超出预算" in page.why_disabled.value) if lang == "zh" else ("over the budget" in page.why_disabled.value)
    page.editor.toggle("P0003")
    assert not page.review_button.disabled and page.why_disabled.value == ""


def test_cards_and_markers_numbered_alike(ws, opened):
    rid, _codes = opened
    page = page_for(ws, rid, district=ws.district)
    cards = dict(re.findall(r'data-project="([^"]+)" data-number="(\d+)"', "".join(
        c.children[0].value for c in page.editor.root.children)))
    maps = [c for c in page.ballot.children if c.__class__.__name__ == "Map"]
    pins = {}
    for layer in maps[0].layers:
        if layer.__class__.__name__ == "Marker":
            pid, n, shown = re.search(r'data-project="([^"]+)" data-number="(\d+)">(\d+)<', layer.icon.html).groups()
            assert n == shown
            pins[pid] = n
    assert pins and all(cards[pid] == n for pid, n in pins.items())
    numbers = project_numbers(page.settings)
    assert {pid: str(n) for pid, n in numbers.items()} == cards
