"""Maps (issue 10): compound names as labels chosen by zoom, a legend on every map in the page's
language, the newest proposal highlighted on the live map."""

from __future__ import annotations

import html
import re

import pytest
from shapely.geometry import Point

from toolkit import maps
from toolkit.demo import build_demo_database
from toolkit.screening import load_screening_rules, load_triage_rules
from toolkit.ui.live_map import LiveMap
from toolkit.ui.propose import ProposeForm
from toolkit.ui.screening import ScreeningDesk
from toolkit.workspace import open_workspace

CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    db = tmp_path_factory.mktemp("maps") / "m.sqlite"
    build_demo_database(db, count=240)
    return open_workspace(db)


def legend_of(m) -> str:
    boxes = [c.widget.value for c in m.controls if c.__class__.__name__ == "WidgetControl" and "linli-legend" in c.widget.value]
    assert len(boxes) == 1, "every map carries one legend"
    return html.unescape(re.sub(r"<[^>]+>", " ", boxes[0]))


def label_names(m) -> list[str]:
    return [re.search(r">([^<]*)</span>", layer.icon.html).group(1) for layer in m.linli_labels.group.layers]


def test_labels_appear_as_the_map_zooms_in(ws):
    d = ws.district
    wide, near, close = (len(maps.compound_labels(d, z, "zh")) for z in (12, 15, 17))
    assert wide < near < close == len(d.compounds)
    # a label only where the outline is wide enough for the name at that zoom
    for cid, name, lat, lon in maps.compound_labels(d, 14, "zh"):
        geom = d.compounds.set_index("id").loc[cid].geometry
        assert geom.contains(Point(lon, lat))


def test_labels_follow_the_map_zoom_and_language(ws):
    form = ProposeForm(ws.rules, ws.district, ws.submit_proposal)
    m = form.map
    m.zoom = 17
    names = label_names(m)
    assert len(names) == len(ws.district.compounds) and all(CJK.search(n) for n in names)
    m.zoom = 12
    assert label_names(m) == []
    m.zoom = 17
    form.lang_switch.value = "en"
    assert all(not CJK.search(n) for n in label_names(m))
    assert "Compound" in legend_of(m) and not CJK.search(legend_of(m))


def test_hostile_compound_names_are_escaped(ws):
    import dataclasses

    compounds = ws.district.compounds.copy()
    compounds.loc[compounds.index[0], "name"] = '<img src=x onerror="alert(1)">'
    district = dataclasses.replace(ws.district, compounds=compounds)
    m = maps.base_map(district, labels_lang="zh")
    m.zoom = 18
    html = "".join(layer.icon.html for layer in m.linli_labels.group.layers)
    assert "<img" not in html and "&lt;img" in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_map_has_a_legend_in_the_page_language(ws, lang):
    from toolkit.ui.ballot import candidates_map
    from toolkit.voting import round_settings
    from toolkit.ui.rounds import RoundDesk

    live = LiveMap(ws.rules, ws.district, ws.store.proposals_frame, lambda: True, lang=lang)
    propose = ProposeForm(ws.rules, ws.district, ws.submit_proposal, lang=lang)
    desk = ScreeningDesk(ws.store, load_screening_rules(), load_triage_rules(), ws.district, lang=lang)
    rd = RoundDesk(ws.store, ws.store.proposals_frame(), scrypt_n=2**8)
    rd.name.value = "第一轮"
    for pid in list(rd.candidates)[:3]:
        rd.table.pick(pid, 1000)
    rid = rd.create()
    vote_map = candidates_map(round_settings(ws.store.round(rid)), ws.district, lang)
    for m in (live.map, propose.map, desk.map, vote_map):
        text = legend_of(m)
        if lang == "zh":
            assert "小区" in text and not LATIN.search(text)
        else:
            assert "Compound" in text and not CJK.search(text)
    live_text = legend_of(live.map)
    for c in ws.rules.categories:
        assert c.label.get(lang) in live_text  # the category legend


def test_newest_proposal_is_highlighted(ws):
    frame = ws.store.proposals_frame()
    data = maps.proposals_geojson(frame, ws.rules)
    newest = [f for f in data["features"] if f["properties"]["newest"]]
    assert [f["properties"]["id"] for f in newest] == [int(frame["id"].max())]
    layer = maps.proposals_layer(data)
    drawn = {f["properties"]["id"]: f["properties"]["style"]["className"] for f in layer.data["features"]}
    assert "linli-newest" in drawn[newest[0]["properties"]["id"]]
    others = [f for f in data["features"] if not f["properties"]["newest"]][:5]
    assert others and all("linli-newest" not in drawn[f["properties"]["id"]] for f in others)


def test_no_character_outside_the_basic_plane_in_page_code_or_texts():
    """Emoji (outside the BMP) render as empty boxes on Debian's chromium: none in page code or
    catalogs (icons come from the vendored Font Awesome)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "toolkit"
    bad = [
        f"{p.relative_to(root)}:{n}"
        for p in [*root.rglob("*.py"), *root.rglob("*.po")]
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if any(ord(ch) > 0xFFFF for ch in line)
    ]
    assert bad == []


@pytest.mark.parametrize("lang, words", [("zh", "出了点问题"), ("en", "Something went wrong")])
def test_live_page_error_boundary_speaks_the_page_language(ws, lang, words):
    import asyncio

    def broken():
        raise RuntimeError("sqlite3.OperationalError: database is locked")

    live = LiveMap(ws.rules, ws.district, broken, lambda: True, lang=lang, poll_seconds=0.01)

    async def a_moment():
        try:
            await asyncio.wait_for(live._run(), timeout=0.3)
        except asyncio.TimeoutError:
            pass

    # In a thread of its own: after the browser tests, Playwright's event loop runs in this one.
    import threading

    runner = threading.Thread(target=lambda: asyncio.run(a_moment()))
    runner.start()
    runner.join(timeout=30)
    assert words in live.status.value and "sqlite3" not in live.status.value
