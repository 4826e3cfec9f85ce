"""The facilitator page ``screening``: the queue of new proposals, one at a time, with a map
excerpt, the 七议五不议 checklist, the sentence the proposer will hear, the triage track and its
due dates; confirmed decisions go to the store, overdue tickets are listed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from toolkit.errors import LinliError
from toolkit.markup import escape, yuan
from toolkit.ui.texts import T

if TYPE_CHECKING:
    from toolkit.geo import District
    from toolkit.screening import ScreeningRules, TriageRules


class ScreeningDesk:
    def __init__(
        self,
        store: Any,
        rules: "ScreeningRules",
        triage_rules: "TriageRules",
        district: "District",
        *,
        lang: str = "zh",
        today: Callable[[], date] = date.today,
        category_label: Callable[[str], str] = str,
    ) -> None:
        from toolkit import maps

        self.store, self.rules, self.triage_rules, self.district = store, rules, triage_rules, district
        self.lang, self.today, self.category_label = lang, today, category_label
        self.current: dict | None = None
        self.skipped: set[int] = set()
        g = lang
        self.left = w.HTML()
        self.card = w.HTML()
        self.map = maps.base_map(district, height_px=360, width_px=600)
        self._marker = None
        self.deliberate = w.ToggleButtons(options=[(k.label.get(g), k.id) for k in rules.deliberated], value=None, style={"button_width": "260px"})
        self.excluded = w.ToggleButtons(options=[(k.label.get(g), k.id) for k in rules.excluded], value=None, style={"button_width": "260px"})
        self.deliberate.observe(lambda c: self._picked(self.deliberate, self.excluded, c), names=["value"])
        self.excluded.observe(lambda c: self._picked(self.excluded, self.deliberate, c), names=["value"])
        self.preview = w.HTML()
        self.note = w.Text(placeholder=self.t("note"), continuous_update=False, layout=w.Layout(width="100%"))
        self.confirm = w.Button(description=self.t("confirm_next"), button_style="danger", layout=w.Layout(width="300px", height="56px"))
        self.confirm.add_class("linli-confirm")
        self.confirm.on_click(lambda _b: self.decide())
        self.skip_button = w.Button(description=self.t("skip"), layout=w.Layout(width="160px", height="56px"))
        self.skip_button.on_click(lambda _b: self.skip())
        self.message = w.HTML()
        self.overdue = w.HTML()
        checklist = w.VBox(
            [
                w.HTML(f"<b>{escape(self.t('deliberate_kinds'))}</b>"),
                self.deliberate,
                w.HTML(f"<b>{escape(self.t('excluded_kinds'))}</b>"),
                self.excluded,
                self.preview,
                self.note,
                self.message,
                w.HBox([self.confirm, self.skip_button]),
            ],
            layout=w.Layout(width="60%"),
        )
        left = w.VBox([self.card, self.map], layout=w.Layout(width="40%"))
        title = w.HTML(f'<div class="linli-big">{escape(self.t("screening_title"))}</div>')
        self.root = w.VBox([w.HBox([title, self.left], layout=w.Layout(justify_content="space-between")), w.HBox([left, checklist]), self.overdue])
        self.root.add_class("linli-page")
        self.root.add_class("linli-projector")
        self.next()

    def t(self, key: str, **kw: object) -> str:
        label = T[key]
        return (label.format(**kw) if kw else label).get(self.lang)

    def _picked(self, this: w.ToggleButtons, other: w.ToggleButtons, change: dict) -> None:
        if change["new"] is not None:
            other.value = None
        self._preview()

    def choice(self) -> str | None:
        return self.deliberate.value or self.excluded.value

    def _decision(self):
        from toolkit.screening import follow_up, screen

        assert self.current is not None
        decision = screen(str(self.current["id"]), self.choice(), self.rules, note=self.note.value)
        received = date.fromisoformat(self.current["created_at"][:10])
        return decision, follow_up(decision, received, self.triage_rules)

    def _preview(self) -> None:
        if self.current is None or self.choice() is None:
            self.preview.value = ""
            return
        decision, ticket = self._decision()
        track = self.triage_rules.track(ticket.track).label.get(self.lang)
        lang = self.current.get("lang") or self.lang
        self.preview.value = (
            f'<div class="linli-preview"><b>{escape(self.t("to_proposer"))}</b>: <span id="linli-message">{escape(decision.message.get(lang))}</span><br/>'
            f'<span id="linli-track">{escape(self.t("track_due", track=track, respond=ticket.response_due.isoformat(), resolve=ticket.resolution_due.isoformat()))}</span></div>'
        )

    def next(self) -> None:
        """Show the oldest unscreened proposal (skipped ones come last)."""
        queue = self.store.screening_queue()
        ordered = [i for i in queue if i not in self.skipped] + [i for i in queue if i in self.skipped]
        self.left.value = f'<div class="linli-big" id="linli-queue">{escape(self.t("queue_left", n=len(queue)))}</div>'
        self.deliberate.value = None
        self.excluded.value = None
        self.note.value = ""
        self.message.value = ""
        self._show_overdue()
        if not ordered:
            self.current = None
            self.card.value = f'<div class="linli-big">{escape(self.t("queue_empty"))}</div>'
            self.confirm.disabled = True
            return
        self.confirm.disabled = False
        self.current = self.store.proposal(ordered[0])
        self._show_card()

    def _show_card(self) -> None:
        import json

        import ipyleaflet

        p = self.current
        assert p is not None
        names = self.district.compound_names()
        place = names.get(p["compound_id"], ("—", "—"))[0 if self.lang == "zh" else 1] if p["compound_id"] else "—"
        parts = "".join(
            f"<p><b>{escape(self.t(k + '_label'))}</b>：{escape(p[k])}</p>" for k in ("problem", "why", "suggestion") if p[k]
        )
        self.card.value = (
            f'<div class="linli-card" data-proposal="{p["id"]}"><div class="linli-title" id="linli-card-title">{escape(p["title"])}</div>'
            f'<div class="linli-hint">{escape(p["receipt_code"])} · {escape(self.category_label(p["category"]))} · {escape(place)} · {escape(p["created_at"][:10])} · {escape(yuan(p["cost_fen"]))}</div>{parts}</div>'
        )
        if self._marker is not None:
            self.map.remove(self._marker)
            self._marker = None
        if p["geometry"]:
            self._marker = ipyleaflet.GeoJSON(data={"type": "Feature", "geometry": json.loads(p["geometry"]), "properties": {}}, point_style={"radius": 12, "color": "#b71c1c", "fillColor": "#b71c1c", "fillOpacity": 0.9}, style={"color": "#b71c1c", "weight": 6})
            self.map.add(self._marker)
            self.map.center = (p["lat"], p["lon"])
            self.map.zoom = 16

    def _show_overdue(self) -> None:
        from toolkit.screening import overdue
        from toolkit.screening.triage import Ticket

        frame = self.store.screening_frame()
        tickets = [
            Ticket(str(r.proposal_id), r.track, date.fromisoformat(r.received), date.fromisoformat(r.response_due), date.fromisoformat(r.resolution_due), r.triage_ref)
            for r in frame.itertuples()
        ]
        late = overdue(tickets, self.today())
        if late.empty:
            self.overdue.value = f'<div class="linli-hint" id="linli-overdue">{escape(self.t("none_overdue"))}</div>'
            return
        titles = dict(zip(frame.proposal_id.astype(str), frame.title))
        rows = "".join(
            f"<tr><td>{escape(titles.get(r.item_id, r.item_id))}</td><td>{escape(self.triage_rules.track(r.track).label.get(self.lang))}</td><td>{escape(r.stage)}</td><td>{escape(r.due)}</td><td class='num'>{int(r.days_late)}</td></tr>"
            for r in late.itertuples()
        )
        self.overdue.value = f'<div id="linli-overdue"><b>{escape(self.t("overdue"))}</b><table>{rows}</table></div>'

    def decide(self) -> bool:
        """Record the chosen kind for the current proposal, then show the next one."""
        if self.current is None:
            return False
        if self.choice() is None:
            self.message.value = f'<div class="linli-error">{escape(self.t("pick_kind"))}</div>'
            return False
        try:
            decision, ticket = self._decision()
            if self.store.record_screening(self.current["id"], decision, ticket):
                # Closing the loop (issue 12): the proposer's feedback message.
                from toolkit.services.feedback import after_screening

                after_screening(self.store, self.current["id"])
        except LinliError as exc:
            self.message.value = f'<div class="linli-error">{escape(exc)}</div>'
            return False
        self.skipped.discard(self.current["id"])
        self.next()
        return True

    def skip(self) -> None:
        if self.current is not None:
            self.skipped.add(self.current["id"])
        self.next()
