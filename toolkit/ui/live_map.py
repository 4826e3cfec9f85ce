"""The facilitator page ``live-map`` (projector, 1920×1080): every proposal on one map layer,
counts by category and by community, the latest titles; new submissions appear within ~2 s.

Polling is cheap and quiet: every LINLI_POLL_SECONDS the page asks the store whether anything
changed (SQLite ``PRAGMA data_version``) and touches widgets only when it did, so an idle
projector kernel sends nothing and can be culled. After LINLI_LIVE_HOURS the loop stops.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import ipywidgets as w

from toolkit.markup import escape, user
from toolkit.ui.polling import LivePoller
from toolkit.ui.texts import T

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.geo import District
    from toolkit.proposals import ProposalRules


class LiveMap(LivePoller):
    """Widgets of the live map. ``load`` returns the proposals frame (the store's
    ``proposals_frame``); ``changed`` says whether the store changed since the last call."""

    def __init__(
        self,
        rules: "ProposalRules",
        district: "District",
        load: Callable[[], "pd.DataFrame"],
        changed: Callable[[], bool],
        *,
        lang: str = "zh",
        tile_url: str | None = None,
        poll_seconds: float = 1.0,
        max_hours: float = 8.0,
    ) -> None:
        from toolkit import maps

        self.rules, self.district, self.load, self.changed = rules, district, load, changed
        self.lang, self.poll_seconds, self.max_seconds = lang, poll_seconds, max_hours * 3600
        self.refreshes = 0
        from toolkit.ui.tablets import map_legend, tt

        legend = map_legend(lang, *maps.category_entries(rules, lang), (tt("tablets.map.newest", lang), "#000000", "pin"))
        self.map = maps.base_map(district, tile_url=tile_url, height_px=1000, width_px=1280, labels_lang=lang, legend=legend)
        self.map.linli_labels.restyle(font_px=20)  # projector text is larger
        self.layer = maps.proposals_layer({"type": "FeatureCollection", "features": []})
        self.map.add(self.layer)
        # What the browser already has: new proposals go out as a small extra layer; every
        # MAX_DELTAS refreshes (or when a proposal changed or went) one full layer replaces them.
        self.shown: dict[int, str] = {}  # proposal id -> its feature as sent (JSON text)
        self.deltas: list = []
        self.sent_features = 0  # proposal features sent in the big layer and the deltas (the ring layer aside)
        self.ring_layer = None
        self._ring_key = ""
        self.total = w.HTML()
        self.by_category = w.HTML()
        self.by_community = w.HTML()
        self.latest = w.HTML()
        self.status = w.HTML()
        title = w.HTML(f'<div class="linli-big">{escape(T["live_title"].get(lang))}</div>')
        side = w.VBox([title, self.total, self.by_category, self.by_community, self.latest, self.status], layout=w.Layout(width="620px", padding="0 16px", overflow="hidden"))
        self.root = w.HBox([w.Box([self.map], layout=w.Layout(width="1280px")), side], layout=w.Layout(width="1900px"))
        self.root.add_class("linli-projector")
        self.root.add_class(f"linli-lang-{lang}")
        self.paused_text = self.t("live_paused")

    def t(self, key: str, **kw: object) -> str:
        label = T[key]
        return (label.format(**kw) if kw else label).get(self.lang)

    def refresh(self) -> None:
        """Reload everything from the store and redraw."""
        from toolkit import maps

        frame = self.load()
        self._send_features(maps.proposals_geojson(frame, self.rules))
        self.by_category.value = self._table(self.t("by_category"), self._category_counts(frame))
        self.by_community.value = self._table(self.t("by_community"), self._community_counts(frame), names=user)
        items = "".join(
            f"<li>{user(r.title)} <small>· {user(self._name('compounds', r.compound_id, r.compound_name)) if isinstance(r.compound_name, str) else escape(self.t('no_place'))}</small></li>"
            for r in frame.sort_values("id", ascending=False).head(6).itertuples()
        )
        self.latest.value = f'<div><b>{escape(self.t("latest"))}</b><ol class="linli-latest" id="linli-latest">{items}</ol></div>'
        self.status.value = f'<div class="linli-hint">{escape(self.t("updated", time=datetime.now().strftime("%H:%M:%S")))}</div>'
        # The count goes last: when it changes on screen, everything else has arrived.
        self.total.value = f'<div><span class="linli-big" id="linli-total">{len(frame)}</span> {escape(self.t("live_total"))}</div>'
        self.refreshes += 1

    MAX_DELTAS = 40

    def _send_features(self, collection: dict) -> None:
        """Send the browser only the features it does not have yet (proposals are append-only:
        at 20,000 proposals a new one costs one feature, not the whole 4.5 MB layer)."""
        import json

        from toolkit import maps

        # The newest proposal is ringed in a one-feature layer of its own, so that a new arrival
        # does not restyle (and resend) the previous newest one inside the big layer.
        rings = [f for f in collection["features"] if f["properties"].get("newest")]
        plain = [{**f, "properties": {**f["properties"], "newest": False}} if f["properties"].get("newest") else f for f in collection["features"]]
        collection = {**collection, "features": plain}
        ring_key = json.dumps(rings, sort_keys=True)
        if ring_key != self._ring_key:
            if self.ring_layer is not None:
                self.map.remove(self.ring_layer)
            self.ring_layer = maps.proposals_layer({"type": "FeatureCollection", "features": rings}) if rings else None
            if self.ring_layer is not None:
                self.map.add(self.ring_layer)
            self._ring_key = ring_key
        now = {int(f["properties"]["id"]): json.dumps(f, sort_keys=True) for f in collection["features"]}
        changed = any(now.get(pid) != text for pid, text in self.shown.items())
        new = [pid for pid in now if pid not in self.shown]
        if changed or len(self.deltas) >= self.MAX_DELTAS or not self.shown:
            for layer in self.deltas:
                self.map.remove(layer)
            self.deltas = []
            self.layer.data = maps.styled_proposals(collection)
            self.sent_features += len(collection["features"])
        elif new:
            delta = maps.proposals_layer({"type": "FeatureCollection", "features": [json.loads(now[pid]) for pid in new]})
            self.map.add(delta)
            self.deltas.append(delta)
            self.sent_features += len(new)
        self.shown = now

    def _category_counts(self, frame: "pd.DataFrame") -> list[tuple[str, int]]:
        counts = frame["category"].value_counts() if len(frame) else {}
        return [(c.label.get(self.lang), int(counts.get(c.id, 0))) for c in self.rules.categories]

    def _community_counts(self, frame: "pd.DataFrame") -> list[tuple[str, int]]:
        counts = frame.groupby(["community_id", "community_name"]).size().sort_values(ascending=False) if len(frame) else []
        rows = [(self._name("communities", cid, name), int(n)) for (cid, name), n in counts.items()] if len(frame) else []
        return rows[:10]

    def _name(self, level: str, unit_id: object, name: str) -> str:
        """A compound's or community's name in the page's language (the geodata's ``name_en`` on
        English pages when it has one), else the name as stored."""
        if self.lang != "en":
            return str(name)
        units = getattr(self.district, level)
        row = units[units["id"] == unit_id]
        en = row["name_en"].iloc[0] if len(row) and "name_en" in row else None
        return str(en) if isinstance(en, str) and en.strip() else str(name)

    @staticmethod
    def _table(caption: str, rows: list[tuple[str, int]], names: Callable[[str], str] = escape) -> str:
        body = "".join(f'<tr><td>{names(k)}</td><td class="num">{v}</td></tr>' for k, v in rows)
        return f"<div><b>{escape(caption)}</b><table>{body}</table></div>"
