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


def drop_guard(conn: Connection, name: str, table: str) -> None:
    """Remove a rule made by :func:`guard` (to replace it with a stricter one)."""
    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if conn.dialect.name == "postgresql" else ""))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")


def _add_column(conn: Connection, table: str, column: str, ddl: str) -> None:
    """ALTER TABLE ... ADD COLUMN unless a fresh database already has it from schema.py."""
    if column not in {c["name"] for c in inspect(conn).get_columns(table)}:
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")


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
def _round_desk_rules(conn: Connection) -> None:
    """A candidate dearer than the whole fund is refused, and so is a fund cut below a candidate's
    cost; voting cannot open before any voting code was issued."""
    guard(conn, "round_projects_affordable", "round_projects", "INSERT",
          "(NEW.cost_fen > (SELECT budget_fen FROM rounds WHERE id = NEW.round_id))",
          "a candidate project costs more than the whole fund")
    guard(conn, "rounds_budget_covers_projects", "rounds", "UPDATE",
          "(NEW.budget_fen < (SELECT max(cost_fen) FROM round_projects WHERE round_id = NEW.id))",
          "a candidate project costs more than the whole fund")
    guard(conn, "rounds_open_with_codes", "rounds", "UPDATE",
          "(NEW.status = 'open' AND OLD.status = 'draft' AND NOT EXISTS (SELECT 1 FROM voter_codes c WHERE c.round_id = NEW.id))",
          "no voting codes have been issued for this round")


def _round_min_support(conn: Connection) -> None:
    """The minimum support (votes a project needs to be funded) kept in a round's settings is a
    whole number, 0 or more."""
    if conn.dialect.name == "sqlite":
        value = "json_extract(NEW.settings, '$.full.min_support')"
        bad = (f"(json_type(NEW.settings, '$.full.min_support') IS NOT NULL AND "
               f"(json_type(NEW.settings, '$.full.min_support') <> 'integer' OR {value} < 0))")
    else:
        node = "(NEW.settings::jsonb #> '{full,min_support}')"
        bad = (f"({node} IS NOT NULL AND (jsonb_typeof({node}) <> 'number' "
               f"OR ({node})::numeric < 0 OR ({node})::numeric <> trunc(({node})::numeric)))")
    for event, name in (("INSERT", "rounds_min_support_insert"), ("UPDATE", "rounds_min_support_update")):
        guard(conn, name, "rounds", event, bad, "the minimum support is a whole number of votes, 0 or more")


