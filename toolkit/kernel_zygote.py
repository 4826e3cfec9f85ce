"""Page kernels forked from a warm process, instead of a new Python started for every page.

A page's kernel used to be ``python -m ipykernel_launcher``, started when the visitor asked for the
page: a new interpreter, then about a second of imports (ipykernel, IPython, ipywidgets, ipyleaflet,
SQLAlchemy, Linli's page modules) before the page's first line ran. Each Voila server now keeps one
**zygote**: a process started with the server that imports all of that once, then waits. A page
request asks it for a kernel; it forks, and the child becomes the kernel (``IPKernelApp``, the same
code ``ipykernel_launcher`` runs) with the environment, working folder and connection file Jupyter
gave it. The page itself still runs when it is asked for, with the request's ``?lang=``/``?code=``.

- ``ForkProvisioner`` is a jupyter_client kernel provisioner (entry point ``linli-fork``); the
  servers choose it with ``--KernelProvisionerFactory.default_provisioner_name=linli-fork``. Any
  kernel command other than ipykernel's, or a zygote that is not running, falls back to the usual
  ``Popen`` launch (logged), so a kernel always starts.
- The zygote has imported only: no thread, no zmq context, no event loop, no database connection
  exists when it forks (it checks its thread count before every fork). ``random`` reseeds itself in
  each child; ballot codes and session keys come from ``os.urandom`` anyway. What the kernels do share
  is the interpreter's string-hash seed (``PYTHONHASHSEED``).
- The zygote dies with its server (``PR_SET_PDEATHSIG`` and the end of its socket); each kernel
  watches the zygote as its parent (``JPY_PARENT_PID``) and ends when it is gone, as a ``Popen``
  kernel ends when its server is gone.
- Kernels are the zygote's children, not the server's: ``page_kernel_pids`` finds both kinds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from toolkit.lifetimes import die_with_parent

log = logging.getLogger("linli.zygote")

ZYGOTE_MODULE = "toolkit.kernel_zygote"
KERNEL_NAME = b"linli-kernel"  # the kernel's process name (/proc/<pid>/comm) once forked

# What resident pages import (measured in a page kernel: these are ~1 s of its start). Nothing that
# pulls pandas, geopandas or pyproj: resident kernels must stay lean (tests/browser/test_lean_kernels).
WARM_IMPORTS = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.comm",
    "ipywidgets",
    "ipyleaflet",
    "sqlalchemy",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
    "jinja2",
    "toolkit.store",
    "toolkit.voting",
    "toolkit.workspace",
    "toolkit.ui.pages",
    "toolkit.ui.home",
    "toolkit.ui.propose",
    "toolkit.ui.ballot",
    "toolkit.ui.status",
    "toolkit.ui.scoring",
)


# ---------------------------------------------------------------------------------------------------
# The zygote process
# ---------------------------------------------------------------------------------------------------


class _BecomeKernel(Exception):
    """Raised in a forked child: leave the zygote's loop and run the kernel at the top level."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__()
        self.argv = argv


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _send(sock: socket.socket, message: dict) -> None:
    sock.sendall(json.dumps(message).encode() + b"\n")


def _serve(sock: socket.socket) -> None:
    """Answer spawn requests until the server closes the socket; report each child's exit."""
    import select

    buffer = b""
    while True:
        readable, _, _ = select.select([sock], [], [], 0.5)
        while True:  # reap: the server reads a kernel's end from /proc (a zombie counts as ended)
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            _send(sock, {"exit": pid, "status": os.waitstatus_to_exitcode(status)})
        if not readable:
            continue
        chunk = sock.recv(65536)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            request = json.loads(line)
            rid = request.get("id")
            if _threads() != 1:
                _send(sock, {"id": rid, "error": f"the zygote has {_threads()} threads; it forks only with one"})
                continue
            pid = os.fork()
            if pid == 0:
                _child(sock, request)  # raises _BecomeKernel
            _send(sock, {"id": rid, "pid": pid})


