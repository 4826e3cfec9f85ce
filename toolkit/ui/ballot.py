"""Ballot widgets for budget rounds: the resident's ``vote`` page (tablet) and the per-project
controls it shares with paper entry. Rules are checked live for guidance and again at submit by
:func:`toolkit.rounds.check_ballot` in Python (whatever the browser sent) and by the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.markup import escape, yuan
from toolkit.proposals import new_submission_id
from toolkit.ui.texts import T

if TYPE_CHECKING:
    from toolkit.rounds import RoundSettings


def _t(lang: str, key: str, **kw: object) -> str:
    label = T[key]
    return (label.format(**kw) if kw else label).get(lang)


class BallotEditor:
    """One control per candidate project, by ballot type; ``data()`` is what check_ballot takes."""

    def __init__(self, settings: "RoundSettings", *, lang: str = "zh", on_change: Callable[[], None] = lambda: None) -> None:
        self.settings, self.lang, self.on_change = settings, lang, on_change
        self.kind = settings.ballot.kind
        self.chosen: list[str] = []  # approval/knapsack picks, or the ranking in order
        self.points: dict[str, w.BoundedIntText] = {}
        self.buttons: dict[str, w.Button] = {}
        cards = []
        for n, p in enumerate(settings.projects, start=1):
            head = w.HTML(
                f'<div class="linli-card-title"><b>{n}. {escape(p.name.get(lang))}</b></div>'
                f'<div class="linli-hint">{escape(_t(lang, "card_cost", cost=yuan(p.cost_fen)))}</div>'
                f'<div class="linli-hint">{escape(p.description.get(lang))}</div>'
            )
            if self.kind == "cumulative":
                b = settings.ballot
                cap = b.per_project_cap if b.per_project_cap is not None else b.points
                box = w.BoundedIntText(value=0, min=0, max=cap, layout=w.Layout(width="120px"))
                box.add_class(f"linli-points-{p.id}")
                box.observe(lambda _c: self.on_change(), names=["value"])
                self.points[p.id] = box
                control: w.Widget = box
            else:
                button = w.Button(layout=w.Layout(width="200px", height="52px"))
                button.add_class(f"linli-pick-{p.id}")
                button.on_click(lambda _b, pid=p.id: self.toggle(pid))
                self.buttons[p.id] = button
                control = button
            card = w.VBox([head, control], layout=w.Layout(border="2px solid #999", padding="8px", margin="6px", width="380px"))
            card.add_class("linli-project-card")
            cards.append(card)
        self.root = w.Box(cards, layout=w.Layout(display="flex", flex_flow="row wrap"))
        self._label_buttons()

    def toggle(self, pid: str) -> None:
        if pid in self.chosen:
            self.chosen.remove(pid)
        else:
            self.chosen.append(pid)
        self._label_buttons()
        self.on_change()

    def _label_buttons(self) -> None:
        for pid, button in self.buttons.items():
            if pid in self.chosen:
                button.description = _t(self.lang, "rank_pos", n=self.chosen.index(pid) + 1) if self.kind == "ranking" else _t(self.lang, "picked")
                button.button_style = "success"
            else:
                button.description = _t(self.lang, "rank_add") if self.kind == "ranking" else _t(self.lang, "pick")
                button.button_style = ""

    def data(self) -> dict:
        if self.kind == "cumulative":
            return {"points": {pid: box.value for pid, box in self.points.items() if box.value}}
        if self.kind == "ranking":
            return {"ranking": list(self.chosen)}
        return {"projects": [p.id for p in self.settings.projects if p.id in self.chosen]}

    def set_data(self, data: dict) -> None:
        if self.kind == "cumulative":
            for pid, box in self.points.items():
                box.value = int(data.get("points", {}).get(pid, 0))
        else:
            self.chosen = list(data.get("ranking") or data.get("projects") or [])
            self._label_buttons()

    def meter(self) -> tuple[str, bool]:
        """The live counter text and whether it shows a problem."""
        s, lang = self.settings, self.lang
        d = self.data()
        if self.kind == "knapsack":
            spent = sum(s.project(pid).cost_fen for pid in d["projects"])
            if spent > s.budget_fen:
                return _t(lang, "meter_over", spent=yuan(spent), over=yuan(spent - s.budget_fen)), True
            return _t(lang, "meter_knapsack", spent=yuan(spent), budget=yuan(s.budget_fen), left=yuan(s.budget_fen - spent)), False
        if self.kind == "cumulative":
            given = sum(d["points"].values())
            return _t(lang, "meter_points", given=given, total=s.ballot.points), given > s.ballot.points
        if self.kind == "ranking":
            return _t(lang, "meter_rank", n=len(d["ranking"]), k=s.ballot.k), len(d["ranking"]) > s.ballot.k
        most = s.ballot.max_picks if s.ballot.max_picks is not None else len(s.projects)
        return _t(lang, "meter_picks", n=len(d["projects"]), max=most), len(d["projects"]) > most

    def reset(self) -> None:
        self.chosen = []
        for box in self.points.values():
            box.value = 0
        self._label_buttons()


def candidates_map(settings: "RoundSettings", district: Any) -> w.Widget:
    """A small map of the candidates, numbered as the cards are (numbers only: no user text)."""
    import ipyleaflet

    from toolkit import maps

    m = maps.base_map(district, height_px=320, width_px=900)
    for n, p in enumerate(settings.projects, start=1):
        if p.location is None:
            continue
        lon, lat = p.location
        icon = ipyleaflet.DivIcon(html=f'<div class="linli-pin">{n}</div>', icon_size=[30, 30], icon_anchor=[15, 15])
        m.add(ipyleaflet.Marker(location=(lat, lon), icon=icon, draggable=False))
    return m


class VotePage:
    """Code → ballot (live meter, plain messages) → review → confirm → receipt."""

    def __init__(
        self,
        settings: "RoundSettings",
        code_problem: Callable[[str], Label | None],
        cast: Callable[[str, dict, str, str | None], tuple[str, bool]],
        *,
        lang: str = "zh",
        district: Any = None,
    ) -> None:
        self.settings, self.code_problem, self.cast, self.lang = settings, code_problem, cast, lang
        self.code: str | None = None
        self.submission_id = new_submission_id()
        self.code_box = w.Text(placeholder=_t(lang, "vote_code_ph"), continuous_update=False, layout=w.Layout(width="360px"))
        self.start = w.Button(description=_t(lang, "vote_start"), button_style="primary", layout=w.Layout(width="200px", height="52px"))
        self.start.add_class("linli-start")
        self.start.on_click(lambda _b: self.enter_code(self.code_box.value))
        self.code_error = w.HTML()
        heading = w.HTML(
            f'<div class="linli-title">{escape(settings.name.get(lang))}</div>'
            f'<div class="linli-hint">{escape(_t(lang, "vote_budget", budget=yuan(settings.budget_fen)))}</div>'
        )
        self.login = w.VBox([w.HTML(f"<b>{escape(_t(lang, 'vote_code'))}</b>"), w.HBox([self.code_box, self.start]), self.code_error])

        self.editor = BallotEditor(settings, lang=lang, on_change=self._update)
        self.meter = w.HTML()
        self.assisted = w.Text(description=_t(lang, "assisted"), style={"description_width": "initial"}, continuous_update=False, layout=w.Layout(width="560px"))
        self.review_button = w.Button(description=_t(lang, "review"), button_style="danger", layout=w.Layout(width="100%", height="60px"))
        self.review_button.add_class("linli-review")
        self.review_button.on_click(lambda _b: self.review())
        self.error = w.HTML()
        parts: list[w.Widget] = [self.meter]
        if district is not None and any(p.location for p in settings.projects):
            parts.append(candidates_map(settings, district))
        self.ballot = w.VBox([*parts, self.editor.root, self.assisted, self.error, self.review_button])
        self.summary = w.HTML()
        self.confirm_button = w.Button(description=_t(lang, "confirm_vote"), button_style="danger", layout=w.Layout(width="300px", height="60px"))
        self.confirm_button.add_class("linli-confirm-vote")
        self.confirm_button.on_click(lambda _b: self.confirm())
        self.back_button = w.Button(description=_t(lang, "back_edit"), layout=w.Layout(width="200px", height="60px"))
        self.back_button.on_click(lambda _b: self._show("ballot"))
        self.confirm_error = w.HTML()
        self.review_box = w.VBox([self.summary, self.confirm_error, w.HBox([self.confirm_button, self.back_button])])
        self.receipt = w.HTML()
        self.root = w.VBox([heading, self.login, self.ballot, self.review_box, self.receipt])
        self.root.add_class("linli-page")
        self.root.add_class("linli-tablet")
        self._show("login")
        self._update()

    def _show(self, screen: str) -> None:
        for name, box in (("login", self.login), ("ballot", self.ballot), ("review", self.review_box), ("receipt", self.receipt)):
            box.layout.display = "flex" if name == screen else "none"

    def _err(self, box: w.HTML, label: Label | str) -> None:
        text = label.get(self.lang) if isinstance(label, Label) else label
        box.value = f'<div class="linli-error">{escape(text)}</div>' if text else ""

    def enter_code(self, text: str) -> bool:
        problem = self.code_problem(text)
        if problem is not None:
            self._err(self.code_error, problem)
            return False
        self.code = text
        self._err(self.code_error, "")
        self._show("ballot")
        return True

    def _update(self) -> None:
        text, bad = self.editor.meter()
        self.meter.value = f'<div class="{"linli-error" if bad else "linli-meter"}" id="linli-meter">{escape(text)}</div>'
        self.review_button.disabled = bad

    def _check(self) -> dict | None:
        from toolkit.rounds import check_ballot

        data = self.editor.data()
        try:
            check_ballot(self.settings, data)
        except ValidationError as exc:
            self._err(self.error, next(iter(exc.errors.values())))
            return None
        self._err(self.error, "")
        return data

    def review(self) -> bool:
        """Check every rule in Python (a browser can re-enable a disabled button), then show the
        ballot for a last look."""
        if self.code is None:
            return False
        data = self._check()
        if data is None:
            return False
        names = {p.id: p for p in self.settings.projects}
        if "points" in data:
            items = [f"{escape(names[pid].name.get(self.lang))} — {escape(_t(self.lang, 'points_label', n=n))}" for pid, n in data["points"].items()]
        else:
            key = "ranking" if "ranking" in data else "projects"
            items = [f"{escape(names[pid].name.get(self.lang))} — {escape(yuan(names[pid].cost_fen))}" for pid in data[key]]
        self.summary.value = f'<div class="linli-title">{escape(_t(self.lang, "review_title"))}</div><ol id="linli-review">' + "".join(f"<li>{i}</li>" for i in items) + "</ol>"
        self._err(self.confirm_error, "")
        self._show("review")
        return True

    def confirm(self) -> bool:
        if self.code is None:
            return False
        data = self.editor.data()
        assisted_by = self.assisted.value.strip() or None
        if assisted_by:
            data = {**data, "assisted": True}
        try:
            receipt, _created = self.cast(self.code, data, self.submission_id, assisted_by)
        except ValidationError as exc:
            self._err(self.confirm_error, next(iter(exc.errors.values())))
            return False
        self.receipt.value = (
            f'<div class="linli-receipt-box"><div class="linli-title">{escape(_t(self.lang, "vote_done"))}</div>'
            f'<div class="linli-receipt" id="linli-vote-receipt">{escape(receipt)}</div>'
            f'<div class="linli-hint">{escape(_t(self.lang, "vote_done_note"))}</div></div>'
        )
        self._show("receipt")
        return True
