"""Budget rounds in the store: settings (frozen at the first ballot), candidate projects,
hashed one-time voter codes, ballots with their items, paper entries.

A voter code is marked used in the same transaction that stores the ballot; with the default
policy ('none') nothing links the code to the ballot. Python checks every ballot rule before
calling :meth:`cast_ballot`; the database checks them again (see migrations._rounds)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from toolkit.errors import StoreError
from toolkit.store import schema

if TYPE_CHECKING:
    import pandas as pd

SETTING_COLUMNS = (
    "name", "fund", "budget_fen", "ballot_type", "min_picks", "max_picks", "min_spend_fen",
    "points_total", "points_cap", "rule", "voter_unit", "change_policy",
)


class BallotRefused(StoreError):
    """A ballot the store would not take; ``reason`` is a short code (unknown_code, used_code,
    closed, rule) for the page to phrase."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"ballot refused: {reason}{': ' + detail if detail else ''}")


class RoundsMixin:
    """Methods of :class:`toolkit.store.Store` for budget rounds."""

    def create_round(self, settings: dict, projects: list[dict], *, actor: str = "facilitator") -> int:
        """A new round in 'draft'. ``settings`` has the SETTING_COLUMNS; ``projects`` dicts have
        project_id, name, name_en, cost_fen, description and optionally proposal_id, lon, lat, photo."""
        from toolkit.store.core import now_iso

        row = {k: settings[k] for k in SETTING_COLUMNS}
        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                rid = conn.execute(
                    schema.rounds.insert().values(**row, status="draft", settings=json.dumps(settings, ensure_ascii=False, sort_keys=True), created_at=now_iso())
                ).inserted_primary_key[0]
                for p in projects:
                    conn.execute(schema.round_projects.insert().values(round_id=rid, **p))
                self._audit(conn, actor, "create", "round", str(rid), {"settings": settings, "projects": [p["project_id"] for p in projects]})  # type: ignore[attr-defined]
            return rid
        except IntegrityError as exc:
            raise StoreError(f"the database refused the round: {exc.orig}") from None

    def update_round_settings(self, round_id: int, settings: dict, *, actor: str = "facilitator") -> None:
        """Change settings; refused (by Python and by the database) once a ballot arrived."""
        row = {k: settings[k] for k in SETTING_COLUMNS}
        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                if conn.execute(select(func.count()).select_from(schema.ballots).where(schema.ballots.c.round_id == round_id)).scalar():
                    raise StoreError("round settings are frozen once the first ballot has arrived")
                conn.execute(schema.rounds.update().where(schema.rounds.c.id == round_id).values(**row, settings=json.dumps(settings, ensure_ascii=False, sort_keys=True)))
                self._audit(conn, actor, "update", "round", str(round_id), settings)  # type: ignore[attr-defined]
        except IntegrityError as exc:
            raise StoreError(f"the database refused the change: {exc.orig}") from None

    def set_round_status(self, round_id: int, status: str, *, actor: str = "facilitator") -> None:
        from toolkit.store.core import now_iso

        order = {"draft": 0, "open": 1, "closed": 2}
        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                current = conn.execute(select(schema.rounds.c.status).where(schema.rounds.c.id == round_id)).scalar()
                if current is None:
                    raise StoreError(f"there is no round {round_id}")
                if order[status] != order[current] + 1:
                    raise StoreError(f"a {current} round cannot become {status}")
                stamp = {"open": "opened_at", "closed": "closed_at"}[status]
                conn.execute(schema.rounds.update().where(schema.rounds.c.id == round_id).values(status=status, **{stamp: now_iso()}))
                self._audit(conn, actor, status, "round", str(round_id), {})  # type: ignore[attr-defined]
        except IntegrityError as exc:
            raise StoreError(f"the database refused: {exc.orig}") from None

    def round(self, round_id: int) -> dict:
        with self.read() as conn:  # type: ignore[attr-defined]
            row = conn.execute(select(schema.rounds).where(schema.rounds.c.id == round_id)).mappings().first()
            if row is None:
                raise StoreError(f"there is no round {round_id}")
            projects = conn.execute(
                select(schema.round_projects).where(schema.round_projects.c.round_id == round_id).order_by(schema.round_projects.c.project_id)
            ).mappings().all()
        return {**dict(row), "projects": [dict(p) for p in projects]}

    def rounds(self) -> list[dict]:
        with self.read() as conn:  # type: ignore[attr-defined]
            return [dict(r) for r in conn.execute(select(schema.rounds).order_by(schema.rounds.c.id.desc())).mappings()]

    def add_voter_codes(self, round_id: int, hashes: list[tuple[str, str | None]], *, actor: str = "facilitator") -> int:
        with self.write() as conn:  # type: ignore[attr-defined]
            for code_hash, household in hashes:
                conn.execute(schema.voter_codes.insert().values(code_hash=code_hash, round_id=round_id, household=household))
            self._audit(conn, actor, "issue_codes", "round", str(round_id), {"count": len(hashes)})  # type: ignore[attr-defined]
        return len(hashes)

    def code_status(self, round_id: int, code_hash: str) -> str:
        """'unknown', 'unused' or 'used'."""
        c = schema.voter_codes
        with self.read() as conn:  # type: ignore[attr-defined]
            row = conn.execute(select(c.c.used_at).where(c.c.code_hash == code_hash, c.c.round_id == round_id)).first()
        return "unknown" if row is None else ("unused" if row[0] is None else "used")

    def cast_ballot(
        self,
        round_id: int,
        items: dict[str, int],
        *,
        submission_id: str,
        receipt: str,
        code_hash: str | None,
        channel: str = "tablet",
        assisted_by: str | None = None,
    ) -> tuple[str, bool]:
        """Store a checked ballot once. Returns (receipt, created). The same submission id again
        returns the first receipt and stores nothing. A tablet or assisted ballot spends its code
        in the same transaction; paper ballots (reconciled double entry) have no code."""
        from toolkit.store.core import now_iso

        b, c = schema.ballots, schema.voter_codes
        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                found = conn.execute(select(b.c.receipt).where(b.c.submission_id == submission_id)).first()
                if found:
                    return found[0], False
                rnd = conn.execute(select(schema.rounds.c.status, schema.rounds.c.change_policy).where(schema.rounds.c.id == round_id)).first()
                if rnd is None or rnd[0] != "open":
                    raise BallotRefused("closed")
                now = now_iso()
                previous = None
                if code_hash is not None:
                    code = conn.execute(select(c.c.used_at, c.c.ballot_id).where(c.c.code_hash == code_hash, c.c.round_id == round_id)).first()
                    if code is None:
                        raise BallotRefused("unknown_code")
                    if code[0] is not None:
                        if rnd[1] != "replace":
                            raise BallotRefused("used_code")
                        previous = code[1]
                    spent = conn.execute(
                        c.update().where(c.c.code_hash == code_hash, c.c.round_id == round_id, (c.c.used_at.is_(None)) if previous is None else (c.c.ballot_id == previous)).values(used_at=now)
                    ).rowcount
                    if spent != 1:
                        raise BallotRefused("used_code")
                elif channel != "paper":
                    raise BallotRefused("unknown_code")
                bid = conn.execute(
                    b.insert().values(round_id=round_id, submission_id=submission_id, receipt=receipt, channel=channel, assisted_by=assisted_by, superseded=0, created_at=now)
                ).inserted_primary_key[0]
                for pid, value in items.items():
                    conn.execute(schema.ballot_items.insert().values(ballot_id=bid, project_id=pid, value=int(value)))
                if previous is not None:
                    conn.execute(b.update().where(b.c.id == previous).values(superseded=1))
                if code_hash is not None and rnd[1] == "replace":
                    conn.execute(c.update().where(c.c.code_hash == code_hash).values(ballot_id=bid))
                self._audit(conn, "voter" if channel != "paper" else "operator", "cast", "ballot", str(bid), {"round": round_id, "channel": channel, "replaces": previous})  # type: ignore[attr-defined]
            return receipt, True
        except IntegrityError as exc:
            text = str(exc.orig)
            with self.read() as conn:  # type: ignore[attr-defined]
                found = conn.execute(select(b.c.receipt).where(b.c.submission_id == submission_id)).first()
            if found:
                return found[0], False
            if "already been used" in text:
                raise BallotRefused("used_code") from None
            if "not open" in text:
                raise BallotRefused("closed") from None
            raise BallotRefused("rule", text) from None

    def counted_ballots(self, round_id: int) -> list[dict[str, int]]:
        """The ballots that count (not superseded), each as {project_id: value}, in arrival order."""
        b, i = schema.ballots, schema.ballot_items
        query = (
            select(b.c.id, i.c.project_id, i.c.value)
            .select_from(b.join(i, i.c.ballot_id == b.c.id))
            .where(b.c.round_id == round_id, b.c.superseded == 0)
            .order_by(b.c.id, i.c.value, i.c.project_id)
        )
        with self.read() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(query).all()
            ids = [r[0] for r in conn.execute(select(b.c.id).where(b.c.round_id == round_id, b.c.superseded == 0).order_by(b.c.id))]
        out: dict[int, dict[str, int]] = {bid: {} for bid in ids}
        for bid, pid, value in rows:
            out[bid][pid] = value
        return list(out.values())

    def turnout(self, round_id: int) -> dict:
        """Ballots in (by channel) and codes issued/used: no vote counts."""
        b, c = schema.ballots, schema.voter_codes
        with self.read() as conn:  # type: ignore[attr-defined]
            by_channel = dict(conn.execute(select(b.c.channel, func.count()).where(b.c.round_id == round_id, b.c.superseded == 0).group_by(b.c.channel)).all())
            issued = conn.execute(select(func.count()).select_from(c).where(c.c.round_id == round_id)).scalar_one()
            used = conn.execute(select(func.count()).select_from(c).where(c.c.round_id == round_id, c.c.used_at.is_not(None))).scalar_one()
        return {"ballots": sum(by_channel.values()), "by_channel": by_channel, "codes_issued": issued, "codes_used": used}

    def add_paper_entry(self, round_id: int, serial: str, operator: str, role: str, content: dict[str, int], *, assisted_by: str | None = None) -> None:
        from toolkit.store.core import now_iso

        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                conn.execute(
                    schema.paper_entries.insert().values(
                        round_id=round_id, serial=serial, operator=operator, role=role,
                        content=json.dumps(content, sort_keys=True), assisted_by=assisted_by, created_at=now_iso(),
                    )
                )
                self._audit(conn, operator, "paper_entry", "round", str(round_id), {"serial": serial, "role": role})  # type: ignore[attr-defined]
        except IntegrityError as exc:
            if "not open" in str(exc.orig):
                raise StoreError("the round is not open", key="paper_closed") from None
            raise StoreError(f"paper ballot {serial} already has a {role} entry", key="paper_twice", serial=serial, role=role) from None

    def paper_entries_frame(self, round_id: int) -> "pd.DataFrame":
        import pandas as pd

        p = schema.paper_entries
        with self.read() as conn:  # type: ignore[attr-defined]
            result = conn.execute(select(p).where(p.c.round_id == round_id).order_by(p.c.serial, p.c.id))
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