def _child(sock: socket.socket, request: dict) -> None:
    sock.close()  # close(), never shutdown(): the zygote's socket is the same connection
    os.setsid()  # its own process group: an interrupt reaches the kernel, not the zygote
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    env = dict(request["env"])
    env["JPY_PARENT_PID"] = str(os.getppid())  # the kernel ends when the zygote is gone
    os.environ.clear()
    os.environ.update(env)
    os.chdir(request["cwd"])
    try:
        Path("/proc/self/comm").write_bytes(KERNEL_NAME)
    except OSError:
        pass
    # IPKernelApp read JPY_PARENT_PID into its default when the zygote imported it: say it again.
    raise _BecomeKernel([*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"])


def _run_kernel(argv: list[str]) -> None:
    # What ``python -m ipykernel_launcher`` does: the kernel's folder joins sys.path in
    # InteractiveShellApp.init_path; the zygote's own first entry goes.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    sys.argv = ["ipykernel_launcher", *argv]
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(argv)
    # ipywidgets registers its comm targets when it is imported inside IPython; the zygote imported it
    # before any kernel ran, so register them now. Without them the widget control channel (the
    # page's catch-up when it connected late) is never answered.
    import ipywidgets

    ipywidgets.register_comm_target()
    app.start()


def main() -> None:
    fd = int(sys.argv[1])
    die_with_parent()  # the end of its socket ends it too (not Linux)
    sock = socket.socket(fileno=fd)
    if os.getppid() == 1:
        return
    import importlib

    for name in WARM_IMPORTS:
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - a kernel that needs it will say so itself
            print(f"linli zygote: could not import {name}: {err}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        _send(sock, {"ready": os.getpid(), "threads": _threads()})
        _serve(sock)
    except _BecomeKernel as become:
        argv = become.argv
    else:
        return
    _run_kernel(argv)


# ---------------------------------------------------------------------------------------------------
# The server's side
# ---------------------------------------------------------------------------------------------------


class ForkedKernel:
    """The parts of ``subprocess.Popen`` jupyter_client uses, for a kernel the zygote forked."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, zygote: Zygote) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._zygote = zygote

    def poll(self) -> int | None:
        if self.returncode is None:
            if self.pid in self._zygote.exits:
                self.returncode = self._zygote.exits.pop(self.pid)
            elif not _alive(self.pid):
                self.returncode = -signal.SIGKILL  # gone, and its status was not (yet) reported
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(["linli-kernel"], timeout)
            time.sleep(0.05)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Running: /proc has it and it is not a zombie (its exit not yet reaped by the zygote)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


class Zygote:
    """The server's handle on its zygote process: started once, restarted when it has died."""

    RESTART_AFTER = 30.0  # seconds between attempts when the zygote keeps dying

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.exits: dict[int, int] = {}
        self._sock: socket.socket | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, asyncio.Future] = {}
        self._next_id = 0
        self._lock: asyncio.Lock | None = None
        self._ready: asyncio.Future | None = None
        self._started_at = 0.0
        self._task: asyncio.Task | None = None
        self._opening: asyncio.Future | None = None

    def start(self) -> None:
        import time

        ours, theirs = socket.socketpair()
        env = os.environ.copy()
        # numpy (ipyleaflet imports it through branca) would start an OpenBLAS worker thread, and a
        # process with threads must not fork. Page kernels do no linear algebra worth a second thread.
        env["OPENBLAS_NUM_THREADS"] = "1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", ZYGOTE_MODULE, str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env,
        )
        theirs.close()
        if self._writer is not None:  # the last zygote's connection (its reader may not have seen the end yet)
            self._writer.close()
        elif self._sock is not None:
            self._sock.close()
        self._sock = ours
        self._reader = self._writer = None
        self._opening = None
        self._started_at = time.monotonic()
        log.info("kernel zygote started (pid %d)", self.proc.pid)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    async def _connect(self) -> None:
        # One connection per zygote, also when several kernels are asked for at once (a pool filling, ten
        # tablets): the first caller opens it, the others wait for that same opening.
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._open())
        await self._opening

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        self._lock = asyncio.Lock()
        self._ready = loop.create_future()
        self._pending = {}
        self._reader, self._writer = await asyncio.open_unix_connection(sock=self._sock)
        # kept: a task nobody holds may be collected
        self._task = loop.create_task(self._read(self._reader, self._writer, self._ready, self._pending))

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ready: asyncio.Future,
                    pending: dict[int, asyncio.Future]) -> None:
        try:
            while line := await reader.readline():
                message = json.loads(line)
                if "exit" in message:
                    self.exits[int(message["exit"])] = int(message["status"])
                elif "ready" in message:
                    log.info("kernel zygote ready (pid %s, %s thread)", message["ready"], message["threads"])
                    if not ready.done():
                        ready.set_result(True)
                else:
                    future = pending.pop(message.get("id"), None)
                    if future is not None and not future.done():
                        future.set_result(message)
                    elif "pid" in message:
                        # Asked for, then given up on (the spawn timed out and the kernel was started the usual
                        # way, on the same connection file): this fork would hold those ports and live on
                        # until the zygote ends. It goes now.
                        self._discard(int(message["pid"]))
        finally:
            err = ConnectionError("the kernel zygote has ended")
            for future in [ready, *pending.values()]:
                if not future.done():
                    future.set_exception(err)
            pending.clear()
            if self._writer is writer:  # not a newer zygote's connection, made before this reader saw its end
                self._writer = None

    async def spawn(self, argv: list[str], env: dict[str, str], cwd: str, timeout: float = 60.0) -> int:
        """Ask for a kernel; its process id."""
        import time

        if not self.alive():
            if self.proc is not None and time.monotonic() - self._started_at < self.RESTART_AFTER:
                raise ConnectionError("the kernel zygote has ended")
            if self.proc is not None:
                log.warning("kernel zygote ended (status %s); starting it again", self.proc.returncode)
            self.start()
        await self._connect()
        lock, ready, writer, pending = self._lock, self._ready, self._writer, self._pending
        if lock is None or ready is None or writer is None:
            raise ConnectionError("the kernel zygote has ended")
        deadline = time.monotonic() + timeout
        await asyncio.wait_for(asyncio.shield(ready), timeout)
        self._next_id += 1
        rid = self._next_id
        future = asyncio.get_running_loop().create_future()
        pending[rid] = future
        try:
            async with lock:  # one writer at a time; the replies come back by id
                writer.write(json.dumps({"id": rid, "argv": argv, "env": env, "cwd": cwd}).encode() + b"\n")
                await writer.drain()
            reply = await asyncio.wait_for(future, max(0.0, deadline - time.monotonic()))
        finally:
            if pending.get(rid) is future:
                del pending[rid]  # a reply that comes later finds no one waiting: its kernel is ended
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return int(reply["pid"])

    @staticmethod
    def _discard(pid: int) -> None:
        log.warning("kernel %d was forked after its request had been given up; ending it", pid)
        for kill in (os.kill, os.killpg):  # the process, and its group (it leads one once it has run setsid)
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()  # type: ignore[union-attr]


