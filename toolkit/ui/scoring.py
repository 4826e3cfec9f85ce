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
from toolkit.markup import escape
from toolkit.proposals import new_submission_id
from toolkit.ui.polling import LivePoller
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
    """A reviewer's tablet: enter the code, then one project at a time."""

    def __init__(self, store: Any, rubric_for: Callable[[dict], "Rubric"], find_reviewer: Callable[[str], dict | None], *, lang: str = "zh") -> None:
        self.store, self.rubric_for, self.find_reviewer, self.lang = store, rubric_for, find_reviewer, lang
        self.reviewer: dict | None = None
        self.panel: dict | None = None
        self.rubric: "Rubric | None" = None
        self.code = w.Text(placeholder=_t(lang, "code_prompt"), continuous_update=False, layout=w.Layout(width="320px"))
        self.enter = w.Button(description=_t(lang, "code_enter"), button_style="primary")
        self.enter.add_class("linli-enter")
        self.enter.on_click(lambda _b: self.sign_in(self.code.value))
        self.message = w.HTML()
        self.header = w.HTML()
        self.project = w.ToggleButtons(style={"button_width": "220px"})
        self.project.observe(lambda _c: self._show_project(), names=["value"])
        self.criteria_box = w.VBox()
        self.conflict = w.Checkbox(description=_t(lang, "conflict"), indent=False, layout=w.Layout(width="100%"))
        self.conflict.observe(lambda _c: self._show_project(), names=["value"])
        self.submit_button = w.Button(description=_t(lang, "submit_sheet"), button_style="danger", layout=w.Layout(width="100%", height="60px"))
        self.submit_button.add_class("linli-submit-sheet")
        self.submit_button.on_click(lambda _b: self.submit())
        self.progress = w.HTML()
        self.pickers: dict[str, w.ToggleButtons] = {}
        self.submission_ids: dict[str, str] = {}
        self.sheet = w.VBox([self.header, self.project, self.conflict, self.criteria_box, self.message, self.submit_button, self.progress])
        self.sheet.layout.display = "none"
        self.login = w.VBox([w.HTML(f'<div class="linli-title">{escape(_t(lang, "scoring_title"))}</div>'), w.HBox([self.code, self.enter]), self.message])
        self.root = w.VBox([self.login, self.sheet])
        self.root.add_class("linli-page")
        self.root.add_class("linli-tablet")

    def sign_in(self, code: str) -> bool:
        reviewer = self.find_reviewer(code)
        if reviewer is None:
            self.message.value = f'<div class="linli-error">{escape(_t(self.lang, "code_unknown"))}</div>'
            return False
        self.reviewer = reviewer
        self.panel = self.store.panel(reviewer["panel_id"])
        self.rubric = self.rubric_for(self.panel)
        tier = _t(self.lang, f"tier_{reviewer['tier']}")
        self.header.value = f'<div class="linli-title">{escape(_t(self.lang, "reviewer_hello", name=reviewer["name"], tier=tier, panel=self.panel["name"]))}</div>'
        self.pickers = {
            c.id: w.ToggleButtons(options=_scale_values(self.rubric), value=None, style={"button_width": "52px"})
            for c in self.rubric.criteria
        }
        rows = []
        for c in self.rubric.criteria:
            rows.append(w.HTML(f"<b>{escape(c.label.get(self.lang))}</b>"))
            rows.append(self.pickers[c.id])
        self.criteria_box.children = rows
        self.project.options = [(f"{pid} {title}", pid) for pid, title in self.panel["projects"]]
        self.message.value = ""
        self.login.layout.display = "none"
        self.sheet.layout.display = "flex"
        self._show_project()
        return True

    def _done(self) -> set[str]:
        assert self.reviewer is not None
        return {p for r, p in self.store.submitted_sheets(self.reviewer["panel_id"]) if r == self.reviewer["id"]}

    def _show_project(self) -> None:
        if self.reviewer is None or self.panel is None:
            return
        done = self._done()
        pid = self.project.value
        submitted = pid in done
        self.submit_button.disabled = submitted
        self.criteria_box.layout.display = "none" if self.conflict.value else "flex"
        self.submit_button.description = _t(self.lang, "sheet_done") if submitted else _t(self.lang, "submit_sheet")
        total = len(self.panel["projects"])
        text = _t(self.lang, "all_done") if len(done) == total else _t(self.lang, "progress", done=len(done), total=total)
        self.progress.value = f'<div class="linli-hint" id="linli-progress">{escape(text)}</div>'

    def submit(self) -> bool:
        """Check the sheet in Python (every criterion scored, inside the scale) and store it once."""
        if self.reviewer is None or self.rubric is None:
            return False
        pid = self.project.value
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
            self.message.value = f'<div class="linli-error">{escape(_t(self.lang, "panel_locked") if "locked" in str(exc) else exc)}</div>'
            return False
        self.message.value = ""
        for p in self.pickers.values():
            p.value = None
        self.conflict.value = False
        remaining = [p for p, _ in self.panel["projects"] if p not in self._done()]
        if remaining:
            self.project.value = remaining[0]
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
            tier: w.FloatSlider(value=float(weight), min=0, max=float(weight) * 2 or 1, step=0.05, description=_t(lang, f"tier_{tier}"), continuous_update=False, style={"description_width": "220px"}, layout=w.Layout(width="560px"))
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
        title = w.HTML(f'<div class="linli-big">{escape(_t(lang, "tally_title"))} · {escape(self.panel["name"])}</div>')
        whatif = w.VBox([w.HTML(f"<b>{escape(_t(lang, 'tally_weights'))}</b>"), *self.weights.values()])
        self.root = w.VBox([title, self.sheets, self.missing, self.ranking, self.agreement, self.sensitivity, whatif, self.export], layout=w.Layout(width="1880px"))
        self.root.add_class("linli-projector")
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
            items = "".join(f"<li>{escape(r['name'])}（{escape(_t(self.lang, 'tier_' + r['tier']))}）: {escape('、'.join(ps))}</li>" for r, ps in missing)
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
            body += f'<tr data-project="{escape(p.id)}"><td class="num">{p.rank}</td><td>{escape(p.id)} {escape(titles.get(p.id, ""))}</td><td class="num linli-total">{float(p.total):.3f}</td>{tcells}{ccells}</tr>'
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
        items = "".join(f'<li data-project="{escape(pid)}">{escape(pid)} {escape(titles.get(pid, ""))}: {p:.0%}</li>' for pid, p in result.top_k)
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
