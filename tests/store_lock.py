"""Another process holding SQLite's write lock: what a second desk, a backup or a stuck tool does to a page."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import sqlite3
from collections.abc import Iterator


def _hold_write_lock(path: str, ready, release) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    ready.set()
    release.wait(300)
    conn.execute("ROLLBACK")


@contextlib.contextmanager
def write_lock_held(path: str) -> Iterator[None]:
    """While the block runs, a spawned process holds ``BEGIN IMMEDIATE`` on the SQLite file at ``path``."""
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_write_lock, args=(str(path), ready, release))
    holder.start()
    try:
        assert ready.wait(60), "the lock holder did not start"
        yield
    finally:
        release.set()
        holder.join(60)
