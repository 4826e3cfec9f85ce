"""Page kernels forked from the server's warm zygote (toolkit.kernel_zygote), driven through
jupyter_client's own kernel manager and client as Voila drives them: a real zygote, real ipykernel
kernels, real zmq channels. Each scenario runs on its own event loop in a thread: in the full suite an
earlier browser test's sync Playwright may run a loop in this thread."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time

import pytest
from jupyter_client import AsyncKernelManager
from jupyter_client.provisioning import KernelProvisionerFactory

from tests.browser.harness import in_thread
from toolkit import kernel_zygote
from toolkit.kernel_zygote import ForkedKernel, Zygote

PROBE = (
    "import os, random, json, ipywidgets\n"
    "print(json.dumps({'pid': os.getpid(), 'ppid': os.getppid(), 'cwd': os.getcwd(), 'random': random.random(),\n"
    "  'env': os.environ.get('LINLI_ZYGOTE_TEST'), 'targets': sorted(get_ipython().kernel.comm_manager.targets)}))\n"
)


@pytest.fixture
def forking(monkeypatch):
    """The fork provisioner as the default, with a fresh zygote for this test."""
    factory = KernelProvisionerFactory.instance()
    monkeypatch.setattr(factory, "default_provisioner_name", "linli-fork")
    zygote = Zygote()
    zygote.start()
    monkeypatch.setattr(kernel_zygote, "_ZYGOTE", zygote)
    yield zygote
    zygote.stop()


async def _probe(km: AsyncKernelManager) -> dict:
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        out: list[str] = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])

        reply = await client.execute_interactive(PROBE, output_hook=hook, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        return json.loads("".join(out))
    finally:
        client.stop_channels()


def _gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not kernel_zygote._alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_kernels_are_forked_ready_for_widgets_and_end_when_shut_down(forking, tmp_path):
    async def scenario():
        managers = [AsyncKernelManager(kernel_name="python3") for _ in range(2)]
        seen = []
        for km in managers:
            await km.start_kernel(cwd=str(tmp_path), env={**os.environ, "LINLI_ZYGOTE_TEST": "page env"})
            assert isinstance(km.provisioner.process, ForkedKernel)
            seen.append(await _probe(km))
        for km, info in zip(managers, seen):
            await km.shutdown_kernel()
            assert _gone(info["pid"], 5), "a shut-down kernel must end"
        return seen

    first, second = in_thread(scenario)
    for info in (first, second):
        assert info["ppid"] == forking.proc.pid  # forked by the zygote, not started by this process
        assert info["cwd"] == str(tmp_path) and info["env"] == "page env"  # the launch's folder and environment
        # ipywidgets' comm targets exist although the zygote imported ipywidgets outside any kernel:
        # without the control target a page that connected late never catches up.
        assert {"jupyter.widget", "jupyter.widget.control"} <= set(info["targets"])
    assert first["pid"] != second["pid"] and first["random"] != second["random"]  # no shared random state


def test_kernels_end_with_their_zygote_and_new_ones_start_without_it(forking, tmp_path):
    async def scenario():
        km = AsyncKernelManager(kernel_name="python3")
        await km.start_kernel(cwd=str(tmp_path))
        forked = await _probe(km)
        os.kill(forking.proc.pid, signal.SIGKILL)  # the zygote dies (as it does with its server)
        forking.proc.wait()
        ended = _gone(forked["pid"], 10)
        await km.shutdown_kernel(now=True)
        # Within RESTART_AFTER of its start a dead zygote is not restarted: the kernel starts the usual way.
        fallback = AsyncKernelManager(kernel_name="python3")
        await fallback.start_kernel(cwd=str(tmp_path))
        assert not isinstance(fallback.provisioner.process, ForkedKernel)
        started = await _probe(fallback)
        await fallback.shutdown_kernel()
        return forked, ended, started

    forked, ended, started = in_thread(scenario)
    assert ended, "a forked kernel must end when its zygote is gone"
    assert started["ppid"] == os.getpid()
    assert "jupyter.widget.control" in started["targets"]


def test_a_dead_zygote_is_started_again(forking, tmp_path, monkeypatch):
    monkeypatch.setattr(Zygote, "RESTART_AFTER", 0.0)

    async def scenario():
        first = AsyncKernelManager(kernel_name="python3")
        await first.start_kernel(cwd=str(tmp_path))
        before = await _probe(first)
        old = forking.proc.pid
        os.kill(old, signal.SIGKILL)
        forking.proc.wait()
        await first.shutdown_kernel(now=True)
        kernels = []
        for _ in range(2):  # the second one goes through the new zygote's connection, not a stale one
            km = AsyncKernelManager(kernel_name="python3")
            await km.start_kernel(cwd=str(tmp_path))
            assert isinstance(km.provisioner.process, ForkedKernel)
            kernels.append(await _probe(km))
            await km.shutdown_kernel()
        return old, before, kernels

    old, before, kernels = in_thread(scenario)
    assert before["ppid"] == old
    assert forking.proc.pid != old and all(k["ppid"] == forking.proc.pid for k in kernels)


def test_kernels_asked_for_at_once_are_all_forked(forking, tmp_path):
    """A pool filling or several tablets at once: concurrent requests share the zygote's one connection."""

    async def scenario():
        managers = [AsyncKernelManager(kernel_name="python3") for _ in range(4)]
        await asyncio.gather(*(km.start_kernel(cwd=str(tmp_path)) for km in managers))
        forked = [isinstance(km.provisioner.process, ForkedKernel) for km in managers]
        seen = [await _probe(km) for km in managers]
        await asyncio.gather(*(km.shutdown_kernel() for km in managers))
        return forked, seen

    forked, seen = in_thread(scenario)
    assert forked == [True] * 4
    assert all(info["ppid"] == forking.proc.pid for info in seen) and len({info["pid"] for info in seen}) == 4


def test_a_kernel_forked_after_its_request_was_given_up_is_ended(forking, tmp_path):
    """A spawn that times out falls back to ``Popen`` on the same connection file; the fork that comes late
    must not live on beside it (holding its ports until the zygote ends), and the next request gets its own
    kernel, not the late one."""
    env = {**os.environ, "LINLI_ZYGOTE_TEST": "late"}

    def argv(name: str) -> list[str]:
        return ["-f", str(tmp_path / f"kernel-{name}.json")]

    async def scenario():
        first = await forking.spawn(argv("first"), env, str(tmp_path))  # the zygote is ready after this
        with pytest.raises(asyncio.TimeoutError):
            await forking.spawn(argv("given-up"), env, str(tmp_path), timeout=0.0)
        third = await forking.spawn(argv("third"), env, str(tmp_path))
        return first, third

    first, third = in_thread(scenario)
    try:
        assert first != third
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            children = {pid for pid, (ppid, _) in kernel_zygote._processes().items() if ppid == forking.proc.pid}
            if children == {first, third}:
                break
            time.sleep(0.1)
        assert children == {first, third}, "only the kernels that were waited for may live"
    finally:
        for pid in (first, third):
            os.kill(pid, signal.SIGKILL)
