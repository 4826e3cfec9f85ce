"""Start a throwaway PostgreSQL server for tests and for trying Linli on PostgreSQL.

    .venv/bin/python scripts/postgres.py DIR [PORT]   # prints the SQLAlchemy URL, runs until Ctrl-C

Uses Debian's server binaries (/usr/lib/postgresql/*/bin); listens only on a Unix socket in DIR.
As root the server runs as the ``postgres`` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class PostgresServer:
    def __init__(self, directory: Path, port: int = 5439) -> None:
        bins = bin_dir()
        if bins is None:
            raise RuntimeError("PostgreSQL server binaries not found: install Debian's postgresql package (make test does, as root)")
        self.bins, self.dir, self.port = bins, Path(directory), port
        self.data = self.dir / "data"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "PostgresServer":
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(_as_server_user([str(self.bins / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
        log = open(self.dir / "server.log", "w")
        self.proc = subprocess.Popen(
            _as_server_user([str(self.bins / "postgres"), "-D", str(self.data), "-k", str(self.dir), "-p", str(self.port), "-c", "listen_addresses=", "-c", "fsync=off"]),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        for _ in range(100):
            ready = subprocess.run([str(self.bins / "pg_isready"), "-h", str(self.dir), "-p", str(self.port)], capture_output=True)
            if ready.returncode == 0:
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not start:\n" + (self.dir / "server.log").read_text()[-3000:])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.dir}&port={self.port}"

    def create_database(self, name: str) -> str:
        subprocess.run([str(self.bins / "createdb"), "-h", str(self.dir), "-p", str(self.port), "-U", "postgres", name], check=True, capture_output=True)
        return self.url(name)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


if __name__ == "__main__":
    server = PostgresServer(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 5439).start()
    print(server.create_database("linli"), flush=True)
    try:
        server.proc.wait()
    except KeyboardInterrupt:
        server.stop()
