"""The staff page ``plan``: the shared-fund income and expense plan over several rounds —
edit lines, see the balance, propose a version per round, see what changed, record residents'
comments on lines, and freeze the balanced final plan for public notice."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import ipywidgets as w

from toolkit.errors import LinliError, ValidationError
from toolkit.labels import Label
from toolkit.markup import escape, user, yuan
from toolkit.rounds.plan import Plan, PlanLine, check_balance, diff, remove_line, set_line, set_terms
from toolkit.ui.tablets import error_text, store_guard, tt
from toolkit.ui.texts import T

if TYPE_CHECKING:
    from toolkit.store import Store


def _t(lang: str, key: str, **kw: object) -> str:
    label = T[key]
    return (label.format(**kw) if kw else label).get(lang)


def _errors(lang: str, exc: ValidationError) -> str:
    return "；".join(v.get(lang) if isinstance(v, Label) else str(v) for v in exc.errors.values())


def _comment_icons(n: int) -> str:
    """Comments on a line as Font Awesome speech bubbles (vendored with the template; an emoji
    rendered as an empty box on Debian's chromium), with the number when there are more than 5."""
    icons = '<i class="fa fa-comment" aria-hidden="true"></i>' * min(n, 5)
    return icons + (f" {n}" if n > 5 else "")


class PlanDesk:
    def __init__(self, store: "Store", plan_id: int | None, *, lang: str = "zh") -> None:
        self.store, self.plan_id, self.lang = store, plan_id, lang
        g = lang
        self.new_name = w.Text(description=_t(g, "plan_name"), style={"description_width": "120px"}, layout=w.Layout(width="520px"))
        self.new_rounds = w.BoundedIntText(description=_t(g, "plan_rounds"), value=6, min=1, max=50, style={"description_width": "120px"})
        self.new_button = w.Button(description=_t(g, "plan_new"), button_style="primary", layout=w.Layout(width="fit-content", height="auto", min_height="52px"))
        self.new_button.on_click(lambda _b: self.create(self.new_name.value, self.new_rounds.value))
        self.head = w.HTML()
        self.table = w.HTML()
        self.balance = w.HTML()
        self.line_id = w.Text(description=_t(g, "line_id"), style={"description_width": "120px"}, layout=w.Layout(width="300px"))
        self.kind = w.ToggleButtons(options=[(_t(g, "line_kind_income"), "income"), (_t(g, "line_kind_expense"), "expense")], value="expense")
        self.label = w.Text(description=_t(g, "line_label"), style={"description_width": "120px"}, layout=w.Layout(width="520px"))
        self.amount = w.BoundedIntText(description=_t(g, "line_amount"), value=0, min=0, max=10**10, style={"description_width": "160px"})
        self.save_line = w.Button(description=_t(g, "save_line"), layout=w.Layout(width="fit-content", height="auto", min_height="48px"))
        self.save_line.on_click(lambda _b: self.set_line())
        self.remove = w.Button(description=_t(g, "remove_line"), layout=w.Layout(width="fit-content", height="auto", min_height="48px"))
        self.remove.on_click(lambda _b: self.remove_line())
        self.reserve = w.BoundedIntText(description=_t(g, "reserve_pct"), value=10, min=0, max=99, style={"description_width": "160px"})
        self.carry = w.BoundedIntText(description=_t(g, "carry_over"), value=0, min=0, max=10**10, style={"description_width": "160px"})
        self.reserve.observe(lambda _c: self.set_terms(), names=["value"])
        self.carry.observe(lambda _c: self.set_terms(), names=["value"])
        self.note = w.Text(description=_t(g, "version_note"), style={"description_width": "200px"}, layout=w.Layout(width="720px"))
        self.propose_button = w.Button(description=_t(g, "propose_version"), button_style="primary", layout=w.Layout(width="fit-content", height="auto", min_height="52px"))
        self.propose_button.add_class("linli-propose-version")
        self.propose_button.on_click(lambda _b: self.propose())
        self.changes = w.HTML()
        self.comment_line = w.Dropdown(description=_t(g, "comment_line"), style={"description_width": "160px"})
        self.comment_author = w.Text(description=_t(g, "comment_author"), style={"description_width": "160px"})
        self.comment_text = w.Text(description=_t(g, "comment_text"), style={"description_width": "160px"}, layout=w.Layout(width="640px"))
        self.comment_button = w.Button(description=_t(g, "add_comment"), layout=w.Layout(width="fit-content", height="auto", min_height="48px"))
        self.comment_button.on_click(lambda _b: self.comment())
        self.freeze_button = w.Button(description=_t(g, "freeze_plan"), button_style="danger", layout=w.Layout(width="fit-content", height="auto", min_height="52px"))
        self.freeze_button.add_class("linli-freeze-plan")
        self.freeze_button.on_click(lambda _b: self.ask_freeze())
        # Freezing is final (the plan goes on public notice): a dialog asks first.
        from toolkit.ui.confirm import Confirm

        self.dialog = Confirm(self.freeze, yes=tt("tablets.plan.freeze_yes", g), no=tt("tablets.plan.freeze_no", g))
        self.message = w.HTML()
        self.creator = w.VBox([self.new_name, self.new_rounds, self.new_button])
        self.editor = w.VBox([
            w.HBox([self.line_id, self.kind]), self.label, w.HBox([self.amount, self.save_line, self.remove]),
            w.HBox([self.reserve, self.carry]), self.balance, self.note, self.propose_button, self.changes,
            w.HBox([self.comment_line, self.comment_author]), w.HBox([self.comment_text, self.comment_button]), self.freeze_button,
        ])
        title = w.HTML(f'<div class="linli-big">{escape(_t(g, "plan_title"))}</div>')
        self.root = w.VBox([title, self.creator, self.head, self.table, self.message, self.editor, self.dialog.root])
        self.root.add_class("linli-page")
        self.root.add_class(f"linli-lang-{lang}")
        self.draft: Plan = Plan(())
        self.load()

    # -- state ----------------------------------------------------------------------------
    def load(self) -> None:
        from toolkit.planning import load_process

        if self.plan_id is None:
            self.creator.layout.display = "flex"
            self.editor.layout.display = "none"
            return
        self.creator.layout.display = "none"
        self.process = load_process(self.store, self.plan_id)
        rec = self.store.plan_record(self.plan_id)
        current = self.process.current
        if current is not None:
            self.draft = Plan(current.lines, current.reserve_share, current.carry_over_fen)
            self.reserve.value = int(Fraction(current.reserve_share) * 100)
            self.carry.value = current.carry_over_fen // 100
        else:
            self.draft = Plan((), Fraction(self.reserve.value, 100), self.carry.value * 100)
        final = self.process.frozen
        status = _t(self.lang, "plan_final") if final else _t(self.lang, "plan_round", n=self.process.round_no, total=self.process.rounds)
        self.head.value = f'<div class="linli-title" id="linli-plan-status" data-final="{int(final)}">{user(rec["name"])} · {escape(status)}</div>'
        self.editor.layout.display = "none" if final else "flex"
        self.show()

    @store_guard("message")
    def create(self, name: str, rounds: int) -> int:
        self.plan_id = self.store.create_plan(name.strip() or _t(self.lang, "plan_default_name"), rounds)
        self.load()
        return self.plan_id

    def show(self) -> None:
        rows = ""
        for x in self.draft.lines:
            n = len(self.process.comments_on(x.id)) if self.plan_id is not None else 0
            rows += (
                f'<tr data-line="{escape(x.id)}"><td>{escape(x.id)}</td><td>{escape(_t(self.lang, "line_kind_" + x.kind))}</td>'
                f'<td>{user(x.label.get(self.lang) or x.label.zh)}</td><td class="num">{escape(yuan(x.amount_fen))}</td><td class="linli-comments" data-comments="{n}">{_comment_icons(n)}</td></tr>'
            )
        self.table.value = f'<table id="linli-plan-lines">{rows}</table>'
        self.comment_line.options = [(f"{x.id} {x.label.zh}", x.id) for x in self.draft.lines]
        try:
            b = check_balance(self.draft)
            self.balance.value = f'<div class="linli-hint" id="linli-balance" data-ok="1">{escape(_t(self.lang, "balance_ok", income=yuan(b.income_fen), carry=yuan(b.carry_over_fen), reserve=yuan(b.reserve_fen), expense=yuan(b.expense_fen), left=yuan(b.left_fen)))}</div>'
        except ValidationError as exc:
            self.balance.value = f'<div class="linli-error" id="linli-balance" data-ok="0">{escape(_errors(self.lang, exc))}</div>'

    def _apply(self, change) -> bool:
        try:
            self.draft = change(self.draft)
        except ValidationError as exc:
            self.message.value = f'<div class="linli-error">{escape(_errors(self.lang, exc))}</div>'
            return False
        self.message.value = ""
        self.show()
        return True

    # -- actions --------------------------------------------------------------------------
    def set_line(self) -> bool:
        label = self.label.value.strip()
        try:
            line = PlanLine(self.line_id.value.strip(), Label(label, label), self.amount.value * 100, self.kind.value)
        except ValidationError as exc:
            self.message.value = f'<div class="linli-error">{escape(_errors(self.lang, exc))}</div>'
            return False
        return self._apply(lambda p: set_line(p, line))

    def remove_line(self) -> bool:
        return self._apply(lambda p: remove_line(p, self.line_id.value.strip()))

    def set_terms(self) -> bool:
        return self._apply(lambda p: set_terms(p, reserve_share=Fraction(self.reserve.value, 100), carry_over_fen=self.carry.value * 100))

    @store_guard("message", False)
    def propose(self) -> bool:
        from toolkit.planning import propose_version

        before = self.process.current
        try:
            propose_version(self.store, self.plan_id, self.draft, self.note.value.strip())
        except (ValidationError, LinliError) as exc:
            self.message.value = f'<div class="linli-error">{escape(_errors(self.lang, exc) if isinstance(exc, ValidationError) else error_text(exc, self.lang))}</div>'
            return False
        self.note.value = ""
        self.load()
        if before is not None:
            lines = diff(before, self.draft).summary()
            body = "".join(f"<li>{escape(x.get(self.lang))}</li>" for x in lines) or f"<li>{escape(_t(self.lang, 'no_changes'))}</li>"
            self.changes.value = f'<div id="linli-plan-diff"><b>{escape(_t(self.lang, "changes"))}</b><ul>{body}</ul></div>'
        return True

    @store_guard("message", False)
    def comment(self) -> bool:
        from toolkit.planning import add_comment

        try:
            add_comment(self.store, self.plan_id, self.comment_line.value, self.comment_author.value, self.comment_text.value)
        except (ValidationError, LinliError) as exc:
            self.message.value = f'<div class="linli-error">{escape(_errors(self.lang, exc) if isinstance(exc, ValidationError) else error_text(exc, self.lang))}</div>'
            return False
        self.comment_text.value = ""
        self.load()
        return True

    def ask_freeze(self) -> None:
        """The page's button: ask in the dialog (its yes runs :meth:`freeze`)."""
        name = self.store.plan_record(self.plan_id)["name"] if self.plan_id is not None else ""
        self.dialog.ask(tt("tablets.plan.freeze_ask", self.lang, name=name))

    @store_guard("message", False)
    def freeze(self) -> bool:
        from toolkit.planning import finalise

        try:
            finalise(self.store, self.plan_id)
        except (ValidationError, LinliError) as exc:
            self.message.value = f'<div class="linli-error">{escape(_errors(self.lang, exc) if isinstance(exc, ValidationError) else error_text(exc, self.lang))}</div>'
            return False
        self.load()
        return True
