"""Corrections of screening decisions: the facilitator's "undo" of the last decision they
confirmed. The store keeps history append-only: a correction is a new row holding the whole
superseded decision (and an audit entry ``correct``); only then may the decision leave the
current-decisions table, and the proposal is back in the queue to be decided again. The
database refuses removing a decision without its correction row, and changing a correction."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, select
from sqlalchemy.exc import IntegrityError

from toolkit.errors import StoreError
from toolkit.store import schema

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from toolkit.store import Store

screening_corrections = Table(
    "screening_corrections",
    schema.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("proposal_id", Integer, ForeignKey("proposals.id"), nullable=False),
    Column("decided_at", String(40), nullable=False),  # of the superseded decision
    Column("superseded", Text, nullable=False),  # the whole superseded decision, JSON
    Column("reason", String(40), nullable=False),
    Column("corrected_at", String(40), nullable=False),
    Column("corrected_by", String(120), nullable=False),
)


def create(conn: "Connection") -> None:
    """Migration 60: the table and its database rules."""
    from toolkit.store.migrations import guard

    screening_corrections.create(conn)
    guard(
        conn, "screening_undo_needs_correction", "screening_decisions", "DELETE",
        "(NOT EXISTS (SELECT 1 FROM screening_corrections c WHERE c.proposal_id = OLD.proposal_id AND c.decided_at = OLD.decided_at))",
        "a screening decision is removed only by a recorded correction",
    )
    guard(conn, "screening_corrections_no_update", "screening_corrections", "UPDATE", "(1 = 1)", "corrections are append-only")
    guard(conn, "screening_corrections_no_delete", "screening_corrections", "DELETE", "(1 = 1)", "corrections are append-only")


def current(store: "Store", proposal_id: int) -> dict | None:
    """The proposal's screening decision in force, or None."""
    d = schema.screening_decisions
    with store.read() as conn:
        row = conn.execute(select(d).where(d.c.proposal_id == int(proposal_id))).mappings().first()
    return dict(row) if row else None


def undo(store: "Store", proposal_id: int, decided_at: str, *, actor: str = "facilitator", reason: str = "undo") -> dict:
    """Supersede the decision on ``proposal_id`` made at ``decided_at`` (the one the page showed):
    record it as a correction, audit it, take it out of force. Returns the superseded decision.
    Refused (``StoreError`` key ``not_undoable``) if that decision is no longer the one in force."""
    from toolkit.store.core import now_iso

    d = schema.screening_decisions
    try:
        with store.write() as conn:
            row = conn.execute(select(d).where(d.c.proposal_id == int(proposal_id))).mappings().first()
            if row is None or row["decided_at"] != decided_at:
                raise StoreError(f"the decision on proposal {proposal_id} made at {decided_at} is not the one in force", key="not_undoable")
            superseded = dict(row)
            conn.execute(
                screening_corrections.insert().values(
                    proposal_id=int(proposal_id), decided_at=decided_at, superseded=json.dumps(superseded, ensure_ascii=False, sort_keys=True),
                    reason=reason, corrected_at=now_iso(), corrected_by=actor,
                )
            )
            conn.execute(d.delete().where(d.c.proposal_id == int(proposal_id)))
            store._audit(conn, actor, "correct", "proposal", str(proposal_id), {"reason": reason, "superseded": superseded})
    except IntegrityError as exc:
        raise StoreError(f"the database refused the correction: {exc.orig}", key="refused") from None
    return superseded


def corrections(store: "Store", proposal_id: int | None = None) -> list[dict]:
    """Corrections, oldest first (all, or of one proposal)."""
    c = screening_corrections
    query = select(c).order_by(c.c.id)
    if proposal_id is not None:
        query = query.where(c.c.proposal_id == int(proposal_id))
    with store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
