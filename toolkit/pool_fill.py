"""Preheated kernel pools (``LINLI_POOL_SIZE``) fill one page at a time, the page a visitor waits for first.

Voila fills every notebook's pool at once when the server starts: with the resident and staff servers
that is 18 kernels each running its page on a 2-core laptop, and the first visitor waited behind all of
them (``benchmarks/cold_start.py``: home usable 4.9 s after the servers were ready, the propose page 13.1 s
after the tap; 1.5 s and 1.5 s with the gate). Here each server's fills pass through a :class:`FillGate`:

- one page kernel is prepared at a time (``FILL_WIDTH``); a fill holds the gate from its kernel's start
  until the page has run as far as it can before its visitor (the kernel asks the server for the
  visitor's request on ``/voila/query/<kernel>``), or its run ended, or ``HOLD_LIMIT`` seconds passed;
- waiting fills go in the order of :data:`PRIORITY` (home first), and a page a visitor has just asked
  for goes ahead of all the others (:meth:`FillGate.hurry`);
- refills after a kernel is handed out go through the same gate, so a meeting's burst of visitors does
  not start a burst of refills.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import PurePosixPath
from typing import Any

from voila.voila_kernel_manager import voila_kernel_manager_factory

FILL_WIDTH = 1  # page kernels prepared at once by one server (two servers: one each per core)
HOLD_LIMIT = 60.0  # seconds a fill may hold the gate: a page that never reaches its visitor's request
PRIORITY = (  # what a person opens first; every other page after these, in its pool's order
    "home.ipynb", "propose.ipynb", "vote.ipynb", "status.ipynb", "scoring.ipynb", "notice.ipynb",
    "live-map.ipynb", "round-desk.ipynb", "paper.ipynb", "dashboard.ipynb",
)


class FillGate:
    """At most ``width`` holders; waiters are let in by rank (lower first), then by arrival."""

    def __init__(self, width: int = FILL_WIDTH) -> None:
        self.width = width
        self.holding = 0
        self._waiting: list[list[Any]] = []  # [rank, arrival, name, future]
        self._arrivals = itertools.count()
        self._wake_planned = False

    @staticmethod
    def rank(name: str) -> int:
        base = PurePosixPath(name).name
        return PRIORITY.index(base) if base in PRIORITY else len(PRIORITY)

    def waiting(self) -> list[str]:
        """The names waiting, in the order they will be let in."""
        return [entry[2] for entry in sorted(self._waiting, key=lambda e: (e[0], e[1]))]

    async def acquire(self, name: str) -> None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        entry = [self.rank(name), next(self._arrivals), name, future]
        self._waiting.append(entry)
        if self.holding < self.width and not self._wake_planned:
            # let in on the loop's next turn, not at once: fills asked for together (a server's start, every
            # page's pool) are all waiting by then, and the first let in is the first in rank
            self._wake_planned = True
            loop.call_soon(self._wake)
        try:
            await future
        except asyncio.CancelledError:
            if entry in self._waiting:
                self._waiting.remove(entry)
            elif future.done() and not future.cancelled():
                self.release()  # let in, then cancelled before it could run: pass the place on
            raise

    def release(self) -> None:
        self.holding -= 1
        self._wake()

    def _wake(self) -> None:
        self._wake_planned = False
        while self.holding < self.width and self._waiting:
            entry = min(self._waiting, key=lambda e: (e[0], e[1]))
            self._waiting.remove(entry)
            if not entry[3].done():
                self.holding += 1
                entry[3].set_result(None)

    def hurry(self, name: str) -> None:
        """A visitor waits for ``name``: its fills go ahead of every other."""
        for entry in self._waiting:
            if entry[2] == name:
                entry[0] = -1


def pool_manager_factory(base_class, preheat_kernel: bool, default_pool_size: int, **kwargs):
    """Voila's kernel manager class for this server, its pool fills passed through a :class:`FillGate`."""
    voila_class = voila_kernel_manager_factory(base_class, preheat_kernel, default_pool_size, **kwargs)
    if not preheat_kernel:
        return voila_class

    class LinliPoolManager(voila_class):
        def __init__(self, **kw: Any) -> None:
            self.linli_fill_gate = FillGate()  # before Voila's __init__: it schedules the first fills
            self.linli_fill_release: dict[str, Any] = {}
            super().__init__(**kw)

        async def _initialize(self, notebook_path: str, kernel_id: str | None = None, **kw: Any):
            if kernel_id is not None:  # a restarted kernel runs its page again: not a fill
                return await super()._initialize(notebook_path, kernel_id, **kw)
            gate = self.linli_fill_gate
            await gate.acquire(notebook_path)
            self.log.info("pool fill: preparing %s", notebook_path)
            released = False

            def release(why: Any = "its run ended") -> None:
                nonlocal released
                if not released:
                    released = True
                    self.log.info("pool fill: %s prepared (%s)", notebook_path,
                                  why if isinstance(why, str) else "its run ended")
                    gate.release()

            try:
                content = await super()._initialize(notebook_path, None, **kw)
            except BaseException:
                release("its start failed")
                raise
            kid = content["kernel_id"]
            self.linli_fill_release[kid] = release
            content["task"].add_done_callback(release)
            content["task"].add_done_callback(lambda _t: self.linli_fill_release.pop(kid, None))
            asyncio.get_running_loop().call_later(HOLD_LIMIT, release, f"still running after {HOLD_LIMIT:.0f} s")
            return content

        def linli_page_waiting(self, kernel_id: str) -> None:
            """The pool kernel ``kernel_id`` has run its page up to its visitor's request."""
            release = self.linli_fill_release.pop(kernel_id, None)
            if release is not None:
                release("waits for its visitor")

        async def get_rendered_notebook(self, notebook_name: str, *args: Any, **kw: Any):
            self.linli_fill_gate.hurry(notebook_name)
            return await super().get_rendered_notebook(notebook_name, *args, **kw)

    return LinliPoolManager
