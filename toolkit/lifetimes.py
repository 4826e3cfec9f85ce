"""A child process that ends when its parent does (Linux ``PR_SET_PDEATHSIG``), even when the parent is
killed outright and has no chance to stop it: `linli serve`'s servers, each server's kernel zygote."""

from __future__ import annotations

import signal


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Ask the kernel to send ``signum`` to this process when its parent ends. Safe as a ``preexec_fn``;
    elsewhere than Linux it does nothing."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signum, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux
        pass
