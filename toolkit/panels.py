"""Scoring panels: which proposals a three-tier team scores, with which rubric and reviewers.

Reviewer codes are the same kind as voter codes (8 characters + a check character, so a typo is
caught before any lookup); the store keeps only a SHA-256 of the normalised code — the codes are
random (≈36 bits) and a panel lives for one meeting, so a slow hash buys nothing here."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import LinliError, ValidationError
from toolkit.rounds.codes import format_code, new_code, normalise_code

if TYPE_CHECKING:
    from toolkit.store import Store

TIERS = ("community", "street", "district")


def parse_reviewer(text: str) -> tuple[str, str]:
    """``"张三:community"`` → ``("张三", "community")``."""
    from toolkit.text import has_control

    name, _, tier = text.rpartition(":")
    if has_control(name.strip()):
        raise LinliError(f"reviewer {text!r}: the name must be one line without control characters (tabs, line breaks)")
    if not name.strip() or tier not in TIERS:
        raise LinliError(f"reviewer {text!r} must look like NAME:TIER with TIER one of {', '.join(TIERS)}")
    return name.strip(), tier


def code_hash(code: str) -> str:
    """The lookup key of a reviewer code (normalised first; raises ValidationError on a typo)."""
    return hashlib.sha256(("linli-reviewer:" + normalise_code(code)).encode()).hexdigest()


def reviewer_by_code(store: "Store", code: str) -> dict | None:
    """The reviewer a typed code belongs to, or None (also for a mistyped code)."""
    try:
        return store.reviewer_by_hash(code_hash(code))
    except ValidationError:
        return None


def project_info(store: "Store", project_id: str) -> dict | None:
    """The proposal behind a panel project id (``P0007`` → proposal 7): its public fields."""
    digits = str(project_id or "").lstrip("Pp")
    return store.proposal(int(digits)) if digits.isdigit() else None


def create_panel(db: str | Path | None, name: str, rubric: str, projects: list[str], reviewers: list[str]) -> tuple[int, dict[str, str]]:
    """Create a panel over existing proposals (by id or receipt code); return its id and the
    reviewers' one-time codes."""
    from toolkit.workspace import open_workspace

    ws = open_workspace(db)
    frame = ws.store.proposals_frame()
    ids = []
    for ref in projects:
        hit = frame[(frame.receipt_code == ref.upper()) | (frame.id.astype(str) == ref)]
        if hit.empty:
            raise LinliError(f"there is no proposal {ref!r} (give a proposal id or a receipt code)")
        ids.append(int(hit.iloc[0].id))
    return create_panel_in(ws.store, name, rubric, ids, [parse_reviewer(r) for r in reviewers])


def panel_problems(store: "Store", name: str, rubric: str, proposal_ids: list[int], reviewers: list[tuple[str, str]]) -> dict[str, tuple[str, dict]]:
    """What is wrong with a new panel, as ``{field: (message key, values)}`` (keys in the ``nav``
    catalog); empty when it can be created."""
    from toolkit.scoring import load_rubric

    out: dict[str, tuple[str, dict]] = {}
    if not isinstance(name, str) or not name.strip():
        out["name"] = ("nav.panel.need_name", {})
    known = set(int(x) for x in store.proposals_frame().id)
    if not proposal_ids:
        out["projects"] = ("nav.panel.need_projects", {})
    for pid in proposal_ids:
        if pid not in known:
            out["projects"] = ("nav.panel.bad_project", {"value": pid})
    people = [(n.strip(), t) for n, t in reviewers if isinstance(n, str) and n.strip()]
    if not people:
        out["reviewers"] = ("nav.panel.need_reviewers", {})
    seen: set[str] = set()
    tiers = set(load_rubric(rubric).tier_ids) & set(TIERS)
    for n, t in people:
        if n in seen:
            out["reviewers"] = ("nav.panel.duplicate_reviewer", {"name": n})
        seen.add(n)
        if t not in tiers:
            out["reviewers"] = ("nav.panel.bad_tier", {"value": t})
    return out


def create_panel_in(store: "Store", name: str, rubric: str, proposal_ids: list[int], reviewers: list[tuple[str, str]]) -> tuple[int, dict[str, str]]:
    """Create a panel on ``store`` over proposals (by id) with reviewers ``(name, tier)``; return
    its id and each reviewer's one-time code (the store keeps only hashes). Raises LinliError."""
    from toolkit.scoring import load_rubric

    problems = panel_problems(store, name, rubric, proposal_ids, reviewers)
    if problems:
        from toolkit.i18n import text

        raise LinliError(" ".join(text(key, "en", **values) for key, values in problems.values()))
    rub = load_rubric(rubric)
    frame = store.proposals_frame().set_index("id")
    chosen = [(f"P{pid:04d}", str(frame.loc[pid].title)) for pid in dict.fromkeys(proposal_ids)]
    people = [(n.strip(), t) for n, t in reviewers if n.strip()]
    codes = {person: format_code(new_code()) for person, _tier in people}
    panel_id = store.create_panel(name.strip(), rubric, rub.ref, rub.scale, chosen, [(n, t, code_hash(codes[n])) for n, t in people])
    return panel_id, codes
