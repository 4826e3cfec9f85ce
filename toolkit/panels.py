"""Scoring panels: which proposals a three-tier team scores, with which rubric and reviewers."""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import LinliError

TIERS = ("community", "street", "district")


def parse_reviewer(text: str) -> tuple[str, str]:
    """``"张三:community"`` → ``("张三", "community")``."""
    name, _, tier = text.rpartition(":")
    if not name.strip() or tier not in TIERS:
        raise LinliError(f"reviewer {text!r} must look like NAME:TIER with TIER one of {', '.join(TIERS)}")
    return name.strip(), tier


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
    return ws.store.create_panel(name, rubric, rub.ref, rub.scale, chosen, people)
