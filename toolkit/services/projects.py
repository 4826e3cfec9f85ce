"""Funded projects followed to acceptance: milestones, reviews, maintenance, files, bulk updates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toolkit.settings import Settings


def files_dir_for(db: str, var_dir: Path) -> Path:
    """Uploaded project photos and documents live in ``files/`` beside a SQLite database (or in
    ``var/files`` for PostgreSQL); residents see them only through the status and notice pages."""
    from toolkit.store import database_url

    url = database_url(db)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///").split("?", 1)[0]  # sqlite:///file:/x/linli.sqlite?mode=ro&uri=true too
        return Path(path.removeprefix("file:")).parent / "files"
    return Path(var_dir) / "files"


def files_dir(settings: "Settings") -> Path:
    return files_dir_for(settings.db, settings.var_dir)


def _project(store, project_id: int) -> dict:
    from toolkit.errors import ValidationError
    from toolkit.labels import Label
    from toolkit.store.projects import project

    found = project(store, project_id)
    if found is None:
        raise ValidationError({"project": Label(f"没有编号为 {project_id} 的项目", f"there is no project {project_id}")})
    return found


def set_implementer(store, project_id: int, implementer: str, *, actor: str) -> None:
    from toolkit.errors import ValidationError
    from toolkit.labels import Label
    from toolkit.store.projects import update_project

    name = (implementer or "").strip()
    if not 2 <= len(name) <= 120:
        raise ValidationError({"implementer": Label("请写实施方名称（2–120 字）", "Name the implementer (2–120 characters)")})
    _project(store, project_id)
    update_project(store, project_id, {"implementer": name}, actor=actor)


def add_milestone(store, project_id: int, title: str, on_date: str, progress: object, spent_fen: int, *, actor: str, title_en: str | None = None) -> int:
    """Check and record a milestone; the money spent and state follow; the proposer hears of it."""
    from toolkit.feedback import compose, load_feedback_rules
    from toolkit.labels import Label
    from toolkit.projects import check_milestone
    from toolkit.store.projects import add_milestone as store_add

    p = _project(store, project_id)
    last = max((m["progress"] for m in p["milestones"]), default=0)
    m = check_milestone(title, on_date, progress, int(spent_fen), budget_fen=int(p["budget_fen"]), last_progress=last,
                        last_spent_fen=int(p["spent_fen"]), state=p["state"])
    rules = load_feedback_rules()
    title_en = (title_en or m.title).strip() or m.title
    message = compose(rules, "milestone", project=Label(p["name"], p["name_en"]), milestone=Label(m.title, title_en), progress=m.progress)
    row = {"title": m.title, "title_en": title_en, "on_date": m.on_date, "progress": m.progress, "spent_fen": m.spent_fen}
    return store_add(store, project_id, row, actor=actor, message=message, rules_ref=rules.ref)


def review(store, project_id: int, kind: str, *, passed: bool, on_date: str, actor: str, score: float | None = None,
           panel_id: int | None = None, note: str = "") -> None:
    """A mid-term or acceptance review; a passed acceptance accepts the project (and tells the
    proposer). With ``panel_id``, use :func:`panel_score` for the score."""
    from datetime import date

    from toolkit.errors import ValidationError
    from toolkit.feedback import compose, load_feedback_rules
    from toolkit.labels import Label
    from toolkit.store.projects import add_review

    p = _project(store, project_id)
    if kind not in ("midterm", "acceptance"):
        raise ValidationError({"kind": Label("评估类型是中期评估或结项验收", "a review is mid-term or acceptance")})
    if any(r["kind"] == kind for r in p["reviews"]):
        raise ValidationError({"kind": Label("这项评估已经记录过了", "this review is already recorded")})
    if p["state"] in ("accepted", "maintenance"):
        raise ValidationError({"kind": Label("项目已验收", "the project is already accepted")})
    try:
        day = date.fromisoformat(str(on_date)[:10]).isoformat()
    except ValueError:
        raise ValidationError({"date": Label(f"日期“{on_date}”无效", f"date “{on_date}” is not valid")}) from None
    rules = load_feedback_rules()
    message = compose(rules, "accepted", project=Label(p["name"], p["name_en"]), date=day) if kind == "acceptance" and passed else None
    add_review(store, project_id, {"kind": kind, "panel_id": panel_id, "score": score, "passed": int(bool(passed)), "note": note[:2000], "reviewed_on": day},
               actor=actor, message=message, rules_ref=rules.ref)


def panel_score(store, panel_id: int, project_id: int) -> float:
    """The project's total in a locked scoring panel (the ``evaluation`` rubric, three tiers),
    through the same aggregation as the tally page; the panel lists the project as P<proposal>."""
    from toolkit.errors import ValidationError
    from toolkit.labels import Label
    from toolkit.scoring import aggregate, load_rubric, rows_from_frame

    p = _project(store, project_id)
    panel = store.panel(panel_id)
    if not panel.get("locked_at"):
        raise ValidationError({"panel": Label("评分还没有全部交齐", "the panel's scores are not all in")})
    ranking = aggregate(rows_from_frame(store.panel_scores(panel_id)), load_rubric(panel["rubric"]))
    key = f"P{int(p['proposal_id']):04d}" if p["proposal_id"] is not None else p["project_id"]
    for r in ranking.projects:
        if r.id == key:
            return float(r.total)
    raise ValidationError({"panel": Label("这个评审组没有给这个项目打分", "this panel did not score the project")})


def start_maintenance(store, project_id: int, maintainer: str, every_days: int, *, actor: str) -> None:
    from toolkit.errors import ValidationError
    from toolkit.feedback import compose, load_feedback_rules
    from toolkit.labels import Label
    from toolkit.store.projects import start_maintenance as store_start

    p = _project(store, project_id)
    who = (maintainer or "").strip()
    if not 2 <= len(who) <= 120 or not isinstance(every_days, int) or not 1 <= every_days <= 366:
        raise ValidationError({"maintenance": Label("请写明维护责任人，检查周期 1–366 天", "Name who maintains it and check every 1–366 days")})
    if p["state"] != "accepted":
        raise ValidationError({"maintenance": Label("验收通过后才能进入运营维护", "only an accepted project goes into maintenance")})
    rules = load_feedback_rules()
    message = compose(rules, "maintenance", project=Label(p["name"], p["name_en"]), maintainer=who, days=every_days)
    store_start(store, project_id, who, every_days, actor=actor, message=message, rules_ref=rules.ref)


def record_check(store, project_id: int, on_date: str, by_whom: str, note: str = "", *, actor: str) -> None:
    from datetime import date

    from toolkit.errors import ValidationError
    from toolkit.labels import Label
    from toolkit.store.projects import add_check

    p = _project(store, project_id)
    if p["state"] != "maintenance":
        raise ValidationError({"check": Label("项目还没有进入运营维护", "the project is not in maintenance yet")})
    try:
        day = date.fromisoformat(str(on_date)[:10]).isoformat()
    except ValueError:
        raise ValidationError({"date": Label(f"日期“{on_date}”无效", f"date “{on_date}” is not valid")}) from None
    add_check(store, project_id, day, by_whom.strip()[:120] or actor, note[:2000], actor=actor)


def overdue_maintenance(store, today=None) -> list[dict]:
    """Projects in maintenance whose next check is past: id, name, maintainer, due, days late."""
    from datetime import date

    from toolkit.projects import maintenance_due
    from toolkit.store.projects import project, projects_frame

    today = today or date.today()
    out = []
    for r in projects_frame(store).itertuples():
        if r.state != "maintenance":
            continue
        checks = [c["on_date"] for c in project(store, r.id)["checks"]]
        due = maintenance_due(r.accepted_at, checks, r.maintenance_days)
        if due < today.isoformat():
            out.append({"id": r.id, "name": r.name, "maintainer": r.maintainer, "due": due, "days_late": (today - date.fromisoformat(due)).days})
    return out


def upload(store, project_id: int, name: str, data: bytes, folder: Path, *, actor: str) -> int:
    """Keep a photo or document (checked by its bytes, ≤ 5 MB) under ``folder`` with a random name."""
    import secrets

    from toolkit.projects import check_file
    from toolkit.store.core import now_iso
    from toolkit.store.projects import add_file

    _project(store, project_id)
    mime, ext, kind = check_file(name, data)
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + ext
    (folder / stored).write_bytes(data)
    return add_file(store, project_id, {"kind": kind, "original_name": Path(name).name[:200] or stored, "stored_name": stored,
                                        "mime": mime, "size": len(data), "uploaded_at": now_iso()}, actor=actor)


def bulk_update(store, data: bytes, name: str, *, actor: str) -> int:
    """Apply an implementer's spreadsheet of milestones (see toolkit.projects.parse_bulk); every
    row is checked before any is stored. Returns milestones added."""
    from toolkit.errors import ValidationError
    from toolkit.labels import Label
    from toolkit.projects import check_milestone, parse_bulk

    rows = parse_bulk(data, name)
    state: dict[int, dict] = {}
    for r in rows:  # check all first, carrying progress and money forward row by row
        try:
            p = state.get(r["project"]) or _project(store, r["project"])
            last = max((m["progress"] for m in p["milestones"]), default=0) if "last" not in p else p["last"]
            m = check_milestone(r["title"], r["date"], r["progress"], r["spent_fen"], budget_fen=int(p["budget_fen"]), last_progress=last,
                                last_spent_fen=int(p["spent_fen"]), state=p["state"])
        except ValidationError as exc:
            first = next(iter(exc.errors.values()))
            raise ValidationError({"file": Label(f"第 {r['row']} 行：{first.zh}", f"row {r['row']}: {first.en}")}) from None
        state[r["project"]] = {**p, "last": m.progress, "spent_fen": m.spent_fen, "state": "in_progress"}
    for r in rows:
        add_milestone(store, r["project"], r["title"], r["date"], r["progress"], r["spent_fen"], actor=actor)
    return len(rows)
