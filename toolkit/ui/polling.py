"""Quiet polling for live pages (projector): ask the store whether anything changed and touch
widgets only when it did, so an idle kernel sends nothing and can be culled; stop after a
maximum time so an abandoned page does not keep its kernel forever."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import ipywidgets as w

from toolkit.markup import escape


class LivePoller:
    """Mix into a page with ``refresh()``; give it ``changed``, ``poll_seconds``, ``max_seconds``
    and a ``status`` HTML widget for errors and the pause notice."""

    changed: Callable[[], bool]
    poll_seconds: float
    max_seconds: float
    status: w.HTML
    paused_text: str = ""
    _stale: bool = False  # the last refresh met a locked or unreachable database: try again next poll

    def refresh(self) -> None:  # pragma: no cover - provided by the page
        raise NotImplementedError

    def tick(self) -> bool:
        """One poll: refresh only if the store changed (or the last refresh could not read it).
        Returns whether it refreshed."""
        if self.changed() or self._stale:
            self._stale = False
            self.refresh()
            return True
        return False

    async def _run(self) -> None:
        started = time.monotonic()
        while time.monotonic() - started < self.max_seconds:
            try:
                self.tick()
            except Exception as exc:  # the page's error boundary: say it in the page's words, keep polling
                from toolkit.errors import StoreUnavailable
                from toolkit.ui.tablets import error_text

                self._stale = isinstance(exc, StoreUnavailable)
                self.status.value = f'<div class="linli-error">{escape(error_text(exc, getattr(self, "lang", "zh")))}</div>'
            await asyncio.sleep(self.poll_seconds)
        if self.paused_text:
            self.status.value = f'<div class="linli-error">{escape(self.paused_text)}</div>'

    def start(self) -> None:
        """Load once, then poll in the kernel's event loop."""
        self.tick()
        self._task = asyncio.get_event_loop().create_task(self._run())
