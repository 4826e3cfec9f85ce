"""Ballot widgets for budget rounds: the resident's ``vote`` page (tablet) and the per-project
controls it shares with paper entry. Rules are checked live for guidance and again at submit by
:func:`toolkit.rounds.check_ballot` in Python (whatever the browser sent) and by the database."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from toolkit.errors import LinliError, ValidationError
from toolkit.labels import Label
from toolkit.markup import escape, user, yuan
from toolkit.i18n import text as catalog_text
from toolkit.proposals import given_submission_id, new_submission_id
from toolkit.ui.tablets import error_text, store_guard, tt
from toolkit.ui.texts import T

if TYPE_CHECKING:
    from toolkit.rounds import RoundSettings


def _t(lang: str, key: str, **kw: object) -> str:
    label = T[key]
    return (label.format(**kw) if kw else label).get(lang)


def project_numbers(settings: "RoundSettings") -> dict[str, int]:
    """The number each candidate carries on its card and on its map marker (1, 2, … in the
    round's order): one source for both."""
    return {p.id: n for n, p in enumerate(settings.projects, start=1)}


class BallotEditor:
    """One control per candidate project, by ballot type; ``data()`` is what check_ballot takes."""

    def __init__(self, settings: "RoundSettings", *, lang: str = "zh", on_change: Callable[[], None] = lambda: None) -> None:
        self.settings, self.lang, self.on_change = settings, lang, on_change
        self.kind = settings.ballot.kind
        self.chosen: list[str] = []  # approval/knapsack picks, or the ranking in order
        self.points: dict[str, w.BoundedIntText] = {}
        self.buttons: dict[str, w.Button] = {}
        self.heads: dict[str, w.HTML] = {}
        cards = []
        for p in settings.projects:
            head = self.heads[p.id] = w.HTML()
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
        self.set_lang(lang)

    def set_lang(self, lang: str) -> None:
        """Show every card and button in ``lang`` (picks and points stay)."""
        self.lang = lang
        numbers = project_numbers(self.settings)
        for p in self.settings.projects:
            n = numbers[p.id]
            self.heads[p.id].value = (
                f'<div class="linli-card-title" data-project="{escape(p.id)}" data-number="{n}"><b><span class="linli-card-number">{n}</span>. {user(p.name.get(lang))}</b></div>'
                f'<div class="linli-hint">{escape(_t(lang, "card_cost", cost=yuan(p.cost_fen)))}</div>'
                f'<div class="linli-hint">{user(p.description.get(lang))}</div>'
            )
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


def _candidates_legend(lang: str) -> tuple[str, list[tuple[str, str, str]]]:
    from toolkit.ui.tablets import map_legend

    return map_legend(lang, (tt("tablets.map.candidate", lang), "#b71c1c", "pin"))


def candidates_map(settings: "RoundSettings", district: Any, lang: str = "zh") -> w.Widget:
    """A small map of the candidates, numbered as the cards are, with compound names and a legend."""
    import ipyleaflet

    from toolkit import maps

    m = maps.base_map(district, height_px=320, width_px=900, labels_lang=lang, legend=_candidates_legend(lang))
    numbers = project_numbers(settings)
    for p in settings.projects:
        if p.location is None:
            continue
        lon, lat = p.location
        n = numbers[p.id]
        icon = ipyleaflet.DivIcon(html=f'<div class="linli-pin" data-project="{escape(p.id)}" data-number="{n}">{n}</div>', icon_size=[30, 30], icon_anchor=[15, 15])
        m.add(ipyleaflet.Marker(location=(lat, lon), icon=icon, draggable=False))
    return m


class VotePage:
    """Code → ballot (live meter, plain messages) → review → confirm → receipt → next voter.

    Shared tablets: "下一位" after the receipt resets the page at once; after ``idle_seconds``
    without a touch (any widget interaction) the page goes back to the code screen, never in the
    middle of a confirmed submit. The grid-worker field appears only in the assisted mode
    (a toggle "工作人员协助").

    The submission id lives in the page's address too (``?sid=``, copied there by the Voila
    template from a hidden marker): a fresh code gets a fresh id, so a reload after a kernel
    crash that already stored the ballot finds it again — ``received(code, sid)`` gives its
    receipt when that code is spent — and the voter is told it was received, never asked to vote
    twice; a new voter on a reloaded tablet never reuses the previous voter's id."""

    def __init__(
        self,
        settings: "RoundSettings",
        code_problem: Callable[[str], Label | None],
        cast: Callable[[str, dict, str, str | None], tuple[str, bool]],
        *,
        lang: str = "zh",
        district: Any = None,
        idle_seconds: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        submission_id: str | None = None,
        received: Callable[[str, str], str | None] | None = None,
    ) -> None:
        self.settings, self.code_problem, self.cast, self.lang = settings, code_problem, cast, lang
        self.received = received
        self.idle_seconds, self.clock = idle_seconds, clock
        self.last_touch = clock()
        self.submitting = False
        self.resets = 0
        self.code: str | None = None
        self.sid_marker = w.HTML()
        self._set_sid(given_submission_id(submission_id) or new_submission_id())
        self.code_box = w.Text(continuous_update=False, layout=w.Layout(width="360px"))
        self.code_box.observe(lambda _c: self.touch(), names=["value"])
        self.start = w.Button(button_style="primary", layout=w.Layout(width="auto", min_width="200px", height="auto", min_height="52px"))
        self.start.add_class("linli-start")
        self.start.on_click(lambda _b: self.enter_code(self.code_box.value))
        self.code_error = w.HTML()
        self.heading = w.HTML()
        self.code_caption = w.HTML()
        self.login = w.VBox([self.code_caption, w.HBox([self.code_box, self.start]), self.code_error])

        self.editor = BallotEditor(settings, lang=lang, on_change=self._update)
        self.meter = w.HTML()
        self.why_disabled = w.HTML()
        self.assist_toggle = w.ToggleButton(value=False, layout=w.Layout(width="auto", height="auto", min_height="48px"))
        self.assist_toggle.add_class("linli-assist-toggle")
        self.assist_toggle.observe(lambda _c: self._show_assisted(), names=["value"])
        self.assisted = w.Text(style={"description_width": "initial"}, continuous_update=False, layout=w.Layout(width="560px"))
        self.assisted.add_class("linli-assisted-name")
        self.assisted.observe(lambda _c: self.touch(), names=["value"])
        self.review_button = w.Button(button_style="danger", layout=w.Layout(width="auto", min_width="260px", height="auto", min_height="60px"))
        self.review_button.add_class("linli-review")
        self.review_button.on_click(lambda _b: self.review())
        self.error = w.HTML()
        # The meter, the reason a disabled "next" is disabled, and the button itself stay in
        # sight while the list scrolls (linli.css: .linli-sticky-bar).
        self.bar = w.HBox([w.VBox([self.meter, self.why_disabled], layout=w.Layout(flex="1 1 auto")), self.review_button], layout=w.Layout(align_items="center"))
        self.bar.add_class("linli-sticky-bar")
        self.map = candidates_map(settings, district, lang) if district is not None and any(p.location for p in settings.projects) else None
        parts = [self.map] if self.map is not None else []
        self.ballot = w.VBox([self.bar, *parts, self.editor.root, self.error, self.assist_toggle, self.assisted])
        self.ballot.add_class("linli-ballot")
        self.summary = w.HTML()
        self.confirm_button = w.Button(button_style="danger", layout=w.Layout(width="auto", min_width="300px", height="auto", min_height="60px"))
        self.confirm_button.add_class("linli-confirm-vote")
        self.confirm_button.on_click(lambda _b: self.confirm())
        self.back_button = w.Button(layout=w.Layout(width="auto", min_width="200px", height="auto", min_height="60px"))
        self.back_button.on_click(lambda _b: (self.touch(), self._show("ballot")))
        self.confirm_error = w.HTML()
        self.review_box = w.VBox([self.summary, self.confirm_error, w.HBox([self.confirm_button, self.back_button])])
        self.receipt = w.HTML()
        self.next_button = w.Button(button_style="primary", layout=w.Layout(width="auto", min_width="300px", height="auto", min_height="64px"))
        self.next_button.add_class("linli-next-voter")
        self.next_button.on_click(lambda _b: self.next_voter())
        self.receipt_box = w.VBox([self.receipt, self.next_button])
        self.root = w.VBox([self.heading, self.login, self.ballot, self.review_box, self.receipt_box, self.sid_marker])
        self.root.add_class("linli-page")
        self.root.add_class("linli-tablet")
        self.root.add_class("linli-vote")
        self.root.add_class(f"linli-lang-{lang}")
        self.screen = "login"
        self._show("login")
        self._show_assisted()
        self._label()

    def set_lang(self, lang: str) -> None:
        """Show the page in ``lang``: every text it was built with — heading, code screen, cards,
        map legend and labels, meter, buttons of every screen — as a page built in ``lang`` shows
        it. Messages already shown in answer to a voter (errors, the review list, a receipt) are
        not redrawn: this is for a page nobody used yet (one built ahead in a preheated kernel)."""
        if lang == self.lang:
            return
        self.root.remove_class(f"linli-lang-{self.lang}")
        self.lang = lang
        self.root.add_class(f"linli-lang-{lang}")
        self.editor.set_lang(lang)
        if self.map is not None:
            from toolkit import maps

            self.map.linli_legend.value = maps.legend_html(*_candidates_legend(lang))
            self.map.linli_labels.restyle(lang=lang)
        self._label()

    def _label(self) -> None:
        """The page's own texts in ``self.lang``."""
        lang, settings = self.lang, self.settings
        self.heading.value = (
            f'<div class="linli-title">{user(settings.name.get(lang))}</div>'
            f'<div class="linli-hint">{escape(_t(lang, "vote_budget", budget=yuan(settings.budget_fen)))}</div>'
        )
        self.code_caption.value = f"<b>{escape(_t(lang, 'vote_code'))}</b>"
        self.code_box.placeholder = _t(lang, "vote_code_ph")
        self.start.description = _t(lang, "vote_start")
        self.assist_toggle.description = tt("tablets.vote.assist", lang)
        self.assisted.description = _t(lang, "assisted")
        self.review_button.description = _t(lang, "review")
        self.confirm_button.description = _t(lang, "confirm_vote")
        self.back_button.description = _t(lang, "back_edit")
        self.next_button.description = tt("tablets.vote.next_voter", lang)
        self._update()

    def adopt_submission_id(self, given: str | None) -> None:
        """Take the submission id from the page address (``?sid=``, a reload after a lost kernel),
        if it is one — as the page does when built with ``submission_id``."""
        sid = given_submission_id(given)
        if sid:
            self._set_sid(sid)

    def _set_sid(self, sid: str) -> None:
        """This page's submission id, mirrored into a hidden marker the template copies into the
        address bar (``?sid=``)."""
        self.submission_id = sid
        self.sid_marker.value = f'<span class="linli-sid" data-sid="{escape(sid)}" hidden></span>'

    def touch(self) -> None:
        """A person did something: the idle clock starts again."""
        self.last_touch = self.clock()

    def _show(self, screen: str) -> None:
        self.screen = screen
        for name, box in (("login", self.login), ("ballot", self.ballot), ("review", self.review_box), ("receipt", self.receipt_box)):
            box.layout.display = "flex" if name == screen else "none"

    def _show_assisted(self) -> None:
        self.touch()
        on = self.assist_toggle.value
        self.assisted.layout.display = "flex" if on else "none"
        self.assist_toggle.button_style = "info" if on else ""
        if not on:
            self.assisted.value = ""

    def _err(self, box: w.HTML, label: Label | str) -> None:
        text = label.get(self.lang) if isinstance(label, Label) else label
        box.value = f'<div class="linli-error">{escape(text)}</div>' if text else ""

    @store_guard("code_error", False)
    def enter_code(self, text: str) -> bool:
        self.touch()
        problem = self.code_problem(text)
        if problem is not None:
            receipt = self.received(text, self.submission_id) if self.received is not None else None
            if receipt is not None:  # a reload after this page's ballot was stored: say so, never a "code used" error
                self._err(self.code_error, "")
                self._show_receipt(receipt, again=True)
                return False
            self._err(self.code_error, problem)
            return False
        self.code = text
        self._set_sid(new_submission_id())  # this code's ballot gets its own id (also after a reload)
        self._err(self.code_error, "")
        self._show("ballot")
        return True

    def _why_disabled(self) -> str | None:
        """Why "next" cannot be pressed now, in plain words (None when it can)."""
        d, s, kind = self.editor.data(), self.settings, self.editor.kind
        if kind == "knapsack":
            spent = sum(s.project(pid).cost_fen for pid in d["projects"])
            if spent > s.budget_fen:
                return tt("tablets.vote.why_over", self.lang, over=yuan(spent - s.budget_fen))
        elif kind == "cumulative":
            given = sum(d["points"].values())
            if given > s.ballot.points:
                return tt("tablets.vote.why_points", self.lang, over=given - s.ballot.points)
            if not given:
                return tt("tablets.vote.why_no_points", self.lang)
            return None
        elif kind == "ranking":
            if len(d["ranking"]) > s.ballot.k:
                return tt("tablets.vote.why_too_many", self.lang, max=s.ballot.k)
        else:
            most = s.ballot.max_picks if s.ballot.max_picks is not None else len(s.projects)
            if len(d["projects"]) > most:
                return tt("tablets.vote.why_too_many", self.lang, max=most)
        if not (d.get("projects") or d.get("ranking")):
            return tt("tablets.vote.why_empty", self.lang)
        return None

    def _update(self) -> None:
        self.touch()
        text, bad = self.editor.meter()
        self.meter.value = f'<div class="{"linli-error" if bad else "linli-meter"}" id="linli-meter">{escape(text)}</div>'
        why = self._why_disabled()
        self.review_button.disabled = why is not None
        self.why_disabled.value = f'<div class="linli-error" id="linli-why-disabled">{escape(why)}</div>' if why else ""

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
        self.touch()
        if self.code is None:
            return False
        data = self._check()
        if data is None:
            return False
        names = {p.id: p for p in self.settings.projects}
        numbers = project_numbers(self.settings)
        if "points" in data:
            items = [f"{numbers[pid]}. {user(names[pid].name.get(self.lang))} — {escape(_t(self.lang, 'points_label', n=n))}" for pid, n in data["points"].items()]
        else:
            key = "ranking" if "ranking" in data else "projects"
            items = [f"{numbers[pid]}. {user(names[pid].name.get(self.lang))} — {escape(yuan(names[pid].cost_fen))}" for pid in data[key]]
        self.summary.value = f'<div class="linli-title">{escape(_t(self.lang, "review_title"))}</div><ul id="linli-review">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
        self._err(self.confirm_error, "")
        self._show("review")
        return True

    @store_guard("confirm_error", False)
    def confirm(self) -> bool:
        self.touch()
        if self.code is None or self.submitting:
            return False
        data = self.editor.data()
        assisted_by = self.assisted.value.strip() if self.assist_toggle.value else ""
        assisted_by = assisted_by or None
        if assisted_by:
            data = {**data, "assisted": True}
        self.submitting = True
        try:
            receipt, created = self.cast(self.code, data, self.submission_id, assisted_by)
        except ValidationError as exc:
            self._err(self.confirm_error, next(iter(exc.errors.values())))
            return False
        except LinliError as exc:
            self._err(self.confirm_error, error_text(exc, self.lang))
            return False
        finally:
            self.submitting = False
            self.touch()
        self._err(self.confirm_error, "")
        self._show_receipt(receipt, again=not created)
        return True

    def _show_receipt(self, receipt: str, *, again: bool = False) -> None:
        """The receipt screen; ``again`` when the ballot had been stored before (a resubmission
        after a reload or a lost reply): it was received once and counts once."""
        note = f'<div class="linli-hint" id="linli-vote-again">{escape(catalog_text("trust.vote_received", self.lang))}</div>' if again else ""
        self.receipt.value = (
            f'<div class="linli-receipt-box"><div class="linli-title">{escape(_t(self.lang, "vote_done"))}</div>'
            f'<div class="linli-receipt" id="linli-vote-receipt">{escape(receipt)}</div>{note}'
            f'<div class="linli-hint">{escape(_t(self.lang, "vote_done_note"))}</div></div>'
        )
        self._show("receipt")

    def next_voter(self) -> None:
        """Back to the code screen with nothing of the previous voter left: code, picks, assisted
        mode and name, messages; a fresh submission id."""
        self.code = None
        self.code_box.value = ""
        self.editor.reset()
        self.assist_toggle.value = False
        self.assisted.value = ""
        for box in (self.code_error, self.error, self.confirm_error, self.summary, self.receipt):
            box.value = ""
        self._set_sid(new_submission_id())
        self.resets += 1
        self._show("login")
        self._update()

    def idle_check(self) -> bool:
        """Reset if nobody touched the page for ``idle_seconds`` (0 = never), except on the empty
        code screen and never during a confirmed submit. Returns whether it reset."""
        if not self.idle_seconds or self.submitting:
            return False
        if self.screen == "login" and not self.code_box.value:
            return False
        if self.clock() - self.last_touch < self.idle_seconds:
            return False
        self.next_voter()
        return True

    async def _idle_loop(self) -> None:
        import asyncio

        while True:
            await asyncio.sleep(max(1.0, min(5.0, self.idle_seconds / 10)))
            try:
                self.idle_check()
            except Exception as exc:  # the page's error boundary
                self._err(self.error, error_text(exc, self.lang))

    def start_idle_timer(self) -> None:
        """Watch for idleness in the kernel's event loop (sends nothing while nothing happens)."""
        import asyncio

        if self.idle_seconds:
            self._idle_task = asyncio.get_event_loop().create_task(self._idle_loop())
