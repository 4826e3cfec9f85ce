"""`linli backup` and `linli restore` on SQLite and PostgreSQL: a backup taken while a writer is busy,
restored into an empty database, holds every table and every row (audit log included) of the original;
the restored store keeps working (new ids after the old ones); bad restores are refused with a reason."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import inspect, text

from toolkit.errors import StoreError, ValidationError
from toolkit.labels import Label
from toolkit.rounds import Fund, Knapsack, Project, RoundSettings
from toolkit.store import open_store
from toolkit.store.backup import backup, restore
from toolkit.voting import cast, create_round, issue_codes


def fresh(url: str, postgres, name: str) -> str:
    """An empty database of the same kind as ``url``."""
    if url.startswith("postgresql"):
        return postgres.create_database(name)
    return url.replace("linli.sqlite", f"{name}.sqlite")


def everything(db: str) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    store = open_store(db, migrate=False)
    out = {}
    with store.engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            out[table] = sorted((tuple(r) for r in rows), key=repr)
    store.engine.dispose()
    return out


@pytest.fixture
def postgres_if_needed(db_url, request):
    return request.getfixturevalue("postgres") if db_url.startswith("postgresql") else None


@pytest.fixture
def meeting_db(db_url):
    """The demo database plus a budget round with codes and cast ballots (ballots, audit rows)."""
    from toolkit.demo import build_demo_database

    build_demo_database(db_url)
    store = open_store(db_url)
    projects = tuple(Project(p, Label(f"项目{p}", f"Project {p}"), 50_000_00) for p in "ABCD")
    rid = create_round(store, RoundSettings("b1", Label("备份测试", "Backup test"), projects,
                                            (Fund("f", Label("资金", "Fund"), 100_000_00),), Knapsack()), scrypt_n=2**8)
    codes = issue_codes(store, rid, 6)
    store.set_round_status(rid, "open")
    for i, code in enumerate(codes[:4]):
        cast(store, rid, code, {"projects": list(["AB", "CD", "AC", "BD"][i])}, submission_id=f"sub-{i:06d}")
    store.engine.dispose()
    return db_url, rid, codes


def test_backup_and_restore_round_trip(meeting_db, postgres_if_needed, tmp_path):
    db, rid, codes = meeting_db
    original = everything(db)
    assert len(original["proposals"]) == 240 and len(original["ballots"]) == 4 and len(original["audit"]) > 240
    target = tmp_path / "linli-backup.dump"
    env = {**os.environ, "LINLI_DB": db}
    run = subprocess.run([sys.executable, "-m", "toolkit.cli", "backup", str(target)], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "backup written" in run.stdout
    assert oct(target.stat().st_mode)[-3:] == "600"
    empty = fresh(db, postgres_if_needed, f"restored_{os.getpid()}_{abs(hash(str(tmp_path))) % 10**6}")
    run = subprocess.run([sys.executable, "-m", "toolkit.cli", "restore", str(target), "--db", empty], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    restored = everything(empty)
    assert restored.keys() == original.keys()
    for table in original:
        assert restored[table] == original[table], f"table {table} differs after restore"
    # The restored store works on: a new ballot gets a fresh id, the database rules still hold.
    store = open_store(empty)
    assert store.migrate() == []
    cast(store, rid, codes[4], {"projects": ["A"]}, submission_id="sub-after")
    with pytest.raises(ValidationError):
        cast(store, rid, codes[0], {"projects": ["B"]}, submission_id="sub-again")  # code already used
    after = everything(empty)
    assert len(after["ballots"]) == 5 and len(after["audit"]) > len(original["audit"])
    store.engine.dispose()
    # Restoring over a store that holds data is refused, never merged or overwritten.
    with pytest.raises(StoreError, match="Fix"):
        restore(target, empty)


def test_backup_while_a_writer_is_busy_is_consistent(meeting_db, postgres_if_needed, tmp_path):
    db, rid, codes = meeting_db
    stop = threading.Event()

    def writer():
        store = open_store(db)
        while not stop.is_set():
            issue_codes(store, rid, 2)  # new codes (and their audit rows) keep coming while the backup runs
        store.engine.dispose()

    t = threading.Thread(target=writer)
    t.start()
    try:
        results = [backup(db, tmp_path / f"b{i}.bak") for i in range(3)]
    finally:
        stop.set()
        t.join()
    for i, r in enumerate(results):
        empty = fresh(db, postgres_if_needed, f"busy_{i}_{os.getpid()}_{abs(hash(str(tmp_path))) % 10**6}")
        restore(r.path, empty)
        copy = everything(empty)
        assert len(copy["proposals"]) == 240 and len(copy["ballots"]) == 4
        assert len(copy["voter_codes"]) >= 6 and len(copy["voter_codes"]) % 2 == 0, "a half-written batch of codes"


def test_bad_restores_say_what_to_do(tmp_path):
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"not a backup at all")
    with pytest.raises(StoreError, match="neither a SQLite backup nor a pg_dump archive"):
        restore(junk, str(tmp_path / "new.sqlite"))
    with pytest.raises(StoreError, match="not found"):
        restore(tmp_path / "missing.bak", str(tmp_path / "new.sqlite"))
    with pytest.raises(StoreError, match="nothing to back up"):
        backup(str(tmp_path / "empty.sqlite"), tmp_path / "x.bak")
    sqlite_copy = tmp_path / "pg.bak"
    sqlite_copy.write_bytes(b"PGDMP" + b"\0" * 100)
    with pytest.raises(StoreError, match="restore into a postgresql database"):
        restore(sqlite_copy, str(tmp_path / "new.sqlite"))
