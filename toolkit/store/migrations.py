"""Ordered schema migrations. Each has a version number, a name and a function that gets a
connection inside the migration's transaction. Append new ones; never edit an applied one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Connection, inspect

from toolkit.store import schema


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    tables = [schema.categories, schema.channels, schema.units, schema.proposals, schema.audit]
    schema.metadata.create_all(conn, tables=tables)


def _audit_append_only(conn: Connection) -> None:
    """The audit log can be appended to, never changed. Dialect-specific triggers live here."""
    if conn.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER audit_no_{op.lower()} BEFORE {op} ON audit "
                "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END"
            )
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE FUNCTION audit_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit rows are append-only' USING ERRCODE = 'check_violation'; END; $$ LANGUAGE plpgsql"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )


def _panels(conn: Connection) -> None:
    """Scoring panels. The database refuses a sheet for a locked panel and a value outside
    the panel's scale, whatever a page sent."""
    tables = [schema.panels, schema.panel_projects, schema.reviewers, schema.score_sheets, schema.score_values]
    schema.metadata.create_all(conn, tables=tables)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE TRIGGER sheets_panel_open BEFORE INSERT ON score_sheets "
            "WHEN (SELECT locked_at FROM panels WHERE id = NEW.panel_id) IS NOT NULL "
            "BEGIN SELECT RAISE(ABORT, 'panel is locked'); END"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER values_in_scale BEFORE INSERT ON score_values "
            "WHEN NEW.value < (SELECT p.scale_min FROM panels p JOIN score_sheets s ON s.panel_id = p.id WHERE s.id = NEW.sheet_id) "
            "OR NEW.value > (SELECT p.scale_max FROM panels p JOIN score_sheets s ON s.panel_id = p.id WHERE s.id = NEW.sheet_id) "
            "BEGIN SELECT RAISE(ABORT, 'score value outside the rubric scale'); END"
        )
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE FUNCTION sheets_panel_open() RETURNS trigger AS $$ BEGIN "
            "IF (SELECT locked_at FROM panels WHERE id = NEW.panel_id) IS NOT NULL THEN "
            "RAISE EXCEPTION 'panel is locked' USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER sheets_panel_open BEFORE INSERT ON score_sheets FOR EACH ROW EXECUTE FUNCTION sheets_panel_open()"
        )
        conn.exec_driver_sql(
            "CREATE FUNCTION values_in_scale() RETURNS trigger AS $$ BEGIN "
            "IF EXISTS (SELECT 1 FROM panels p JOIN score_sheets s ON s.panel_id = p.id WHERE s.id = NEW.sheet_id "
            "AND (NEW.value < p.scale_min OR NEW.value > p.scale_max)) THEN "
            "RAISE EXCEPTION 'score value outside the rubric scale' USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER values_in_scale BEFORE INSERT ON score_values FOR EACH ROW EXECUTE FUNCTION values_in_scale()"
        )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "proposals, reference lists, audit log", _initial),
    Migration(2, "audit log is append-only", _audit_append_only),
    Migration(3, "scoring panels, reviewers, score sheets", _panels),
    Migration(4, "screening decisions with triage tickets", lambda conn: schema.screening_decisions.create(conn)),
)


def pending(conn: Connection) -> list[Migration]:
    if not inspect(conn).has_table("schema_migrations"):
        schema.schema_migrations.create(conn)
        done: set[int] = set()
    else:
        done = {row[0] for row in conn.execute(schema.schema_migrations.select().with_only_columns(schema.schema_migrations.c.version))}
    return [m for m in MIGRATIONS if m.version not in done]


def record(conn: Connection, migration: Migration) -> None:
    conn.execute(
        schema.schema_migrations.insert().values(
            version=migration.version,
            name=migration.name,
            applied_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
    )
