"""The staff page ``dashboard``: the loop's three rates (fund use, participation, satisfaction)
by district → street → community, proposals by status, overdue tickets per track, projects by
state, a choropleth of participation per 1,000 households; Excel export. Projector and tablet."""

from __future__ import annotations

from datetime import date
from typing import Any

import ipywidgets as w

from toolkit.markup import escape, yuan
from toolkit.projects import STATE_LABELS
from toolkit.services.dashboard import STATUSES, excel, loop_figures, percent
from toolkit.ui.feedback import data_link
from toolkit.ui.loop_texts import text

SHADES = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")


def shade(value, top) -> str:
    if value is None or not top:
        return "#eeeeee"
    return SHADES[min(len(SHADES) - 1, int(float(value) / float(top) * len(SHADES)))]


class Dashboard:
    def __init__(self, store: Any, district: Any, *, lang: str = "zh", today: date | None = None) -> None:
        import ipyleaflet

        from toolkit import maps

        self.store, self.district, self.lang, self.today = store, district, lang, today
        t = self.t
        self.level = w.ToggleButtons(options=[(t("dashboard.level.street"), "street"), (t("dashboard.level.community"), "community")], value="community")
        self.level.observe(lambda _c: self.render(), names=["value"])
        self.totals = w.HTML()
        self.table = w.HTML()
        self.side = w.HTML()
        self.export = w.HTML()
        self.map = maps.base_map(district, height_px=460, width_px=900)
        self.choropleth = ipyleaflet.GeoJSON(data={"type": "FeatureCollection", "features": []}, style={"weight": 2, "color": "#333", "fillOpacity": 0.75},
                                             style_callback=lambda f: {"fillColor": f["properties"]["fill"]})
        self.map.add(self.choropleth)
        head = w.HTML(f'<div class="linli-title">{escape(t("dashboard.title"))}</div><div class="linli-hint">{escape(t("dashboard.intro"))}</div>')
        self.root = w.VBox([head, self.totals, self.level, self.table, w.HBox([self.map, self.side], layout=w.Layout(flex_flow="row wrap")), self.export])
        self.root.add_class("linli-page")
        self.root.add_class("linli-dashboard")
        self.refresh()

    def t(self, key: str, **kw: object) -> str:
        return text(key, self.lang, **kw)

    def refresh(self) -> None:
        self.board = loop_figures(self.store, self.district, self.today)
        self.render()
        self.export.value = data_link(excel(self.board), "linli-dashboard.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                      self.t("dashboard.excel"), "linli-dashboard-xlsx")

    def render(self) -> None:
        units = self.board.units
        d = units[units.level == "district"].iloc[0]
        cards = [("fund_use", percent(d.fund_use), f"{yuan(int(d.spent_fen))} / {yuan(int(d.allotted_fen))}"),
                 ("participation", percent(d.participation), self.t("dashboard.people", n=int(d.participants), households=int(d.households))),
                 ("satisfaction", percent(d.satisfaction), self.t("dashboard.ratings", n=int(d.satisfied), of=int(d.ratings)))]
        self.totals.value = '<div class="linli-cards" id="linli-rates">' + "".join(
            f'<div class="linli-rate" data-rate="{k}"><div class="linli-hint">{escape(self.t("dashboard." + k))}</div><div class="linli-big">{escape(v)}</div>'
            f'<div class="linli-hint">{escape(sub)}</div></div>' for k, v, sub in cards) + "</div>"
        rows = units[units.level == self.level.value]
        head = "".join(f"<th>{escape(self.t('dashboard.col.' + c))}</th>" for c in ("unit", "participants", "per_1000", "fund_use", "satisfaction"))
        body = "".join(
            f'<tr data-unit="{escape(r.id)}"><td>{escape(r.name if self.lang == "zh" else r.name_en)}</td><td class="num">{int(r.participants)}</td>'
            f'<td class="num">{"—" if r.per_1000 is None else f"{float(r.per_1000):.1f}"}</td><td class="num">{escape(percent(r.fund_use))}</td>'
            f'<td class="num">{escape(percent(r.satisfaction))}</td></tr>' for r in rows.itertuples())
        self.table.value = f'<table id="linli-units">{head and "<tr>" + head + "</tr>"}{body}</table>'
        statuses = "".join(f'<tr data-status="{s}"><td>{escape(self.t("dashboard.status." + s))}</td><td class="num">{self.board.statuses[s]}</td></tr>' for s in STATUSES)
        overdue = "".join(f'<tr data-track="{escape(k)}"><td>{escape(self._track(k))}</td><td class="num">{v}</td></tr>' for k, v in sorted(self.board.overdue.items())) \
            or f'<tr><td>{escape(self.t("dashboard.none_overdue"))}</td></tr>'
        projects = "".join(f'<tr data-state="{s}"><td>{escape(STATE_LABELS[s].get(self.lang))}</td><td class="num">{n}</td></tr>' for s, n in self.board.projects.items())
        self.side.value = (f'<div id="linli-dashboard-side"><b>{escape(self.t("dashboard.statuses"))}</b><table id="linli-statuses">{statuses}</table>'
                           f'<b>{escape(self.t("dashboard.overdue"))}</b><table id="linli-overdue-tracks">{overdue}</table>'
                           f'<b>{escape(self.t("dashboard.projects"))}</b><table id="linli-project-states">{projects}</table>'
                           f'<div class="linli-hint">{escape(self.t("dashboard.legend"))}</div></div>')
        comm = units[units.level == "community"].set_index("id")
        top = max((float(v) for v in comm.per_1000 if v is not None), default=0)
        feats = []
        for c in self.district.communities.itertuples():
            value = comm.per_1000.get(c.id) if c.id in comm.index else None
            feats.append({"type": "Feature", "geometry": c.geometry.__geo_interface__, "properties": {"id": c.id, "fill": shade(value, top)}})
        self.choropleth.data = {"type": "FeatureCollection", "features": feats}

    def _track(self, track_id: str) -> str:
        from toolkit.screening import load_triage_rules

        try:
            return load_triage_rules().track(track_id).label.get(self.lang)
        except KeyError:  # a track renamed in an edited rule file
            return track_id
