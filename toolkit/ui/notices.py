"""Public notices: the resident page ``notice`` (read a notice, its map, objections and answers;
raise an objection with a receipt or voting code) and the staff page ``notices`` (publish at a
decision, answer objections, enter paper objections, publish a correction, the PDF)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import ipywidgets as w

from toolkit.errors import LinliError, StoreUnavailable
from toolkit.feedback import Attempts
from toolkit.markup import escape
from toolkit.ui.feedback import data_link
from toolkit.ui.loop_texts import text
from toolkit.ui.projects import error_text
from toolkit.ui.tablets import store_guard

KIND_KEYS = ("screening", "round", "plan", "acceptance")


def notice_html(n: dict, objections: list[dict], lang: str, map_html: str = "") -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in n[f"body_{'en' if lang == 'en' else 'zh'}"].split("\n") if p.strip())
    t = lambda k, **kw: text(k, lang, **kw)  # noqa: E731
    objs = "".join(
        f'<li class="linli-objection" data-objection="{int(o["id"])}">{escape(o["raised_at"][:10])} · {escape(o["text"])}'
        + (f'<div class="linli-answer"><b>{escape(t("notice.answer"))}</b>（{escape(o["answered_at"][:10])}）：{escape(o["answer"])}</div>' if o["answer"] else f'<div class="linli-hint">{escape(t("notice.awaiting"))}</div>')
        + "</li>" for o in objections)
    corrected = "".join(f' <a href="?notice={int(c)}">{escape(t("notice.corrected_by", id=int(c)))}</a>' for c in n.get("corrected_by", []))
    corrects = f' <a href="?notice={int(n["corrects"])}">{escape(t("notice.corrects", id=int(n["corrects"])))}</a>' if n.get("corrects") else ""
    frame = f'<iframe class="linli-notice-map" sandbox="allow-scripts" srcdoc="{escape(map_html)}" style="width:100%;height:380px;border:0"></iframe>' if map_html else ""
    return (
        f'<div class="linli-notice" id="linli-notice" data-notice="{int(n["id"])}"><div class="linli-title">{escape(n["title_en" if lang == "en" else "title_zh"])}</div>'
        f'<div class="linli-hint">{escape(t("notice.meta", id=int(n["id"]), start=n["published_at"][:10], end=n["ends_on"]))}{corrects}{corrected}</div>'
        f'{body}{frame}<div class="linli-title">{escape(t("notice.objections"))}</div>'
        f'<ol id="linli-objections">{objs}</ol>{"" if objections else escape(t("notice.no_objections"))}</div>'
    )


def _map(district, n: dict) -> str:
    from toolkit import maps

    points = json.loads(n["points"])
    return maps.notice_map_html(district, points) if points and district is not None else ""


class NoticePage:
    """Resident: one notice (``?notice=ID``), or the list of notices."""

    def __init__(self, store: Any, district: Any, *, lang: str = "zh", attempts: Attempts | None = None, files_dir: Any = None) -> None:
        self.store, self.district, self.lang, self.files_dir = store, district, lang, files_dir
        self.attempts = attempts or Attempts()
        self.notice_id: int | None = None
        t = self.t
        self.body = w.HTML()
        self.pdf = w.HTML()
        self.via = w.ToggleButtons(options=[(t("notice.via_receipt"), "receipt"), (t("notice.via_voter"), "voter")], value="receipt")
        self.code = w.Text(placeholder=t("notice.code"), continuous_update=False, layout=w.Layout(width="260px"))
        self.objection = w.Textarea(placeholder=t("notice.objection_ph"), continuous_update=False, layout=w.Layout(width="100%"))
        self.send = w.Button(description=t("notice.send"), button_style="danger", layout=w.Layout(width="200px"))
        self.send.add_class("linli-object")
        self.send.on_click(lambda _b: self.raise_objection())
        self.message = w.HTML()
        self.form = w.VBox([w.HTML(f'<div class="linli-title">{escape(t("notice.raise"))}</div>'), self.via, self.code, self.objection, self.send, self.message])
        self.root = w.VBox([self.body, self.pdf, self.form], layout=w.Layout(max_width="960px"))
        self.root.add_class("linli-page")

    def t(self, key: str, **kw: object) -> str:
        return text(key, self.lang, **kw)

    def show_list(self) -> None:
        from toolkit.store.notices import notices

        items = "".join(f'<li><a href="?notice={int(n["id"])}&lang={self.lang}">{escape(n["title_en" if self.lang == "en" else "title_zh"])}</a> · '
                        f'{escape(n["published_at"][:10])} — {escape(n["ends_on"])}</li>' for n in notices(self.store))
        self.body.value = f'<div class="linli-title">{escape(self.t("notice.list"))}</div><ul id="linli-notices">{items}</ul>' if items else \
            f'<div class="linli-hint">{escape(self.t("notice.none"))}</div>'
        self.form.layout.display = "none"

    def show(self, notice_id: int) -> bool:
        from toolkit.services.notices import notice_pdf
        from toolkit.store.notices import notice, objections

        n = notice(self.store, notice_id)
        if n is None:
            return False
        self.notice_id = int(notice_id)
        self.body.value = notice_html(n, objections(self.store, notice_id), self.lang, _map(self.district, n)) + self._photos(n)
        pdf = notice_pdf(self.store, notice_id, self.district, lang=self.lang)
        self.pdf.value = data_link(pdf, f"notice-{int(notice_id)}.pdf", "application/pdf", self.t("notice.pdf"), "linli-notice-pdf")
        open_now = date.today().isoformat() <= n["ends_on"]
        self.form.layout.display = "flex" if open_now else "none"
        self.via.layout.display = "flex" if n["subject"].startswith("round:") else "none"
        return True

    def _photos(self, n: dict) -> str:
        """An acceptance notice shows the project's photos (served only through pages, inline)."""
        from toolkit.store.projects import project
        from toolkit.ui.status import photo_html

        what, _, key = n["subject"].partition(":")
        if what != "project" or not key.isdigit():
            return ""
        p = project(self.store, int(key))
        return photo_html([f for f in p["files"] if f["kind"] == "photo"], self.files_dir, self.lang) if p else ""

    @store_guard("message", False)
    def raise_objection(self) -> bool:
        from toolkit.services.notices import raise_objection

        if self.notice_id is None:
            return False
        wait = self.attempts.wait()
        if wait > 0:
            self.message.value = f'<div class="linli-error">{escape(text("status.wait", self.lang, seconds=int(wait) + 1))}</div>'
            return False
        try:
            raise_objection(self.store, self.notice_id, self.objection.value, code=self.code.value, via=self.via.value if self.via.value in ("receipt", "voter") else "receipt")
        except LinliError as exc:
            if "code" in getattr(exc, "errors", {}):
                self.attempts.failed()
            self.message.value = f'<div class="linli-error" id="linli-objection-error">{escape(error_text(exc, self.lang))}</div>'
            return False
        self.attempts.succeeded()
        self.objection.value = ""
        self.code.value = ""
        self.show(self.notice_id)
        self.message.value = f'<div class="linli-ok" id="linli-objection-sent">{escape(self.t("notice.sent"))}</div>'
        return True


