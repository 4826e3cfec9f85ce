"""The staff page ``projects``: every funded project on a map coloured by state, and one
project's record — implementer, milestones with progress and money spent, photos and
documents, mid-term and acceptance reviews, maintenance duty and checks, a spreadsheet of
updates from implementers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import ipywidgets as w

from toolkit.errors import LinliError, ValidationError
from toolkit.markup import escape, user, yuan
from toolkit.projects import STATE_COLOURS, STATE_LABELS, STATES, yuan_to_fen
from toolkit.ui.loop_texts import text
from toolkit.ui.tablets import store_guard, store_text


def error_text(exc: Exception, lang: str) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(v.get(lang) if hasattr(v, "get") else str(v) for v in exc.errors.values())
    return store_text(exc, lang) or str(exc)


def projects_geojson(frame) -> dict:
    feats = []
    for r in frame.itertuples():
        if r.lon is None or r.lat is None or r.lon != r.lon:
            continue
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
                      "properties": {"id": int(r.id), "state": r.state, "colour": STATE_COLOURS[r.state]}})
    return {"type": "FeatureCollection", "features": feats}


class ProjectsDesk:
    def __init__(self, store: Any, district: Any, *, lang: str = "zh", files_folder: Path, actor: str = "staff") -> None:
        import ipyleaflet

        from toolkit import maps

        self.store, self.district, self.lang, self.files_folder, self.actor = store, district, lang, files_folder, actor
        t = self.t
        self.map = maps.base_map(district, height_px=420, width_px=900)
        self.layer = ipyleaflet.GeoJSON(data={"type": "FeatureCollection", "features": []}, point_style={"radius": 9, "fillOpacity": 0.9, "weight": 2, "color": "#fff"},
                                        style_callback=lambda f: {"fillColor": f["properties"]["colour"], "className": f"linli-project linli-project-{f['properties']['state']}"})
        self.map.add(self.layer)
        self.legend = w.HTML()
        self.table = w.HTML()
        self.pick = w.Dropdown(options=[], description=t("projects.pick"), style={"description_width": "initial"}, layout=w.Layout(width="600px"))
        self.pick.observe(lambda _c: self.show_detail(), names=["value"])
        self.detail = w.HTML()
        self.message = w.HTML()
        L = lambda: w.Layout(width="260px")  # noqa: E731
        self.implementer = w.Text(placeholder=t("projects.implementer"), layout=L(), continuous_update=False)
        save_impl = self._button("projects.save_implementer", self.save_implementer, "linli-save-implementer")
        self.m_title = w.Text(placeholder=t("projects.milestone"), layout=L(), continuous_update=False)
        self.m_title.add_class("linli-m-title")
        self.m_date = w.Text(placeholder="2026-06-01", value=date.today().isoformat(), layout=w.Layout(width="160px"), continuous_update=False)
        self.m_progress = w.BoundedIntText(value=0, min=0, max=100, description="%", layout=w.Layout(width="140px"))
        self.m_spent = w.Text(placeholder=t("projects.spent_yuan"), layout=w.Layout(width="200px"), continuous_update=False)
        self.m_spent.add_class("linli-m-spent")
        add_m = self._button("projects.add_milestone", self.add_milestone, "linli-add-milestone")
        self.r_kind = w.Dropdown(options=[(t("projects.midterm"), "midterm"), (t("projects.acceptance"), "acceptance")], value="acceptance", layout=w.Layout(width="200px"))
        self.r_passed = w.Checkbox(value=True, description=t("projects.passed"))
        self.r_score = w.Text(placeholder=t("projects.score"), layout=w.Layout(width="160px"), continuous_update=False)
        self.r_panel = w.Text(placeholder=t("projects.panel"), layout=w.Layout(width="160px"), continuous_update=False)
        self.r_date = w.Text(value=date.today().isoformat(), layout=w.Layout(width="160px"), continuous_update=False)
        add_r = self._button("projects.add_review", self.add_review, "linli-add-review")
        self.keeper = w.Text(placeholder=t("projects.maintainer"), layout=L(), continuous_update=False)
        self.every = w.BoundedIntText(value=30, min=1, max=366, description=t("projects.every_days"), style={"description_width": "initial"}, layout=w.Layout(width="220px"))
        start_m = self._button("projects.start_maintenance", self.start_maintenance, "linli-start-maintenance")
        self.c_by = w.Text(placeholder=t("projects.checked_by"), layout=L(), continuous_update=False)
        add_c = self._button("projects.add_check", self.add_check, "linli-add-check")
        self.upload = w.FileUpload(accept=".jpg,.jpeg,.png,.pdf", multiple=True, description=t("projects.upload"))
        self.upload.observe(lambda _c: self.save_uploads(), names=["value"])
        self.bulk = w.FileUpload(accept=".csv,.xlsx", multiple=False, description=t("projects.bulk"))
        self.bulk.observe(lambda _c: self.apply_bulk(), names=["value"])
        row = lambda *c: w.HBox(list(c), layout=w.Layout(flex_flow="row wrap", align_items="center"))  # noqa: E731
        self.forms = w.VBox([
            row(self.implementer, save_impl),
            row(self.m_title, self.m_date, self.m_progress, self.m_spent, add_m),
            row(self.r_kind, self.r_passed, self.r_score, self.r_panel, self.r_date, add_r),
            row(self.keeper, self.every, start_m), row(self.c_by, add_c), row(self.upload),
        ])
        head = w.HTML(f'<div class="linli-title">{escape(t("projects.title"))}</div>')
        bulk_row = w.VBox([w.HTML(f'<div class="linli-hint">{escape(t("projects.bulk_hint"))}</div>'), self.bulk])
        self.root = w.VBox([head, self.legend, self.map, self.table, bulk_row, self.pick, self.message, self.detail, self.forms])
        self.root.add_class("linli-page")
        self.refresh()

    def t(self, key: str, **kw: object) -> str:
        return text(key, self.lang, **kw)

    def _button(self, key: str, action, cls: str) -> w.Button:
        b = w.Button(description=self.t(key), layout=w.Layout(width="auto"))
        b.add_class(cls)
        b.on_click(lambda _b: self._run(action))
        return b

    @store_guard("message", False)
    def _run(self, action) -> bool:
        if self.pick.value is None and action not in (self.apply_bulk,):
            self.message.value = f'<div class="linli-error">{escape(self.t("projects.none_picked"))}</div>'
            return False
        try:
            action()
        except LinliError as exc:
            self.message.value = f'<div class="linli-error" id="linli-project-error">{escape(error_text(exc, self.lang))}</div>'
            return False
        self.message.value = f'<div class="linli-ok" id="linli-project-saved">{escape(self.t("projects.saved"))}</div>'
        self.refresh()
        return True

    def refresh(self) -> None:
        from toolkit.store.projects import projects_frame

        frame = projects_frame(self.store)
        self.frame = frame
        self.layer.data = projects_geojson(frame)
        counts = frame.state.value_counts().to_dict() if len(frame) else {}
        self.legend.value = '<div class="linli-legend" id="linli-project-legend">' + " ".join(
            f'<span data-state="{s}"><span style="color:{STATE_COLOURS[s]}">●</span> {escape(STATE_LABELS[s].get(self.lang))} {int(counts.get(s, 0))}</span>' for s in STATES) + "</div>"
        rows = "".join(
            f'<tr data-project="{int(r.id)}"><td class="num">{int(r.id)}</td><td>{user(r.name if self.lang == "zh" else r.name_en)}</td>'
            f'<td>{escape(STATE_LABELS[r.state].get(self.lang))}</td><td>{user(r.implementer) if r.implementer else "—"}</td><td class="num">{int(r.progress)}%</td>'
            f'<td class="num">{escape(yuan(int(r.spent_fen)))} / {escape(yuan(int(r.budget_fen)))}</td></tr>' for r in frame.itertuples())
        head = "".join(f"<th>{escape(self.t('projects.col.' + c))}</th>" for c in ("id", "name", "state", "implementer", "progress", "money"))
        self.table.value = f'<table id="linli-projects"><tr>{head}</tr>{rows}</table>' if len(frame) else f'<div class="linli-hint">{escape(self.t("projects.none"))}</div>'
        current = self.pick.value
        self.pick.options = [(f"{int(r.id)} · {r.name if self.lang == 'zh' else r.name_en}", int(r.id)) for r in frame.itertuples()]
        if current in {v for _l, v in self.pick.options}:
            self.pick.value = current
        self.show_detail()

    def show_detail(self) -> None:
        from toolkit.store.projects import project

        if self.pick.value is None:
            self.detail.value = ""
            return
        p = project(self.store, self.pick.value)
        ms = "".join(f"<li>{escape(m['on_date'])} · {user(m['title'])} · {int(m['progress'])}% · {escape(yuan(int(m['spent_fen'])))}</li>" for m in p["milestones"])
        rv = "".join(f"<li>{escape(r['reviewed_on'])} · {escape(self.t('projects.' + r['kind']))} · {escape(self.t('projects.passed') if r['passed'] else self.t('projects.failed'))}"
                     f"{self._score(r)}</li>" for r in p["reviews"])
        fs = "".join(f"<li>{escape(f['original_name'])} ({escape(f['mime'])}, {int(f['size'])} B)</li>" for f in p["files"])
        ck = "".join(f"<li>{escape(c['on_date'])} · {user(c['by_whom'])}</li>" for c in p["checks"])
        self.implementer.value = p["implementer"] or ""
        self.detail.value = (
            f'<div class="linli-card" id="linli-project" data-project="{int(p["id"])}" data-state="{escape(p["state"])}">'
            f'<div class="linli-title">{user(p["name"])}</div>'
            f'<div>{escape(STATE_LABELS[p["state"]].get(self.lang))} · {escape(yuan(int(p["spent_fen"])))} / {escape(yuan(int(p["budget_fen"])))}'
            f'{" · " + user(p["maintainer"]) + " / " + str(int(p["maintenance_days"])) + "d" if p["maintainer"] else ""}</div>'
            f'<b>{escape(self.t("projects.milestones"))}</b><ol>{ms}</ol><b>{escape(self.t("projects.reviews"))}</b><ul>{rv}</ul>'
            f'<b>{escape(self.t("projects.files"))}</b><ul>{fs}</ul><b>{escape(self.t("projects.checks"))}</b><ul>{ck}</ul></div>'
        )

    @staticmethod
    def _score(r: dict) -> str:
        return "" if r["score"] is None else f" · {float(r['score']):.2f}"

    # -- actions ----------------------------------------------------------------------------
    def save_implementer(self) -> None:
        from toolkit.services.projects import set_implementer

        set_implementer(self.store, self.pick.value, self.implementer.value, actor=self.actor)

    def add_milestone(self) -> None:
        from toolkit.services.projects import add_milestone

        add_milestone(self.store, self.pick.value, self.m_title.value, self.m_date.value, self.m_progress.value,
                      yuan_to_fen(self.m_spent.value or "0", "spent"), actor=self.actor)
        self.m_title.value = ""

    def add_review(self) -> None:
        from toolkit.labels import Label
        from toolkit.services.projects import panel_score, review

        panel = self.r_panel.value.strip()
        score: float | None = None
        if panel:
            if not panel.isdigit():
                raise ValidationError({"panel": Label("评审组编号是数字", "a panel id is a number")})
            score = panel_score(self.store, int(panel), self.pick.value)
        elif self.r_score.value.strip():
            try:
                score = float(self.r_score.value)
            except ValueError:
                raise ValidationError({"score": Label("分数是数字", "a score is a number")}) from None
        review(self.store, self.pick.value, self.r_kind.value, passed=self.r_passed.value, score=score, panel_id=int(panel) if panel else None,
               on_date=self.r_date.value, actor=self.actor)

    def start_maintenance(self) -> None:
        from toolkit.services.projects import start_maintenance

        start_maintenance(self.store, self.pick.value, self.keeper.value, int(self.every.value), actor=self.actor)

    def add_check(self) -> None:
        from toolkit.services.projects import record_check

        record_check(self.store, self.pick.value, date.today().isoformat(), self.c_by.value, actor=self.actor)

    def save_uploads(self) -> None:
        from toolkit.services.projects import upload

        files = list(self.upload.value)
        if not files:
            return

        def act() -> None:
            for f in files:
                upload(self.store, self.pick.value, f["name"], bytes(f["content"]), self.files_folder, actor=self.actor)

        self._run(act)
        self.upload.value = ()

    @store_guard("message")
    def apply_bulk(self) -> None:
        from toolkit.services.projects import bulk_update

        files = list(self.bulk.value)
        if not files:
            return
        f = files[0]
        try:
            n = bulk_update(self.store, bytes(f["content"]), f["name"], actor=self.actor)
        except LinliError as exc:
            self.message.value = f'<div class="linli-error" id="linli-project-error">{escape(error_text(exc, self.lang))}</div>'
            return
        self.message.value = f'<div class="linli-ok" id="linli-project-saved">{escape(self.t("projects.bulk_done", n=n))}</div>'
        self.bulk.value = ()
        self.refresh()
