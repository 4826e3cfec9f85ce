"""Funded projects followed to acceptance and maintenance: functions over the store (issue 12).

Rows are created when a round closes (:func:`record_round_outcome`); every change writes an
audit row in its transaction; the database refuses a state going back, money spent above the
budget, a milestone after acceptance (migration 21).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError

from toolkit.errors import StoreError
from toolkit.store import schema
from toolkit.store.feedback import add_message

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.labels import Label
    from toolkit.store.core import Store


def _audit(conn: Connection, actor: str, action: str, entity_id: object, detail: dict) -> None:
    from toolkit.store.core import Store

    Store._audit(conn, actor, action, "project", str(entity_id), detail)


def record_round_outcome(store: "Store", round_id: int, outcomes: list[dict], rules_ref: str, *, actor: str = "system") -> int:
    """One transaction: each project's outcome, a project row per funded one, the proposers'
    messages. Idempotent: a second call writes nothing. Returns messages written."""
    from toolkit.store.core import now_iso

    o, j = schema.round_outcomes, schema.projects
    at = now_iso()
    written = 0
    try:
        with store.write() as conn:
            if conn.execute(select(func.count()).select_from(o).where(o.c.round_id == int(round_id))).scalar():
                return 0
            for item in outcomes:
                p = item["project"]
                row = {"round_id": int(round_id), "project_id": p["project_id"], "proposal_id": p.get("proposal_id"),
                       "funded": int(item["funded"]), "votes": int(item["votes"]), "explanation_zh": item["explanation"].zh,
                       "explanation_en": item["explanation"].en, "recorded_at": at}
                conn.execute(o.insert().values(**row))
                if item["funded"]:
                    prow = {"round_id": int(round_id), "project_id": p["project_id"], "proposal_id": p.get("proposal_id"),
                            "name": p["name"], "name_en": p["name_en"], "lon": p.get("lon"), "lat": p.get("lat"),
                            "budget_fen": int(p["cost_fen"]), "spent_fen": 0, "implementer": "", "state": "funded", "created_at": at}
                    new_id = conn.execute(j.insert().values(**prow)).inserted_primary_key[0]
                    _audit(conn, actor, "create", new_id, prow)
                if item["message"] is not None and p.get("proposal_id") is not None:
                    written += add_message(conn, p["proposal_id"], f"round:{round_id}", item["message"], rules_ref, actor=actor, at=at)
    except IntegrityError as exc:
        raise StoreError(f"the database refused the round outcome: {exc.orig}") from None
    return written


def project(store: "Store", project_id: int) -> dict | None:
    with store.read() as conn:
        row = conn.execute(select(schema.projects).where(schema.projects.c.id == int(project_id))).mappings().first()
        if row is None:
            return None
        out = dict(row)
        for key, table in (("milestones", schema.milestones), ("files", schema.project_files), ("reviews", schema.project_reviews), ("checks", schema.maintenance_checks)):
            out[key] = [dict(x) for x in conn.execute(select(table).where(table.c.project_id == int(project_id))).mappings()]
    return out


def projects_frame(store: "Store") -> "pd.DataFrame":
    """Every followed project with its latest progress and its compound's community and street.

    Columns: id, round_id, project_id, proposal_id, name, name_en, lon, lat, budget_fen,
    spent_fen, implementer, state, maintainer, maintenance_days, created_at, accepted_at,
    progress, last_check, community_id, street_id."""
    import pandas as pd

    j, m, p = schema.projects, schema.milestones, schema.proposals
    y, c = schema.units.alias("y"), schema.units.alias("c")
    progress = select(func.max(m.c.progress)).where(m.c.project_id == j.c.id).scalar_subquery()
    last_check = select(func.max(schema.maintenance_checks.c.on_date)).where(schema.maintenance_checks.c.project_id == j.c.id).scalar_subquery()
    query = (select(j, func.coalesce(progress, 0).label("progress"), last_check.label("last_check"),
                    c.c.id.label("community_id"), c.c.parent_id.label("street_id"))
             .select_from(j.outerjoin(p, j.c.proposal_id == p.c.id).outerjoin(y, p.c.compound_id == y.c.id).outerjoin(c, y.c.parent_id == c.c.id))
             .order_by(j.c.id))
    with store.read() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def update_project(store: "Store", project_id: int, changes: dict, *, actor: str) -> None:
    """Change implementer, spent_fen, state, maintainer, maintenance_days (checked before)."""
    from toolkit.store.core import now_iso

    allowed = {"implementer", "spent_fen", "state", "maintainer", "maintenance_days", "budget_fen"}
    bad = set(changes) - allowed
    if bad:
        raise StoreError(f"cannot change {sorted(bad)} of a project")
    values = dict(changes)
    if values.get("state") == "accepted":
        values["accepted_at"] = now_iso()
    try:
        with store.write() as conn:
            j = schema.projects
            n = conn.execute(update(j).where(j.c.id == int(project_id)).values(**values)).rowcount
            if not n:
                raise StoreError(f"there is no project {project_id}")
            _audit(conn, actor, "update", project_id, values)
    except IntegrityError as exc:
        raise StoreError(f"the database refused the change: {exc.orig}") from None


def add_milestone(store: "Store", project_id: int, row: dict, *, actor: str, message: "Label | None" = None, rules_ref: str = "") -> int:
    """A milestone (title, title_en, on_date, progress, spent_fen); the project's money spent and
    state follow it; the proposer's message in the same transaction."""
    from toolkit.store.core import now_iso

    j, m = schema.projects, schema.milestones
    try:
        with store.write() as conn:
            proj = conn.execute(select(j).where(j.c.id == int(project_id))).mappings().first()
            if proj is None:
                raise StoreError(f"there is no project {project_id}")
            full = {**row, "project_id": int(project_id), "recorded_at": now_iso(), "recorded_by": actor}
            mid = conn.execute(m.insert().values(**full)).inserted_primary_key[0]
            changes = {"spent_fen": max(int(proj["spent_fen"]), int(row["spent_fen"]))}
            if proj["state"] == "funded":
                changes["state"] = "in_progress"
            conn.execute(update(j).where(j.c.id == int(project_id)).values(**changes))
            _audit(conn, actor, "milestone", project_id, {**full, **changes})
            if message is not None and proj["proposal_id"] is not None:
                add_message(conn, proj["proposal_id"], f"milestone:{mid}", message, rules_ref, actor=actor)
            return mid
    except IntegrityError as exc:
        raise StoreError(f"the database refused the milestone: {exc.orig}") from None


