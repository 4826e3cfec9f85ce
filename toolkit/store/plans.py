"""Open budget plans in the store: each round's version as proposed, residents' comments on
lines, and the final freeze. Versions are never edited; a frozen plan refuses new ones."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from toolkit.errors import StoreError
from toolkit.store import schema


class PlansMixin:
    """Methods of :class:`toolkit.store.Store` for open budget plans."""

    def create_plan(self, name: str, rounds: int, *, actor: str = "facilitator") -> int:
        from toolkit.store.core import now_iso

        with self.write() as conn:  # type: ignore[attr-defined]
            pid = conn.execute(schema.plans.insert().values(name=name, rounds=rounds, created_at=now_iso())).inserted_primary_key[0]
            self._audit(conn, actor, "create", "plan", str(pid), {"name": name, "rounds": rounds})  # type: ignore[attr-defined]
        return pid

    def plans(self) -> list[dict]:
        with self.read() as conn:  # type: ignore[attr-defined]
            return [dict(r) for r in conn.execute(select(schema.plans).order_by(schema.plans.c.id.desc())).mappings()]

    def plan_record(self, plan_id: int) -> dict:
        """The plan row with its versions and comments in order."""
        with self.read() as conn:  # type: ignore[attr-defined]
            row = conn.execute(select(schema.plans).where(schema.plans.c.id == plan_id)).mappings().first()
            if row is None:
                raise StoreError(f"there is no plan {plan_id}")
            v, c = schema.plan_versions, schema.plan_comments
            versions = [dict(r) for r in conn.execute(select(v).where(v.c.plan_id == plan_id).order_by(v.c.round_no)).mappings()]
            comments = [dict(r) for r in conn.execute(select(c).where(c.c.plan_id == plan_id).order_by(c.c.id)).mappings()]
        return {**dict(row), "versions": versions, "comments": comments}

    def add_plan_version(self, plan_id: int, round_no: int, lines_json: str, reserve_share: str, carry_over_fen: int, note: str, vote_round_id: int | None = None, *, actor: str = "facilitator") -> None:
        from toolkit.store.core import now_iso

        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                conn.execute(
                    schema.plan_versions.insert().values(
                        plan_id=plan_id, round_no=round_no, lines=lines_json, reserve_share=reserve_share,
                        carry_over_fen=carry_over_fen, note=note, vote_round_id=vote_round_id, created_at=now_iso(),
                    )
                )
                self._audit(conn, actor, "propose", "plan", str(plan_id), {"round": round_no, "note": note})  # type: ignore[attr-defined]
        except IntegrityError as exc:
            key = "plan_final" if "final" in str(exc.orig) else "refused"
            raise StoreError(f"the database refused the plan version: {exc.orig}", key=key) from None

    def add_plan_comment(self, plan_id: int, round_no: int, line_id: str, author: str, text: str) -> None:
        from toolkit.store.core import now_iso

        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                conn.execute(schema.plan_comments.insert().values(plan_id=plan_id, round_no=round_no, line_id=line_id, author=author, text=text, created_at=now_iso()))
                self._audit(conn, author, "comment", "plan", str(plan_id), {"line": line_id, "round": round_no})  # type: ignore[attr-defined]
        except IntegrityError as exc:
            key = "plan_final" if "final" in str(exc.orig) else "refused"
            raise StoreError(f"the database refused the comment: {exc.orig}", key=key) from None

    def freeze_plan(self, plan_id: int, *, actor: str = "facilitator") -> None:
        from toolkit.store.core import now_iso

        with self.write() as conn:  # type: ignore[attr-defined]
            p = schema.plans
            done = conn.execute(p.update().where(p.c.id == plan_id, p.c.frozen_at.is_(None)).values(frozen_at=now_iso())).rowcount
            if not done:
                raise StoreError("the plan is already final", key="plan_final")
            self._audit(conn, actor, "freeze", "plan", str(plan_id), {})  # type: ignore[attr-defined]
