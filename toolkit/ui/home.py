"""The two home pages: the staff home (the district at a glance, what awaits screening, every
round, panel and plan with its state and links, a new scoring panel) and the residents' landing
page (large tiles, one per thing a resident can do; the list of tiles is data)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ipywidgets as w

from toolkit.i18n import text
from toolkit.markup import escape, filled, user
from toolkit.ui.nav import href
from toolkit.ui.tablets import store_guard, store_text

if TYPE_CHECKING:
    from toolkit.store import Store

AWAITING_SHOWN = 8


def _link(page: str, lang: str, label: str, cls: str = "linli-link", **params: object) -> str:
    return f'<a class="{cls}" href="{escape(href(page, lang, **params))}">{escape(label)}</a>'


def _section(title: str, body: str, element_id: str) -> str:
    return f'<section class="linli-home-section" id="{element_id}"><h2>{escape(title)}</h2>{body}</section>'


class StaffHome:
    """Staff server root: counts, lists with links, buttons to create a round, plan or panel."""

    def __init__(self, store: "Store", lang: str = "zh", *, households: int | None = None, rubrics: tuple[str, ...] = ("selection", "evaluation")) -> None:
        self.store, self.lang, self.households, self.rubrics = store, lang, households, rubrics
        self.overview = w.HTML()
        self.panel_form = PanelForm(store, lang, rubrics, on_created=lambda _pid: self.refresh())
        self.new_panel = w.Button(description=text("nav.new_panel", lang), layout=w.Layout(min_width="240px", height="52px"))
        self.new_panel.add_class("linli-new-panel")
        self.new_panel.on_click(lambda _b: self.panel_form.show())
        self.root = w.VBox([self.overview, self.new_panel, self.panel_form.root])
        self.root.add_class("linli-page")
        self.root.add_class("linli-staff-home")
        self.refresh()

    def refresh(self) -> None:
        g = self.lang
        frame = self.store.proposals_frame()
        screened = self.store.screening_frame()
        queue = self.store.screening_queue()
        outcome = screened.outcome.value_counts().to_dict() if len(screened) else {}
        counts = [
            ("proposals", len(frame)), ("awaiting", len(queue)), ("deliberated", outcome.get("deliberated", 0)),
            ("excluded", outcome.get("excluded", 0)),
        ]
        if self.households is not None:
            counts.append(("households", self.households))
        glance = "".join(
            f'<div class="linli-count" data-count="{k}"><b>{n:,}</b> {escape(text(f"nav.count.{k}", g))}</div>' for k, n in counts
        )
        titles = frame.set_index("id").title.to_dict() if len(frame) else {}
        waiting = "".join(f"<li>{int(pid)}. {user(titles.get(pid, ''))}</li>" for pid in queue[:AWAITING_SHOWN])
        more = f"<li>{escape(text('nav.awaiting_more', g, n=len(queue) - AWAITING_SHOWN))}</li>" if len(queue) > AWAITING_SHOWN else ""
        awaiting = (
            f'<ul class="linli-home-list">{waiting}{more}</ul>' + _link("screening", g, text("nav.open_screening", g), "linli-button-link")
            if queue else f"<p>{escape(text('nav.awaiting_none', g))}</p>"
        )
        rounds = self._rows(
            [(r["id"], filled(text("nav.round_row", g), id=escape(r["id"]), name=user(r["name"])), text(f"nav.state.{r['status']}", g),
              [("round-desk", "nav.link.desk"), ("results", "nav.link.results")] + ([("paper", "nav.link.paper")] if r["status"] == "open" else []))
             for r in self.store.rounds()], "round")
        panels = self._rows(
            [(p["id"], filled(text("nav.panel_row", g), id=escape(p["id"]), name=user(p["name"])), text("nav.state.locked" if p["locked_at"] else "nav.state.scoring", g),
              [("tally", "nav.link.tally")]) for p in self.store.panels()], "panel")
        plans = self._rows(
            [(p["id"], filled(text("nav.plan_row", g), id=escape(p["id"]), name=user(p["name"])), text("nav.state.frozen" if p.get("frozen_at") else "nav.state.plan_open", g),
              [("plan", "nav.link.plan")]) for p in self.store.plans()], "plan")
        pages = " ".join(_link(p, g, text(f"nav.page.{p}", g), "linli-button-link") for p in ("live-map", "screening", "results", "paper", "feedback", "projects", "notices", "dashboard"))
        self.overview.value = (
            f'<div class="linli-home-grid">'
            + _section(text("nav.glance", g), f'<div class="linli-counts">{glance}</div>', "linli-glance")
            + _section(text("nav.awaiting_title", g), awaiting, "linli-awaiting")
            + _section(text("nav.rounds_title", g), rounds + _link("round-desk", g, "+ " + text("nav.new_round", g), "linli-button-link linli-new-round"), "linli-rounds")
            + _section(text("nav.panels_title", g), panels, "linli-panels")
            + _section(text("nav.plans_title", g), plans + _link("plan", g, "+ " + text("nav.new_plan", g), "linli-button-link linli-new-plan", new=1), "linli-plans")
            + _section(text("nav.pages_title", g), pages, "linli-pages")
            + "</div>"
        )

    def _rows(self, rows: list[tuple[int, str, str, list[tuple[str, str]]]], kind: str) -> str:
        """A table of rounds, panels or plans: (id, name as HTML, state, links)."""
        if not rows:
            return f"<p>{escape(text('nav.none_yet', self.lang))}</p>"
        body = "".join(
            f'<tr data-{kind}="{rid}"><td>{name}</td><td class="linli-state">{escape(state)}</td><td>'
            + " ".join(_link(page, self.lang, text(key, self.lang), "linli-button-link", **{kind: rid}) for page, key in links)
            + "</td></tr>"
            for rid, name, state, links in rows
        )
        return f'<table class="linli-home-table">{body}</table>'


def _rubric_options(rubrics: tuple[str, ...], lang: str) -> list[tuple[str, str]]:
    """(title in the page's language, rubric name) for the rubric drop-down; the name where a rubric has no title."""
    from toolkit.scoring import load_rubric

    options = []
    for name in rubrics:
        title = load_rubric(name).title
        options.append((title.get(lang) if title is not None else name, name))
    return options


class PanelForm:
    """New scoring panel: name, rubric, projects (those screened 议 first), reviewers with tiers.
    The one-time codes are shown once, printable; the CLI ``linli panel create`` does the same."""

    def __init__(self, store: "Store", lang: str, rubrics: tuple[str, ...], *, on_created: Callable[[int], None] | None = None) -> None:
        from toolkit.panels import TIERS

        self.store, self.lang, self.on_created = store, lang, on_created
        g = lang
        wide = {"description_width": "140px"}
        self.name = w.Text(description=text("nav.panel.name", g), style=wide, layout=w.Layout(width="640px"))
        self.rubric = w.Dropdown(description=text("nav.panel.rubric", g), options=_rubric_options(rubrics, g), style=wide, layout=w.Layout(width="640px"))
        self.projects = w.SelectMultiple(options=self._project_options(), rows=10, layout=w.Layout(width="900px"))
        self.projects.add_class("linli-user")  # proposal titles: people's own words, shown as written
        self.tiers = [(text(f"nav.tier.{t}", g), t) for t in TIERS]
        self.reviewer_rows: list[tuple[w.Text, w.ToggleButtons]] = []
        self.reviewers_box = w.VBox()
        self.add_reviewer = w.Button(description=text("nav.panel.add_reviewer", g), layout=w.Layout(min_width="200px", height="48px"))
        self.add_reviewer.on_click(lambda _b: self._add_row())
        for _ in range(3):
            self._add_row()
        self.create_button = w.Button(description=text("nav.panel.create", g), button_style="primary", layout=w.Layout(min_width="240px", height="52px"))
        self.create_button.add_class("linli-create-panel")
        self.create_button.on_click(lambda _b: self.create())
        self.message = w.HTML()
        self.codes = w.HTML()
        self.form = w.VBox([
            self.name, self.rubric, w.HTML(f"<b>{escape(text('nav.panel.projects', g))}</b>"), self.projects,
            w.HTML(f"<b>{escape(text('nav.panel.reviewers', g))}</b>"), self.reviewers_box, self.add_reviewer, self.create_button,
        ])
        self.form.layout.display = "none"
        self.root = w.VBox([self.form, self.message, self.codes])
        self.root.add_class("linli-panel-form")

    def _project_options(self) -> list[tuple[str, int]]:
        frame = self.store.proposals_frame()
        screened = self.store.screening_frame()
        delib = set(int(x) for x in screened[screened.outcome == "deliberated"].proposal_id) if len(screened) else set()
        rows = [r for r in frame.itertuples() if int(r.id) in delib] or list(frame.itertuples())
        return [(f"{int(r.id)}. {r.title}", int(r.id)) for r in rows]

    def _add_row(self) -> None:
        name = w.Text(placeholder=text("nav.panel.reviewer_name", self.lang), layout=w.Layout(width="260px"))
        name.add_class("linli-user")  # a name as typed, in any script
        tier = w.ToggleButtons(options=self.tiers, value="community")
        self.reviewer_rows.append((name, tier))
        self.reviewers_box.children = [w.HBox([n, t]) for n, t in self.reviewer_rows]

    def show(self) -> None:
        self.projects.options = self._project_options()
        self.form.layout.display = "flex"
        self.codes.value = ""

    @store_guard("message")
    def create(self) -> int | None:
        from toolkit.errors import LinliError
        from toolkit.panels import create_panel_in, panel_problems

        reviewers = [(n.value, t.value) for n, t in self.reviewer_rows if n.value.strip()]
        ids = [int(x) for x in self.projects.value]
        problems = panel_problems(self.store, self.name.value, self.rubric.value, ids, reviewers)
        if problems:
            self.message.value = '<div class="linli-error">' + " ".join(escape(text(k, self.lang, **v)) for k, v in problems.values()) + "</div>"
            return None
        try:
            panel_id, codes = create_panel_in(self.store, self.name.value, self.rubric.value, ids, reviewers)
        except LinliError as exc:  # the database refused (e.g. a rule it checks again)
            self.message.value = f'<div class="linli-error">{escape(store_text(exc, self.lang) or exc)}</div>'
            return None
        self.message.value = ""
        self.form.layout.display = "none"
        self.codes.value = self._codes_html(panel_id, codes, dict(reviewers))
        for n, _t in self.reviewer_rows:
            n.value = ""
        self.name.value = ""
        if self.on_created:
            self.on_created(panel_id)
        return panel_id

    def _codes_html(self, panel_id: int, codes: dict[str, str], tiers: dict[str, str]) -> str:
        g = self.lang
        name = self.store.panel(panel_id)["name"]
        rows = "".join(
            f'<tr><td>{user(person)}</td><td>{escape(text(f"nav.tier.{tiers[person]}", g))}</td><td class="linli-code">{escape(code)}</td></tr>'
            for person, code in codes.items()
        )
        table = f'<table class="linli-codes-table">{rows}</table>'
        title = text("nav.panel.codes_title", g, name=name)
        sheet = (
            f'<!doctype html><html lang="{"zh-Hans" if g == "zh" else "en"}"><meta charset="utf-8"><title>{escape(title)}</title>'
            '<style>body{font-family:"Noto Sans CJK SC",sans-serif;font-size:20px}td{padding:8px 16px;border-bottom:1px solid #333}'
            '.linli-code{font-family:monospace;font-size:28px;letter-spacing:.1em}</style>'
            f"<h1>{escape(title)}</h1>{table}</html>"
        )
        data = "data:text/html;base64," + base64.b64encode(sheet.encode("utf-8")).decode()
        return (
            f'<div class="linli-panel-created" id="linli-panel-created" data-panel="{panel_id}">'
            f'<p class="linli-title">{escape(text("nav.panel.created", g, id=panel_id))}</p>{table}'
            f'<p><a class="linli-button-link" id="linli-panel-codes-print" download="panel-{panel_id}-codes.html" href="{data}">{escape(text("nav.panel.print", g))}</a> '
            + _link("tally", g, text("nav.panel.open_tally", g), "linli-button-link linli-open-tally", panel=panel_id)
            + "</p></div>"
        )


@dataclass(frozen=True)
class Tile:
    """One tile of the residents' landing page (``hint`` is HTML: a round's name is user data)."""

    page: str
    title: str
    hint: str
    enabled: bool = True
    params: tuple[tuple[str, object], ...] = ()


def resident_tiles(store: "Store", lang: str, pages: tuple[str, ...]) -> list[Tile]:
    """The tiles, in order, for the resident pages that exist (``pages``: notebook names).
    A page another helper adds gets a tile once it has ``nav.tile.<page>`` texts."""
    open_rounds = [r for r in store.rounds() if r["status"] == "open"]
    known = {
        "propose": lambda: Tile("propose", text("nav.tile.propose", lang), escape(text("nav.tile.propose_hint", lang))),
        "vote": lambda: (
            Tile("vote", text("nav.tile.vote", lang), filled(text("nav.tile.vote_hint", lang), name=user(open_rounds[0]["name"])), True, (("round", open_rounds[0]["id"]),))
            if open_rounds else Tile("vote", text("nav.tile.vote", lang), escape(text("nav.tile.vote_none", lang)), False)
        ),
        "scoring": lambda: Tile("scoring", text("nav.tile.score", lang), escape(text("nav.tile.score_hint", lang))),
    }
    order = ["propose", "vote", "scoring"] + sorted(p for p in pages if p not in ("propose", "vote", "scoring", "home"))
    tiles = []
    for page in order:
        if page not in pages:
            continue
        if page in known:
            tiles.append(known[page]())
        else:
            try:
                tiles.append(Tile(page, text(f"nav.tile.{page}", lang), escape(text(f"nav.tile.{page}_hint", lang))))
            except KeyError:
                continue  # a page without tile texts yet is not offered
    return tiles


def resident_home(tiles: list[Tile], lang: str) -> w.HTML:
    """Large tiles (each a link; a disabled one says why in a plain sentence)."""
    other = "en" if lang == "zh" else "zh"
    cells = []
    for t in tiles:
        inner = f'<span class="linli-tile-title">{escape(t.title)}</span><span class="linli-tile-hint">{t.hint}</span>'
        if t.enabled:
            cells.append(f'<a class="linli-tile" data-page="{escape(t.page)}" href="{escape(href(t.page, lang, **dict(t.params)))}">{inner}</a>')
        else:
            cells.append(f'<div class="linli-tile linli-tile-off" data-page="{escape(t.page)}" aria-disabled="true">{inner}</div>')
    page = w.HTML(
        '<div class="linli-resident-home">'
        f'<div class="linli-resident-head"><span class="linli-big">{escape(text("nav.resident_home_title", lang))}</span>'
        f'<a class="linli-lang-link" lang="{other}" href="{escape(href("home", other))}">{escape(text("nav.lang_self", other))}</a></div>'
        f'<p class="linli-title">{escape(text("nav.resident_intro", lang))}</p>'
        f'<div class="linli-tiles">{"".join(cells)}</div></div>'
    )
    page.add_class("linli-page")
    return page
