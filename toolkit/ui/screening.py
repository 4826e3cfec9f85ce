"""The facilitator page ``screening``: the queue of new proposals, one at a time, with a map
excerpt, the 七议五不议 checklist, the sentence the proposer will hear, the triage track and its
due dates; confirmed decisions go to the store, overdue tickets are listed."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from toolkit.errors import LinliError, ScreeningConflict
from toolkit.i18n import text
from toolkit.markup import escape, user, yuan
from toolkit.ui.tablets import error_text, store_guard, tt
from toolkit.text import clean_line
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
        from toolkit.ui.tablets import map_legend, tt

        legend = map_legend(lang, (tt("tablets.map.this_proposal", lang), "#b71c1c", "dot"))
        self.map = maps.base_map(district, height_px=360, width_px=600, labels_lang=lang, legend=legend)
        self._marker = None
        self.deliberate = w.ToggleButtons(options=[(k.label.get(g), k.id) for k in rules.deliberated], value=None, style={"button_width": "260px"})
        self.excluded = w.ToggleButtons(options=[(k.label.get(g), k.id) for k in rules.excluded], value=None, style={"button_width": "260px"})
        self.deliberate.observe(lambda c: self._picked(self.deliberate, self.excluded, c), names=["value"])
        self.excluded.observe(lambda c: self._picked(self.excluded, self.deliberate, c), names=["value"])
        self.preview = w.HTML()
        self.note = w.Text(placeholder=self.t("note"), continuous_update=False, layout=w.Layout(width="100%"))
        self.confirm = w.Button(description=self.t("confirm_next"), button_style="danger", layout=w.Layout(width="auto", min_width="300px", height="auto", min_height="56px"))
        self.confirm.add_class("linli-decide")
        self.confirm.on_click(lambda _b: self.ask())
        # A decision is told to the proposer: it is confirmed in a dialog first, and the last one
        # confirmed on this page can be undone (recorded as a correction, never erased).
        from toolkit.ui.confirm import Confirm

        self.dialog = Confirm(self.decide, yes=tt("tablets.screening.yes", lang), no=tt("tablets.screening.no", lang))
        self.last: tuple[int, str, str] | None = None  # (proposal id, decided_at, title) of the last decision here
        self.undo_button = w.Button(layout=w.Layout(width="auto", height="auto", min_height="52px"))
        self.undo_button.add_class("linli-undo-screening")
        self.undo_button.on_click(lambda _b: self.undo())
        self.undo_button.layout.display = "none"
        self.skip_button = w.Button(description=self.t("skip"), layout=w.Layout(width="160px", height="56px"))
        self.skip_button.on_click(lambda _b: self.skip())
        self.message = w.HTML()
        self.overdue = w.HTML()
        # Who decides (shown to another desk that decides the same proposal later).
        self.desk = w.Text(description=text("trust.desk_name", g), value="", placeholder=text("trust.desk_placeholder", g),
                           continuous_update=False, style={"description_width": "120px"}, layout=w.Layout(width="420px"))
        self._desk_default = f"{text('trust.desk_default', g)} {secrets.randbelow(900) + 100}"
        checklist = w.VBox(
            [
                self.desk,
                w.HTML(f"<b>{escape(self.t('deliberate_kinds'))}</b>"),
                self.deliberate,
                w.HTML(f"<b>{escape(self.t('excluded_kinds'))}</b>"),
                self.excluded,
                self.preview,
                self.note,
                self.message,
                w.HBox([self.confirm, self.skip_button]),
                self.undo_button,
            ],
            layout=w.Layout(width="60%"),
        )
        left = w.VBox([self.card, self.map], layout=w.Layout(width="40%"))
        title = w.HTML(f'<div class="linli-big">{escape(self.t("screening_title"))}</div>')
        self.root = w.VBox([w.HBox([title, self.left], layout=w.Layout(justify_content="space-between")), w.HBox([left, checklist]), self.overdue, self.dialog.root])
        self.root.add_class("linli-page")
        self.root.add_class("linli-projector")
        self.root.add_class(f"linli-lang-{lang}")
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

    def next(self, *, keep_message: bool = False) -> None:
        """Show the oldest unscreened proposal (skipped ones come last)."""
        queue = self.store.screening_queue()
        ordered = [i for i in queue if i not in self.skipped] + [i for i in queue if i in self.skipped]
        self.left.value = f'<div class="linli-big" id="linli-queue">{escape(self.t("queue_left", n=len(queue)))}</div>'
        self.deliberate.value = None
        self.excluded.value = None
        self.note.value = ""
        if not keep_message:
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
            f"<p><b>{escape(self.t(k + '_label'))}</b>{'：' if self.lang == 'zh' else ': '}{user(p[k])}</p>" for k in ("problem", "why", "suggestion") if p[k]
        )
        self.card.value = (
            f'<div class="linli-card" data-proposal="{p["id"]}"><div class="linli-title" id="linli-card-title">{user(p["title"])}</div>'
            f'<div class="linli-hint">{escape(p["receipt_code"])} · {escape(self.category_label(p["category"]))} · {user(place)} · {escape(p["created_at"][:10])} · {escape(yuan(p["cost_fen"]))}</div>{parts}</div>'
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
        head = "".join(f"<th>{escape(tt('tablets.overdue.' + c, self.lang))}</th>" for c in ("title", "track", "stage", "due", "days_late"))
        rows = "".join(
            f"<tr><td>{user(titles.get(r.item_id, r.item_id))}</td><td>{escape(self.triage_rules.track(r.track).label.get(self.lang))}</td>"
            f"<td data-stage=\"{escape(r.stage)}\">{escape(tt('tablets.overdue.stage_' + r.stage, self.lang))}</td><td>{escape(r.due)}</td><td class='num'>{int(r.days_late)}</td></tr>"
            for r in late.itertuples()
        )
        self.overdue.value = f'<div id="linli-overdue"><b>{escape(self.t("overdue"))}</b><table><tr>{head}</tr>{rows}</table></div>'

    def ask(self) -> bool:
        """The page's button: check there is something to decide, then ask in the dialog (the
        dialog's yes runs :meth:`decide`)."""
        if self.current is None:
            return False
        kind = self.choice()
        if kind is None:
            self.message.value = f'<div class="linli-error">{escape(self.t("pick_kind"))}</div>'
            return False
        decision, _ticket = self._decision()
        kind_label = next((k.label.get(self.lang) for k in (*self.rules.deliberated, *self.rules.excluded) if k.id == kind), kind)
        key = "tablets.screening.ask_deliberate" if decision.outcome == "deliberated" else "tablets.screening.ask_exclude"
        self.dialog.ask(tt(key, self.lang, title=self.current["title"], kind=kind_label))
        return True

    @store_guard("message", False)
    def decide(self) -> bool:
        """Record the chosen kind for the current proposal, then show the next one."""
        from toolkit.store import screening_corrections

        if self.current is None:
            return False
        if self.choice() is None:
            self.message.value = f'<div class="linli-error">{escape(self.t("pick_kind"))}</div>'
            return False
        try:
            decision, ticket = self._decision()
            actor = clean_line(self.desk.value)[:60] or self._desk_default
            stored = self.store.record_screening(self.current["id"], decision, ticket, actor=actor)
        except ScreeningConflict as exc:
            from datetime import datetime

            when = datetime.fromisoformat(exc.decided_at).astimezone().strftime("%Y-%m-%d %H:%M")  # the desk's local time
            kind = text("trust.outcome_" + exc.outcome, self.lang)
            self.message.value = (f'<div class="linli-error" id="linli-screening-conflict">'
                                  f'{escape(text("trust.screening_conflict", self.lang, who=exc.decided_by, when=when, outcome=kind))}</div>')
            self.skipped.discard(self.current["id"])
            self.next(keep_message=True)
            return False
        except LinliError as exc:
            self.message.value = f'<div class="linli-error">{escape(error_text(exc, self.lang))}</div>'
            return False
        pid, title = self.current["id"], self.current["title"]
        self.skipped.discard(pid)
        if stored:  # Closing the loop (issue 12): the proposer's feedback message.
            from toolkit.services.feedback import after_screening

            after_screening(self.store, pid)
        row = screening_corrections.current(self.store, pid) if stored else None
        self.last = (pid, row["decided_at"], title) if row else None
        self.next()
        if not stored:
            self.message.value = f'<div class="linli-error">{escape(tt("tablets.store.screened", self.lang))}</div>'
        self._show_undo()
        return True

    def _show_undo(self) -> None:
        if self.last is None:
            self.undo_button.layout.display = "none"
            return
        self.undo_button.description = tt("tablets.screening.undo", self.lang, title=self.last[2])
        self.undo_button.layout.display = "flex"

    @store_guard("message", False)
    def undo(self) -> bool:
        """Undo the last decision confirmed on this page: a correction in the store (the
        superseded decision kept, audited), then that proposal is shown again to decide anew."""
        from toolkit.store import screening_corrections

        if self.last is None:
            return False
        pid, decided_at, title = self.last
        try:
            screening_corrections.undo(self.store, pid, decided_at, actor="facilitator")
        except LinliError as exc:
            self.message.value = f'<div class="linli-error">{escape(error_text(exc, self.lang))}</div>'
            self.last = None
            self._show_undo()
            return False
        self.last = None
        self._show_undo()
        self.next()
        self.current = self.store.proposal(pid)
        self._show_card()
        self.confirm.disabled = False
        self.message.value = f'<div class="linli-hint" id="linli-undone">{escape(tt("tablets.screening.undone", self.lang, title=title))}</div>'
        return True

    def skip(self) -> None:
        if self.current is not None:
            self.skipped.add(self.current["id"])
        self.next()
