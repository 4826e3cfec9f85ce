"""Feedback messages and the status of one proposal: functions over the store (issue 12).

One message per proposal and event (``uq_feedback_event``): writing it again is a no-op, so a
hook that runs twice (a retried close, a sleeping tablet) sends nothing twice. Messages carry
no contact data; the proposal's contact stays in ``proposals`` and is never read here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select, update

from toolkit.errors import StoreError
from toolkit.store import schema

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.labels import Label
    from toolkit.store.core import Store


def add_message(conn: Connection, proposal_id: int, event: str, message: "Label", rules_ref: str, *, actor: str, at: str | None = None) -> bool:
    """Inside the caller's transaction: record a message once; False if it already exists."""
    from toolkit.store.core import Store, now_iso

    f = schema.feedback_messages
    found = conn.execute(select(f.c.id).where(f.c.proposal_id == int(proposal_id), f.c.event == event)).first()
    if found:
        return False
    row = {"proposal_id": int(proposal_id), "event": event, "message_zh": message.zh, "message_en": message.en,
           "rules_ref": rules_ref, "created_at": at or now_iso()}
    new_id = conn.execute(f.insert().values(**row)).inserted_primary_key[0]
    Store._audit(conn, actor, "feedback", "feedback_message", str(new_id), row)
    return True


def record_message(store: "Store", proposal_id: int, event: str, message: "Label", rules_ref: str, *, actor: str = "system", at: str | None = None) -> bool:
    with store.write() as conn:
        return add_message(conn, proposal_id, event, message, rules_ref, actor=actor, at=at)


def messages_frame(store: "Store", *, undelivered_only: bool = False, proposal_id: int | None = None) -> "pd.DataFrame":
    """Messages with the proposal's receipt code, title, language, compound / community names.

    Columns: id, proposal_id, event, message_zh, message_en, created_at, delivered_at,
    delivered_by, channel, receipt_code, title, lang, compound_id, compound_name,
    community_id, community_name. Never the contact field."""
    import pandas as pd

    f, p = schema.feedback_messages, schema.proposals
    y, c = schema.units.alias("y"), schema.units.alias("c")
    query = (
        select(f.c.id, f.c.proposal_id, f.c.event, f.c.message_zh, f.c.message_en, f.c.created_at, f.c.delivered_at,
               f.c.delivered_by, f.c.channel, p.c.receipt_code, p.c.title, p.c.lang, p.c.compound_id,
               y.c.name.label("compound_name"), c.c.id.label("community_id"), c.c.name.label("community_name"))
        .select_from(f.join(p, f.c.proposal_id == p.c.id).outerjoin(y, p.c.compound_id == y.c.id).outerjoin(c, y.c.parent_id == c.c.id))
        .order_by(f.c.id)
    )
    if undelivered_only:
        query = query.where(f.c.delivered_at.is_(None))
    if proposal_id is not None:
        query = query.where(f.c.proposal_id == int(proposal_id))
    with store.read() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def mark_delivered(store: "Store", message_ids: list[int], *, by: str, channel: str) -> int:
    """Mark messages delivered (once); returns how many changed."""
    from toolkit.store.core import Store, now_iso

    f = schema.feedback_messages
    at = now_iso()
    changed = 0
    with store.write() as conn:
        for mid in message_ids:
            n = conn.execute(update(f).where(f.c.id == int(mid), f.c.delivered_at.is_(None))
                             .values(delivered_at=at, delivered_by=by, channel=channel)).rowcount
            if n:
                Store._audit(conn, by, "deliver", "feedback_message", str(mid), {"channel": channel, "at": at})
            changed += n
    return changed


def status_rows(store: "Store", proposal_id: int, parts: tuple[str, ...] = ("decision", "rounds", "panels", "project", "rating")) -> dict:
    """Everything the status page shows for one proposal, as plain rows (no contact):
    decision, rounds (with outcomes), panels it is in, its project with milestones, reviews,
    maintenance checks, and its satisfaction rating."""
    s, ro, r, rp = schema.screening_decisions, schema.round_outcomes, schema.rounds, schema.round_projects
    j = schema.projects
    pid = int(proposal_id)
    out: dict = {}
    with store.read() as conn:
        row = conn.execute(select(s).where(s.c.proposal_id == pid)).mappings().first()
        out["decision"] = dict(row) if row else None
        if parts == ("decision",):
            return out
        rounds = conn.execute(
            select(r.c.id, r.c.name, r.c.status, r.c.opened_at, r.c.closed_at, rp.c.project_id,
                   ro.c.funded, ro.c.votes, ro.c.explanation_zh, ro.c.explanation_en)
            .select_from(rp.join(r, rp.c.round_id == r.c.id).outerjoin(ro, (ro.c.round_id == rp.c.round_id) & (ro.c.project_id == rp.c.project_id)))
            .where(rp.c.proposal_id == pid, r.c.status != "draft").order_by(r.c.id)
        ).mappings().all()
        out["rounds"] = [dict(x) for x in rounds]
        pp, pn = schema.panel_projects, schema.panels
        out["panels"] = [dict(x) for x in conn.execute(
            select(pn.c.id, pn.c.name, pn.c.locked_at, pp.c.project_id).select_from(pp.join(pn, pp.c.panel_id == pn.c.id))
            .where(pp.c.project_id == f"P{pid:04d}").order_by(pn.c.id)).mappings()]
        proj = conn.execute(select(j).where(j.c.proposal_id == pid).order_by(j.c.id.desc())).mappings().first()
        out["project"] = dict(proj) if proj else None
        out["milestones"], out["reviews"], out["checks"], out["files"] = [], [], [], []
        if proj:
            for key, table, order in (("milestones", schema.milestones, schema.milestones.c.id), ("reviews", schema.project_reviews, schema.project_reviews.c.reviewed_on),
                                      ("checks", schema.maintenance_checks, schema.maintenance_checks.c.id), ("files", schema.project_files, schema.project_files.c.id)):
                out[key] = [dict(x) for x in conn.execute(select(table).where(table.c.project_id == proj["id"]).order_by(order)).mappings()]
        rating = conn.execute(select(schema.satisfaction.c.rating).where(schema.satisfaction.c.proposal_id == pid)).scalar()
        out["rating"] = rating
    return out


def rate(store: "Store", proposal_id: int, rating: int) -> bool:
    """A proposer's one-question satisfaction rating (1–5) after acceptance; once. False if
    already rated."""
    from sqlalchemy.exc import IntegrityError

    from toolkit.store.core import Store, now_iso

    t = schema.satisfaction
    try:
        with store.write() as conn:
            if conn.execute(select(t.c.proposal_id).where(t.c.proposal_id == int(proposal_id))).first():
                return False
            row = {"proposal_id": int(proposal_id), "rating": int(rating), "rated_at": now_iso()}
            conn.execute(t.insert().values(**row))
            Store._audit(conn, "resident", "rate", "proposal", str(proposal_id), row)
            return True
    except IntegrityError as exc:
        raise StoreError(f"the database refused the rating: {exc.orig}") from None