def _ballot_rules(conn: Connection) -> None:
    """Every ballot rule in the database (issue 11, finding 4). A ballot is inserted unsealed, its
    items follow, then it is sealed; the seal checks the whole ballot (empty, too few picks, the
    knapsack minimum, a ranking numbered 1..n). Items name the round's projects, with value 1
    on approval/knapsack ballots; a sealed ballot and its items never change; a round cannot
    close while a ballot of it is unsealed. Old ballots were checked when cast and are sealed."""
    _add_column(conn, "rounds", "allow_blank", "INTEGER NOT NULL DEFAULT 0")
    _add_column(conn, "ballots", "sealed", "INTEGER NOT NULL DEFAULT 0")
    conn.exec_driver_sql("UPDATE ballots SET sealed = 1")
    ballot_round = "(SELECT r.{} FROM rounds r JOIN ballots b ON b.round_id = r.id WHERE b.id = NEW.ballot_id)"
    guard(conn, "ballot_items_known_project", "ballot_items", "INSERT",
          "(NOT EXISTS (SELECT 1 FROM round_projects p JOIN ballots b ON b.round_id = p.round_id "
          "WHERE b.id = NEW.ballot_id AND p.project_id = NEW.project_id))", "the ballot names a project that is not in this round")
    guard(conn, "ballot_items_pick_value", "ballot_items", "INSERT",
          f"({ballot_round.format('ballot_type')} IN ('approval', 'knapsack') AND NEW.value <> 1)", "a pick on this ballot counts once")
    guard(conn, "ballot_items_rank_value", "ballot_items", "INSERT",
          f"({ballot_round.format('ballot_type')} = 'ranking' AND NEW.value > {ballot_round.format('max_picks')})",
          "the ranking is longer than the round allows")
    guard(conn, "ballot_items_sealed", "ballot_items", "INSERT",
          "((SELECT sealed FROM ballots WHERE id = NEW.ballot_id) <> 0)", "a cast ballot cannot be changed")
    guard(conn, "ballot_items_no_update", "ballot_items", "UPDATE", "(1 = 1)", "a cast ballot cannot be changed")
    guard(conn, "ballot_items_no_delete", "ballot_items", "DELETE", "(1 = 1)", "a cast ballot cannot be changed")
    guard(conn, "ballots_no_delete", "ballots", "DELETE", "(1 = 1)", "a cast ballot cannot be removed")
    guard(conn, "ballots_insert_unsealed", "ballots", "INSERT", "(NEW.sealed <> 0)", "a ballot is sealed only after its items")
    guard(conn, "ballots_no_unseal", "ballots", "UPDATE", "(OLD.sealed <> 0 AND NEW.sealed = 0)", "a cast ballot cannot be changed")
    n = "(SELECT count(*) FROM ballot_items i WHERE i.ballot_id = NEW.id)"
    rnd = "(SELECT r.{} FROM rounds r WHERE r.id = NEW.round_id)"
    seal = "(OLD.sealed = 0 AND NEW.sealed <> 0 AND {})"
    guard(conn, "ballots_seal_blank", "ballots", "UPDATE",
          seal.format(f"{n} = 0 AND {rnd.format('allow_blank')} = 0"), "the ballot is empty")
    guard(conn, "ballots_seal_min_picks", "ballots", "UPDATE",
          seal.format(f"{n} > 0 AND {n} < {rnd.format('min_picks')}"), "the ballot picks too few projects")
    guard(conn, "ballots_seal_min_spend", "ballots", "UPDATE",
          seal.format(f"{rnd.format('ballot_type')} = 'knapsack' AND {n} > 0 AND "
                      "(SELECT coalesce(sum(p.cost_fen), 0) FROM ballot_items i JOIN round_projects p "
                      "ON p.round_id = NEW.round_id AND p.project_id = i.project_id WHERE i.ballot_id = NEW.id) "
                      f"< {rnd.format('min_spend_fen')}"), "the ballot spends less than the minimum")
    guard(conn, "ballots_seal_ranking", "ballots", "UPDATE",
          seal.format(f"{rnd.format('ballot_type')} = 'ranking' AND {n} > 0 AND "
                      f"((SELECT max(i.value) FROM ballot_items i WHERE i.ballot_id = NEW.id) <> {n} OR "
                      f"(SELECT count(DISTINCT i.value) FROM ballot_items i WHERE i.ballot_id = NEW.id) <> {n})"),
          "a ranking numbers its projects 1, 2, 3 ... without gaps or ties")
    guard(conn, "rounds_close_sealed", "rounds", "UPDATE",
          "(NEW.status = 'closed' AND EXISTS (SELECT 1 FROM ballots b WHERE b.round_id = NEW.id AND b.sealed = 0))",
          "a ballot of this round is incomplete")
    guard(conn, "rounds_blank_frozen", "rounds", "UPDATE",
          "(OLD.allow_blank <> NEW.allow_blank AND EXISTS (SELECT 1 FROM ballots b WHERE b.round_id = OLD.id))",
          "round settings are frozen once the first ballot has arrived")


