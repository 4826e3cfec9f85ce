"""Finding 8: unthrottled writes. One page (one visitor's kernel) stores new proposals at most every
15 s and 30 an hour, with a clear message; a shape has at most 200 points (in the form and in the
check); repeated taps on one point redraw nothing; the live map sends only new proposals, not the
whole layer, on each refresh. (On the code as it was, four scripted clients stored 713 proposals
in 35 s, 300 taps were all processed, and each live-map refresh re-sent every proposal.)"""

from __future__ import annotations

import json

import pytest

from toolkit.errors import ValidationError
from toolkit.i18n import text
from toolkit.markup import escape
from toolkit.proposals import MAX_VERTICES, Draft
from toolkit.ui.live_map import LiveMap
from toolkit.ui.propose import ProposeForm
from toolkit.workspace import open_workspace


@pytest.fixture
def ws(tmp_path):
    return open_workspace(tmp_path / "t.sqlite")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fill(form, ws, n):
    p = ws.district.compounds.iloc[n % len(ws.district.compounds)].geometry.representative_point()
    form.tap(p.y, p.x)
    form.category.value = "facilities"
    form.title.value = f"第{n}条建议"
    form.problem.value = "楼道灯坏了"
    form.suggestion.value = "换灯"


def test_one_page_cannot_flood_the_store(ws):
    clock = Clock()
    form = ProposeForm(ws.rules, ws.district, ws.submit_proposal, lang="en", clock=clock)
    fill(form, ws, 1)
    assert form.submit().created
    assert form.submit() is not None  # the same submission again is never throttled
    form.reset()
    fill(form, ws, 2)
    assert form.submit() is None and escape(text("trust.too_fast", "en", seconds=15)) in form.form_message.value
    assert ws.store.count_proposals() == 1 and form.title.value == "第2条建议"
    stored = 1
    for n in range(3, 80):
        clock.now += 16
        form.reset()
        fill(form, ws, n)
        if form.submit() is not None:
            stored += 1
    assert stored == ProposeForm.PER_HOUR and "per hour" not in form.form_message.value
    assert "this hour" in form.form_message.value and ws.store.count_proposals() == ProposeForm.PER_HOUR
    clock.now += 3600
    assert form.submit() is not None  # an hour later the page may send again


def test_shapes_are_capped_and_taps_cheap(ws):
    form = ProposeForm(ws.rules, ws.district, ws.submit_proposal)
    p = ws.district.compounds.iloc[0].geometry.representative_point()
    draws = []
    original = form._draw
    form._draw = lambda: (draws.append(1), original())[1]
    for _ in range(300):
        form.tap(p.y, p.x)  # 300 taps on one point
    assert len(draws) == 1
    form.mode.value = "LineString"
    for k in range(300):
        form.tap(p.y + k * 1e-6, p.x)
    assert len(form.vertices) == MAX_VERTICES and "200" in form.errors["place"].value
    line = {"type": "LineString", "coordinates": [[p.x, p.y + k * 1e-7] for k in range(MAX_VERTICES + 5)]}
    with pytest.raises(ValidationError) as err:
        ws.submit_proposal(Draft("cap-000001", "太长的线", "问题描述", "", "建议内容", "facilities", geometry=line))
    assert "at most 200 points" in err.value.errors["place"].en


def test_live_map_sends_only_new_proposals(ws):
    from tests.test_store import draft

    for n in range(30):
        ws.submit_proposal(draft(ws, n))
    watcher = ws.store.watcher()
    live = LiveMap(ws.rules, ws.district, ws.store.proposals_frame, watcher.changed)
    full_sends = []
    live.layer.observe(lambda change: full_sends.append(len(change["new"]["features"])), names=["data"])
    assert live.tick()
    first = list(full_sends)  # ipyleaflet sets the styled data once more itself
    assert first and set(first) == {30} and live.sent_features == 30
    for n in range(30, 33):
        ws.submit_proposal(draft(ws, n))
        assert live.tick()
    assert full_sends == first and live.sent_features == 33  # three refreshes, three features sent, big layer untouched
    on_map = [f for layer in [live.layer, *live.deltas] for f in layer.data["features"]]
    assert sorted(f["properties"]["id"] for f in on_map) == sorted(ws.store.proposals_frame().id)
    assert sum(len(json.dumps(d.data)) for d in live.deltas) < len(json.dumps(live.layer.data)) / 5
    assert not live.tick()  # nothing changed: nothing sent


def test_submission_id_from_the_page_address_survives_a_new_kernel(ws, monkeypatch):
    """Finding 7: a reload after a kernel crash opens a new kernel with ?sid= from the address (the
    template copies the form's id there): the resubmission returns the first receipt, no duplicate."""
    from toolkit.ui import pages

    first = ProposeForm(ws.rules, ws.district, ws.submit_proposal)
    assert f'data-sid="{first.submission_id}"' in first.sid_marker.value
    fill(first, ws, 1)
    stored = first.submit()
    monkeypatch.setenv("QUERY_STRING", f"sid={first.submission_id}")
    page = pages.propose_page(ws.store.url)  # the reloaded page: a new kernel, the same address
    second = ProposeForm(ws.rules, ws.district, ws.submit_proposal, submission_id=pages._query("sid"))
    fill(second, ws, 1)
    redo = second.submit()
    assert redo.receipt_code == stored.receipt_code and not redo.created and ws.store.count_proposals() == 1
    assert "linli-sid" in str(page.children[1].children[-1].value) and first.submission_id in page.children[1].children[-1].value
    forged = ProposeForm(ws.rules, ws.district, ws.submit_proposal, submission_id="<script>")
    assert forged.submission_id != "<script>"  # only a plain id is taken from the address
