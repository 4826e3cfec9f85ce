"""Table definitions (SQLAlchemy Core). The schema is built by the ordered migrations in
:mod:`toolkit.store.migrations`; these objects are what queries are written against."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    ForeignKeyConstraint,
)

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", String(40), nullable=False),
)

# Reference lists copied from versioned rule files and geodata, so the database itself can
# refuse a forged category, channel or compound (a browser can send anything).
categories = Table(
    "categories",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("label_zh", Text, nullable=False),
    Column("label_en", Text, nullable=False),
    Column("rules_ref", String(120), nullable=False),
)

channels = Table(
    "channels",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("label_zh", Text, nullable=False),
    Column("label_en", Text, nullable=False),
    Column("rules_ref", String(120), nullable=False),
)

units = Table(
    "units",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("level", String(20), nullable=False),
    Column("name", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("parent_id", String(64), ForeignKey("units.id"), nullable=True),
    CheckConstraint("level IN ('street', 'community', 'compound')", name="ck_units_level"),
)

proposals = Table(
    "proposals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("receipt_code", String(16), nullable=False, unique=True),
    Column("submission_id", String(64), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("problem", Text, nullable=False),
    Column("why", Text, nullable=False),
    Column("suggestion", Text, nullable=False),
    Column("category", String(64), ForeignKey("categories.id"), nullable=False),
    Column("geom_type", String(16), nullable=True),
    Column("geometry", Text, nullable=True),  # GeoJSON geometry, WGS-84 (EPSG:4326)
    Column("lon", Float, nullable=True),  # representative point of the geometry
    Column("lat", Float, nullable=True),
    Column("compound_id", String(64), ForeignKey("units.id"), nullable=True),
    Column("compound_source", String(16), nullable=True),
    Column("channel", String(64), ForeignKey("channels.id"), nullable=False),
    Column("cost_fen", BigInteger, nullable=True),
    Column("cost_band", String(32), nullable=True),
    Column("contact", Text, nullable=True),  # private: never shown on shared screens
    Column("lang", String(8), nullable=False),
    Column("rules_ref", String(120), nullable=False),
    Column("created_at", String(40), nullable=False),
    CheckConstraint("length(title) BETWEEN 2 AND 80", name="ck_proposals_title"),
    CheckConstraint("length(problem) BETWEEN 2 AND 2000", name="ck_proposals_problem"),
    CheckConstraint("length(why) <= 2000", name="ck_proposals_why"),
    CheckConstraint("length(suggestion) BETWEEN 2 AND 2000", name="ck_proposals_suggestion"),
    CheckConstraint("cost_fen IS NULL OR cost_fen >= 0", name="ck_proposals_cost"),
    CheckConstraint(
        "geom_type IS NULL OR geom_type IN ('Point', 'LineString', 'Polygon')", name="ck_proposals_geom_type"
    ),
    CheckConstraint("(geometry IS NULL) = (geom_type IS NULL)", name="ck_proposals_geometry_pair"),
    CheckConstraint(
        "compound_source IS NULL OR compound_source IN ('map', 'manual')", name="ck_proposals_compound_source"
    ),
    CheckConstraint("geometry IS NOT NULL OR compound_id IS NOT NULL", name="ck_proposals_located"),
    CheckConstraint("lang IN ('zh', 'en')", name="ck_proposals_lang"),
)
Index("ix_proposals_compound", proposals.c.compound_id)
Index("ix_proposals_category", proposals.c.category)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("detail", Text, nullable=False),  # JSON
)


# -- scoring panels (three-tier rubric scoring) -------------------------------------------
panels = Table(
    "panels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("rubric", Text, nullable=False),  # rubric file name or path, as given
    Column("rubric_ref", String(120), nullable=False),
    Column("scale_min", Float, nullable=False),
    Column("scale_max", Float, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("locked_at", String(40), nullable=True),
    CheckConstraint("scale_min < scale_max", name="ck_panels_scale"),
)

panel_projects = Table(
    "panel_projects",
    metadata,
    Column("panel_id", Integer, ForeignKey("panels.id"), primary_key=True),
    Column("project_id", String(64), primary_key=True),
    Column("title", Text, nullable=False),
)

reviewers = Table(
    "reviewers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("panel_id", Integer, ForeignKey("panels.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("tier", String(20), nullable=False),
    Column("code_hash", String(64), nullable=False, unique=True),
    CheckConstraint("tier IN ('community', 'street', 'district')", name="ck_reviewers_tier"),
)

score_sheets = Table(
    "score_sheets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("panel_id", Integer, ForeignKey("panels.id"), nullable=False),
    Column("reviewer_id", Integer, ForeignKey("reviewers.id"), nullable=False),
    Column("project_id", String(64), nullable=False),
    Column("conflict", Integer, nullable=False),
    Column("submission_id", String(64), nullable=False, unique=True),
    Column("submitted_at", String(40), nullable=False),
    UniqueConstraint("reviewer_id", "project_id", name="uq_sheet_per_reviewer_project"),
    ForeignKeyConstraint(["panel_id", "project_id"], ["panel_projects.panel_id", "panel_projects.project_id"]),
    CheckConstraint("conflict IN (0, 1)", name="ck_sheets_conflict"),
)

score_values = Table(
    "score_values",
    metadata,
    Column("sheet_id", Integer, ForeignKey("score_sheets.id"), primary_key=True),
    Column("criterion", String(64), primary_key=True),
    Column("value", Float, nullable=False),
)


# -- screening (七议五不议) and triage --------------------------------------------------------
screening_decisions = Table(
    "screening_decisions",
    metadata,
    Column("proposal_id", Integer, ForeignKey("proposals.id"), primary_key=True),
    Column("outcome", String(16), nullable=False),
    Column("code", String(64), nullable=False),
    Column("message_zh", Text, nullable=False),
    Column("message_en", Text, nullable=False),
    Column("redirect_kind", String(16), nullable=True),
    Column("redirect_to_zh", Text, nullable=True),
    Column("redirect_to_en", Text, nullable=True),
    Column("track", String(64), nullable=False),
    Column("received", String(10), nullable=False),
    Column("response_due", String(10), nullable=False),
    Column("resolution_due", String(10), nullable=False),
    Column("rules_ref", String(120), nullable=False),
    Column("triage_ref", String(120), nullable=False),
    Column("note", Text, nullable=False),
    Column("decided_at", String(40), nullable=False),
    Column("decided_by", String(120), nullable=False),
    CheckConstraint("outcome IN ('deliberated', 'excluded')", name="ck_screening_outcome"),
    # An excluded proposal is redirected, never dropped.
    CheckConstraint("(outcome = 'excluded') = (redirect_kind IS NOT NULL)", name="ck_screening_redirect"),
    CheckConstraint("redirect_kind IS NULL OR redirect_kind IN ('referral', 'quick_fix')", name="ck_screening_redirect_kind"),
    CheckConstraint("received <= response_due AND response_due <= resolution_due", name="ck_screening_dates"),
)


# -- budget rounds -----------------------------------------------------------------------------
rounds = Table(
    "rounds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("fund", Text, nullable=False),
    Column("budget_fen", BigInteger, nullable=False),
    Column("ballot_type", String(16), nullable=False),
    Column("min_picks", Integer, nullable=False),
    Column("max_picks", Integer, nullable=False),
    Column("min_spend_fen", BigInteger, nullable=False),
    Column("points_total", Integer, nullable=False),
    Column("points_cap", Integer, nullable=False),
    Column("rule", String(64), nullable=False),
    Column("voter_unit", String(16), nullable=False),
    Column("change_policy", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("settings", Text, nullable=False),  # every setting as JSON: what the round was run with
    Column("created_at", String(40), nullable=False),
    Column("opened_at", String(40), nullable=True),
    Column("closed_at", String(40), nullable=True),
    Column("allow_blank", Integer, nullable=False, server_default="0"),  # migration 10: 1 = empty ballots count
    CheckConstraint("budget_fen > 0", name="ck_rounds_budget"),
    CheckConstraint("ballot_type IN ('approval', 'knapsack', 'cumulative', 'ranking')", name="ck_rounds_ballot_type"),
    CheckConstraint("0 <= min_picks AND min_picks <= max_picks", name="ck_rounds_picks"),
    CheckConstraint("min_spend_fen >= 0 AND min_spend_fen <= budget_fen", name="ck_rounds_min_spend"),
    CheckConstraint("points_total >= 0 AND points_cap >= 0", name="ck_rounds_points"),
    CheckConstraint("voter_unit IN ('code', 'household')", name="ck_rounds_voter_unit"),
    CheckConstraint("change_policy IN ('none', 'replace')", name="ck_rounds_change_policy"),
    CheckConstraint("status IN ('draft', 'open', 'closed')", name="ck_rounds_status"),
)

round_projects = Table(
    "round_projects",
    metadata,
    Column("round_id", Integer, ForeignKey("rounds.id"), primary_key=True),
    Column("project_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("cost_fen", BigInteger, nullable=False),
    Column("description", Text, nullable=False),
    Column("proposal_id", Integer, ForeignKey("proposals.id"), nullable=True),
    Column("lon", Float, nullable=True),
    Column("lat", Float, nullable=True),
    Column("photo", Text, nullable=True),
    CheckConstraint("cost_fen > 0", name="ck_round_projects_cost"),
)

voter_codes = Table(
    "voter_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("round_id", Integer, ForeignKey("rounds.id"), nullable=False),
    Column("household", Text, nullable=True),
    Column("used_at", String(40), nullable=True),
    Column("ballot_id", Integer, nullable=True),  # only for change_policy 'replace'; never shown on a page
    Column("voided_at", String(40), nullable=True),  # migration 11: a voided code never votes
)

ballots = Table(
    "ballots",
    metadata,
    # Random ids (migration 10 on): a ballot's id says nothing about when it arrived.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("round_id", Integer, ForeignKey("rounds.id"), nullable=False),
    Column("submission_id", String(64), nullable=False, unique=True),
    Column("receipt", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("assisted_by", Text, nullable=True),
    Column("superseded", Integer, nullable=False, default=0),
    Column("created_at", String(40), nullable=False),  # the day only (migration 10 on)
    Column("sealed", Integer, nullable=False, server_default="0"),  # migration 10: items complete and checked
    CheckConstraint("channel IN ('tablet', 'paper', 'assisted')", name="ck_ballots_channel"),
    CheckConstraint("(channel = 'assisted') = (assisted_by IS NOT NULL)", name="ck_ballots_assisted"),
    CheckConstraint("superseded IN (0, 1)", name="ck_ballots_superseded"),
)

ballot_items = Table(
    "ballot_items",
    metadata,
    Column("ballot_id", Integer, ForeignKey("ballots.id"), primary_key=True, autoincrement=False),
    Column("project_id", String(64), primary_key=True),
    Column("value", Integer, nullable=False),  # 1 (approval/knapsack), points, or rank position (1 = first)
    CheckConstraint("value >= 1", name="ck_ballot_items_value"),
)

paper_entries = Table(
    "paper_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", Integer, ForeignKey("rounds.id"), nullable=False),
    Column("serial", String(32), nullable=False),
    Column("operator", String(120), nullable=False),
    Column("role", String(16), nullable=False),  # first, second, resolver
    Column("content", Text, nullable=False),  # JSON {project_id: value}
    Column("assisted_by", Text, nullable=True),
    Column("created_at", String(40), nullable=False),
    UniqueConstraint("round_id", "serial", "role", name="uq_paper_entry_role"),
    CheckConstraint("role IN ('first', 'second', 'resolver')", name="ck_paper_role"),
)


# -- multi-round open budget plans (开放式预算编制) -------------------------------------------------
plans = Table(
    "plans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("rounds", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("frozen_at", String(40), nullable=True),
    CheckConstraint("rounds BETWEEN 1 AND 50", name="ck_plans_rounds"),
)

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("plan_id", Integer, ForeignKey("plans.id"), primary_key=True),
    Column("round_no", Integer, primary_key=True),
    Column("lines", Text, nullable=False),  # JSON [{id, label: [zh, en], amount_fen, kind, fund}]
    Column("reserve_share", String(32), nullable=False),  # exact fraction "1/10"
    Column("carry_over_fen", BigInteger, nullable=False),
    Column("note", Text, nullable=False),
    Column("vote_round_id", Integer, ForeignKey("rounds.id"), nullable=True),  # optional vote in this round
    Column("created_at", String(40), nullable=False),
    CheckConstraint("round_no >= 1", name="ck_plan_versions_round"),
    CheckConstraint("carry_over_fen >= 0", name="ck_plan_versions_carry"),
)

plan_comments = Table(
    "plan_comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", Integer, ForeignKey("plans.id"), nullable=False),
    Column("round_no", Integer, nullable=False),
    Column("line_id", String(64), nullable=False),
    Column("author", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)


# -- closing the loop: feedback, funded projects, public notices (issue 12) ------------------
feedback_messages = Table(
    "feedback_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("proposal_id", Integer, ForeignKey("proposals.id"), nullable=False),
    Column("event", String(64), nullable=False),  # e.g. screened, round_closed, milestone:3, accepted
    Column("message_zh", Text, nullable=False),
    Column("message_en", Text, nullable=False),
    Column("rules_ref", String(120), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("delivered_at", String(40), nullable=True),
    Column("delivered_by", Text, nullable=True),
    Column("channel", String(16), nullable=True),
    UniqueConstraint("proposal_id", "event", name="uq_feedback_event"),
    CheckConstraint("(delivered_at IS NULL) = (delivered_by IS NULL)", name="ck_feedback_delivered"),
    CheckConstraint("channel IS NULL OR channel IN ('slip', 'wechat', 'in_person', 'phone')", name="ck_feedback_channel"),
)

round_outcomes = Table(
    "round_outcomes",
    metadata,
    Column("round_id", Integer, ForeignKey("rounds.id"), primary_key=True),
    Column("project_id", String(64), primary_key=True),
    Column("proposal_id", Integer, ForeignKey("proposals.id"), nullable=True),
    Column("funded", Integer, nullable=False),
    Column("votes", Integer, nullable=False),
    Column("explanation_zh", Text, nullable=False),
    Column("explanation_en", Text, nullable=False),
    Column("recorded_at", String(40), nullable=False),
    CheckConstraint("funded IN (0, 1)", name="ck_round_outcomes_funded"),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", Integer, ForeignKey("rounds.id"), nullable=False),
    Column("project_id", String(64), nullable=False),
    Column("proposal_id", Integer, ForeignKey("proposals.id"), nullable=True),
    Column("name", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("lon", Float, nullable=True),
    Column("lat", Float, nullable=True),
    Column("budget_fen", BigInteger, nullable=False),
    Column("spent_fen", BigInteger, nullable=False),
    Column("implementer", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("maintainer", Text, nullable=True),
    Column("maintenance_days", Integer, nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("accepted_at", String(40), nullable=True),
    UniqueConstraint("round_id", "project_id", name="uq_projects_round_project"),
    CheckConstraint("budget_fen > 0", name="ck_projects_budget"),
    CheckConstraint("spent_fen >= 0", name="ck_projects_spent"),
    CheckConstraint("state IN ('funded', 'in_progress', 'accepted', 'maintenance')", name="ck_projects_state"),
    CheckConstraint("(state IN ('accepted', 'maintenance')) = (accepted_at IS NOT NULL)", name="ck_projects_accepted"),
    CheckConstraint("maintenance_days IS NULL OR maintenance_days > 0", name="ck_projects_maintenance_days"),
    CheckConstraint("state <> 'maintenance' OR (maintainer IS NOT NULL AND maintenance_days IS NOT NULL)", name="ck_projects_maintainer"),
)

milestones = Table(
    "milestones",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("title", Text, nullable=False),
    Column("title_en", Text, nullable=False),
    Column("on_date", String(10), nullable=False),
    Column("progress", Integer, nullable=False),
    Column("spent_fen", BigInteger, nullable=False),  # money spent up to this milestone (cumulative)
    Column("recorded_at", String(40), nullable=False),
    Column("recorded_by", Text, nullable=False),
    CheckConstraint("progress BETWEEN 0 AND 100", name="ck_milestones_progress"),
    CheckConstraint("spent_fen >= 0", name="ck_milestones_spent"),
    CheckConstraint("length(title) BETWEEN 1 AND 200", name="ck_milestones_title"),
)

project_files = Table(
    "project_files",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("original_name", Text, nullable=False),
    Column("stored_name", String(120), nullable=False, unique=True),
    Column("mime", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("uploaded_at", String(40), nullable=False),
    CheckConstraint("kind IN ('photo', 'document')", name="ck_project_files_kind"),
    CheckConstraint("size > 0", name="ck_project_files_size"),
)

project_reviews = Table(
    "project_reviews",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("panel_id", Integer, ForeignKey("panels.id"), nullable=True),
    Column("score", Float, nullable=True),
    Column("passed", Integer, nullable=False),
    Column("note", Text, nullable=False),
    Column("reviewed_on", String(10), nullable=False),
    CheckConstraint("kind IN ('midterm', 'acceptance')", name="ck_project_reviews_kind"),
    CheckConstraint("passed IN (0, 1)", name="ck_project_reviews_passed"),
)

maintenance_checks = Table(
    "maintenance_checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("on_date", String(10), nullable=False),
    Column("by_whom", Text, nullable=False),
    Column("note", Text, nullable=False),
)

satisfaction = Table(
    "satisfaction",
    metadata,
    Column("proposal_id", Integer, ForeignKey("proposals.id"), primary_key=True),
    Column("rating", Integer, nullable=False),
    Column("rated_at", String(40), nullable=False),
    CheckConstraint("rating BETWEEN 1 AND 5", name="ck_satisfaction_rating"),
)

notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("subject", String(64), nullable=False),  # e.g. round:3, plan:1, project:7, screening:2026-05-01
    Column("title_zh", Text, nullable=False),
    Column("title_en", Text, nullable=False),
    Column("body_zh", Text, nullable=False),  # masked plain text, one paragraph per line
    Column("body_en", Text, nullable=False),
    Column("points", Text, nullable=False),  # JSON [[lon, lat, label]] for the static map
    Column("published_at", String(40), nullable=False),
    Column("ends_on", String(10), nullable=False),
    Column("corrects", Integer, ForeignKey("notices.id"), nullable=True),
    Column("template_ref", String(120), nullable=False),
    CheckConstraint("kind IN ('screening', 'round', 'plan', 'acceptance')", name="ck_notices_kind"),
)

objections = Table(
    "objections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_id", Integer, ForeignKey("notices.id"), nullable=False),
    Column("via", String(16), nullable=False),
    Column("code_hash", String(64), nullable=True),  # receipt or voter code, hashed; never shown
    Column("text", Text, nullable=False),
    Column("raised_at", String(40), nullable=False),
    Column("answer", Text, nullable=True),
    Column("answered_at", String(40), nullable=True),
    Column("answered_by", Text, nullable=True),
    CheckConstraint("via IN ('receipt', 'voter', 'paper')", name="ck_objections_via"),
    CheckConstraint("length(text) BETWEEN 2 AND 2000", name="ck_objections_text"),
    CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="ck_objections_answered"),
)
