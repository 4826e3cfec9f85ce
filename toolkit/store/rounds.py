"""Budget rounds in the store: settings (frozen at the first ballot), candidate projects,
hashed one-time voter codes, ballots with their items, paper entries.

A voter code is marked used in the same transaction that stores the ballot; with the default
policy ('none') nothing links the code to the ballot. Python checks every ballot rule before
calling :meth:`cast_ballot`; the database checks them again (see migrations._rounds)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from toolkit.errors import StoreError
from toolkit.store import schema

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

SETTING_COLUMNS = (
    "name", "fund", "budget_fen", "ballot_type", "min_picks", "max_picks", "min_spend_fen",
    "points_total", "points_cap", "rule", "voter_unit", "change_policy",
)


class BallotRefused(StoreError):
    """A ballot the store would not take; ``reason`` is a short code (unknown_code, used_code,
    void_code, closed, rule) for the page to phrase."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"ballot refused: {reason}{': ' + detail if detail else ''}")


class CodeConflict(StoreError):
    """Households that already have a live code (a household round gives each one code)."""

    def __init__(self, households: list[str]) -> None:
        self.households = households
        super().__init__("these households already have a code (void it before reprinting): " + ", ".join(households))


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
                current = self._lock_round(conn, round_id, exclusive=True)
                if current is None:
                    raise StoreError(f"there is no round {round_id}")
                if order[status] != order[current[0]] + 1:
                    raise StoreError(f"a {current[0]} round cannot become {status}")
                stamp = {"open": "opened_at", "closed": "closed_at"}[status]
                conn.execute(schema.rounds.update().where(schema.rounds.c.id == round_id).values(status=status, **{stamp: now_iso()}))
                self._audit(conn, actor, status, "round", str(round_id), {})  # type: ignore[attr-defined]
        except IntegrityError as exc:
            raise StoreError(f"the database refused: {str(exc.orig).splitlines()[0]}") from None

    def round(self, round_id: int) -> dict:
        with self.read() as conn:  # type: ignore[attr-defined]
            return self._round(conn, round_id)

    @staticmethod
    def _round(conn, round_id: int) -> dict:
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
        """Store code hashes (with their household in a household round). Refused as a whole when
        a household already has a live code (void it first: :meth:`void_code`)."""
        c = schema.voter_codes
        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                homes = [h for _hash, h in hashes if h is not None]
                if homes:
                    taken = sorted({r[0] for r in conn.execute(select(c.c.household).where(
                        c.c.round_id == round_id, c.c.household.in_(homes), c.c.voided_at.is_(None)))})
                    if taken:
                        raise CodeConflict(taken)
                for code_hash, household in hashes:
                    conn.execute(c.insert().values(code_hash=code_hash, round_id=round_id, household=household))
                self._audit(conn, actor, "issue_codes", "round", str(round_id), {"count": len(hashes)})  # type: ignore[attr-defined]
        except IntegrityError as exc:
            if "household" in str(exc.orig):
                raise CodeConflict(sorted({h for _x, h in hashes if h is not None})) from None
            raise StoreError(f"the database refused the codes: {str(exc.orig).splitlines()[0]}") from None
        return len(hashes)

    def void_code(self, round_id: int, *, code_hash: str | None = None, household: str | None = None, reason: str = "", actor: str = "facilitator") -> str:
        """Void one unused code, named by its hash or by its household; the audit log records
        who voided which household's code (or which code hash) and why. Returns the hash voided."""
        from toolkit.store.core import today

        c = schema.voter_codes
        where = [c.c.round_id == round_id, c.c.voided_at.is_(None)]
        where.append(c.c.code_hash == code_hash if code_hash is not None else c.c.household == household)
        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                row = conn.execute(select(c.c.code_hash, c.c.used_at, c.c.household).where(*where)).first()
                if row is None:
                    raise StoreError("no live code for that household" if code_hash is None else "no live code with that hash")
                if row.used_at is not None:
                    raise StoreError("this code has already voted; a used code cannot be voided")
                conn.execute(c.update().where(c.c.code_hash == row.code_hash).values(voided_at=today()))
                detail = {"household": row.household} if row.household is not None else {"code_hash": row.code_hash}
                self._audit(conn, actor, "void_code", "round", str(round_id), {**detail, "reason": reason})  # type: ignore[attr-defined]
                return row.code_hash
        except IntegrityError as exc:
            raise StoreError(f"the database refused to void the code: {str(exc.orig).splitlines()[0]}") from None

    def households(self, round_id: int) -> dict[str, str]:
        """Household -> 'unused' / 'used' for the live codes of a household round (no ballots)."""
        c = schema.voter_codes
        with self.read() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(select(c.c.household, c.c.used_at).where(
                c.c.round_id == round_id, c.c.household.is_not(None), c.c.voided_at.is_(None)).order_by(c.c.household)).all()
        return {h: ("unused" if used is None else "used") for h, used in rows}

    def code_status(self, round_id: int, code_hash: str) -> str:
        """'unknown', 'unused', 'used' or 'voided'."""
        c = schema.voter_codes
        with self.read() as conn:  # type: ignore[attr-defined]
            row = conn.execute(select(c.c.used_at, c.c.voided_at).where(c.c.code_hash == code_hash, c.c.round_id == round_id)).first()
        if row is None:
            return "unknown"
        return "voided" if row[1] is not None else ("unused" if row[0] is None else "used")

    def ballot_receipt(self, round_id: int, submission_id: str) -> str | None:
        """The receipt of the ballot stored in this round under ``submission_id``, or None."""
        b = schema.ballots
        with self.read() as conn:  # type: ignore[attr-defined]
            row = conn.execute(select(b.c.receipt).where(b.c.round_id == round_id, b.c.submission_id == submission_id)).first()
        return row[0] if row else None

    @staticmethod
    def _insert_ballot(conn, round_id: int, items: dict[str, int], *, submission_id: str, receipt: str, channel: str, assisted_by: str | None) -> int:
        """Insert a ballot with a random id, its items (random storage order on SQLite), then seal
        it (the database checks the whole ballot at the seal). Times are the day only."""
        from toolkit.store.core import today

        b = schema.ballots
        for _attempt in range(20):
            bid = secrets.randbelow(2**31 - 2) + 1
            if conn.execute(select(b.c.id).where(b.c.id == bid)).first() is None:
                break
        else:  # pragma: no cover - 20 collisions in a 2^31 space
            raise StoreError("could not find a free ballot id")
        conn.execute(b.insert().values(id=bid, round_id=round_id, submission_id=submission_id, receipt=receipt, channel=channel,
                                       assisted_by=assisted_by, superseded=0, created_at=today(), sealed=0))
        for pid, value in sorted(items.items(), key=lambda _kv: secrets.randbits(32)):
            if conn.dialect.name == "sqlite":  # an explicit random rowid: storage order says nothing about arrival
                conn.exec_driver_sql("INSERT INTO ballot_items (rowid, ballot_id, project_id, value) VALUES (?, ?, ?, ?)",
                                     (secrets.randbits(62) + 1, bid, pid, int(value)))
            else:
                conn.execute(schema.ballot_items.insert().values(ballot_id=bid, project_id=pid, value=int(value)))
        conn.execute(b.update().where(b.c.id == bid).values(sealed=1))
        return bid

    @staticmethod
    def _lock_round(conn, round_id: int, *, exclusive: bool = False):
        """The round's status and change policy, read with a row lock on PostgreSQL (FOR SHARE for a
        ballot, FOR UPDATE for a close) so a ballot and a close never interleave."""
        r = schema.rounds
        query = select(r.c.status, r.c.change_policy).where(r.c.id == round_id)
        return conn.execute(query.with_for_update(read=not exclusive)).first()

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
        in the same transaction; paper ballots (reconciled double entry) have no code.

        Secrecy: the code is marked used with the day only, the ballot gets a random id and the
        day only, and the audit row names the ballot, never the code."""
        from toolkit.store.core import today

        b, c = schema.ballots, schema.voter_codes
        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                found = conn.execute(select(b.c.receipt).where(b.c.submission_id == submission_id)).first()
                if found:
                    return found[0], False
                rnd = self._lock_round(conn, round_id)
                if rnd is None or rnd[0] != "open":
                    raise BallotRefused("closed")
                previous = None
                if code_hash is not None:
                    code = conn.execute(select(c.c.used_at, c.c.ballot_id, c.c.voided_at).where(c.c.code_hash == code_hash, c.c.round_id == round_id)).first()
                    if code is None:
                        raise BallotRefused("unknown_code")
                    if code[2] is not None:
                        raise BallotRefused("void_code")
                    if code[0] is not None:
                        if rnd[1] != "replace":
                            raise BallotRefused("used_code")
                        previous = code[1]
                    spent = conn.execute(
                        c.update().where(c.c.code_hash == code_hash, c.c.round_id == round_id, c.c.voided_at.is_(None),
                                         (c.c.used_at.is_(None)) if previous is None else (c.c.ballot_id == previous)).values(used_at=today())
                    ).rowcount
                    if spent != 1:
                        raise BallotRefused("used_code")
                elif channel != "paper":
                    raise BallotRefused("unknown_code")
                bid = self._insert_ballot(conn, round_id, items, submission_id=submission_id, receipt=receipt, channel=channel, assisted_by=assisted_by)
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
            if "been voided" in text:
                raise BallotRefused("void_code") from None
            if "not open" in text:
                raise BallotRefused("closed") from None
            raise BallotRefused("rule", text.splitlines()[0]) from None

    def close_round(self, round_id: int, paper: Callable[["pd.DataFrame"], list[tuple[str, dict[str, int]]]],
                    check: Callable[[dict, list[dict[str, int]]], T], *, actor: str = "facilitator") -> T:
        """Close an open round in ONE transaction: count the reconciled paper ballots
        (``paper(entries)`` gives (serial, items) for each counted serial), mark the round closed,
        then ``check(round, ballots)`` (the result computation): if it raises, nothing is kept.
        Ballots and paper entries arriving meanwhile wait for this transaction, then are refused.
        Afterwards the storage order is rewritten (:meth:`scramble`)."""
        import pandas as pd

        from toolkit.store.core import now_iso

        p = schema.paper_entries
        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                rnd = self._lock_round(conn, round_id, exclusive=True)
                if rnd is None:
                    raise StoreError(f"there is no round {round_id}")
                if rnd[0] != "open":
                    raise StoreError(f"a {rnd[0]} round cannot become closed")
                result = conn.execute(select(p).where(p.c.round_id == round_id).order_by(p.c.serial, p.c.id))
                entries = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
                added = 0
                for serial, items in paper(entries):
                    sub = f"paper-{round_id}-{serial}"[:64]
                    if conn.execute(select(schema.ballots.c.id).where(schema.ballots.c.submission_id == sub)).first() is None:
                        bid = self._insert_ballot(conn, round_id, items, submission_id=sub, receipt=f"P{serial}"[:16], channel="paper", assisted_by=None)
                        self._audit(conn, "operator", "cast", "ballot", str(bid), {"round": round_id, "channel": "paper", "replaces": None})  # type: ignore[attr-defined]
                        added += 1
                conn.execute(schema.rounds.update().where(schema.rounds.c.id == round_id).values(status="closed", closed_at=now_iso()))
                self._audit(conn, actor, "closed", "round", str(round_id), {"paper_counted": added})  # type: ignore[attr-defined]
                outcome = check(self._round(conn, round_id), self._counted(conn, round_id))
        except IntegrityError as exc:
            raise StoreError(f"the database refused to close the round: {str(exc.orig).splitlines()[0]}") from None
        self.scramble()
        return outcome

    def scramble(self) -> None:
        """Best effort after a close: leave no trace of arrival order in storage. SQLite: copy the
        write-ahead log into the file and empty it, VACUUM (every page rewritten in key order), empty
        the log again; PostgreSQL: CLUSTER ballots, items and codes on their random / hashed keys."""
        from sqlalchemy.exc import OperationalError

        try:
            with self.engine.connect() as conn:  # type: ignore[attr-defined]
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                    conn.exec_driver_sql("VACUUM")
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                elif conn.dialect.name == "postgresql":
                    with conn.begin():
                        for table in ("ballots", "ballot_items", "voter_codes"):
                            conn.exec_driver_sql(f"CLUSTER {table} USING {table}_pkey")
        except OperationalError:  # another kernel holds a transaction: the storage order stays as it was
            pass

    def counted_ballots(self, round_id: int) -> list[dict[str, int]]:
        """The ballots that count (sealed, not superseded), each as {project_id: value}, in id order
        (random: never arrival order)."""
        with self.read() as conn:  # type: ignore[attr-defined]
            return self._counted(conn, round_id)

    @staticmethod
    def _counted(conn, round_id: int) -> list[dict[str, int]]:
        b, i = schema.ballots, schema.ballot_items
        live = (b.c.round_id == round_id, b.c.superseded == 0, b.c.sealed == 1)
        query = select(b.c.id, i.c.project_id, i.c.value).select_from(b.join(i, i.c.ballot_id == b.c.id)).where(*live).order_by(b.c.id, i.c.value, i.c.project_id)
        rows = conn.execute(query).all()
        ids = [r[0] for r in conn.execute(select(b.c.id).where(*live).order_by(b.c.id))]
        out: dict[int, dict[str, int]] = {bid: {} for bid in ids}
        for bid, pid, value in rows:
            out[bid][pid] = value
        return list(out.values())

    def turnout(self, round_id: int) -> dict:
        """Ballots in (by channel) and codes issued/used: no vote counts."""
        b, c = schema.ballots, schema.voter_codes
        with self.read() as conn:  # type: ignore[attr-defined]
            by_channel = dict(conn.execute(select(b.c.channel, func.count()).where(b.c.round_id == round_id, b.c.superseded == 0, b.c.sealed == 1).group_by(b.c.channel)).all())
            issued = conn.execute(select(func.count()).select_from(c).where(c.c.round_id == round_id, c.c.voided_at.is_(None))).scalar_one()
            used = conn.execute(select(func.count()).select_from(c).where(c.c.round_id == round_id, c.c.used_at.is_not(None))).scalar_one()
        return {"ballots": sum(by_channel.values()), "by_channel": by_channel, "codes_issued": issued, "codes_used": used}

    def add_paper_entry(self, round_id: int, serial: str, operator: str, role: str, content: dict[str, int], *, assisted_by: str | None = None) -> None:
        from toolkit.store.core import now_iso

        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                rnd = self._lock_round(conn, round_id)  # waits for a close in progress (PostgreSQL)
                if rnd is None or rnd[0] != "open":
                    raise StoreError("the round is not open")
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
