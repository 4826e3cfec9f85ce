"""Navigation in-process: ids from the URL (a bad one is never read as another), links that keep
the language and the staff token, the staff home's lists and links, a panel created from the
home page, the residents' tiles, the page factories' bad-id and error pages, the results board's
bars, plain rule names and map legend."""

from __future__ import annotations

import re

import pytest

from toolkit.demo import build_demo_database
from toolkit.labels import Label
from toolkit.panels import reviewer_by_code
from toolkit.rounds import Approval, Fund, Project, RoundSettings
from toolkit.store import open_store
from toolkit.ui import nav, pages
from toolkit.ui.home import PanelForm, StaffHome, resident_home, resident_tiles
from toolkit.ui.rulenames import rule_html, rule_words
from toolkit.voting import create_round, issue_codes


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "nav.sqlite"
    build_demo_database(path, count=12)
    monkeypatch.setenv("LINLI_DB", str(path))
    monkeypatch.setenv("QUERY_STRING", "")
    return str(path)


def a_round(store, name="锦绣<花园>第一轮") -> int:
    projects = (Project("A", Label("凉亭", "Pavilion"), 60_000_00), Project("B", Label("长椅", "Benches"), 10_000_00))
    s = RoundSettings("r", Label(name, name), projects, (Fund("f", Label("共有资金", "Shared fund"), 100_000_00),), Approval(max_picks=2))
    return create_round(store, s, scrypt_n=2**8)


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "1.5", "٣", " ", "1e3", "99"])
def test_bad_ids_raise_never_fall_back(monkeypatch, raw):
    monkeypatch.setenv("QUERY_STRING", f"round={raw}")
    with pytest.raises(nav.BadId) as err:
        nav.requested_id("round", [1, 2, 3])
    assert err.value.kind == "round" and err.value.value == raw


def test_ids_and_links(monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "round=2&token=t0k&lang=en")
    assert nav.requested_id("round", [1, 2]) == 2
    assert nav.requested_id("panel") is None
    assert nav.href("results", "en", round=2) == "results.ipynb?token=t0k&lang=en&round=2"
    assert nav.switch_href("en") == "?round=2&token=t0k&lang=zh"
    bar = nav.top_bar("results", "en").value
    assert "Home" in bar and "Results" in bar and 'href="home.ipynb?token=t0k&amp;lang=en"' in bar


def test_page_factories_show_plain_pages_for_bad_ids_and_failures(db, monkeypatch, tmp_path):
    monkeypatch.setenv("QUERY_STRING", "round=abc&lang=en")
    page = pages.results_page(db)
    text = page.children[1].value
    assert "No such round" in text and "abc" in text and "Back to home" in text
    monkeypatch.setenv("QUERY_STRING", "round=abc")
    assert "没有这个轮次" in pages.round_desk_page(db).children[1].value
    monkeypatch.setenv("QUERY_STRING", "panel=7")
    assert "没有这个评审组" in pages.tally_page(db).children[1].value
    monkeypatch.setenv("QUERY_STRING", "plan=x&lang=en")
    assert "No such plan" in pages.plan_page(db).children[1].value
    monkeypatch.setenv("QUERY_STRING", "round=abc&lang=en")
    assert "No such round" in pages.vote_page(db).value
    monkeypatch.setenv("QUERY_STRING", "")  # no round yet: say so, with a link home
    assert "还没有预算轮次" in pages.paper_page(db).children[1].value
    # any failure while building a page: one sentence in the page's language, no traceback
    monkeypatch.setenv("QUERY_STRING", "lang=en")
    page = pages.results_page(str(tmp_path))  # a folder, not a database: the store cannot open it
    assert "cannot open right now" in page.children[1].value and "Traceback" not in page.children[1].value


def test_round_desk_page_with_a_good_id_shows_that_round(db, monkeypatch):
    store = open_store(db)
    first, second = a_round(store), a_round(store, "第二轮")
    monkeypatch.setenv("QUERY_STRING", f"round={first}")
    page = pages.round_desk_page(db)
    html = " ".join(getattr(c, "value", "") for c in page.children[1].children[0].children[3].children)
    assert f"第 {first} 轮" in html and f"第 {second} 轮" not in html


def test_staff_home_lists_everything_with_links(db):
    store = open_store(db)
    rid = a_round(store)
    plan = store.create_plan("<script>x</script>计划", 6)
    home = StaffHome(store, "zh", households=1234)
    html = home.overview.value
    assert '<div class="linli-count" data-count="proposals"><b>12</b>' in html and "1,234" in html
    assert f'href="round-desk.ipynb?lang=zh&amp;round={rid}"' in html and f'href="results.ipynb?lang=zh&amp;round={rid}"' in html
    assert f'href="plan.ipynb?lang=zh&amp;plan={plan}"' in html and "<script>x" not in html and "&lt;script&gt;" in html
    assert "锦绣&lt;花园&gt;第一轮" in html and "准备中" in html
    assert "12 条待筛选" not in html and "待筛选" in html


