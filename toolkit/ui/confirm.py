"""One confirmation dialog for every irreversible action (close voting, freeze a plan, confirm a
screening decision).

The page's own button calls :meth:`Confirm.ask` instead of acting; the dialog (a modal box over
the page, ``linli-confirm`` in ``linli.css``) shows the question in large text with two large
buttons. Only a tap on the dialog's confirm button *while the dialog is asked* runs the action:
a browser that re-enables or clicks the hidden confirm button later, or twice, runs nothing
(the state lives in Python, not in the page).

Texts come from the caller in the page's language, so this widget knows no language::

    confirm = Confirm(on_confirm=lambda: close_round(...), yes="结束投票", no="取消")
    close_button.on_click(lambda _b: confirm.ask("结束后不能再投票。确定结束吗？"))
    page = w.VBox([..., confirm.root])
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from toolkit.markup import escape


class Confirm:
    """A modal yes/no step before ``on_confirm`` runs. ``root`` goes anywhere in the page."""

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
        """Show the dialog with ``question`` (plain text, escaped here)."""
        self.question.value = f'<div class="linli-confirm-question">{escape(question)}</div>'
        self.asked = True
        self.yes.disabled = False
        self.root.layout.display = "flex"

    def cancel(self) -> None:
        """Close the dialog; nothing happens."""
        self.asked = False
        self.root.layout.display = "none"

    def confirm(self) -> object:
        """Run the action once if the dialog was asked; otherwise (a forged click) do nothing."""
        if not self.asked:
            return None
        self.asked = False
        self.yes.disabled = True
        self.root.layout.display = "none"
        return self.on_confirm()
