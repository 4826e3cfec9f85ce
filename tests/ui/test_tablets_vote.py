"""Shared vote tablets (issue 10): "下一位" resets at once, an idle tablet goes back to the code
screen (never during a submit), the grid-worker field only in the assisted mode, a disabled
"下一步" says why, cards and map markers carry the same numbers; a page switches its language in
place, and a preheated kernel's page, built before its request, ends up as the on-demand one."""

from __future__ import annotations

import re

import ipywidgets as w
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


def shown(widget) -> object:
    """Everything a browser gets of a widget tree: each widget's synced state, with the widgets it
    refers to (children, layout, map layers, icons …) replaced by what they show."""

    def walk(value):
        if isinstance(value, w.Widget):
            return {"class": type(value).__name__, **{k: walk(getattr(value, k)) for k in sorted(value.keys) if k != "_model_id"}}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(widget)


@pytest.mark.parametrize("first,then", [("zh", "en"), ("en", "zh")])
def test_set_lang_shows_the_page_as_one_built_in_that_language(ws, opened, first, then):
    """Every text (heading, code screen, cards, map legend and labels, meter, buttons of every
    screen) as the page built in the other language has it, and the messages that follow too."""
    rid, codes = opened
    switched, built = (VotePage(round_settings(ws.store.round(rid)), lambda c: code_problem(ws.store, rid, c), lambda *a: ("X", True),
                                lang=lang, district=ws.district, submission_id="same-sid-for-both") for lang in (first, then))
    before = shown(switched.root)
    switched.set_lang(then)
    assert shown(switched.root) == shown(built.root) != before
    assert switched.map is not None and switched.map.linli_labels.lang == then
    for page in (switched, built):
        page.code_box.value = "WRONG-CODE"
        page.start.click()
    assert switched.code_error.value == built.code_error.value != ""
    assert shown(switched.root) == shown(built.root)


# -- a preheated kernel: the page is built before its visitor's request ----------------------
@pytest.fixture
def kernel(monkeypatch):
    """A kernel running the vote page, recording in ``events`` what it displayed, when the visitor's
    request came (with ``query``; ``meanwhile`` runs just before, as if while the kernel waited) and
    when an idle timer started. ``preheat()`` makes it a pool kernel, ``on_demand()`` an ordinary one."""
    import voila.utils

    from toolkit.ui import nav, pages

    class Kernel:
        def __init__(self) -> None:
            self.events: list[tuple] = []
            self.query = ""
            self.meanwhile = lambda: None

        def preheat(self) -> None:
            monkeypatch.setenv("VOILA_PREHEAT", "True")
            monkeypatch.setattr(nav, "_REQUEST_SEEN", False)
            monkeypatch.setenv("QUERY_STRING", "")

        def on_demand(self) -> None:
            monkeypatch.delenv("VOILA_PREHEAT", raising=False)
            monkeypatch.setenv("QUERY_STRING", self.query)

        def wait_for_request(self) -> None:
            self.events.append(("request",))
            self.meanwhile()
            monkeypatch.setenv("QUERY_STRING", self.query)

    k = Kernel()
    monkeypatch.delenv("LINLI_LANG", raising=False)
    monkeypatch.setattr(voila.utils, "wait_for_request", k.wait_for_request)
    monkeypatch.setattr(pages, "display", lambda widget: k.events.append(("display", widget, tuple(widget.children) if isinstance(widget, w.Box) else None)))
    monkeypatch.setattr(VotePage, "start_idle_timer", lambda page: k.events.append(("timer", page.root)))
    return k


def test_preheated_vote_page_is_built_ahead_then_fitted_to_the_request(ws, opened, kernel):
    from toolkit.ui import pages

    rid, codes = opened
    kernel.query = f"lang=en&code={codes[0]}&sid=reload-after-crash-42"
    kernel.preheat()
    frame = pages.vote_page(ws.settings.db)
    assert [e[0] for e in kernel.events] == ["display", "request", "timer"]  # the idle clock only runs for a visitor
    (_, displayed, built_ahead), _request, (_, timed) = kernel.events
    assert displayed is frame and frame.children == built_ahead and timed is built_ahead[0]  # switched in place, not rebuilt
    kernel.on_demand()
    on_demand = pages.vote_page(ws.settings.db)
    assert shown(frame.children[0]) == shown(on_demand)
    _heading, login, *_rest, sid_marker = on_demand.children
    code_box, start = login.children[1].children
    assert start.description == "Start voting" and "linli-lang-en" in on_demand._dom_classes
    assert code_box.value == codes[0] and 'data-sid="reload-after-crash-42"' in sid_marker.value


@pytest.mark.parametrize("change", ["closed meanwhile", "another round asked for", "a newer round opened", "a bad round id"])
def test_preheated_vote_page_is_built_again_when_the_round_is_not_the_one_built(ws, opened, kernel, change):
    """What the visitor sees is what the page shows on demand, in the place of the page built ahead."""
    from toolkit.ui import pages
    from toolkit.ui.texts import T
    from toolkit.voting import issue_codes

    rid, _codes = opened
    other = _another_round(ws)
    query = {"closed meanwhile": "lang=en", "another round asked for": f"round={other}&lang=en",
             "a newer round opened": "lang=en", "a bad round id": "round=abc&lang=en"}[change]
    kernel.query = query + "&sid=reload-after-crash-42"
    if change == "closed meanwhile":
        kernel.meanwhile = lambda: ws.store.set_round_status(rid, "closed")
    elif change == "a newer round opened":
        issue_codes(ws.store, other, 1)
        kernel.meanwhile = lambda: ws.store.set_round_status(other, "open")
    kernel.preheat()
    frame = pages.vote_page(ws.settings.db)
    ballot = change in ("another round asked for", "a newer round opened")
    assert [e[0] for e in kernel.events] == ["display", "request"] + (["timer"] if ballot else [])
    built_ahead = kernel.events[0][2]
    assert "linli-vote" in built_ahead[0]._dom_classes and frame.children != built_ahead
    kernel.on_demand()
    kernel.events.clear()
    on_demand = pages.vote_page(ws.settings.db)
    assert shown(frame.children[0]) == shown(on_demand)
    if change == "closed meanwhile":
        assert T["vote_no_round"].get("en") in on_demand.value
    elif change == "a bad round id":
        assert "No such round" in on_demand.value
    else:
        assert "Second round" in on_demand.children[0].value


def test_preheated_vote_page_without_an_open_round_waits_for_the_request(ws, kernel):
    from toolkit.ui import pages
    from toolkit.ui.texts import T

    kernel.query = "lang=en"
    kernel.preheat()
    page = pages.vote_page(ws.settings.db)
    assert [e[0] for e in kernel.events] == ["request", "display"] and T["vote_no_round"].get("en") in page.value


def _another_round(ws) -> int:
    """A second (draft) round, created after the open one."""
    from toolkit.labels import Label
    from toolkit.rounds import Approval, Fund, Project, RoundSettings
    from toolkit.voting import create_round

    projects = (Project("A", Label("凉亭", "Pavilion"), 60_000_00), Project("B", Label("长椅", "Benches"), 10_000_00))
    return create_round(ws.store, RoundSettings("second", Label("第二轮", "Second round"), projects,
                                                (Fund("f", Label("共有资金", "Shared fund"), 100_000_00),), Approval(max_picks=2)), scrypt_n=2**8)
