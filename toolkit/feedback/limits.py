"""Rate limit on wrong codes, per kernel (Voila starts one kernel per page visit).

After ``free`` wrong codes in a row, each further try must wait, doubling from ``base`` seconds
up to ``cap``. A right code resets the count. A reload starts a new kernel and a fresh count, so
this slows a person typing at a tablet, not a script: a server facing the internet also needs a
limit in its reverse proxy (nginx ``limit_req`` on ``/voila/render/``), as README says.

>>> a = Attempts(free=2, base=10, clock=iter([0, 1, 2, 3]).__next__)
>>> a.wait(), a.failed(), a.failed(), a.wait()
(0.0, None, None, 9.0)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Attempts:
    free: int = 5
    base: float = 15.0
    cap: float = 600.0
    clock: Callable[[], float] = time.monotonic
    wrong: int = 0
    _until: float = field(default=0.0)

    def wait(self) -> float:
        """Seconds to wait before the next try is looked at (0 when free)."""
        return max(0.0, self._until - self.clock())

    def failed(self) -> None:
        self.wrong += 1
        if self.wrong >= self.free:
            delay = min(self.cap, self.base * 2 ** (self.wrong - self.free))
            self._until = self.clock() + delay

    def succeeded(self) -> None:
        self.wrong = 0
        self._until = 0.0
