"""Scoring panels in the store: a panel (rubric + projects), its reviewers (one-time codes,
stored hashed), their score sheets. Used by the ``scoring`` and ``tally`` pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from toolkit.errors import StoreError
from toolkit.store import schema

if TYPE_CHECKING:
    import pandas as pd

class PanelsMixin:
    """Methods of :class:`toolkit.store.Store` for scoring panels."""

    def create_panel(
        self,
        name: str,
        rubric: str,
        rubric_ref: str,
        scale: tuple[float, float],
        projects: list[tuple[str, str]],
        reviewers: list[tuple[str, str, str]],
        *,
        actor: str = "facilitator",
    ) -> int:
        """Create a panel. ``reviewers`` are (name, tier, code hash): the store never sees a code."""
        from toolkit.store.core import now_iso

        with self.write() as conn:  # type: ignore[attr-defined]
            panel_id = conn.execute(
                schema.panels.insert().values(
                    name=name, rubric=rubric, rubric_ref=rubric_ref, scale_min=float(scale[0]), scale_max=float(scale[1]), created_at=now_iso()
                )
            ).inserted_primary_key[0]
            for pid, title in projects:
                conn.execute(schema.panel_projects.insert().values(panel_id=panel_id, project_id=str(pid), title=title))
            for rname, tier, code_hash in reviewers:
                conn.execute(schema.reviewers.insert().values(panel_id=panel_id, name=rname, tier=tier, code_hash=code_hash))
            self._audit(conn, actor, "create", "panel", str(panel_id), {"name": name, "rubric": rubric_ref, "projects": [p for p, _ in projects], "reviewers": [[n, t] for n, t, _ in reviewers]})  # type: ignore[attr-defined]
        return panel_id

    def panels(self) -> list[dict]:
        with self.read() as conn:  # type: ignore[attr-defined]
            return [dict(r) for r in conn.execute(select(schema.panels).order_by(schema.panels.c.id.desc())).mappings()]

    def panel(self, panel_id: int) -> dict:
        with self.read() as conn:  # type: ignore[attr-defined]
            row = conn.execute(select(schema.panels).where(schema.panels.c.id == panel_id)).mappings().first()
            if row is None:
                raise StoreError(f"there is no scoring panel {panel_id}")
            projects = conn.execute(
                select(schema.panel_projects.c.project_id, schema.panel_projects.c.title)
                .where(schema.panel_projects.c.panel_id == panel_id)
                .order_by(schema.panel_projects.c.project_id)
            ).all()
            reviewers = conn.execute(
                select(schema.reviewers.c.id, schema.reviewers.c.name, schema.reviewers.c.tier)
                .where(schema.reviewers.c.panel_id == panel_id)
                .order_by(schema.reviewers.c.id)
            ).mappings().all()
        return {**dict(row), "projects": [tuple(p) for p in projects], "reviewers": [dict(r) for r in reviewers]}

    def reviewer_by_hash(self, code_hash: str) -> dict | None:
        with self.read() as conn:  # type: ignore[attr-defined]
            row = conn.execute(select(schema.reviewers).where(schema.reviewers.c.code_hash == code_hash)).mappings().first()
        return {k: v for k, v in dict(row).items() if k != "code_hash"} if row else None

    def submit_sheet(
        self,
        reviewer_id: int,
        project_id: str,
        values: dict[str, float],
        *,
        conflict: bool,
        submission_id: str,
    ) -> bool:
        """Store one score sheet once; return False if this submission was already stored.
        A second, different sheet for the same reviewer and project is refused."""
        from toolkit.store.core import now_iso

        try:
            with self.write() as conn:  # type: ignore[attr-defined]
                if conn.execute(select(schema.score_sheets.c.id).where(schema.score_sheets.c.submission_id == submission_id)).first():
                    return False
                reviewer = conn.execute(select(schema.reviewers).where(schema.reviewers.c.id == reviewer_id)).mappings().first()
                if reviewer is None:
                    raise StoreError("unknown reviewer", key="sheet_reviewer")
                pp = schema.panel_projects
                if not conn.execute(select(pp.c.project_id).where(pp.c.panel_id == reviewer["panel_id"], pp.c.project_id == str(project_id))).first():
                    raise StoreError(f"project {project_id!r} is not in panel {reviewer['panel_id']}: choose one of the panel's projects", key="sheet_project")
                sheet_id = conn.execute(
                    schema.score_sheets.insert().values(
                        panel_id=reviewer["panel_id"],
                        reviewer_id=reviewer_id,
                        project_id=str(project_id),
                        conflict=1 if conflict else 0,
                        submission_id=submission_id,
                        submitted_at=now_iso(),
                    )
                ).inserted_primary_key[0]
                for criterion, value in ({} if conflict else values).items():
                    conn.execute(schema.score_values.insert().values(sheet_id=sheet_id, criterion=criterion, value=float(value)))
                self._audit(conn, f"reviewer:{reviewer_id}", "submit", "score_sheet", str(sheet_id), {"project": str(project_id), "conflict": bool(conflict), "values": values})  # type: ignore[attr-defined]
            return True
        except IntegrityError as exc:
            text = str(exc.orig)
            if "locked" in text:
                raise StoreError("this panel is locked: all sheets are in", key="sheet_locked") from None
            if "uq_sheet_per_reviewer_project" in text or "UNIQUE constraint failed: score_sheets.reviewer_id" in text:
                raise StoreError("this reviewer already submitted a sheet for this project", key="sheet_twice") from None
            if "scale" in text:
                raise StoreError(f"the database refused the sheet: {exc.orig}", key="sheet_scale") from None
            raise StoreError(f"the database refused the sheet: {exc.orig}", key="refused") from None

    def lock_panel(self, panel_id: int, *, actor: str = "facilitator") -> bool:
        """Lock a panel (no more sheets). Returns False if it was already locked."""
        from toolkit.store.core import now_iso

        with self.write() as conn:  # type: ignore[attr-defined]
            p = schema.panels
            done = conn.execute(p.update().where(p.c.id == panel_id, p.c.locked_at.is_(None)).values(locked_at=now_iso())).rowcount
            if done:
                self._audit(conn, actor, "lock", "panel", str(panel_id), {})  # type: ignore[attr-defined]
        return bool(done)

    def panel_scores(self, panel_id: int) -> "pd.DataFrame":
        """One row per score value (and one per conflict declaration, criterion ""), columns
        scorer, tier, project, criterion, value, conflict — the score CSV's columns; scorer is
        the reviewer's name."""
        import pandas as pd

        s, v, r = schema.score_sheets, schema.score_values, schema.reviewers
        query = (
            select(
                r.c.name.label("scorer"),
                r.c.tier,
                s.c.project_id.label("project"),
                func.coalesce(v.c.criterion, "").label("criterion"),
                v.c.value,
                s.c.conflict,
            )
            .select_from(s.join(r, s.c.reviewer_id == r.c.id).outerjoin(v, v.c.sheet_id == s.c.id))
            .where(s.c.panel_id == panel_id)
            .order_by(s.c.id, v.c.criterion)
        )
        with self.read() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(query).all()
        return pd.DataFrame(rows, columns=["scorer", "tier", "project", "criterion", "value", "conflict"])

    def submitted_sheets(self, panel_id: int) -> set[tuple[int, str]]:
        """(reviewer id, project id) of every sheet in."""
        s = schema.score_sheets
        with self.read() as conn:  # type: ignore[attr-defined]
            return {(a, b) for a, b in conn.execute(select(s.c.reviewer_id, s.c.project_id).where(s.c.panel_id == panel_id))}