def add_review(store: "Store", project_id: int, row: dict, *, actor: str, message: "Label | None" = None, rules_ref: str = "") -> None:
    """A mid-term or acceptance review (kind, panel_id, score, passed, note, reviewed_on). A
    passed acceptance review moves the project to 'accepted' (on the review's date) in the same
    transaction."""

    j = schema.projects
    try:
        with store.write() as conn:
            proj = conn.execute(select(j).where(j.c.id == int(project_id))).mappings().first()
            if proj is None:
                raise StoreError(f"there is no project {project_id}")
            conn.execute(schema.project_reviews.insert().values(**row, project_id=int(project_id)))
            detail = dict(row)
            if row["kind"] == "acceptance" and row["passed"]:
                conn.execute(update(j).where(j.c.id == int(project_id)).values(state="accepted", accepted_at=row["reviewed_on"]))
                detail["state"] = "accepted"
                if message is not None and proj["proposal_id"] is not None:
                    add_message(conn, proj["proposal_id"], "accepted", message, rules_ref, actor=actor)
            _audit(conn, actor, "review", project_id, detail)
    except IntegrityError as exc:
        raise StoreError(f"the database refused the review: {exc.orig}") from None


def start_maintenance(store: "Store", project_id: int, maintainer: str, days: int, *, actor: str, message: "Label | None" = None, rules_ref: str = "") -> None:
    j = schema.projects
    try:
        with store.write() as conn:
            proj = conn.execute(select(j).where(j.c.id == int(project_id))).mappings().first()
            if proj is None or proj["state"] != "accepted":
                raise StoreError("only an accepted project goes into maintenance")
            values = {"state": "maintenance", "maintainer": maintainer, "maintenance_days": int(days)}
            conn.execute(update(j).where(j.c.id == int(project_id)).values(**values))
            _audit(conn, actor, "maintenance", project_id, values)
            if message is not None and proj["proposal_id"] is not None:
                add_message(conn, proj["proposal_id"], "maintenance", message, rules_ref, actor=actor)
    except IntegrityError as exc:
        raise StoreError(f"the database refused the change: {exc.orig}") from None


def add_check(store: "Store", project_id: int, on_date: str, by_whom: str, note: str, *, actor: str) -> None:
    with store.write() as conn:
        row = {"project_id": int(project_id), "on_date": on_date, "by_whom": by_whom, "note": note}
        conn.execute(schema.maintenance_checks.insert().values(**row))
        _audit(conn, actor, "check", project_id, row)


def add_file(store: "Store", project_id: int, row: dict, *, actor: str) -> int:
    with store.write() as conn:
        fid = conn.execute(schema.project_files.insert().values(**row, project_id=int(project_id))).inserted_primary_key[0]
        _audit(conn, actor, "upload", project_id, {**row, "file_id": fid})
        return fid


def file_row(store: "Store", stored_name: str) -> dict | None:
    with store.read() as conn:
        row = conn.execute(select(schema.project_files).where(schema.project_files.c.stored_name == stored_name)).mappings().first()
    return dict(row) if row else None


def outcomes_frame(store: "Store", round_id: int) -> "pd.DataFrame":
    import pandas as pd

    o = schema.round_outcomes
    with store.read() as conn:
        result = conn.execute(select(o).where(o.c.round_id == int(round_id)).order_by(o.c.project_id))
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


__all__ = ["add_check", "add_file", "add_milestone", "add_review", "file_row", "outcomes_frame", "project",
           "projects_frame", "record_round_outcome", "start_maintenance", "update_project"]
