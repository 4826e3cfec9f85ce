"""Scoring pages: ``scoring`` (one tablet per reviewer, entered with a reviewer code) and
``tally`` (projector: sheets as they arrive, who is missing, ranking with per-tier and
per-criterion breakdown, agreement, a what-if on weights; locks when all sheets are in;
exports CSV and Excel).

Widgets only: the store's methods and the scoring functions come in as collaborators.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from toolkit.errors import LinliError
from toolkit.markup import escape, filled, user, yuan
from toolkit.proposals import new_submission_id
from toolkit.ui.polling import LivePoller
from toolkit.ui.tablets import error_text, store_guard, tt
from toolkit.ui.texts import T

if TYPE_CHECKING:
    from toolkit.scoring import Rubric


def _t(lang: str, key: str, **kw: object) -> str:
    label = T[key]
    return (label.format(**kw) if kw else label).get(lang)


def _scale_values(rubric: "Rubric") -> list[int]:
    lo, hi = rubric.scale
    return list(range(int(lo), int(hi) + 1))


class ScoringForm:
    """A reviewer's tablet: enter the code, then one project at a time (the first unfinished one
    is selected; finished ones carry a ✓). ``project_info(pid)`` returns the proposal behind a
    panel project (title, problem, why, suggestion, cost_fen, lon, lat) or None; ``district``
    adds a small map of the project's place."""

    def __init__(
        self,
        store: Any,
        rubric_for: Callable[[dict], "Rubric"],
        find_reviewer: Callable[[str], dict | None],
        *,
        lang: str = "zh",
        project_info: Callable[[str], dict | None] = lambda _pid: None,
        district: Any = None,
    ) -> None:
        self.store, self.rubric_for, self.find_reviewer, self.lang = store, rubric_for, find_reviewer, lang
        self.project_info, self.district = project_info, district
        self.reviewer: dict | None = None
        self.panel: dict | None = None
        self.rubric: "Rubric | None" = None
        self.code = w.Text(placeholder=_t(lang, "code_prompt"), continuous_update=False, layout=w.Layout(width="320px"))
        self.enter = w.Button(description=_t(lang, "code_enter"), button_style="primary")
        self.enter.add_class("linli-enter")
        self.enter.on_click(lambda _b: self.sign_in(self.code.value))
        self.message = w.HTML()
        self.header = w.HTML()
        self.done_count = w.HTML()
        self.project = w.ToggleButtons(style={"button_width": "auto"})
        self.project.add_class("linli-projects")
        self.project.add_class("linli-user")  # each button names a project by its title (people's own words)
        self._relabelling = False
        self.project.observe(lambda _c: None if self._relabelling else self._show_project(), names=["value"])
        self.details = w.HTML()
        self.map: Any = None
        self._marker: Any = None
        self.criteria_box = w.VBox()
        # A big toggle button, not a 13 px checkbox label: it never overlaps the criteria and
        # says what it means in both states.
        self.conflict = w.ToggleButton(value=False, description=tt("tablets.scoring.conflict_off", lang), layout=w.Layout(width="100%", height="auto", min_height="52px"))
        self.conflict.add_class("linli-conflict")
        self.conflict.observe(lambda _c: self._show_project(), names=["value"])
        self.submit_button = w.Button(description=_t(lang, "submit_sheet"), button_style="danger", layout=w.Layout(width="100%", height="60px"))
        self.submit_button.add_class("linli-submit-sheet")
        self.submit_button.on_click(lambda _b: self.submit())
        self.progress = w.HTML()
        self.pickers: dict[str, w.ToggleButtons] = {}
        self.submission_ids: dict[str, str] = {}
        self.project_box = w.VBox([self.details])
        self.sheet = w.VBox([self.header, self.done_count, self.project, self.project_box, self.conflict, self.criteria_box, self.message, self.submit_button, self.progress])
        self.sheet.layout.display = "none"
        self.login = w.VBox([w.HTML(f'<div class="linli-title">{escape(_t(lang, "scoring_title"))}</div>'), w.HBox([self.code, self.enter]), self.message])
        self.root = w.VBox([self.login, self.sheet])
        self.root.add_class(f"linli-lang-{lang}")
        self.root.add_class("linli-page")
        self.root.add_class("linli-tablet")

    @store_guard("message", False)
    def sign_in(self, code: str) -> bool:
        reviewer = self.find_reviewer(code)
        if reviewer is None:
            self.message.value = f'<div class="linli-error">{escape(_t(self.lang, "code_unknown"))}</div>'
            return False
        self.reviewer = reviewer
        self.panel = self.store.panel(reviewer["panel_id"])
        self.rubric = self.rubric_for(self.panel)
        tier = _t(self.lang, f"tier_{reviewer['tier']}")
        self.header.value = f'<div class="linli-title">{filled(_t(self.lang, "reviewer_hello"), name=user(reviewer["name"]), tier=escape(tier), panel=user(self.panel["name"]))}</div>'
        self.pickers = {
            c.id: w.ToggleButtons(options=_scale_values(self.rubric), value=None, style={"button_width": "52px"})
            for c in self.rubric.criteria
        }
        rows = []
        for c in self.rubric.criteria:
            rows.append(w.HTML(f'<div class="linli-criterion"><b>{escape(c.label.get(self.lang))}</b></div>'))
            rows.append(self.pickers[c.id])
        self.criteria_box.children = rows
        if self.district is not None and self.map is None:
            from toolkit import maps

            from toolkit.ui.tablets import map_legend

            legend = map_legend(self.lang, (tt("tablets.map.this_project", self.lang), "#b71c1c", "dot"))
            self.map = maps.base_map(self.district, height_px=260, width_px=600, labels_lang=self.lang, legend=legend)
            self.map.layout.width = "600px"
            self.project_box.children = [self.details, self.map]
        self.message.value = ""
        self.login.layout.display = "none"
        self.sheet.layout.display = "flex"
        self._relabel(select_next=True)
        self._show_project()
        return True

    def _done(self) -> set[str]:
        assert self.reviewer is not None
        return {p for r, p in self.store.submitted_sheets(self.reviewer["panel_id"]) if r == self.reviewer["id"]}

    def _relabel(self, *, select_next: bool) -> None:
        """Project buttons with ✓ on the finished ones and the count; optionally move to the
        first unfinished project (or stay on the last one when all are done)."""
        assert self.panel is not None
        done = self._done()
        projects = self.panel["projects"]
        current = self.project.value
        if select_next or current is None:
            remaining = [pid for pid, _ in projects if pid not in done]
            current = remaining[0] if remaining else (current or (projects[0][0] if projects else None))
        self._relabelling = True
        try:
            self.project.options = [(("✓ " if pid in done else "") + f"{pid} {title}", pid) for pid, title in projects]
            self.project.value = current
        finally:
            self._relabelling = False
        self.done_count.value = f'<div class="linli-meter" id="linli-done-count">{escape(tt("tablets.scoring.done_count", self.lang, done=len(done), total=len(projects)))}</div>'

    def _show_details(self, pid: str | None) -> None:
        info = self.project_info(pid) if pid else None
        if not info:
            self.details.value = ""
            return
        lang = self.lang
        parts = [f'<div class="linli-card-title" id="linli-project-title"><b><span class="linli-id">{escape(pid)}</span> {user(info.get("title", ""))}</b></div>']
        cost = info.get("cost_fen")
        cost_text = tt("tablets.scoring.cost", lang, cost=yuan(cost)) if cost is not None else tt("tablets.scoring.cost_unknown", lang)
        parts.append(f'<div class="linli-meter" id="linli-project-cost">{escape(cost_text)}</div>')
        for key in ("problem", "why", "suggestion"):
            if info.get(key):
                parts.append(f'<p><b>{escape(tt("tablets.scoring." + key, lang))}</b>{"：" if lang != "en" else ": "}{user(info[key])}</p>')
        self.details.value = '<div class="linli-card" id="linli-project-details">' + "".join(parts) + "</div>"
        if self.map is not None:
            import ipyleaflet

            if self._marker is not None:
                self.map.remove(self._marker)
                self._marker = None
            lon, lat = info.get("lon"), info.get("lat")
            if lon is not None and lat is not None:
                self._marker = ipyleaflet.CircleMarker(location=(lat, lon), radius=12, color="#b71c1c", fill_color="#b71c1c", fill_opacity=0.9)
                self.map.add(self._marker)
                self.map.center = (lat, lon)
                self.map.zoom = 16

    def _show_project(self) -> None:
        if self.reviewer is None or self.panel is None:
            return
        done = self._done()
        pid = self.project.value
        submitted = pid in done
        self.submit_button.disabled = submitted or pid is None
        self.criteria_box.layout.display = "none" if self.conflict.value else "flex"
        self.conflict.description = tt("tablets.scoring.conflict_on" if self.conflict.value else "tablets.scoring.conflict_off", self.lang)
        self.conflict.button_style = "warning" if self.conflict.value else ""
        self.submit_button.description = _t(self.lang, "sheet_done") if submitted else _t(self.lang, "submit_sheet")
        total = len(self.panel["projects"])
        text = _t(self.lang, "all_done") if len(done) == total else _t(self.lang, "progress", done=len(done), total=total)
        self.progress.value = f'<div class="linli-hint" id="linli-progress">{escape(text)}</div>'
        self._show_details(pid)

    @store_guard("message", False)
    def submit(self) -> bool:
        """Check the sheet in Python (a project of this panel chosen, every criterion scored,
        inside the scale) and store it once; the database checks the same."""
        if self.reviewer is None or self.rubric is None or self.panel is None:
            return False
        pid = self.project.value
        if pid not in {p for p, _ in self.panel["projects"]}:
            self.message.value = f'<div class="linli-error">{escape(tt("tablets.scoring.pick_project", self.lang))}</div>'
            return False
        values = {cid: p.value for cid, p in self.pickers.items()}
        if not self.conflict.value:
            missing = [c.label.get(self.lang) for c in self.rubric.criteria if values[c.id] is None]
            if missing:
                self.message.value = f'<div class="linli-error">{escape(_t(self.lang, "sheet_missing", names="、".join(missing)))}</div>'
                return False
            lo, hi = self.rubric.scale
            if any(not (lo <= Fraction(v) <= hi) for v in values.values()):
                self.message.value = f'<div class="linli-error">{escape(_t(self.lang, "sheet_scale", lo=lo, hi=hi))}</div>'
                return False
        sid = self.submission_ids.setdefault(pid, new_submission_id())
        try:
            self.store.submit_sheet(self.reviewer["id"], pid, values, conflict=self.conflict.value, submission_id=sid)
        except LinliError as exc:
            self.message.value = f'<div class="linli-error">{escape(error_text(exc, self.lang))}</div>'
            return False
        self.message.value = ""
        for p in self.pickers.values():
            p.value = None
        self.conflict.value = False
        self._relabel(select_next=True)
        self._show_project()
        return True


