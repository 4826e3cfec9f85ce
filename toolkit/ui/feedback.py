"""The staff page ``feedback``: undelivered messages to proposers, per community; A4 slips for
grid workers, a CSV / Excel export for WeChat groups; mark messages delivered."""

from __future__ import annotations

import base64
from typing import Any

import ipywidgets as w

from toolkit.errors import LinliError
from toolkit.markup import escape
from toolkit.ui.loop_texts import text
from toolkit.ui.tablets import store_guard, store_text

CHANNELS = ("slip", "wechat", "in_person", "phone")


def data_link(raw: str | bytes, name: str, mime: str, label: str, element_id: str) -> str:
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    href = f"data:{mime};base64," + base64.b64encode(data).decode()
    return f'<a id="{escape(element_id)}" download="{escape(name)}" href="{href}">{escape(label)}</a>'


class FeedbackDesk:
    def __init__(self, store: Any, *, lang: str = "zh", public_url: str | None = None) -> None:
        self.store, self.lang, self.public_url = store, lang, public_url
        t = self.t
        units = store.units_frame()
        communities = units[units.level == "community"].sort_values("id")
        self.community = w.Dropdown(options=[(t("feedback.all"), "")] + [(n if lang == "zh" else e, i) for i, n, e in zip(communities.id, communities.name, communities.name_en)],
                                    value="", description=t("feedback.community"), style={"description_width": "initial"})
        self.community.observe(lambda _c: self.refresh(), names=["value"])
        self.pick = w.SelectMultiple(options=[], rows=12, layout=w.Layout(width="100%"))
        self.channel = w.Dropdown(options=[(t(f"feedback.channel.{c}"), c) for c in CHANNELS], value="slip", description=t("feedback.channel"),
                                  style={"description_width": "initial"})
        self.by = w.Text(placeholder=t("feedback.by_ph"), description=t("feedback.by"), continuous_update=False, style={"description_width": "initial"})
        self.mark = w.Button(description=t("feedback.mark_selected"), button_style="danger", layout=w.Layout(width="260px"))
        self.mark.add_class("linli-mark")
        self.mark.on_click(lambda _b: self.mark_delivered(list(self.pick.value)))
        self.mark_all = w.Button(description=t("feedback.mark_all"), layout=w.Layout(width="260px"))
        self.mark_all.add_class("linli-mark-all")
        self.mark_all.on_click(lambda _b: self.mark_delivered([v for _l, v in self.pick.options]))
        self.count = w.HTML()
        self.exports = w.HTML()
        self.message = w.HTML()
        head = w.HTML(f'<div class="linli-title">{escape(t("feedback.title"))}</div><div class="linli-hint">{escape(t("feedback.intro"))}</div>')
        self.root = w.VBox([head, self.community, self.count, self.exports, self.pick,
                            w.HBox([self.channel, self.by], layout=w.Layout(flex_flow="row wrap")), w.HBox([self.mark, self.mark_all]), self.message])
        self.root.add_class("linli-page")
        self.refresh()

    def t(self, key: str, **kw: object) -> str:
        return text(key, self.lang, **kw)

    def frame(self):
        from toolkit.store.feedback import messages_frame

        frame = messages_frame(self.store, undelivered_only=True)
        if self.community.value:
            frame = frame[frame.community_id == self.community.value]
        return frame

    def refresh(self) -> None:
        from toolkit.services import feedback as svc

        frame = self.frame()
        self.pick.options = [(f"{r.receipt_code} · {r.compound_name or '—'} · {(r.message_en if r.lang == 'en' else r.message_zh)[:60]}", int(r.id)) for r in frame.itertuples()]
        self.count.value = f'<div class="linli-big" id="linli-undelivered">{escape(self.t("feedback.count", n=len(frame)))}</div>'
        cid = self.community.value or None
        slips = svc.slips(self.store, community_id=cid, lang=self.lang, public_url=self.public_url)
        csv_text = svc.export_csv(self.store, community_id=cid)
        xlsx = svc.export_excel(self.store, community_id=cid)
        name = f"feedback-{cid or 'all'}"
        self.exports.value = (
            '<div class="linli-exports">'
            + data_link(slips, f"{name}-slips.html", "text/html", self.t("feedback.slips"), "linli-slips") + " · "
            + data_link(csv_text, f"{name}.csv", "text/csv", "CSV", "linli-feedback-csv") + " · "
            + data_link(xlsx, f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel", "linli-feedback-xlsx")
            + "</div>"
        )

    @store_guard("message", 0)
    def mark_delivered(self, ids: list[int]) -> int:
        from toolkit.store.feedback import mark_delivered

        by = (self.by.value or "").strip()
        if not by:
            self.message.value = f'<div class="linli-error">{escape(self.t("feedback.need_by"))}</div>'
            return 0
        if not ids:
            self.message.value = f'<div class="linli-error">{escape(self.t("feedback.need_pick"))}</div>'
            return 0
        try:
            n = mark_delivered(self.store, ids, by=by[:120], channel=self.channel.value if self.channel.value in CHANNELS else "slip")
        except LinliError as exc:
            self.message.value = f'<div class="linli-error">{escape(store_text(exc, self.lang) or exc)}</div>'
            return 0
        self.refresh()
        self.message.value = f'<div class="linli-ok" id="linli-marked">{escape(self.t("feedback.marked", n=n))}</div>'
        return n
