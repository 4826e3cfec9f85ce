"""Finding 8 at the wire: what the live map's kernel actually sends to the browser, read from the
widget messages themselves (a comm that stands in for the kernel's records every message). The
first paint sends each proposal once, a refresh with one new proposal sends one feature, and no
message carries a resident's text. Not timed: benchmarks/live_map.py measures bytes and CPU."""

from __future__ import annotations

import json

import pytest
from comm.base_comm import BaseComm

from tests.test_store import draft
from toolkit.demo import build_demo_database
from toolkit.ui.live_map import LiveMap
from toolkit.workspace import open_workspace


class Recorder(BaseComm):
    sent: list = []

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys) -> None:  # noqa: ANN001
        Recorder.sent.append(data or {})


class _Manager:
    def register_comm(self, c) -> None:  # noqa: ANN001
        pass

    def unregister_comm(self, c) -> None:  # noqa: ANN001
        pass


@pytest.fixture
def wire(monkeypatch):
    import comm

    Recorder.sent = []
    monkeypatch.setattr(comm, "create_comm", lambda *a, **kw: Recorder(*a, **kw))
    monkeypatch.setattr(comm, "get_comm_manager", lambda: _Manager())
    return Recorder.sent


def features_sent(messages: list) -> list[dict]:
    """Every proposal feature in the recorded messages (layer creations and layer updates; the
    district's outlines aside)."""
    out = []
    for m in messages:
        data = m.get("state", {}).get("data")
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            out.extend(f for f in data["features"] if "linli-proposal" in str(f["properties"].get("style", {}).get("className", "")))
    return out


def test_first_paint_once_then_one_feature_per_new_proposal(tmp_path, wire):
    db = str(tmp_path / "demo.sqlite")
    build_demo_database(db)  # the demo at full size: 240 proposals
    ws = open_workspace(db)
    watcher = ws.store.watcher()
    live = LiveMap(ws.rules, ws.district, ws.store.proposals_frame, watcher.changed)
    assert live.tick()
    first = features_sent(wire)
    placed = ws.store.proposals_frame().geometry.notna().sum()
    ids = [f["properties"]["id"] for f in first]
    assert len(ids) == len(set(ids)) + 1 == placed + 1  # each proposal once; the newest again in its ring layer
    wire.clear()
    assert not live.tick() and features_sent(wire) == []  # nothing changed: nothing sent
    stored = ws.submit_proposal(draft(ws, 7, title="<img src=x onerror=alert(1)>新的建议"))
    assert live.tick()
    sent = features_sent(wire)
    # one feature in the new small layer, and the ring around the newest (a one-feature layer)
    assert sorted(f["properties"]["id"] for f in sent) == [stored.id, stored.id]
    assert "onerror" not in json.dumps(sent, ensure_ascii=False)  # no resident's text on the map layer
    assert "<img" not in json.dumps(wire, ensure_ascii=False)  # and only escaped anywhere
    assert "&lt;img" in live.latest.value
