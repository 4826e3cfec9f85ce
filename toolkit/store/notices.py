"""Public notices and objections: functions over the store (issue 12). A published notice is
never changed or deleted (database rules); a correction is a new notice naming the old one.
Objections are kept as raised and answered once; the code they came with is kept hashed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from toolkit.errors import StoreError
from toolkit.store import schema

if TYPE_CHECKING:
    from toolkit.store.core import Store


def publish(store: "Store", row: dict, *, actor: str) -> int:
    from toolkit.store.core import Store

    try:
        with store.write() as conn:
            nid = conn.execute(schema.notices.insert().values(**row)).inserted_primary_key[0]
            Store._audit(conn, actor, "publish", "notice", str(nid), {k: v for k, v in row.items() if k not in ("body_zh", "body_en", "points")})
            return nid
    except IntegrityError as exc:
        raise StoreError(f"the database refused the notice: {exc.orig}") from None


def notices(store: "Store") -> list[dict]:
    n = schema.notices
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(n).order_by(n.c.id.desc())).mappings()]


def notice(store: "Store", notice_id: int) -> dict | None:
    n = schema.notices
    with store.read() as conn:
        row = conn.execute(select(n).where(n.c.id == int(notice_id))).mappings().first()
        if row is None:
            return None
        out = dict(row)
        out["corrected_by"] = [r[0] for r in conn.execute(select(n.c.id).where(n.c.corrects == int(notice_id)))]
    return out


def add_objection(store: "Store", row: dict, *, actor: str) -> int:
    from toolkit.store.core import Store

    try:
        with store.write() as conn:
            oid = conn.execute(schema.objections.insert().values(**row)).inserted_primary_key[0]
            Store._audit(conn, actor, "object", "notice", str(row["notice_id"]), {"objection": oid, "via": row["via"], "text": row["text"]})
            return oid
    except IntegrityError as exc:
        raise StoreError(f"the database refused the objection: {exc.orig}") from None


def answer_objection(store: "Store", objection_id: int, answer: str, *, by: str, at: str) -> bool:
    from toolkit.store.core import Store

    o = schema.objections
    try:
        with store.write() as conn:
            n = conn.execute(update(o).where(o.c.id == int(objection_id), o.c.answer.is_(None))
                             .values(answer=answer, answered_at=at, answered_by=by)).rowcount
            if n:
                Store._audit(conn, by, "answer", "objection", str(objection_id), {"answer": answer})
            return bool(n)
    except IntegrityError as exc:
        raise StoreError(f"the database refused the answer: {exc.orig}") from None


def objections(store: "Store", notice_id: int) -> list[dict]:
    """Objections of a notice, oldest first, without the code hash."""
    o = schema.objections
    cols = [c for c in o.c if c.name != "code_hash"]
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(*cols).where(o.c.notice_id == int(notice_id)).order_by(o.c.id)).mappings()]


def objection_by_code(store: "Store", notice_id: int, code_hash: str) -> bool:
    o = schema.objections
    with store.read() as conn:
        return conn.execute(select(o.c.id).where(o.c.notice_id == int(notice_id), o.c.code_hash == code_hash)).first() is not None
