"""Versioned reference layers in the store: published versions (never changed), planners'
drafts (edited until published or discarded), and where every proposal and round project lies
in each version ("placements"). Functions over a :class:`toolkit.store.Store`.

Rules the database keeps whatever Python sent (see :func:`create_tables`):
- a version's number is its base's plus one, so two drafts published from the same base cannot
  both become the next version (the second is refused);
- a published version's features are never updated or deleted, and only the newest version can
  receive features;
- a draft's features change only while the draft is open; a published draft stays as published;
- placements are never deleted; only an ambiguous one can be updated (the planner's decision);
- a proposal or round project stored while versions exist is stamped with the current version
  (trigger), so every record keeps the version it was made under.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import (CheckConstraint, Column, ForeignKey, Integer, String, Table, Text, func, select)
from sqlalchemy.exc import IntegrityError

from toolkit.errors import StoreError
from toolkit.store import schema

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from toolkit.store.core import Store

LEVEL_CHECK = "level IN ('streets', 'communities', 'compounds')"


def _feature_columns() -> list[Column]:
    return [
        Column("level", String(16), primary_key=True),
        Column("feature_id", String(64), primary_key=True),
        Column("name", Text, nullable=False),
        Column("name_en", Text, nullable=False),
        Column("street_id", String(64), nullable=False),
        Column("community_id", String(64), nullable=False),
        Column("households", Integer, nullable=False),
        Column("demo", Integer, nullable=False),
        Column("geometry", Text, nullable=True),  # GeoJSON, WGS-84; NULL only in drafts (not drawn yet)
    ]


geo_versions = Table(
    "geo_versions", schema.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("base_version", Integer, nullable=True),
    Column("draft_id", Integer, nullable=True),
    Column("note", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("published_at", String(40), nullable=False),
    Column("published_by", String(120), nullable=False),
    CheckConstraint("(base_version IS NULL AND id = 1) OR (base_version = id - 1)", name="ck_geo_versions_chain"),
)

geo_version_features = Table(
    "geo_version_features", schema.metadata,
    Column("version_id", Integer, ForeignKey("geo_versions.id"), primary_key=True),
    *_feature_columns(),
    CheckConstraint(LEVEL_CHECK, name="ck_geo_vf_level"),
    CheckConstraint("households >= 0", name="ck_geo_vf_households"),
    CheckConstraint("geometry IS NOT NULL", name="ck_geo_vf_geometry"),
    CheckConstraint("level = 'streets' OR street_id <> ''", name="ck_geo_vf_street"),
    CheckConstraint("level <> 'compounds' OR community_id <> ''", name="ck_geo_vf_community"),
)

geo_drafts = Table(
    "geo_drafts", schema.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("base_version", Integer, ForeignKey("geo_versions.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("published_version", Integer, nullable=True),
    CheckConstraint("status IN ('open', 'published', 'discarded')", name="ck_geo_drafts_status"),
    CheckConstraint("(status = 'published') = (published_version IS NOT NULL)", name="ck_geo_drafts_published"),
)

geo_draft_features = Table(
    "geo_draft_features", schema.metadata,
    Column("draft_id", Integer, ForeignKey("geo_drafts.id"), primary_key=True),
    *_feature_columns(),
    CheckConstraint(LEVEL_CHECK, name="ck_geo_df_level"),
    CheckConstraint("households >= 0", name="ck_geo_df_households"),
)

geo_placements = Table(
    "geo_placements", schema.metadata,
    Column("kind", String(16), primary_key=True),
    Column("record_id", String(80), primary_key=True),
    Column("version_id", Integer, ForeignKey("geo_versions.id"), primary_key=True),
    Column("compound_id", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("candidates", Text, nullable=False),  # JSON list of compound ids (ambiguous ones)
    Column("decided_by", String(120), nullable=True),
    Column("decided_at", String(40), nullable=True),
    CheckConstraint("kind IN ('proposal', 'round_project')", name="ck_geo_placements_kind"),
    CheckConstraint("status IN ('recorded', 'kept', 'moved', 'ambiguous', 'decided')", name="ck_geo_placements_status"),
    CheckConstraint("(status = 'decided') = (decided_by IS NOT NULL)", name="ck_geo_placements_decided"),
)

TABLES = [geo_versions, geo_version_features, geo_drafts, geo_draft_features, geo_placements]


def create_tables(conn: Connection) -> None:
    """Migration 50: the tables and the database rules listed in the module docstring."""
    from toolkit.store.migrations import guard

    schema.metadata.create_all(conn, tables=TABLES)
    guard(conn, "geo_vf_fixed_update", "geo_version_features", "UPDATE", "(1 = 1)", "published versions are never changed")
    guard(conn, "geo_vf_fixed_delete", "geo_version_features", "DELETE", "(1 = 1)", "published versions are never changed")
    guard(conn, "geo_vf_newest_only", "geo_version_features", "INSERT",
          "(NEW.version_id <> (SELECT max(id) FROM geo_versions))", "only the newest version can receive features")
    guard(conn, "geo_versions_fixed", "geo_versions", "UPDATE", "(1 = 1)", "published versions are never changed")
    guard(conn, "geo_drafts_closed", "geo_drafts", "UPDATE", "(OLD.status <> 'open')", "the draft is no longer open")
    closed = "((SELECT status FROM geo_drafts WHERE id = {}.draft_id) <> 'open')"
    guard(conn, "geo_df_open_insert", "geo_draft_features", "INSERT", closed.format("NEW"), "the draft is no longer open")
    guard(conn, "geo_df_open_update", "geo_draft_features", "UPDATE", closed.format("OLD"), "the draft is no longer open")
    guard(conn, "geo_df_open_delete", "geo_draft_features", "DELETE", closed.format("OLD"), "the draft is no longer open")
    guard(conn, "geo_placements_kept", "geo_placements", "DELETE", "(1 = 1)", "placements are never deleted")
    guard(conn, "geo_placements_decided", "geo_placements", "UPDATE",
          "(OLD.status <> 'ambiguous' OR NEW.status <> 'decided' OR OLD.version_id <> NEW.version_id "
          "OR OLD.record_id <> NEW.record_id OR OLD.kind <> NEW.kind)",
          "only an ambiguous placement can be decided")
    _stamp(conn, "proposals", "'proposal'", "CAST(NEW.id AS TEXT)", "NEW.compound_id")
    _stamp(conn, "round_projects", "'round_project'",
           "CAST(NEW.round_id AS TEXT) || ':' || NEW.project_id",
           "(SELECT p.compound_id FROM proposals p WHERE p.id = NEW.proposal_id)")


def _stamp(conn: Connection, table: str, kind: str, record_id: str, compound: str) -> None:
    """After a record is inserted while versions exist: a 'recorded' placement in the current version."""
    insert = (f"INSERT INTO geo_placements (kind, record_id, version_id, compound_id, status, candidates) "
              f"SELECT {kind}, {record_id}, max(v.id), {compound}, 'recorded', '[]' FROM geo_versions v "
              f"HAVING max(v.id) IS NOT NULL")
    name = f"geo_stamp_{table}"
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"CREATE TRIGGER {name} AFTER INSERT ON {table} BEGIN {insert}; END")
    else:
        conn.exec_driver_sql(f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {insert}; RETURN NEW; END; "
                             f"$$ LANGUAGE plpgsql")
        conn.exec_driver_sql(f"CREATE TRIGGER {name} AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")


# -- reading ---------------------------------------------------------------------------------
def _rows(conn: Connection, table: Table, key: str, value: int) -> list[dict]:
    t = table
    order = {"streets": 0, "communities": 1, "compounds": 2}
    out = []
    for r in conn.execute(select(t).where(t.c[key] == value)).mappings():
        out.append({"level": r["level"], "id": r["feature_id"], "name": r["name"], "name_en": r["name_en"],
                    "street_id": r["street_id"], "community_id": r["community_id"], "households": int(r["households"]),
                    "demo": bool(r["demo"]), "geometry": r["geometry"], "_seq": r.get("seq")})
    out.sort(key=lambda r: (order[r["level"]], _natural(r["id"])))
    for r in out:
        r.pop("_seq")
    return out


def _natural(text: str) -> tuple:
    import re

    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def current_version(store: Store) -> int | None:
    """The newest published version, or None while the geodata files are the only source."""
    with store.read() as conn:
        return conn.execute(select(func.max(geo_versions.c.id))).scalar()


def versions(store: Store) -> list[dict]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(geo_versions).order_by(geo_versions.c.id)).mappings()]


def version_rows(store: Store, version: int) -> list[dict]:
    with store.read() as conn:
        return _rows(conn, geo_version_features, "version_id", version)


def draft(store: Store, draft_id: int) -> dict:
    with store.read() as conn:
        row = conn.execute(select(geo_drafts).where(geo_drafts.c.id == draft_id)).mappings().first()
    if row is None:
        raise StoreError(f"there is no geodata draft {draft_id}")
    return dict(row)


def drafts(store: Store, *, status: str | None = "open") -> list[dict]:
    q = select(geo_drafts).order_by(geo_drafts.c.id)
    if status:
        q = q.where(geo_drafts.c.status == status)
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def draft_rows(store: Store, draft_id: int) -> list[dict]:
    with store.read() as conn:
        return _rows(conn, geo_draft_features, "draft_id", draft_id)


def placements(store: Store, version: int | None = None) -> list[dict]:
    """Placements (of one version, or all), oldest version first."""
    q = select(geo_placements).order_by(geo_placements.c.version_id, geo_placements.c.kind, geo_placements.c.record_id)
    if version is not None:
        q = q.where(geo_placements.c.version_id == version)
    with store.read() as conn:
        return [{**dict(r), "candidates": json.loads(r["candidates"])} for r in conn.execute(q).mappings()]


def located_records(conn_or_store: Any) -> list[dict]:
    """Every proposal and round project with what locates it: kind, record_id, geometry (GeoJSON
    text or None), lon, lat, compound_id (the proposal's own record), proposal_id."""
    p, rp = schema.proposals, schema.round_projects

    def run(conn: Connection) -> list[dict]:
        out = [{"kind": "proposal", "record_id": str(r.id), "geometry": r.geometry, "lon": r.lon, "lat": r.lat,
                "compound_id": r.compound_id, "proposal_id": r.id, "title": r.title, "receipt_code": r.receipt_code}
               for r in conn.execute(select(p.c.id, p.c.geometry, p.c.lon, p.c.lat, p.c.compound_id, p.c.title,
                                            p.c.receipt_code).order_by(p.c.id))]
        by_id = {o["proposal_id"]: o for o in out}
        for r in conn.execute(select(rp).order_by(rp.c.round_id, rp.c.project_id)).mappings():
            linked = by_id.get(r["proposal_id"]) if r["proposal_id"] is not None else None
            geometry = None
            if r["lon"] is not None and r["lat"] is not None:
                geometry = json.dumps({"type": "Point", "coordinates": [r["lon"], r["lat"]]})
            elif linked:
                geometry = linked["geometry"]
            out.append({"kind": "round_project", "record_id": f"{r['round_id']}:{r['project_id']}", "geometry": geometry,
                        "lon": r["lon"], "lat": r["lat"], "compound_id": linked["compound_id"] if linked else None,
                        "proposal_id": r["proposal_id"], "title": r["name"], "receipt_code": None})
        return out

    if hasattr(conn_or_store, "read"):
        with conn_or_store.read() as conn:
            return run(conn)
    return run(conn_or_store)


def latest_placements(store: Store) -> dict[tuple[str, str], dict]:
    """(kind, record_id) -> the record's placement in the newest version it has one in."""
    out: dict[tuple[str, str], dict] = {}
    for row in placements(store):
        out[(row["kind"], row["record_id"])] = row
    return out


# -- writing ---------------------------------------------------------------------------------
def _feature_values(row: dict) -> dict:
    return {"level": row["level"], "feature_id": row["id"], "name": row["name"], "name_en": row["name_en"] or row["name"],
            "street_id": row["street_id"] or "", "community_id": row["community_id"] or "",
            "households": int(row["households"] or 0), "demo": int(bool(row["demo"])), "geometry": row["geometry"]}


def create_baseline(store: Store, rows: list[dict], source: str, placements_: list[dict], *, actor: str) -> int:
    """Version 1 from the geodata files, with every existing record 'recorded' in it. Returns 1;
    if a version already exists, nothing is written and the current version is returned."""
    from toolkit.store.core import now_iso

    try:
        with store.write() as conn:
            if conn.execute(select(func.max(geo_versions.c.id))).scalar() is not None:
                return int(conn.execute(select(func.max(geo_versions.c.id))).scalar())
            conn.execute(geo_versions.insert().values(id=1, base_version=None, draft_id=None, note="baseline",
                                                      source=source, published_at=now_iso(), published_by=actor))
            conn.execute(geo_version_features.insert(), [{"version_id": 1, **_feature_values(r)} for r in rows])
            _insert_placements(conn, 1, placements_, stamped=False)
            store._audit(conn, actor, "baseline", "geodata_version", "1", {"source": source, "features": len(rows)})
            return 1
    except IntegrityError:  # another process made the baseline first
        return int(current_version(store) or 1)


def _insert_placements(conn: Connection, version: int, rows: list[dict], *, stamped: bool) -> None:
    if not rows:
        return
    have = {(r.kind, r.record_id) for r in conn.execute(
        select(geo_placements.c.kind, geo_placements.c.record_id).where(geo_placements.c.version_id == version))}
    values = [{"kind": r["kind"], "record_id": r["record_id"], "version_id": version, "compound_id": r["compound_id"],
               "status": r["status"], "candidates": json.dumps(r.get("candidates") or [])}
              for r in rows if (r["kind"], r["record_id"]) not in have]
    if values:
        conn.execute(geo_placements.insert(), values)


def create_draft(store: Store, base_version: int, rows: list[dict], name: str, *, actor: str) -> int:
    from toolkit.store.core import now_iso

    with store.write() as conn:
        did = conn.execute(geo_drafts.insert().values(base_version=base_version, name=name, status="open",
                                                      created_at=now_iso(), created_by=actor)).inserted_primary_key[0]
        if rows:
            conn.execute(geo_draft_features.insert(), [{"draft_id": did, **_feature_values(r)} for r in rows])
        store._audit(conn, actor, "create", "geodata_draft", str(did), {"base_version": base_version, "name": name})
    return int(did)


def save_draft_features(store: Store, draft_id: int, upsert: list[dict], delete: list[tuple[str, str]], *,
                        actor: str, action: str) -> None:
    """Replace some features of an open draft (and delete others) in one transaction."""
    t = geo_draft_features
    try:
        with store.write() as conn:
            for level, fid in delete + [(r["level"], r["id"]) for r in upsert]:
                conn.execute(t.delete().where((t.c.draft_id == draft_id) & (t.c.level == level) & (t.c.feature_id == fid)))
            if upsert:
                conn.execute(t.insert(), [{"draft_id": draft_id, **_feature_values(r)} for r in upsert])
            store._audit(conn, actor, action, "geodata_draft", str(draft_id),
                         {"changed": [f"{r['level']}:{r['id']}" for r in upsert], "deleted": [f"{a}:{b}" for a, b in delete]})
    except IntegrityError as exc:
        raise StoreError(f"the database refused the change to draft {draft_id}: {exc.orig}") from None


def discard_draft(store: Store, draft_id: int, *, actor: str) -> None:
    with store.write() as conn:
        conn.execute(geo_drafts.update().where(geo_drafts.c.id == draft_id).values(status="discarded"))
        store._audit(conn, actor, "discard", "geodata_draft", str(draft_id), {})


def publish(store: Store, draft_id: int, rows: list[dict], units: list[dict], placements_for: Any, *,
            note: str, actor: str) -> int:
    """Publish a checked draft as version base + 1, in one transaction: the version and its
    features, a placement for every record (``placements_for(records)`` is called inside the
    transaction with :func:`located_records`, so no record is missed), the draft marked
    published, the units reference list brought in step. Returns the new version number."""
    from toolkit.store.core import now_iso

    d = draft(store, draft_id)
    new = int(d["base_version"]) + 1
    try:
        with store.write() as conn:
            conn.execute(geo_versions.insert().values(id=new, base_version=d["base_version"], draft_id=draft_id, note=note,
                                                      source=f"draft {draft_id}", published_at=now_iso(), published_by=actor))
            conn.execute(geo_version_features.insert(), [{"version_id": new, **_feature_values(r)} for r in rows])
            _insert_placements(conn, new, placements_for(located_records(conn)), stamped=False)
            conn.execute(geo_drafts.update().where(geo_drafts.c.id == draft_id).values(status="published", published_version=new))
            store._upsert(conn, schema.units, units, "geography")
            store._audit(conn, actor, "publish", "geodata_version", str(new), {"draft": draft_id, "note": note})
    except IntegrityError as exc:
        now = current_version(store)
        if now is not None and now >= new:
            raise StoreError(f"version {now} was published while this draft was open (it is based on version "
                             f"{d['base_version']}); start a new draft from version {now}") from None
        raise StoreError(f"the database refused publishing draft {draft_id}: {exc.orig}") from None
    return new


def decide_placement(store: Store, kind: str, record_id: str, version: int, compound_id: str | None, *, actor: str) -> None:
    """The planner's decision for an ambiguous placement (the database refuses any other update)."""
    from toolkit.store.core import now_iso

    t = geo_placements
    try:
        with store.write() as conn:
            n = conn.execute(t.update().where((t.c.kind == kind) & (t.c.record_id == record_id) & (t.c.version_id == version))
                             .values(compound_id=compound_id, status="decided", decided_by=actor, decided_at=now_iso())).rowcount
            if n != 1:
                raise StoreError(f"there is no placement of {kind} {record_id} in version {version}")
            store._audit(conn, actor, "decide", "geodata_placement", f"{kind}:{record_id}@{version}", {"compound_id": compound_id})
    except IntegrityError as exc:
        raise StoreError(f"the database refused the decision: {exc.orig}") from None
