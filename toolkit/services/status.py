"""The status of a proposal by its receipt code, for the resident status page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from toolkit.feedback import Step, build_timeline
from toolkit.labels import Label

if TYPE_CHECKING:
    from toolkit.store import Store

PUBLIC_FIELDS = ("id", "receipt_code", "title", "problem", "why", "suggestion", "created_at", "lang")


@dataclass(frozen=True)
class Status:
    proposal: dict  # only PUBLIC_FIELDS: the proposer's own text, never the contact
    steps: tuple[Step, ...]
    can_rate: bool
    rating: int | None
    photos: tuple[dict, ...]  # project photos (id, original_name, stored_name, mime)


def _scores(store: "Store", panels: list[dict]) -> list[dict]:
    out = []
    for p in panels:
        entry = {"panel": p["name"], "locked_at": p["locked_at"], "rank": None, "of": None}
        if p["locked_at"]:
            from toolkit.scoring import aggregate, load_rubric, rows_from_frame  # pandas: only for a scored proposal

            frame = store.panel_scores(p["id"])
            if len(frame):
                ranking = aggregate(rows_from_frame(frame), load_rubric(store.panel(p["id"])["rubric"]))
                ranks = {r.id: r.rank for r in ranking.projects}
                entry.update(rank=ranks.get(p["project_id"]), of=len(ranks))
        out.append(entry)
    return [e for e in out if e["rank"] is not None or not e["locked_at"]]


def status_by_code(store: "Store", code: str, *, today: date | None = None) -> Status | None:
    """The timeline of the proposal with receipt ``code``, or None if there is none."""
    from toolkit.screening import load_triage_rules
    from toolkit.store.feedback import status_rows

    found = store.proposal_by_receipt(code)
    if found is None:
        return None
    proposal = {k: found[k] for k in PUBLIC_FIELDS}
    rows = status_rows(store, proposal["id"])
    decision = rows["decision"]
    track = None
    if decision is not None:
        try:
            track = load_triage_rules().track(decision["track"]).label
        except KeyError:  # a track renamed in an edited rule file: show its id
            track = Label(decision["track"], decision["track"])
    rounds = [{**r, "funded": bool(r["funded"]), "votes": r["votes"] or 0} for r in rows["rounds"]]
    steps = build_timeline(
        proposal, decision=decision, track=track, scores=_scores(store, rows["panels"]), rounds=rounds,
        project=rows["project"], milestones=rows["milestones"], reviews=rows["reviews"], checks=rows["checks"], today=today,
    )
    project = rows["project"]
    accepted = project is not None and project["state"] in ("accepted", "maintenance")
    photos = tuple({k: f[k] for k in ("id", "original_name", "stored_name", "mime")} for f in rows["files"] if f["kind"] == "photo")
    return Status(proposal, tuple(steps), accepted and rows["rating"] is None, rows["rating"], photos)


def rate(store: "Store", code: str, rating: int) -> bool:
    """Record the proposer's satisfaction (1–5) once, only after acceptance."""
    from toolkit.errors import ValidationError
    from toolkit.store.feedback import rate as store_rate

    status = status_by_code(store, code)
    if status is None:
        raise ValidationError({"code": Label("没有这个回执码。", "There is no such receipt code.")})
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValidationError({"rating": Label("请选 1 到 5 颗星。", "Pick 1 to 5 stars.")})
    if not status.can_rate and status.rating is None:
        raise ValidationError({"rating": Label("项目验收后才能评价。", "You can rate the project after its acceptance.")})
    return store_rate(store, status.proposal["id"], rating)
