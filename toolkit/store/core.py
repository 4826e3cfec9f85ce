"""The store: the only shared state between Voila kernels (one kernel per visitor).

SQLAlchemy Core over a SQLite file by default (WAL, busy timeout, ``BEGIN IMMEDIATE`` for
writes), PostgreSQL by URL. Every change writes an append-only audit row in the same
transaction. This package is the only place in Linli with SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, create_engine, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from toolkit.errors import StoreError, StoreUnavailable
from toolkit.store import migrations, schema
from toolkit.store.panels import PanelsMixin
from toolkit.store.plans import PlansMixin
from toolkit.store.rounds import RoundsMixin
from toolkit.store.screening import ScreeningMixin

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.proposals import CheckedProposal, ProposalRules

BUSY_TIMEOUT_MS = 15000


def database_url(db: str | Path) -> str:
    """A SQLAlchemy URL from a URL or a file path (``var/linli.sqlite`` → ``sqlite:///...``)."""
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


POOL_TIMEOUT_S = 30.0


def make_engine(db: str | Path) -> Engine:
    url = make_url(database_url(db))
    if url.get_backend_name() != "sqlite":
        return _server_engine(url)
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        private_file(Path(url.database))
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "isolation_level": None})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed: no old rows left in the file
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # pysqlite's own transaction handling is off (isolation_level=None); we say BEGIN
        # ourselves so a writer takes the lock up front instead of failing mid-transaction.
        immediate = conn.get_execution_options().get("linli_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _server_engine(url: Any) -> Engine:
    """A PostgreSQL engine whose pool holds at most ``LINLI_DB_POOL`` connections (one page kernel
    opens one store: that is the bound per kernel). A page that finds them all in use waits up to
    ``POOL_TIMEOUT_S``, then says the database is busy. psycopg's server-side prepared statements are
    off, so the URL may point at PgBouncer in transaction mode (``linli serve --district``)."""
    from toolkit.settings import load_settings

    connect_args = {"prepare_threshold": None} if url.get_driver_name() == "psycopg" else {}
    return create_engine(
        url, pool_pre_ping=True, pool_size=load_settings().db_pool, max_overflow=0,
        pool_timeout=POOL_TIMEOUT_S, connect_args=connect_args,
    )


@dataclass(frozen=True)
class Upstream:
    """The PostgreSQL server PgBouncer logs in to, from a ``LINLI_DB`` URL."""

    host: str  # a host name, an address or a Unix socket folder
    port: int
    database: str
    user: str
    password: str | None
    driver: str  # "postgresql+psycopg"


def upstream(db_url: str) -> Upstream | None:
    """The PostgreSQL server behind ``LINLI_DB``, or None for SQLite."""
    if "://" not in db_url:
        return None
    url = make_url(db_url)
    if url.get_backend_name() != "postgresql":
        return None
    query = dict(url.query)
    host = url.host or str(query.get("host", "")) or "/var/run/postgresql"
    port = url.port or int(query.get("port", 5432))
    if not url.database or not url.username:
        raise StoreError(f"LINLI_DB={url.render_as_string(hide_password=True)} needs a user and a database name. Fix: e.g. postgresql+psycopg://linli@db-host/linli")
    return Upstream(host, port, url.database, url.username, url.password, url.drivername)


def private_file(path: Path) -> None:
    """Create the database file owner-only (0600) in an owner-only folder (0700) when Linli makes
    them, and take group/other access away from an existing database file and its -wal/-shm."""
    import os

    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        parent.chmod(0o700)  # mkdir's mode is filtered by the umask
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if p.exists() and p.stat().st_mode & 0o077 and p.stat().st_uid == os.getuid():
                p.chmod(0o600)
        except OSError:  # not ours to change: leave it
            pass


@contextmanager
def _unavailable() -> Iterator[None]:
    """Translate the driver's operational errors into :class:`StoreUnavailable` (one exception family)."""
    try:
        yield
    except PoolTimeout as exc:  # every connection of this page's pool is in use past the wait
        raise StoreUnavailable("busy", str(exc).splitlines()[0]) from None
    except OperationalError as exc:
        text = str(exc.orig).lower()
        # "too many clients" / "no more connections allowed": the server's connection limit
        reason = "busy" if "locked" in text or "busy" in text or "too many clients" in text or "no more connections" in text else "readonly" if "readonly" in text or "read-only" in text else "down"
        raise StoreUnavailable(reason, str(exc.orig).splitlines()[0]) from None


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def today() -> str:
    """The day only (UTC): what ballots and spent codes record, so their times cannot be matched."""
    return datetime.now(timezone.utc).date().isoformat()


@dataclass(frozen=True)
class Stored:
    """The outcome of an idempotent write: the record's key and whether it was new."""

    id: int
    receipt_code: str
    created: bool


class Store(PanelsMixin, ScreeningMixin, RoundsMixin, PlansMixin):
    """Open with :func:`open_store`; call methods, never SQL, from the rest of Linli."""

    def __init__(self, db: str | Path) -> None:
        self.url = database_url(db)
        self.engine = make_engine(db)

    # -- transactions -----------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite). A database that is locked past the
        busy timeout, read-only or unreachable raises :class:`StoreUnavailable`."""
        with _unavailable():
            with self.engine.connect().execution_options(linli_write=True) as conn:
                with conn.begin():
                    yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with _unavailable():
            with self.engine.connect() as conn:
                with conn.begin():
                    yield conn

    def migrate(self) -> list[int]:
        """Apply pending migrations in order; return the versions applied. Looks first with a read,
        so opening a page needs no write lock when the schema is current."""
        with self.read() as conn:
            if not migrations.pending(conn):
                return []
        applied = []
        with self.write() as conn:
            for m in migrations.pending(conn):
                m.apply(conn)
                migrations.record(conn, m)
                self._audit(conn, "system", "migrate", "schema", str(m.version), {"name": m.name})
                applied.append(m.version)
        return applied

    def schema_version(self) -> int:
        with self.read() as conn:
            return conn.execute(select(func.max(schema.schema_migrations.c.version))).scalar() or 0

    @staticmethod
    def _audit(conn: Connection, actor: str, action: str, entity: str, entity_id: str, detail: dict) -> None:
        conn.execute(
            schema.audit.insert().values(
                at=now_iso(),
                actor=actor,
                action=action,
                entity=entity,
                entity_id=str(entity_id),
                detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
            )
        )

    # -- reference lists --------------------------------------------------------------
    def sync_reference(self, rules: "ProposalRules", units: list[dict]) -> int:
        """Copy categories, channels (from a rule file) and geographic units into the store.

        ``units`` are dicts with id, level, name, name_en, parent_id, parents before children.
        Returns how many rows were added or changed (0 when already in step).
        """
        wanted = [
            (table, [{"id": c.id, "label_zh": c.label.zh, "label_en": c.label.en, "rules_ref": rules.ref} for c in choices], "reference")
            for table, choices in ((schema.categories, rules.categories), (schema.channels, rules.channels))
        ] + [(schema.units, units, "geography")]
        with self.read() as conn:  # usually in step already: then a page opens without the write lock
            if all(self._in_step(conn, table, rows) for table, rows, _what in wanted):
                return 0
        changed = 0
        with self.write() as conn:
            for table, rows, what in wanted:
                changed += self._upsert(conn, table, rows, what)
        return changed

    @staticmethod
    def _in_step(conn: Connection, table: Any, rows: list[dict]) -> bool:
        existing = {r["id"]: dict(r) for r in conn.execute(select(table)).mappings()}
        return all(existing.get(row["id"]) == row for row in rows)

    def _upsert(self, conn: Connection, table: Any, rows: list[dict], what: str) -> int:
        existing = {r["id"]: dict(r) for r in conn.execute(select(table)).mappings()}
        changed = 0
        for row in rows:
            old = existing.get(row["id"])
            if old == row:
                continue
            if old is None:
                conn.execute(table.insert().values(**row))
            else:
                conn.execute(table.update().where(table.c.id == row["id"]).values(**row))
            self._audit(conn, "system", f"sync_{what}", table.name, row["id"], row)
            changed += 1
        return changed

    # -- proposals ----------------------------------------------------------------------
    def add_proposal(
        self,
        proposal: "CheckedProposal",
        *,
        actor: str = "resident",
        receipt_code: str | None = None,
        created_at: str | None = None,
    ) -> Stored:
        """Store a checked proposal once. Submitting the same submission id again returns
        the first record (``created=False``) and writes nothing."""
        from toolkit.proposals import new_receipt_code

        d = proposal.draft
        for attempt in range(5):
            code = receipt_code or new_receipt_code()
            try:
                with self.write() as conn:
                    found = self._by_submission(conn, d.submission_id)
                    if found is not None:
                        return Stored(found["id"], found["receipt_code"], False)
                    row = {
                        "receipt_code": code,
                        "submission_id": d.submission_id,
                        "title": proposal.title,
                        "problem": proposal.problem,
                        "why": proposal.why,
                        "suggestion": proposal.suggestion,
                        "category": d.category,
                        "geom_type": proposal.geom_type,
                        "geometry": json.dumps(d.geometry, separators=(",", ":")) if d.geometry else None,
                        "lon": proposal.lon,
                        "lat": proposal.lat,
                        "compound_id": proposal.compound_id,
                        "compound_source": proposal.compound_source,
                        "channel": d.channel,
                        "cost_fen": proposal.cost_fen,
                        "cost_band": d.cost_band,
                        "contact": proposal.contact or None,
                        "lang": d.lang,
                        "rules_ref": proposal.rules_ref,
                        "created_at": created_at or now_iso(),
                    }
                    new_id = conn.execute(schema.proposals.insert().values(**row)).inserted_primary_key[0]
                    detail = {k: v for k, v in row.items() if k != "contact"}
                    self._audit(conn, actor, "create", "proposal", str(new_id), detail)
                    return Stored(new_id, code, True)
            except IntegrityError as exc:
                # Another writer (PostgreSQL) stored this submission first, or the random
                # receipt code was taken: look again, then retry with a fresh code.
                with self.read() as conn:
                    found = self._by_submission(conn, d.submission_id)
                if found is not None:
                    return Stored(found["id"], found["receipt_code"], False)
                if "receipt_code" not in str(exc.orig) or receipt_code is not None:
                    raise StoreError(f"the database refused the proposal: {exc.orig}", key="refused") from None
        raise StoreError("could not find a free receipt code after 5 tries", key="refused")

    @staticmethod
    def _by_submission(conn: Connection, submission_id: str) -> Any:
        p = schema.proposals
        return conn.execute(
            select(p.c.id, p.c.receipt_code).where(p.c.submission_id == submission_id)
        ).mappings().first()

    def proposal(self, proposal_id: int) -> dict | None:
        """Public fields of one proposal by id (no contact)."""
        with self.read() as conn:
            row = conn.execute(select(*self._public_columns()).where(schema.proposals.c.id == int(proposal_id))).mappings().first()
        return dict(row) if row else None

    def proposal_by_receipt(self, code: str) -> dict | None:
        """Public fields of one proposal by its receipt code (no contact)."""
        code = (code or "").strip().upper().replace(" ", "")
        if len(code) == 6:
            code = f"{code[:3]}-{code[3:]}"
        with self.read() as conn:
            row = conn.execute(select(*self._public_columns()).where(schema.proposals.c.receipt_code == code)).mappings().first()
        return dict(row) if row else None

    @staticmethod
    def _public_columns() -> list:
        p = schema.proposals
        return [c for c in p.c if c.name not in ("contact", "submission_id")]

    def proposals_frame(self, *, include_contact: bool = False) -> "pd.DataFrame":
        """All proposals with their compound, community and street names.

        Columns: id, receipt_code, title, problem, why, suggestion, category, geom_type,
        geometry (GeoJSON text), lon, lat, compound_id, compound_source, channel, cost_fen,
        cost_band, lang, rules_ref, created_at, compound_name, community_id, community_name,
        street_id, street_name [, contact].
        """
        import pandas as pd

        p = schema.proposals
        y, c, s = (schema.units.alias(n) for n in ("y", "c", "s"))
        cols = self._public_columns() + ([p.c.contact] if include_contact else [])
        query = (
            select(
                *cols,
                y.c.name.label("compound_name"),
                c.c.id.label("community_id"),
                c.c.name.label("community_name"),
                s.c.id.label("street_id"),
                s.c.name.label("street_name"),
            )
            .select_from(
                p.outerjoin(y, p.c.compound_id == y.c.id)
                .outerjoin(c, y.c.parent_id == c.c.id)
                .outerjoin(s, c.c.parent_id == s.c.id)
            )
            .order_by(p.c.id)
        )
        with self.read() as conn:
            result = conn.execute(query)
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        return frame.astype({"id": "int64", "cost_fen": "Int64", "lon": "float64", "lat": "float64"})

    def count_proposals(self) -> int:
        with self.read() as conn:
            return conn.execute(select(func.count()).select_from(schema.proposals)).scalar_one()

    def units_frame(self) -> "pd.DataFrame":
        import pandas as pd

        with self.read() as conn:
            result = conn.execute(select(schema.units).order_by(schema.units.c.id))
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    def audit_frame(self) -> "pd.DataFrame":
        import pandas as pd

        with self.read() as conn:
            result = conn.execute(select(schema.audit).order_by(schema.audit.c.id))
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    # -- change detection -----------------------------------------------------------
    def watcher(self) -> "Watcher":
        return Watcher(self)


class Watcher:
    """Cheap "did anything change?" for polling pages.

    SQLite: ``PRAGMA data_version`` on one long-lived connection (changes when any other
    connection commits). Other databases: the newest audit row id (every change writes one).
    The first call returns True so a page loads its data once.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        with _unavailable():  # a server at its connection limit: the page says "busy", never a raw error
            self._conn = store.engine.connect()
        self._last: Any = None

    def token(self) -> Any:
        if self._conn.dialect.name == "sqlite":
            value = self._conn.exec_driver_sql("PRAGMA data_version").scalar()
        else:
            value = self._conn.execute(select(func.max(schema.audit.c.id))).scalar()
        self._conn.rollback()  # never sit in an open snapshot between polls
        return value

    def changed(self) -> bool:
        token = self.token()
        if token != self._last:
            self._last = token
            return True
        return False

    def close(self) -> None:
        self._conn.close()


def open_store(db: str | Path | None = None, *, migrate: bool = True) -> Store:
    """Open the store named by ``db`` (URL or path) or by the LINLI_DB setting."""
    from toolkit.settings import load_settings

    store = Store(db if db is not None else load_settings().db)
    if migrate:
        store.migrate()
    return store