class Tally(LivePoller):
    """The projected tally of one panel."""

    def __init__(self, store: Any, rubric_for: Callable[[dict], "Rubric"], panel_id: int, changed: Callable[[], bool], *, lang: str = "zh", poll_seconds: float = 1.0, max_hours: float = 8.0) -> None:
        self.store, self.panel_id, self.changed, self.lang = store, panel_id, changed, lang
        self.poll_seconds, self.max_seconds = poll_seconds, max_hours * 3600
        self.panel = store.panel(panel_id)
        self.rubric = rubric_for(self.panel)
        self.weights = {
            tier: w.FloatSlider(value=float(weight), min=0, max=float(weight) * 2 or 1, step=0.05, description=_t(lang, f"tier_{tier}"), continuous_update=False, style={"description_width": "440px"}, layout=w.Layout(width="900px"))
            for tier, weight in self.rubric.tiers
        }
        for slider in self.weights.values():
            slider.observe(lambda _c: self.refresh(), names=["value"])
        self.sheets = w.HTML()
        self.missing = w.HTML()
        self.ranking = w.HTML()
        self.agreement = w.HTML()
        self.sensitivity = w.HTML()
        self.export = w.HTML()
        title = w.HTML(f'<div class="linli-big">{escape(_t(lang, "tally_title"))} · {user(self.panel["name"])}</div>')
        whatif = w.VBox([w.HTML(f"<b>{escape(_t(lang, 'tally_weights'))}</b>"), *self.weights.values()])
        self.root = w.VBox([title, self.sheets, self.missing, self.ranking, self.agreement, self.sensitivity, whatif, self.export], layout=w.Layout(width="1880px"))
        self.root.add_class("linli-projector")
        self.root.add_class(f"linli-lang-{lang}")
        self.locked = self.panel["locked_at"] is not None
        self.status = self.sheets

    def _rubric_now(self) -> "Rubric":
        tiers = tuple((tier, Fraction(self.weights[tier].value).limit_denominator(1000)) for tier, _ in self.rubric.tiers)
        if all(weight == 0 for _, weight in tiers):
            return self.rubric
        return dataclasses.replace(self.rubric, tiers=tiers)

    def refresh(self) -> None:
        from toolkit.scoring import aggregate, rows_from_frame

        frame = self.store.panel_scores(self.panel_id)
        done = self.store.submitted_sheets(self.panel_id)
        reviewers, projects = self.panel["reviewers"], self.panel["projects"]
        total = len(reviewers) * len(projects)
        missing = [(r, [p for p, _ in projects if (r["id"], p) not in done]) for r in reviewers]
        missing = [(r, ps) for r, ps in missing if ps]
        if not missing and not self.locked:
            self.locked = self.store.lock_panel(self.panel_id) or True
        self.sheets.value = f'<div id="linli-sheets">{escape(_t(self.lang, "tally_sheets", done=len(done), total=total))}</div>'
        if missing:
            opening, closing, comma = ("（", "）", "、") if self.lang == "zh" else (" (", ")", ", ")
            items = "".join(f"<li>{user(r['name'])}{opening}{escape(_t(self.lang, 'tier_' + r['tier']))}{closing}: {escape(comma.join(ps))}</li>" for r, ps in missing)
            self.missing.value = f'<div id="linli-missing"><b>{escape(_t(self.lang, "tally_missing"))}</b><ul>{items}</ul></div>'
        else:
            self.missing.value = f'<div id="linli-missing" class="linli-big">{escape(_t(self.lang, "tally_locked"))}</div>'
        if len(frame) == 0:
            self.ranking.value = ""
            return
        rows = rows_from_frame(frame)
        ranking = aggregate(rows, self._rubric_now())
        titles = dict(projects)
        crit_means = frame[frame.criterion != ""].groupby(["project", "criterion"])["value"].mean()
        head = "".join(f"<th>{escape(c.label.get(self.lang))}</th>" for c in self.rubric.criteria)
        tier_head = "".join(f"<th>{escape(_t(self.lang, 'tier_' + t))}</th>" for t, _ in self.rubric.tiers)
        body = ""
        for p in ranking.projects:
            tiers = dict(p.tiers)
            tcells = "".join(f'<td class="num">{float(tiers[t]):.2f}</td>' if t in tiers else "<td>—</td>" for t, _ in self.rubric.tiers)
            ccells = "".join(f'<td class="num">{crit_means.get((p.id, c.id), float("nan")):.1f}</td>' for c in self.rubric.criteria)
            body += f'<tr data-project="{escape(p.id)}"><td class="num">{p.rank}</td><td>{escape(p.id)} {user(titles.get(p.id, ""))}</td><td class="num linli-total">{float(p.total):.3f}</td>{tcells}{ccells}</tr>'
        self.ranking.value = (
            f'<table id="linli-ranking"><tr><th>{escape(_t(self.lang, "tally_rank"))}</th><th></th><th>{escape(_t(self.lang, "tally_total"))}</th>{tier_head}{head}</tr>{body}</table>'
        )
        agreement = " · ".join(f"{escape(_t(self.lang, 'tier_' + t))}: {'—' if wv is None else f'{float(wv):.2f}'}" for t, wv in ranking.agreement)
        self.agreement.value = f"<div><b>{escape(_t(self.lang, 'tally_agreement'))}</b> {agreement}</div>"
        self.export.value = self._export_links(rows)
        if self.locked and len(ranking.projects) >= 2:
            self.sensitivity.value = self._sensitivity(rows, titles)

    def _sensitivity(self, rows: list, titles: dict) -> str:
        """Once the tally is final: how robust is the ranking to the weights (seeded, ±20 %)."""
        from toolkit.scoring import sensitivity

        k = min(3, len(titles) - 1) or 1
        result = sensitivity(rows, self._rubric_now(), k=k, draws=400, seed=0)
        items = "".join(f'<li data-project="{escape(pid)}">{escape(pid)} {user(titles.get(pid, ""))}: {p:.0%}</li>' for pid, p in result.top_k)
        text = f'<div id="linli-sensitivity"><b>{escape(_t(self.lang, "tally_sensitivity", k=k))}</b><ul>{items}</ul>'
        s = result.smallest
        if s is not None and s.weight is not None:
            name = s.weight.split(":", 1)[1]
            label = next((c.label.get(self.lang) for c in self.rubric.criteria if c.id == name), None) or _t(self.lang, f"tier_{name}")
            text += f'<div>{escape(_t(self.lang, "tally_swap", weight=label, change=f"{s.change:+.0%}", lower=s.lower, upper=s.upper))}</div>'
        return text + "</div>"

    def _export_links(self, rows: list) -> str:
        from toolkit.scoring import format_score_csv, score_frame

        csv_text = format_score_csv(rows)
        csv_uri = "data:text/csv;charset=utf-8;base64," + base64.b64encode(csv_text.encode("utf-8")).decode()
        from toolkit.spreadsheets import excel_bytes

        xlsx = excel_bytes({"scores": score_frame(rows).astype({"value": "float64"})})
        xlsx_uri = "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64," + base64.b64encode(xlsx).decode()
        name = f"panel-{self.panel_id}-scores"
        return (
            f'<div><b>{escape(_t(self.lang, "tally_export"))}</b>: '
            f'<a id="linli-export-csv" download="{name}.csv" href="{csv_uri}">CSV</a> · '
            f'<a id="linli-export-xlsx" download="{name}.xlsx" href="{xlsx_uri}">Excel</a></div>'
        )
