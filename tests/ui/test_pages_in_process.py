"""Pages built in-process and driven like a browser would (button clicks, map taps)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from toolkit.ui.live_map import LiveMap
from toolkit.ui.propose import ProposeForm
from toolkit.workspace import open_workspace


@pytest.fixture
def ws(tmp_path):
    return open_workspace(tmp_path / "ui.sqlite")


def tap_compound(form, ws, cid):
    p = ws.district.compounds.set_index("id").loc[cid].geometry.representative_point()
    form._on_map(type="click", coordinates=[p.y, p.x])


def fill(form, title="小区门口加装充电棚"):
    form.category.value = "facilities"
    form.title.value = title
    form.problem.value = "电动车在楼道充电"
    form.suggestion.value = "建一个充电棚"


def test_tap_fill_submit_shows_receipt_and_stores_once(ws):
    form = ProposeForm(ws.rules, ws.district, ws.submit_proposal)
    tap_compound(form, ws, "S4C3Y2")
    assert ws.district.compound_names()["S4C3Y2"][0] in form.place_status.value
    fill(form)
    form.submit_button.click()
    code = ws.store.proposals_frame().iloc[0].receipt_code
    assert code in form.receipt.value and form.form.layout.display == "none"
    assert ws.store.proposals_frame().iloc[0].compound_id == "S4C3Y2"
    # A second click (a re-enabled button, a flaky connection) stores nothing new.
    form.submit_button.click()
    assert ws.store.count_proposals() == 1 and "already" not in form.receipt.value
    assert "之前已经提交过" in form.receipt.value
    # "Submit another" starts a new proposal with a new submission id.
    old = form.submission_id
    form.another_button.click()
    assert form.submission_id != old and form.title.value == "" and form.geometry() is None


def test_errors_appear_next_to_fields_in_the_chosen_language(ws):
    form = ProposeForm(ws.rules, ws.district, ws.submit_proposal, lang="en")
    form.submit_button.click()
    assert "Please fill this in." in form.errors["title"].value
    assert "Tap the map" in form.errors["place"].value
    assert "Please choose a category." in form.errors["category"].value
    form.lang_switch.value = "zh"
    assert "请填写这一项" in form.errors["title"].value
    assert ws.store.count_proposals() == 0


def test_line_and_area_modes_build_geometries(ws):
    form = ProposeForm(ws.rules, ws.district, ws.submit_proposal)
    form.mode.value = "Polygon"
    c = ws.district.compounds.set_index("id").loc["S1C2Y1"].geometry.representative_point()
    for dx, dy in ((0, 0), (0.0002, 0), (0.0002, 0.0002)):
        form.tap(c.y + dy, c.x + dx)
    geom = form.geometry()
    assert geom["type"] == "Polygon" and geom["coordinates"][0][0] == geom["coordinates"][0][-1]
    form.undo_button.click()
    assert form.geometry() is None  # two corners are not an area
    form.mode.value = "LineString"
    assert form.vertices == []


def test_user_text_is_escaped_in_the_receipt_and_errors(ws):
    def refuse(draft):
        from toolkit.errors import ValidationError
        from toolkit.labels import Label

        raise ValidationError({"title": Label("<b>坏</b>", "<b>bad</b>")})

    form = ProposeForm(ws.rules, ws.district, refuse)
    form.submit()
    assert "&lt;b&gt;坏&lt;/b&gt;" in form.errors["title"].value




def test_live_map_touches_widgets_only_when_the_store_changed(ws):
    loads = []

    def load():
        loads.append(1)
        return ws.store.proposals_frame()

    watcher = ws.store.watcher()
    live = LiveMap(ws.rules, ws.district, load, watcher.changed)
    assert live.tick() is True  # first load
    assert live.tick() is False and live.tick() is False
    assert len(loads) == 1
    other = open_workspace(ws.store.url)
    form = ProposeForm(other.rules, other.district, other.submit_proposal)
    tap_compound(form, other, "S2C1Y1")
    fill(form, title="<script>alert(1)</script>")
    form.submit()
    assert live.tick() is True
    assert live.total.value.count(">1<") == 1
    assert "&lt;script&gt;" in live.latest.value and "<script>" not in live.latest.value
    assert len(live.layer.data["features"]) == 1
    assert "script" not in json.dumps(live.layer.data)  # no user text on the map layer at all (titles are in the lists)


def test_live_map_counts_by_category_and_community(ws):
    from toolkit.demo import build_demo_database

    build_demo_database(ws.store.url, count=30)
    frame = ws.store.proposals_frame()
    live = LiveMap(ws.rules, ws.district, lambda: frame, lambda: True)
    live.refresh()
    expected = frame.category.value_counts()
    for c in ws.rules.categories:
        assert f"{c.label.zh}</td><td class=\"num\">{int(expected.get(c.id, 0))}<" in live.by_category.value
    top = frame.groupby("community_name").size().sort_values(ascending=False)
    # community names are the district's own words: marked as user data (an en page shows them as they are)
    assert f'<span class="linli-user" lang="zh">{top.index[0]}</span></td><td class="num">{top.iloc[0]}<' in live.by_community.value
    assert isinstance(frame, pd.DataFrame)