_ZYGOTE: Zygote | None = None


def start_zygote(logger: logging.Logger | None = None) -> Zygote:
    """The server's zygote (one per server process), started now so that it is warm by the first page."""
    global _ZYGOTE, log
    if logger is not None:
        log = logger
    if _ZYGOTE is None:
        _ZYGOTE = Zygote()
        _ZYGOTE.start()
    return _ZYGOTE


def _ipykernel_args(cmd: list[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` when ``cmd`` starts ipykernel with this Python."""
    if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"] and Path(cmd[0]).name.startswith("python"):
        return cmd[3:]
    return None


class ForkProvisioner(LocalProvisioner):
    """Launches ipykernel kernels as forks of the server's zygote; anything else as ``Popen`` does."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        argv = _ipykernel_args(cmd)
        zygote = _ZYGOTE
        if argv is None or zygote is None:
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            pid = await zygote.spawn(argv, env, cwd)
        except Exception as err:  # noqa: BLE001 - a kernel must start: the usual way, then
            self.log.warning("kernel zygote unavailable (%s): starting the kernel with a new Python", err)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernel(pid, zygote)
        self.pid = self.pgid = pid
        self.cwd = cwd
        return self.connection_info


def _processes() -> dict[int, tuple[int, str]]:
    """Every live process (zombies left out): its parent's id and its command line."""
    procs: dict[int, tuple[int, str]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            after = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if after[0] not in ("Z", "X"):
            procs[int(proc.name)] = (int(after[1]), cmdline)
    return procs


def _zygotes(procs: dict[int, tuple[int, str]], server_pid: int) -> set[int]:
    return {pid for pid, (ppid, cmd) in procs.items() if ppid == server_pid and ZYGOTE_MODULE in cmd}


def zygote_pids(server_pid: int) -> list[int]:
    """The kernel zygote of the Voila server ``server_pid`` (one, or none while it restarts)."""
    return sorted(_zygotes(_processes(), server_pid))


def page_kernel_pids(server_pid: int) -> list[int]:
    """The page kernels of the Voila server ``server_pid``: its zygote's children and any kernel it
    started itself (``python -m ipykernel_launcher``)."""
    procs = _processes()
    zygotes = _zygotes(procs, server_pid)
    return sorted(
        pid for pid, (ppid, cmd) in procs.items()
        if (ppid == server_pid and "ipykernel" in cmd) or ppid in zygotes
    )


if __name__ == "__main__":
    main()
