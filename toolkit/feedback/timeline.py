"""The timeline of one proposal, as its proposer sees it on the status page: every step it has
been through with dates — received, screened, its triage track (met or overdue), scored, in a
round, implemented (milestones), accepted, maintained.

Pure: the store's rows come in as plain dicts. A step carries a text key (``status.step.*`` in
the ``loop`` catalog) and its values; bilingual values are :class:`~toolkit.labels.Label`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from toolkit.labels import Label

DONE, CURRENT, LATE, DUE = "done", "current", "late", "due"


@dataclass(frozen=True)
class Step:
    key: str  # text id under status.step.
    on: str  # ISO date, or "" for a step still waiting
    state: str  # done, current, late, due
    values: dict = field(default_factory=dict, hash=False, compare=False)
    detail: Label | None = None  # a sentence from the data (decision, explanation), already bilingual


def _day(text: str | None) -> str:
    return (text or "")[:10]


def _ticket_steps(decision: dict, track: Label, later: list[str], today: date) -> list[Step]:
    respond, resolve = decision["response_due"], decision["resolution_due"]
    answered = _day(decision["decided_at"])
    steps = [Step("respond", answered, DONE if answered <= respond else LATE, {"track": track, "due": respond})]
    settled = min((d for d in later if d), default="")
    if settled:
        state = DONE if settled <= resolve else LATE
        steps.append(Step("resolve", settled, state, {"track": track, "due": resolve}))
    else:
        state = LATE if today.isoformat() > resolve else DUE
        steps.append(Step("resolve", "", state, {"track": track, "due": resolve}))
    return steps


def build_timeline(
    proposal: dict,
    *,
    decision: dict | None = None,
    track: Label | None = None,
    scores: list[dict] = (),
    rounds: list[dict] = (),
    project: dict | None = None,
    milestones: list[dict] = (),
    reviews: list[dict] = (),
    checks: list[dict] = (),
    today: date | None = None,
) -> list[Step]:
    """Steps oldest first. ``rounds``: {name, status, funded, votes, explanation_zh/en, closed_at};
    ``scores``: {panel, rank, of, locked_at}; ``project``: a projects row; ``milestones``:
    {title, title_en, on_date, progress}; ``reviews``: {kind, passed, reviewed_on, score};
    ``checks``: maintenance checks {on_date, by_whom}."""
    today = today or date.today()
    steps = [Step("received", _day(proposal["created_at"]), DONE, {"code": proposal["receipt_code"]})]
    if decision is None:
        steps.append(Step("waiting_screening", "", CURRENT))
        return steps
    message = Label(decision["message_zh"], decision["message_en"])
    if decision["outcome"] == "deliberated":
        steps.append(Step("deliberated", _day(decision["decided_at"]), DONE, {}, message))
    else:
        to = Label(decision["redirect_to_zh"] or "", decision["redirect_to_en"] or "")
        steps.append(Step(f"excluded_{decision['redirect_kind']}", _day(decision["decided_at"]), DONE, {"to": to}, message))
    later = [_day(s.get("locked_at")) for s in scores] + [_day(r.get("closed_at") or r.get("opened_at")) for r in rounds]
    steps += _ticket_steps(decision, track or Label(decision["track"], decision["track"]), later, today)
    for s in scores:
        if s.get("locked_at"):
            steps.append(Step("scored", _day(s["locked_at"]), DONE, {"panel": s["panel"], "rank": s["rank"], "of": s["of"]}))
        else:
            steps.append(Step("scoring", "", CURRENT, {"panel": s["panel"]}))
    for r in rounds:
        if r["status"] != "closed":
            steps.append(Step("voting", _day(r.get("opened_at")), CURRENT, {"round": r["name"]}))
            continue
        explanation = Label(r.get("explanation_zh") or "", r.get("explanation_en") or "")
        key = "funded" if r["funded"] else "not_funded"
        steps.append(Step(key, _day(r["closed_at"]), DONE, {"round": r["name"], "votes": r["votes"]}, explanation))
    if project is None:
        return steps
    name = Label(project["name"], project["name_en"])
    steps.append(Step("implementing", _day(project["created_at"]), DONE if project["state"] != "funded" else CURRENT,
                      {"project": name, "implementer": project["implementer"], "budget": project["budget_fen"], "spent": project["spent_fen"]}))
    for m in milestones:
        steps.append(Step("milestone", m["on_date"], DONE, {"title": Label(m["title"], m["title_en"]), "progress": m["progress"]}))
    for rv in reviews:
        if rv["kind"] == "midterm":
            steps.append(Step("midterm_passed" if rv["passed"] else "midterm_failed", rv["reviewed_on"], DONE, {"score": rv.get("score")}))
    if project.get("accepted_at"):
        steps.append(Step("accepted", _day(project["accepted_at"]), DONE, {"project": name}))
    if project["state"] == "maintenance":
        last = max((c["on_date"] for c in checks), default=_day(project["accepted_at"]))
        due = (date.fromisoformat(last) + timedelta(days=int(project["maintenance_days"]))).isoformat()
        state = LATE if today.isoformat() > due else CURRENT
        steps.append(Step("maintenance", last, state, {"maintainer": project["maintainer"], "days": project["maintenance_days"], "due": due}))
    return steps
