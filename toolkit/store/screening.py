"""Screening decisions in the store: the queue of unscreened proposals, one decision per
proposal with its triage ticket, and the overdue list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from toolkit.errors import ScreeningConflict, StoreError
from toolkit.store import schema

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.screening import ScreeningDecision, Ticket


class ScreeningMixin:
    """Methods of :class:`toolkit.store.Store` for screening."""

    def screening_queue(self) -> list[int]:
        """Ids of proposals not yet screened, oldest first."""
        p, d = schema.proposals, schema.screening_decisions
        with self.read() as conn:  # type: ignore[attr-defined]
            query = select(p.c.id).where(~p.c.id.in_(select(d.c.proposal_id))).order_by(p.c.created_at, p.c.id)
            return [r[0] for r in conn.execute(query)]

    def record_screening(self, proposal_id: int, decision: "ScreeningDecision", ticket: "Ticket", *, actor: str = "facilitator") -> bool:
        """Store a decision once. The same decision again from the same desk returns False (a resend);
        any other decision on an already screened proposal raises :class:`ScreeningConflict` naming
        who decided it and when — a second desk's decision is never dropped without a word."""
        from toolkit.store.core import now_iso

        r = decision.redirect
        row = {
            "proposal_id": int(proposal_id),
            "outcome": decision.outcome,
            "code": decision.code,
            "message_zh": decision.message.zh,
            "message_en": decision.message.en,
            "redirect_kind": r.kind if r else None,
            "redirect_to_zh": r.to.zh if r else None,
            "redirect_to_en": r.to.en if r else None,
            "track": ticket.track,
            "received": ticket.received.isoformat(),
            "response_due": ticket.response_due.isoformat(),
            "resolution_due": ticket.resolution_due.isoformat(),
            "rules_ref": decision.rules_ref,
            "triage_ref": ticket.rules_ref,
            "note": decision.note or "",
            "decided_at": now_iso(),
            "decided_by": actor,
        }
        d = schema.screening_decisions
        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                if self._earlier_decision(conn, row) is not None:
                    return False
                conn.execute(d.insert().values(**row))
                self._audit(conn, actor, "screen", "proposal", str(proposal_id), row)  # type: ignore[attr-defined]
            return True
        except IntegrityError as exc:
            with self.read() as conn:  # type: ignore[attr-defined]  (PostgreSQL: the other desk committed first)
                if self._earlier_decision(conn, row) is not None:
                    return False
            raise StoreError(f"the database refused the screening decision: {exc.orig}") from None

    @staticmethod
    def _earlier_decision(conn, row: dict) -> bool | None:
        """None when the proposal is unscreened; True for the same decision by the same desk;
        raises ScreeningConflict for anything else."""
        d = schema.screening_decisions
        old = conn.execute(select(d.c.outcome, d.c.code, d.c.decided_by, d.c.decided_at).where(d.c.proposal_id == row["proposal_id"])).first()
        if old is None:
            return None
        if (old.outcome, old.code, old.decided_by) == (row["outcome"], row["code"], row["decided_by"]):
            return True
        raise ScreeningConflict(row["proposal_id"], old.decided_by, old.decided_at, old.outcome, old.code)

    def screening_frame(self) -> "pd.DataFrame":
        """Every decision with the proposal's title and receipt code."""
        import pandas as pd

        d, p = schema.screening_decisions, schema.proposals
        query = select(d, p.c.title, p.c.receipt_code).select_from(d.join(p, d.c.proposal_id == p.c.id)).order_by(d.c.decided_at)
        with self.read() as conn:
            result = conn.execute(query)  # type: ignore[attr-defined]
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
