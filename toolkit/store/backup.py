"""Backups: a consistent copy of the whole store while Linli runs, and a restore into an empty database.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies every page of a consistent
  snapshot, WAL included, while pages keep writing; the copy is an ordinary SQLite file.
- PostgreSQL: ``pg_dump --format=custom`` (Debian's ``postgresql-client``); ``pg_restore`` loads it.
  Tables and data come first, triggers and constraints after, so the audit log's append-only trigger and
  the ballot rules do not refuse restored rows. A password in the URL goes to ``PGPASSWORD``, never argv.

Backups hold every proposal, contact details and the audit log: they are written with mode 0600.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from toolkit.errors import StoreError
from toolkit.store.core import database_url, make_engine

PGDUMP_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str  # "sqlite" or "postgresql"
    tables: int
    bytes: int


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise StoreError(f"{name} not found: install Debian's postgresql-client package (apt-get install postgresql-client)")
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump/pg_restore, and the environment carrying the password."""
    params = {"dbname": url.database or "postgres"}
    if url.username:
        params["user"] = url.username
    host = url.query.get("host") or url.host
    port = url.query.get("port") or url.port
    if host:
        params["host"] = str(host)
    if port:
        params["port"] = str(port)
    conninfo = " ".join(f"{k}='{v}'" for k, v in params.items())
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _tables(db: str) -> list[str]:
    engine = make_engine(db)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _private_temp(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    os.chmod(tmp, 0o600)
    return Path(tmp)


def backup(db: str | Path, target: str | Path) -> BackupResult:
    """Copy the store ``db`` (path or URL) to the file ``target`` (written atomically, mode 0600)."""
    url = make_url(database_url(db))
    target = Path(target).expanduser()
    if target.is_dir():
        raise StoreError(f"backup target {target} is a folder. Fix: give a file name, e.g. {target / 'linli-backup.sqlite'}")
    tables = _tables(str(db))
    if not tables:
        raise StoreError(f"{db} holds no Linli tables: nothing to back up. Fix: check LINLI_DB or --db")
    tmp = _private_temp(target)
    try:
        if url.get_backend_name() == "sqlite":
            source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True, timeout=15)
            copy = sqlite3.connect(tmp)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                copy.close()
                source.close()
            engine = "sqlite"
        elif url.get_backend_name() == "postgresql":
            conninfo, env = _libpq(url)
            run = subprocess.run(
                [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={tmp}", "--dbname", conninfo],
                env=env, capture_output=True, text=True,
            )
            if run.returncode:
                raise StoreError(f"pg_dump of {url.render_as_string(hide_password=True)} failed: {run.stderr.strip()[-500:]}")
            engine = "postgresql"
        else:
            raise StoreError(f"cannot back up a {url.get_backend_name()} database; Linli supports SQLite and PostgreSQL")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupResult(target, engine, len(tables), target.stat().st_size)


def restore(source: str | Path, db: str | Path) -> BackupResult:
    """Load the backup file ``source`` into the empty database ``db`` (path or URL)."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise StoreError(f"backup file {source} not found. Fix: give the path `linli backup` wrote")
    head = source.read_bytes()[:16]
    kind = "sqlite" if head.startswith(SQLITE_MAGIC) else "postgresql" if head.startswith(PGDUMP_MAGIC) else None
    if kind is None:
        raise StoreError(f"{source} is neither a SQLite backup nor a pg_dump archive written by `linli backup`")
    url = make_url(database_url(db))
    if url.get_backend_name() != kind:
        raise StoreError(
            f"{source} is a {kind} backup but the target {url.render_as_string(hide_password=True)} is "
            f"{url.get_backend_name()}. Fix: restore into a {kind} database (a new SQLite file path or an empty PostgreSQL database)"
        )
    if kind == "sqlite" and url.database and Path(url.database).exists() and _tables(str(db)):
        raise StoreError(f"{url.database} already holds a database. Fix: restore into a new file name (Linli never overwrites a store)")
    if kind == "postgresql" and _tables(str(db)):
        raise StoreError(
            f"{url.render_as_string(hide_password=True)} is not empty. Fix: create an empty database (createdb NAME) and restore into it"
        )
    if kind == "sqlite":
        target = Path(url.database)
        tmp = _private_temp(target)
        try:
            backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            copy = sqlite3.connect(tmp)
            try:
                check = backup_file.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    raise StoreError(f"{source} is damaged (SQLite integrity check: {check}); use an older backup")
                backup_file.backup(copy)
                copy.execute("PRAGMA journal_mode=WAL")
            finally:
                copy.close()
                backup_file.close()
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    else:
        conninfo, env = _libpq(url)
        run = subprocess.run(
            [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             "--dbname", conninfo, str(source)],
            env=env, capture_output=True, text=True,
        )
        if run.returncode:
            raise StoreError(f"pg_restore into {url.render_as_string(hide_password=True)} failed: {run.stderr.strip()[-500:]}")
    return BackupResult(source, kind, len(_tables(str(db))), source.stat().st_size)
