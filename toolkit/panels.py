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


def create_panel(db: str | Path | None, name: str, rubric: str, projects: list[str], reviewers: list[str]) -> tuple[int, dict[str, str]]:
    """Create a panel over existing proposals (by id or receipt code); return its id and the
    reviewers' one-time codes."""
    from toolkit.scoring import load_rubric
    from toolkit.workspace import open_workspace

    ws = open_workspace(db)
    rub = load_rubric(rubric)
    frame = ws.store.proposals_frame()
    chosen = []
    for ref in projects:
        hit = frame[(frame.receipt_code == ref.upper()) | (frame.id.astype(str) == ref)]
        if hit.empty:
            raise LinliError(f"there is no proposal {ref!r} (give a proposal id or a receipt code)")
        row = hit.iloc[0]
        chosen.append((f"P{int(row.id):04d}", str(row.title)))
    people = [parse_reviewer(r) for r in reviewers]
    unknown = {t for _, t in people} - set(rub.tier_ids)
    if unknown:
        raise LinliError(f"rubric {rub.ref} has no tier {', '.join(sorted(unknown))}")
    codes = {person: format_code(new_code()) for person, _tier in people}
    panel_id = ws.store.create_panel(name, rubric, rub.ref, rub.scale, chosen, [(n, t, code_hash(codes[n])) for n, t in people])
    return panel_id, codes
