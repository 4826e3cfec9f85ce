"""A confirmation step for irreversible actions (freeze a plan, confirm a screening decision,
close voting): the page's button asks, a dialog over the page shows the question in large text
with two large buttons, and only its "yes" while asked runs the action — once. A forged click on
the hidden "yes" (a browser can click anything) does nothing: the asked state lives in Python.

The caller gives the texts in the page's language::

    dialog = Confirm(freeze, yes="定稿并公示", no="先不定稿")
    freeze_button.on_click(lambda _b: dialog.ask("定稿后不能再修改。确定吗？"))
    page = w.VBox([..., dialog.root])

(Written on the ux-tablets branch with the same constructor as the shared widget planned on
ux-nav, so the two meet in one file.)
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from toolkit.markup import escape


class Confirm:
    """A modal yes/no step before ``on_confirm`` runs; put ``root`` anywhere in the page."""

    def __init__(self, on_confirm: Callable[[], object], *, yes: str, no: str, danger: bool = True) -> None:
        self.on_confirm = on_confirm
        self.asked = False
        self.question = w.HTML()
        self.yes = w.Button(description=yes, button_style="danger" if danger else "primary", layout=w.Layout(width="auto", min_width="200px", height="auto", min_height="56px"))
        self.yes.add_class("linli-confirm-yes")
        self.yes.on_click(lambda _b: self.confirm())
        self.no = w.Button(description=no, layout=w.Layout(width="auto", min_width="160px", height="auto", min_height="56px"))
        self.no.add_class("linli-confirm-no")
        self.no.on_click(lambda _b: self.cancel())
        panel = w.VBox([self.question, w.HBox([self.no, self.yes])])
        panel.add_class("linli-confirm-box")
        self.root = w.Box([panel])
        self.root.add_class("linli-confirm")
        self.root.layout.display = "none"

    def ask(self, question: str) -> None:
        """Show the dialog with ``question`` (plain text; escaped here)."""
        self.question.value = f'<div class="linli-confirm-question">{escape(question)}</div>'
        self.asked = True
        self.yes.disabled = False
        self.root.layout.display = "flex"

    def cancel(self) -> None:
        """Close the dialog; nothing happens."""
        self.asked = False
        self.root.layout.display = "none"

    def confirm(self) -> object:
        """Run the action once, and only if the dialog was asked."""
        if not self.asked:
            return None
        self.asked = False
        self.yes.disabled = True
        self.root.layout.display = "none"
        return self.on_confirm()
