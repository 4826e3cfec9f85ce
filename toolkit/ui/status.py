"""The resident page ``status``: a proposal's timeline by its receipt code (tablet and phone).

Shows only the proposer's own text and the steps it went through; never the contact field.
Wrong codes are rate-limited per kernel (:class:`toolkit.feedback.Attempts`); a reload starts a
new kernel, so an internet-facing server also limits ``/voila/render/`` in its reverse proxy.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w

from toolkit.errors import LinliError
from toolkit.feedback import Attempts
from toolkit.labels import Label
from toolkit.markup import escape, yuan
from toolkit.ui.loop_texts import text
from toolkit.ui.tablets import store_guard, store_text


def step_html(step: Any, lang: str) -> str:
    values = {k: (yuan(v) if k in ("budget", "spent") else v) for k, v in step.values.items()}
    if step.key == "implementing" and not values.get("implementer"):
        values["implementer"] = text("status.unknown_implementer", lang)
    title = text(f"status.step.{step.key}", lang, **values)
    detail = f'<div class="linli-step-detail">{escape(step.detail.get(lang))}</div>' if step.detail and step.detail.get(lang) else ""
    when = f'<span class="linli-step-date">{escape(step.on)}</span> ' if step.on else ""
    state = text(f"status.state.{step.state}", lang)
    return (f'<li class="linli-step linli-step-{escape(step.state)}" data-step="{escape(step.key)}">{when}'
            f'<b>{escape(title)}</b> <span class="linli-step-state">{escape(state)}</span>{detail}</li>')


def photo_html(photos, folder: Path | None, lang: str) -> str:
    if not photos or folder is None:
        return ""
    imgs = []
    for p in photos:
        path = folder / p["stored_name"]
        if path.is_file() and p["mime"] in ("image/jpeg", "image/png"):
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            imgs.append(f'<img class="linli-photo" alt="{escape(p["original_name"])}" src="data:{p["mime"]};base64,{data}"/>')
    if not imgs:
        return ""
    return f'<div class="linli-photos"><b>{escape(text("status.photos", lang))}</b><div>{"".join(imgs)}</div></div>'


class StatusPage:
    def __init__(self, lookup: Callable[[str], Any], rate: Callable[[str, int], bool], *, lang: str = "zh",
                 attempts: Attempts | None = None, files_dir: Path | None = None) -> None:
        self.lookup, self.rate_cb, self.lang = lookup, rate, lang
        self.attempts = attempts or Attempts()
        self.files_dir = files_dir
        self.code: str | None = None
        t = lambda k, **kw: text(k, lang, **kw)  # noqa: E731
        self.code_box = w.Text(placeholder="K7Q-4MX", continuous_update=False, layout=w.Layout(width="220px"))
        self.code_box.add_class("linli-code-box")
        self.button = w.Button(description=t("status.lookup"), button_style="danger", layout=w.Layout(width="140px"))
        self.button.add_class("linli-lookup")
        self.button.on_click(lambda _b: self.show(self.code_box.value))
        self.message = w.HTML()
        self.result = w.HTML()
        self.rate_buttons = [w.Button(description=t("status.rate_button", n=n), layout=w.Layout(width="100px")) for n in range(1, 6)]
        for n, b in enumerate(self.rate_buttons, start=1):
            b.add_class(f"linli-rate-{n}")
            b.on_click(lambda _b, n=n: self.rate(n))
        self.rate_prompt = w.HTML()
        self.rating = w.VBox([self.rate_prompt, w.HBox(self.rate_buttons, layout=w.Layout(flex_flow="row wrap"))], layout=w.Layout(display="none"))
        head = w.HTML(f'<div class="linli-title">{escape(t("status.title"))}</div><div class="linli-hint">{escape(t("status.intro"))}</div>')
        form = w.HBox([w.HTML(f"<b>{escape(t('status.code_label'))}</b>"), self.code_box, self.button],
                      layout=w.Layout(flex_flow="row wrap", align_items="center"))
        self.root = w.VBox([head, form, self.message, self.result, self.rating], layout=w.Layout(max_width="900px"))
        self.root.add_class("linli-page")
        self.root.add_class("linli-status")

    def t(self, key: str, **kw: object) -> str:
        return text(key, self.lang, **kw)

    def _error(self, message: str) -> None:
        home = f' <a href="/" class="linli-home">{escape(self.t("status.home"))}</a>'
        self.message.value = f'<div class="linli-error" id="linli-status-error">{escape(message)}{home}</div>'
        self.result.value = ""
        self.rating.layout.display = "none"

    def show(self, code: str) -> bool:
        """Look a code up (rate-limited) and show its timeline; False on a wrong code."""
        wait = self.attempts.wait()
        if wait > 0:
            self._error(self.t("status.wait", seconds=int(wait) + 1))
            return False
        try:
            status = self.lookup(code or "")
        except LinliError as exc:
            self._error(store_text(exc, self.lang) or str(exc))
            return False
        if status is None:
            self.attempts.failed()
            self.code = None
            self._error(self.t("status.wrong_code"))
            return False
        self.attempts.succeeded()
        self.code = status.proposal["receipt_code"]
        self.message.value = ""
        self.render(status)
        return True

    def render(self, status: Any) -> None:
        p = status.proposal
        parts = "".join(
            f'<p><b>{escape(self.t("status." + k))}</b>：{escape(p[k])}</p>' for k in ("problem", "why", "suggestion") if p.get(k)
        )
        steps = "".join(step_html(s, self.lang) for s in status.steps)
        rated = f'<div class="linli-rated">{escape(self.t("status.rated", n=status.rating))}</div>' if status.rating else ""
        self.result.value = (
            f'<div class="linli-card" id="linli-status" data-code="{escape(p["receipt_code"])}">'
            f'<div class="linli-hint">{escape(self.t("status.your_proposal"))} · {escape(p["receipt_code"])}</div>'
            f'<div class="linli-title" id="linli-status-title">{escape(p["title"])}</div>{parts}'
            f'<div class="linli-title">{escape(self.t("status.timeline"))}</div><ol class="linli-timeline" id="linli-timeline">{steps}</ol>'
            f'{rated}{photo_html(status.photos, self.files_dir, self.lang)}</div>'
        )
        self.rate_prompt.value = f'<div class="linli-hint">{escape(self.t("status.rate_prompt"))}</div>'
        self.rating.layout.display = "flex" if status.can_rate else "none"

    @store_guard("message", False)
    def rate(self, n: int) -> bool:
        if self.code is None:
            return False
        try:
            self.rate_cb(self.code, n)
        except LinliError as exc:
            errors = getattr(exc, "errors", None)
            msg = next(iter(errors.values())) if errors else Label(store_text(exc, "zh") or str(exc), store_text(exc, "en") or str(exc))
            self.message.value = f'<div class="linli-error">{escape(msg.get(self.lang) if isinstance(msg, Label) else msg)}</div>'
            return False
        self.message.value = f'<div class="linli-ok" id="linli-rate-thanks">{escape(self.t("status.rate_thanks"))}</div>'
        return self.show(self.code)