class NoticesDesk:
    """Staff: publish notices, answer objections, corrections, paper objections."""

    def __init__(self, store: Any, district: Any, *, lang: str = "zh", actor: str = "staff") -> None:
        from toolkit.notices import load_notice_rules

        self.store, self.district, self.lang, self.actor = store, district, lang, actor
        t = self.t
        self.kind = w.Dropdown(options=[(t(f"notices.kind.{k}"), k) for k in KIND_KEYS], value="screening", description=t("notices.kind"), style={"description_width": "initial"})
        self.subject = w.Text(value=date.today().isoformat(), description=t("notices.subject"), style={"description_width": "initial"}, continuous_update=False)
        self.days = w.BoundedIntText(value=load_notice_rules().period_days, min=1, max=90, description=t("notices.days"), style={"description_width": "initial"}, layout=w.Layout(width="220px"))
        self.checked = w.Checkbox(value=False, description=t("notices.checked"), layout=w.Layout(width="auto"))
        self.publish_button = w.Button(description=t("notices.publish"), button_style="danger", layout=w.Layout(width="220px"))
        self.publish_button.add_class("linli-publish")
        self.publish_button.on_click(lambda _b: self.publish())
        self.pick = w.Dropdown(options=[], description=t("notices.pick"), style={"description_width": "initial"}, layout=w.Layout(width="700px"))
        self.pick.observe(lambda _c: self.show(), names=["value"])
        self.body = w.HTML()
        self.pdf = w.HTML()
        self.answers = w.VBox()
        self.paper = w.Textarea(placeholder=t("notices.paper_ph"), continuous_update=False, layout=w.Layout(width="100%"))
        paper_b = w.Button(description=t("notices.paper"), layout=w.Layout(width="auto"))
        paper_b.add_class("linli-paper-objection")
        paper_b.on_click(lambda _b: self._run(self.paper_objection))
        correct_b = w.Button(description=t("notices.correct"), layout=w.Layout(width="auto"))
        correct_b.add_class("linli-correct")
        correct_b.on_click(lambda _b: self._run(self.correct))
        self.message = w.HTML()
        head = w.HTML(f'<div class="linli-title">{escape(t("notices.title"))}</div><div class="linli-hint">{escape(t("notices.intro"))}</div>')
        publish_row = w.HBox([self.kind, self.subject, self.days, self.checked, self.publish_button], layout=w.Layout(flex_flow="row wrap", align_items="center"))
        self.root = w.VBox([head, publish_row, self.message, self.pick, self.pdf, self.body, self.answers, self.paper, w.HBox([paper_b, correct_b])])
        self.root.add_class("linli-page")
        self.refresh()

    def t(self, key: str, **kw: object) -> str:
        return text(key, self.lang, **kw)

    @store_guard("message", False)
    def _run(self, action) -> bool:
        try:
            action()
        except LinliError as exc:
            self.message.value = f'<div class="linli-error" id="linli-notices-error">{escape(error_text(exc, self.lang))}</div>'
            return False
        return True

    def refresh(self, select: int | None = None) -> None:
        from toolkit.store.notices import notices

        rows = notices(self.store)
        self.pick.options = [(f"{int(n['id'])} · {n['title_en' if self.lang == 'en' else 'title_zh']} · {n['published_at'][:10]}", int(n["id"])) for n in rows]
        if select is not None:
            self.pick.value = select
        self.show()

    def publish(self) -> int | None:
        from toolkit.labels import Label
        from toolkit.errors import ValidationError
        from toolkit.services import notices as svc

        if not self.checked.value:
            self.message.value = f'<div class="linli-error">{escape(self.t("notices.check_first"))}</div>'
            return None
        result: list[int] = []

        def act() -> None:
            subject = self.subject.value.strip()
            kw = {"actor": self.actor, "period_days": int(self.days.value)}
            if self.kind.value == "screening":
                try:
                    day = date.fromisoformat(subject)
                except ValueError:
                    raise ValidationError({"subject": Label(f"“{subject}”不是日期，请写成 2026-06-01", f"“{subject}” is not a date; write e.g. 2026-06-01")}) from None
                result.append(svc.publish_screening(self.store, day, **kw))
                return
            if not subject.isdigit():
                raise ValidationError({"subject": Label("请填写编号（数字）", "give the id (a number)")})
            fn = {"round": svc.publish_round, "plan": svc.publish_plan, "acceptance": svc.publish_acceptance}[self.kind.value]
            try:
                result.append(fn(self.store, int(subject), **kw))
            except (ValidationError, StoreUnavailable):
                raise
            except LinliError:  # the store has no round / plan / project with that id
                raise ValidationError({"subject": Label(f"没有编号为 {subject} 的记录", f"there is no record {subject}")}) from None

        if not self._run(act):
            return None
        self.checked.value = False
        self.refresh(select=result[0])
        self.message.value = f'<div class="linli-ok" id="linli-published">{escape(self.t("notices.published", id=result[0]))}</div>'
        return result[0]

    def show(self) -> None:
        from toolkit.services.notices import notice_pdf
        from toolkit.store.notices import notice, objections

        if self.pick.value is None:
            self.body.value, self.pdf.value, self.answers.children = "", "", ()
            return
        n = notice(self.store, self.pick.value)
        objs = objections(self.store, n["id"])
        self.body.value = notice_html(n, objs, self.lang)
        self.pdf.value = data_link(notice_pdf(self.store, n["id"], self.district, lang=self.lang), f"notice-{int(n['id'])}.pdf", "application/pdf", self.t("notice.pdf"), "linli-notice-pdf")
        rows = []
        for o in objs:
            if o["answer"]:
                continue
            box = w.Textarea(placeholder=self.t("notices.answer_ph"), continuous_update=False, layout=w.Layout(width="70%"))
            b = w.Button(description=self.t("notices.answer", id=int(o["id"])), layout=w.Layout(width="auto"))
            b.add_class(f"linli-answer-{int(o['id'])}")
            b.on_click(lambda _b, oid=int(o["id"]), box=box: self.answer(oid, box.value))
            rows.append(w.HBox([box, b]))
        self.answers.children = tuple(rows)

    def answer(self, objection_id: int, answer_text: str) -> bool:
        from toolkit.services.notices import answer

        if not self._run(lambda: answer(self.store, objection_id, answer_text, by=self.actor)):
            return False
        self.show()
        self.message.value = f'<div class="linli-ok" id="linli-answered">{escape(self.t("notices.answered"))}</div>'
        return True

    def paper_objection(self) -> None:
        from toolkit.services.notices import raise_objection

        raise_objection(self.store, self.pick.value, self.paper.value, via="paper", actor=self.actor)
        self.paper.value = ""
        self.show()

    def correct(self) -> None:
        from toolkit.services.notices import correct

        new = correct(self.store, self.pick.value, actor=self.actor, period_days=int(self.days.value))
        self.refresh(select=new)
        self.message.value = f'<div class="linli-ok" id="linli-published">{escape(self.t("notices.published", id=new))}</div>'
