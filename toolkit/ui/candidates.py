"""Round-desk's candidate table (hand-built ipywidgets + CSS): search, paging, tick boxes of
44 px and more, the cost of each proposal in yuan; proposals screened 议 are offered by default,
a toggle shows the others.

A page shows ``page_size`` rows; the row widgets are made once and re-bound to the data of the
page shown, so 240 or 2,400 proposals cost the same number of widgets. What is ticked (and the
cost typed) lives in Python (``chosen``), not in the widgets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as w

from toolkit.i18n import text
from toolkit.markup import escape, user, yuan

PAGE_SIZE = 15
DEFAULT_COST_YUAN = 10_000


@dataclass(frozen=True)
class Candidate:
    """One proposal offered as a candidate project. ``screening``: deliberated, excluded or none."""

    id: int
    title: str
    place: str
    screening: str
    cost_yuan: int
    reasons: str = ""
    location: tuple[float, float] | None = None


def candidates_from(proposals, screened) -> list[Candidate]:
    """Candidates from the store's proposals frame and screening frame."""
    import pandas as pd

    outcome = dict(zip(screened.proposal_id.astype(int), screened.outcome)) if len(screened) else {}
    out = []
    for r in proposals.itertuples():
        cost = DEFAULT_COST_YUAN if pd.isna(r.cost_fen) else max(int(r.cost_fen) // 100, 1)
        reasons = " · ".join(str(x) for x in (r.problem, r.why, r.suggestion) if isinstance(x, str) and x.strip())
        place = " · ".join(str(x) for x in (getattr(r, "compound_name", None), getattr(r, "community_name", None)) if isinstance(x, str) and x)
        loc = None if pd.isna(r.lon) else (float(r.lon), float(r.lat))
        out.append(Candidate(int(r.id), str(r.title), place, outcome.get(int(r.id), "none"), cost, reasons, loc))
    return out


class CandidateTable:
    """Search, page, tick; ``chosen`` maps proposal id → cost in yuan."""

    def __init__(self, candidates: list[Candidate], *, lang: str = "zh", page_size: int = PAGE_SIZE, on_change: Callable[[], None] | None = None) -> None:
        self.all = {c.id: c for c in candidates}
        self.lang, self.page_size, self.on_change = lang, page_size, on_change
        self.chosen: dict[int, int] = {}
        self.costs: dict[int, int] = {c.id: c.cost_yuan for c in candidates}
        self.page = 0
        self._binding = False
        g = lang
        self.search = w.Text(placeholder=text("nav.desk.search", g), continuous_update=False, layout=w.Layout(width="480px"))
        self.search.add_class("linli-candidate-search")
        self.show_all = w.Checkbox(value=False, description=text("nav.desk.show_all", g), indent=False, layout=w.Layout(width="auto", min_height="48px"))
        self.show_all.add_class("linli-show-all")
        self.search.observe(lambda _c: self._filter(), names=["value"])
        self.show_all.observe(lambda _c: self._filter(), names=["value"])
        self.prev = w.Button(description=text("nav.desk.prev", g), layout=w.Layout(min_width="120px", height="48px"))
        self.next = w.Button(description=text("nav.desk.next", g), layout=w.Layout(min_width="120px", height="48px"))
        self.prev.add_class("linli-page-prev")
        self.next.add_class("linli-page-next")
        self.prev.on_click(lambda _b: self.go(self.page - 1))
        self.next.on_click(lambda _b: self.go(self.page + 1))
        self.pager = w.HTML()
        self.summary = w.HTML()
        head = w.HTML(
            '<div class="linli-candidate-head">'
            f'<span class="c-pick">{escape(text("nav.desk.col_pick", g))}</span><span class="c-title">{escape(text("nav.desk.col_title", g))}</span>'
            f'<span class="c-screen">{escape(text("nav.desk.col_screening", g))}</span><span class="c-cost">{escape(text("nav.desk.col_cost", g))}</span></div>'
        )
        self.rows: list[tuple[w.Checkbox, w.HTML, w.HTML, w.BoundedIntText, w.HBox]] = []
        for i in range(page_size):
            box = w.Checkbox(value=False, indent=False, description="", layout=w.Layout(width="56px", height="48px"))
            box.add_class("linli-pick")
            title = w.HTML(layout=w.Layout(flex="1 1 auto", width="auto"))
            screen = w.HTML(layout=w.Layout(width="140px"))
            cost = w.BoundedIntText(value=1, min=1, max=10**8, layout=w.Layout(width="170px"))
            cost.add_class("linli-cost")
            row = w.HBox([box, title, screen, cost], layout=w.Layout(min_height="52px", align_items="center"))
            row.add_class("linli-candidate-row")
            box.observe(lambda c, i=i: self._ticked(i, c["new"]), names=["value"])
            cost.observe(lambda c, i=i: self._costed(i, c["new"]), names=["value"])
            self.rows.append((box, title, screen, cost, row))
        self.shown_ids: list[int] = []
        self.filtered: list[int] = []
        self.root = w.VBox([
            w.HBox([self.search, self.show_all], layout=w.Layout(align_items="center")), head,
            w.VBox([r[-1] for r in self.rows]), w.HBox([self.prev, self.pager, self.next], layout=w.Layout(align_items="center")), self.summary,
        ])
        self.root.add_class("linli-candidates")
        self._filter()

    # -- what is shown ------------------------------------------------------------------
    def _filter(self) -> None:
        needle = self.search.value.strip().lower()
        ids = []
        for c in self.all.values():
            if not self.show_all.value and c.screening != "deliberated" and c.id not in self.chosen:
                continue
            if needle and needle not in f"{c.id}. {c.title} {c.place}".lower():
                continue
            ids.append(c.id)
        self.filtered = ids
        self.go(0)

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.filtered) // self.page_size))

    def go(self, page: int) -> None:
        self.page = min(max(page, 0), self.pages - 1)
        start = self.page * self.page_size
        self.shown_ids = self.filtered[start:start + self.page_size]
        g = self.lang
        self._binding = True
        try:
            for i, (box, title, screen, cost, row) in enumerate(self.rows):
                if i >= len(self.shown_ids):
                    row.layout.display = "none"
                    continue
                c = self.all[self.shown_ids[i]]
                row.layout.display = "flex"
                box.value = c.id in self.chosen
                title.value = (f'<div class="linli-candidate-title" data-proposal="{c.id}"><b>{c.id}. {user(c.title)}</b>'
                               f'<small>{user(c.place)}</small></div>')
                screen.value = f'<span class="linli-screen-{escape(c.screening)}">{escape(text(f"nav.desk.screen.{c.screening}", g))}</span>'
                cost.value = self.costs[c.id]
        finally:
            self._binding = False
        self.pager.value = (f'<span class="linli-pager">{escape(text("nav.desk.page", g, page=self.page + 1, pages=self.pages, n=len(self.filtered)))}</span>'
                            if self.filtered else f'<span class="linli-pager">{escape(text(self._empty_key(), g))}</span>')
        self.prev.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1
        self._summarise()

    def _empty_key(self) -> str:
        none_screened = not any(c.screening == "deliberated" for c in self.all.values())
        return "nav.desk.none_deliberated" if none_screened and not self.show_all.value else "nav.desk.no_match"

    # -- what is chosen ------------------------------------------------------------------
    def _ticked(self, i: int, value: bool) -> None:
        if self._binding or i >= len(self.shown_ids):
            return
        pid = self.shown_ids[i]
        if value:
            self.chosen[pid] = self.costs[pid]
        else:
            self.chosen.pop(pid, None)
        self._summarise()

    def _costed(self, i: int, value: int) -> None:
        if self._binding or i >= len(self.shown_ids):
            return
        pid = self.shown_ids[i]
        self.costs[pid] = int(value)
        if pid in self.chosen:
            self.chosen[pid] = int(value)
        self._summarise()

    def pick(self, pid: int, cost_yuan: int | None = None) -> None:
        """Tick a proposal (as a tap would), optionally with its cost in yuan."""
        if pid not in self.all:
            raise KeyError(pid)
        if cost_yuan is not None:
            self.costs[pid] = int(cost_yuan)
        self.chosen[pid] = self.costs[pid]
        self.go(self.page)

    def _summarise(self) -> None:
        total = sum(self.chosen.values()) * 100
        self.summary.value = f'<div class="linli-title" id="linli-chosen" data-n="{len(self.chosen)}">{escape(text("nav.desk.chosen", self.lang, n=len(self.chosen), total=yuan(total)))}</div>'
        if self.on_change:
            self.on_change()