def test_panel_form_checks_then_shows_codes_once(db):
    store = open_store(db)
    created = []
    form = PanelForm(store, "en", ("selection",), on_created=created.append)
    form.show()
    assert form.create() is None and "Give the panel a name." in form.message.value
    form.name.value = "Dongfeng panel"
    form.projects.value = tuple(v for _label, v in form.projects.options[:2])
    form.reviewer_rows[0][0].value = "王芳"
    form.reviewer_rows[1][0].value = "王芳"
    assert form.create() is None and "listed twice" in form.message.value
    form.reviewer_rows[1][0].value = "李工"
    form.reviewer_rows[1][1].value = "district"
    pid = form.create()
    assert pid == created[0] and len(store.panel(pid)["projects"]) == 2
    codes = re.findall(r'class="linli-code">([^<]+)<', form.codes.value)
    assert [reviewer_by_code(store, c)["name"] for c in codes] == ["王芳", "李工"]
    assert f"tally.ipynb?lang=en&amp;panel={pid}" in form.codes.value
    assert form.reviewer_rows[0][0].value == "" and form.form.layout.display == "none"  # the codes are not kept in the form


def test_resident_tiles_follow_the_open_round(db):
    store = open_store(db)
    tiles = resident_tiles(store, "zh", ("propose", "vote", "scoring", "home", "status", "someday"))
    assert [t.page for t in tiles] == ["propose", "vote", "scoring", "status"]  # "someday" has no tile texts: not offered
    assert not tiles[1].enabled and "现在没有正在进行的投票" in tiles[1].hint
    rid = a_round(store)
    issue_codes(store, rid, 1)
    store.set_round_status(rid, "open")
    tiles = resident_tiles(store, "en", ("propose", "vote", "scoring"))
    assert tiles[1].enabled and dict(tiles[1].params) == {"round": rid}
    html = resident_home(tiles, "en").value
    assert f'href="vote.ipynb?lang=en&amp;round={rid}"' in html and "Vote" in html
    assert not re.search(r"[\u4e00-\u9fff]", re.sub(r'<a class="linli-lang-link".*?</a>', "", html).replace("锦绣&lt;花园&gt;第一轮", ""))


def test_rule_names_in_plain_words():
    assert rule_words("mes:cost:add1-greedy", "zh").startswith("平等份额法")
    assert rule_words("greedy-votes", "en") == "Most votes first"
    assert "mes:" not in rule_words("mes:cardinality:add1", "en")
    assert '<small class="linli-id">rule id: phragmen</small>' in rule_html("phragmen", "en")


def test_results_board_bars_and_legend(db):
    import ipyleaflet

    from toolkit.geo import load_district
    from toolkit.settings import load_settings
    from toolkit.ui.rounds import ResultsBoard
    from toolkit.voting import cast, close_round

    store = open_store(db)
    rid = a_round(store)
    codes = issue_codes(store, rid, 2)
    store.set_round_status(rid, "open")
    cast(store, rid, codes[0], {"projects": ["A"]}, submission_id="s1")
    close_round(store, rid)
    board = ResultsBoard(store, rid, load_district(load_settings().geodata), lambda: True, lang="en")
    board.tick()
    html = board.table.value
    assert 'data-project="A" data-funded="1" data-votes="1"' in html and 'data-project="B" data-funded="0" data-votes="0"' in html
    assert "Not funded: 0 votes, the minimum is 1." in html  # minimum support 1 by default
    assert "Most votes first" in html and "mes:" not in board.compare.value.split("<small")[0]
    legend = board.map.linli_legend.value
    assert "Funded</div>" in legend and "Not funded</div>" in legend and "#1b5e20" in legend


def test_new_plan_form_from_the_home_link(db, monkeypatch):
    """(The id going into the address is a browser matter: tests/browser/test_navigation.py.)"""
    store = open_store(db)
    monkeypatch.setenv("QUERY_STRING", "new=1")
    page = pages.plan_page(db)
    desk_root, address = page.children[1].children
    creator = desk_root.children[1]
    assert creator.layout.display == "flex"  # ?new=1 opens the form for a new plan
    new_button = creator.children[-1]
    new_button.click()
    assert len(store.plans()) == 1 and creator.layout.display == "none"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_resident_page_links_back_to_the_tiles_in_its_language(db, monkeypatch, lang):
    """A resident who opened propose, scoring, status or a notice gets back to the landing page
    (its tiles) with one tap, in the page's language, without the code or the staff token."""
    store = open_store(db)
    rid = a_round(store)
    issue_codes(store, rid, 1)
    store.set_round_status(rid, "open")
    shown: list = []
    monkeypatch.setattr(pages, "display", shown.append)
    monkeypatch.setenv("QUERY_STRING", f"lang={lang}&code=ABC-DEF")
    home = "首页" if lang == "zh" else "Home"
    for factory in (pages.propose_page, pages.scoring_page, pages.status_page, pages.notice_page):
        shown.clear()
        factory(db)
        links = [c.value for c in shown[-1].children if "linli-resident-nav" in c._dom_classes]
        assert links == [f'<a class="linli-back-home" href="home.ipynb?lang={lang}">⌂ {home}</a>'], factory.__name__


def test_the_propose_home_link_follows_the_page_language_switch(db, monkeypatch):
    shown: list = []
    monkeypatch.setattr(pages, "display", shown.append)
    pages.propose_page(db)
    link, form_root = shown[-1].children[0], shown[-1].children[1]
    switch = form_root.children[0].children[1]
    switch.value = "en"
    assert link.value == '<a class="linli-back-home" href="home.ipynb?lang=en">⌂ Home</a>'