def _voter_codes(conn: Connection) -> None:
    """One code per household (findings 2 and 3): codes can be voided, a voided code never votes,
    a used code is never reused or voided, a household round gives every code a household and
    each household one live code (unique partial index). Existing duplicates: every live code of
    a household after its first (used ones first) is voided, so the upgrade always applies."""
    _add_column(conn, "voter_codes", "voided_at", "VARCHAR(40)")
    rows = conn.exec_driver_sql(
        "SELECT code_hash, round_id, household, used_at FROM voter_codes WHERE household IS NOT NULL AND voided_at IS NULL "
        "ORDER BY round_id, household, (CASE WHEN used_at IS NULL THEN 1 ELSE 0 END), code_hash").all()
    seen: set[tuple] = set()
    stamp = datetime.now(timezone.utc).date().isoformat()
    for code_hash, round_id, household, _used in rows:
        if (round_id, household) in seen:
            conn.exec_driver_sql("UPDATE voter_codes SET voided_at = '%s' WHERE code_hash = '%s'" % (stamp, code_hash.replace("'", "''")))
        seen.add((round_id, household))
    conn.exec_driver_sql("CREATE UNIQUE INDEX uq_voter_codes_household ON voter_codes (round_id, household) "
                         "WHERE household IS NOT NULL AND voided_at IS NULL")
    drop_guard(conn, "codes_used_once", "voter_codes")
    policy = "(SELECT change_policy FROM rounds WHERE id = OLD.round_id)"
    guard(conn, "codes_used_once", "voter_codes", "UPDATE",
          f"(OLD.used_at IS NOT NULL AND {policy} = 'none')", "this code has already been used")
    guard(conn, "codes_void_unused", "voter_codes", "UPDATE",
          "(OLD.voided_at IS NULL AND NEW.voided_at IS NOT NULL AND OLD.used_at IS NOT NULL)", "a used code cannot be voided")
    guard(conn, "codes_voided_final", "voter_codes", "UPDATE",
          "(OLD.voided_at IS NOT NULL AND (NEW.voided_at IS NULL OR (OLD.used_at IS NULL AND NEW.used_at IS NOT NULL)))",
          "this code has been voided")
    guard(conn, "codes_household_given", "voter_codes", "INSERT",
          "((SELECT voter_unit FROM rounds WHERE id = NEW.round_id) = 'household' AND "
          "(NEW.household IS NULL OR trim(NEW.household) = ''))", "a household round needs a household for every code")


def _closing_locks(conn: Connection) -> None:
    """Closing is atomic (finding 1). SQLite serialises writers (BEGIN IMMEDIATE); on PostgreSQL
    a ballot or paper entry reads its round's status with FOR SHARE, so it waits for a close in
    progress (which holds the round FOR UPDATE) and then sees 'closed'."""
    if conn.dialect.name != "postgresql":
        return
    for name, table in (("ballots_round_open", "ballots"), ("paper_round_open", "paper_entries")):
        conn.exec_driver_sql(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
            "IF (SELECT status FROM rounds WHERE id = NEW.round_id FOR SHARE) IS DISTINCT FROM 'open' THEN "
            "RAISE EXCEPTION 'the round is not open' USING ERRCODE = 'check_violation'; END IF; "
            "RETURN NEW; END; $$ LANGUAGE plpgsql")


def _no_control_characters(conn: Connection) -> None:
    """Single-line proposal fields hold no control characters (finding 9)."""
    if conn.dialect.name == "postgresql":
        bad = "(NEW.{0} ~ '[\x01-\x1f\x7f]')"
    else:
        bad = "(NEW.{0} GLOB '*[' || char(1) || '-' || char(31) || char(127) || ']*')"
    for event in ("INSERT", "UPDATE"):
        guard(conn, f"proposals_title_line_{event.lower()}", "proposals", event, bad.format("title"),
              "the title must be one line without control characters")

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
    Migration(8, "round candidates within the fund; voting opens only with codes issued", _round_desk_rules),
    Migration(9, "a round's minimum support is a whole number, 0 or more", _round_min_support),
    Migration(10, "ballot rules in the database: known projects, sealed ballots, no empty ballots", _ballot_rules),
    Migration(11, "voter codes: voiding, one live code per household", _voter_codes),
    Migration(12, "closing a round is atomic: ballots and paper entries wait for a close", _closing_locks),
    Migration(13, "proposal titles without control characters", _no_control_characters),
    Migration(20, "feedback messages, round outcomes", _feedback),
    Migration(21, "funded projects, milestones, files, reviews, maintenance, satisfaction", _projects),
    Migration(22, "public notices and objections", _notices),
    Migration(50, "versioned reference layers, geodata drafts, placements of records per version", _geodata_versions),
    Migration(60, "screening corrections (undo of a decision, append-only)", lambda conn: _screening_corrections(conn)),
)


def _screening_corrections(conn: Connection) -> None:
    from toolkit.store import screening_corrections

    screening_corrections.create(conn)


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
