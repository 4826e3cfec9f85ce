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


def guard(conn: Connection, name: str, table: str, event: str, condition: str, message: str, *, after: bool = False) -> None:
    """A database rule: refuse ``event`` (INSERT, UPDATE, DELETE) on ``table`` when ``condition``
    (SQL over NEW/OLD, valid in both dialects) holds, with ``message``. SQLite and PostgreSQL
    triggers; on PostgreSQL the error is a check_violation, i.e. an integrity error."""
    when = "AFTER" if after else "BEFORE"
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            f"CREATE TRIGGER {name} {when} {event} ON {table} WHEN {condition} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )
    elif conn.dialect.name == "postgresql":
        ret = "OLD" if event == "DELETE" else "NEW"
        conn.exec_driver_sql(
            f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
            f"IF {condition} THEN RAISE EXCEPTION '{message}' USING ERRCODE = 'check_violation'; END IF; "
            f"RETURN {ret}; END; $$ LANGUAGE plpgsql"
        )
        conn.exec_driver_sql(f"CREATE TRIGGER {name} {when} {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
    else:  # pragma: no cover - other databases are not supported
        raise NotImplementedError(f"database rules for {conn.dialect.name}")


def _audit_append_only(conn: Connection) -> None:
    """The audit log can be appended to, never changed."""
    guard(conn, "audit_no_update", "audit", "UPDATE", "(1 = 1)", "audit rows are append-only")
    guard(conn, "audit_no_delete", "audit", "DELETE", "(1 = 1)", "audit rows are append-only")


def _panels(conn: Connection) -> None:
    """Scoring panels. The database refuses a sheet for a locked panel and a value outside
    the panel's scale, whatever a page sent."""
    tables = [schema.panels, schema.panel_projects, schema.reviewers, schema.score_sheets, schema.score_values]
    schema.metadata.create_all(conn, tables=tables)
    guard(conn, "sheets_panel_open", "score_sheets", "INSERT",
          "((SELECT locked_at FROM panels WHERE id = NEW.panel_id) IS NOT NULL)", "panel is locked")
    scale = "(SELECT p.scale_{} FROM panels p JOIN score_sheets s ON s.panel_id = p.id WHERE s.id = NEW.sheet_id)"
    guard(conn, "values_in_scale", "score_values", "INSERT",
          f"(NEW.value < {scale.format('min')} OR NEW.value > {scale.format('max')})", "score value outside the rubric scale")


def _rounds(conn: Connection) -> None:
    """Budget rounds. The database re-checks what Python checks at submit: the round is open,
    a code is used once, a ballot names candidates of its round, stays within the budget
    (knapsack), the points (cumulative), the number of picks (approval, ranking)."""
    tables = [schema.rounds, schema.round_projects, schema.voter_codes, schema.ballots, schema.ballot_items, schema.paper_entries]
    schema.metadata.create_all(conn, tables=tables)
    guard(conn, "ballots_round_open", "ballots", "INSERT",
          "((SELECT status FROM rounds WHERE id = NEW.round_id) <> 'open')", "the round is not open")
    guard(conn, "codes_used_once", "voter_codes", "UPDATE",
          "(OLD.used_at IS NOT NULL AND NEW.used_at IS NOT NULL AND OLD.used_at <> NEW.used_at "
          "AND (SELECT change_policy FROM rounds WHERE id = OLD.round_id) = 'none')", "this code has already been used")
    guard(conn, "rounds_frozen", "rounds", "UPDATE",
          "(OLD.settings <> NEW.settings AND EXISTS (SELECT 1 FROM ballots b WHERE b.round_id = OLD.id))",
          "round settings are frozen once the first ballot has arrived")
    ballot_round = "(SELECT r.{} FROM rounds r JOIN ballots b ON b.round_id = r.id WHERE b.id = NEW.ballot_id)"
    items = "(SELECT {} FROM ballot_items i WHERE i.ballot_id = NEW.ballot_id)"
    guard(conn, "ballot_items_budget", "ballot_items", "INSERT",
          f"({ballot_round.format('ballot_type')} = 'knapsack' AND "
          f"(SELECT sum(p.cost_fen) FROM ballot_items i JOIN ballots b ON b.id = i.ballot_id "
          f"JOIN round_projects p ON p.round_id = b.round_id AND p.project_id = i.project_id WHERE i.ballot_id = NEW.ballot_id) "
          f"> {ballot_round.format('budget_fen')})", "the ballot is over the budget", after=True)
    guard(conn, "ballot_items_points", "ballot_items", "INSERT",
          f"({ballot_round.format('ballot_type')} = 'cumulative' AND "
          f"({items.format('sum(value)')} > {ballot_round.format('points_total')} "
          f"OR NEW.value > {ballot_round.format('points_cap')} OR NEW.value < 1))", "the ballot gives too many points", after=True)
    guard(conn, "ballot_items_picks", "ballot_items", "INSERT",
          f"({items.format('count(*)')} > {ballot_round.format('max_picks')})", "the ballot picks too many projects", after=True)


def _plans(conn: Connection) -> None:
    """Open budget plans: versions and comments; a frozen (final) plan refuses both."""
    schema.metadata.create_all(conn, tables=[schema.plans, schema.plan_versions, schema.plan_comments])
    frozen = "((SELECT frozen_at FROM plans WHERE id = NEW.plan_id) IS NOT NULL)"
    guard(conn, "plan_versions_open", "plan_versions", "INSERT", frozen, "the plan is final")
    guard(conn, "plan_comments_open", "plan_comments", "INSERT", frozen, "the plan is final")
    guard(conn, "plan_versions_fixed", "plan_versions", "UPDATE", "(1 = 1)", "plan versions are kept as proposed")


def _feedback(conn: Connection) -> None:
    """Closing the loop (1): a feedback message per proposal and event, its text fixed once
    written and delivered once; each closed round's outcome per project."""
    schema.metadata.create_all(conn, tables=[schema.feedback_messages, schema.round_outcomes])
    guard(conn, "feedback_text_fixed", "feedback_messages", "UPDATE",
          "(OLD.message_zh <> NEW.message_zh OR OLD.message_en <> NEW.message_en OR OLD.proposal_id <> NEW.proposal_id)",
          "a feedback message is kept as written")
    guard(conn, "feedback_delivered_once", "feedback_messages", "UPDATE",
          "(OLD.delivered_at IS NOT NULL AND (NEW.delivered_at IS NULL OR NEW.delivered_at <> OLD.delivered_at))",
          "this message was already marked delivered")
    guard(conn, "round_outcomes_closed", "round_outcomes", "INSERT",
          "((SELECT status FROM rounds WHERE id = NEW.round_id) <> 'closed')", "the round is not closed")


STATE_RANK = "(CASE {}.state WHEN 'funded' THEN 0 WHEN 'in_progress' THEN 1 WHEN 'accepted' THEN 2 ELSE 3 END)"


def _projects(conn: Connection) -> None:
    """Closing the loop (2): funded projects followed to acceptance and maintenance. A project
    row only for a funded outcome of a closed round; states only move forward; money spent
    never above the budget; no milestone after acceptance; satisfaction rated only after acceptance."""
    tables = [schema.projects, schema.milestones, schema.project_files, schema.project_reviews, schema.maintenance_checks, schema.satisfaction]
    schema.metadata.create_all(conn, tables=tables)
    guard(conn, "satisfaction_after_acceptance", "satisfaction", "INSERT",
          "(NOT EXISTS (SELECT 1 FROM projects j WHERE j.proposal_id = NEW.proposal_id AND j.state IN ('accepted', 'maintenance')))",
          "satisfaction is rated only after acceptance")
    guard(conn, "projects_funded_only", "projects", "INSERT",
          "(NOT EXISTS (SELECT 1 FROM round_outcomes o WHERE o.round_id = NEW.round_id AND o.project_id = NEW.project_id AND o.funded = 1))",
          "only a funded project of a closed round is followed")
    guard(conn, "projects_forward", "projects", "UPDATE",
          f"({STATE_RANK.format('NEW')} < {STATE_RANK.format('OLD')})", "a project state cannot go back")
    guard(conn, "projects_within_budget", "projects", "UPDATE",
          "(NEW.spent_fen > NEW.budget_fen)", "money spent cannot exceed the budget")
    guard(conn, "milestones_before_acceptance", "milestones", "INSERT",
          "((SELECT state FROM projects WHERE id = NEW.project_id) IN ('accepted', 'maintenance'))",
          "the project is already accepted")


def _notices(conn: Connection) -> None:
    """Closing the loop (3): public notices never change after publication (a correction is a
    new notice); objections only during the notice period, answered once."""
    schema.metadata.create_all(conn, tables=[schema.notices, schema.objections])
    guard(conn, "notices_fixed", "notices", "UPDATE", "(1 = 1)", "a published notice cannot be edited; publish a correction")
    guard(conn, "notices_kept", "notices", "DELETE", "(1 = 1)", "a published notice cannot be deleted")
    guard(conn, "objections_in_period", "objections", "INSERT",
          "((SELECT ends_on FROM notices WHERE id = NEW.notice_id) < substr(NEW.raised_at, 1, 10))",
          "the notice period is over")
    guard(conn, "objections_answered_once", "objections", "UPDATE",
          "(OLD.text <> NEW.text OR OLD.answer IS NOT NULL)", "an objection is kept as raised and answered once")
def _geodata_versions(conn: Connection) -> None:
    from toolkit.store.geodata import create_tables

    create_tables(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "proposals, reference lists, audit log", _initial),
    Migration(2, "audit log is append-only", _audit_append_only),
    Migration(3, "scoring panels, reviewers, score sheets", _panels),
    Migration(4, "screening decisions with triage tickets", lambda conn: schema.screening_decisions.create(conn)),
    Migration(5, "budget rounds, voter codes, ballots, paper entries", _rounds),
    Migration(6, "open budget plans, versions, comments", _plans),
    Migration(7, "paper entries only while the round is open", lambda conn: guard(
        conn, "paper_round_open", "paper_entries", "INSERT",
        "((SELECT status FROM rounds WHERE id = NEW.round_id) <> 'open')", "the round is not open")),
    Migration(20, "feedback messages, round outcomes", _feedback),
    Migration(21, "funded projects, milestones, files, reviews, maintenance, satisfaction", _projects),
    Migration(22, "public notices and objections", _notices),
    Migration(50, "versioned reference layers, geodata drafts, placements of records per version", _geodata_versions),
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
