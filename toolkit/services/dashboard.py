"""The loop dashboard: the three rates the district measures, by district → street → community,
plus proposals by status, overdue tickets per track and projects by state.

- fund-use rate = money spent ÷ money allotted (the budgets of funded projects), exact fen;
- participation = people who proposed, voted or scored ÷ households on record (geodata):
  proposals count where they were made; a round's counted ballots and a panel's community-tier
  reviewers count in the one community (else street) holding all its projects, else only in the
  district total; also shown per 1,000 households for the choropleth;
- satisfaction = ratings of 4 or 5 stars ÷ ratings (given on the status page after acceptance).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.geo import District
    from toolkit.store import Store

STATUSES = ("unscreened", "excluded", "deliberated", "voting", "not_funded", "funded", "in_progress", "accepted", "maintenance")
UNIT_COLUMNS = ("level", "id", "name", "name_en", "parent_id", "households", "participants", "allotted_fen", "spent_fen",
                "ratings", "satisfied", "fund_use", "participation", "per_1000", "satisfaction")


@dataclass(frozen=True)
class Dashboard:
    units: "pd.DataFrame"  # UNIT_COLUMNS; rates are Fractions or None
    statuses: dict[str, int]
    overdue: dict[str, int]  # track -> tickets past their resolution date, unresolved
    projects: dict[str, int]  # state -> count


def status_of(row) -> str:
    if isinstance(row.state, str):
        return row.state
    if row.voting:
        return "voting"
    if row.outcome_any:
        return "not_funded"
    if row.outcome in ("excluded", "deliberated"):
        return row.outcome
    return "unscreened"


def _rate(num: int, den: int) -> Fraction | None:
    return Fraction(int(num), int(den)) if den else None


def loop_figures(store: "Store", district: "District", today: date | None = None) -> Dashboard:
    import pandas as pd

    from toolkit.store.dashboard import group_rows, proposal_rows

    today = today or date.today()
    rows = proposal_rows(store)
    groups = group_rows(store)
    comp = district.compounds
    comm, streets = district.communities, district.streets
    hh_comm = comp.groupby("community_id")["households"].sum()
    hh_street = comp.groupby("street_id")["households"].sum()
    units = []

    def figures(level, uid, name, name_en, parent, mine, group_people, households):
        allotted = int(pd.to_numeric(mine.budget_fen, errors="coerce").fillna(0).sum())
        spent = int(pd.to_numeric(mine.spent_fen, errors="coerce").fillna(0).sum())
        rated = pd.to_numeric(mine.rating, errors="coerce").dropna()
        participants = int(len(mine) + group_people)
        part = _rate(participants, households)
        units.append({"level": level, "id": uid, "name": name, "name_en": name_en, "parent_id": parent, "households": int(households),
                      "participants": participants, "allotted_fen": allotted, "spent_fen": spent, "ratings": int(len(rated)),
                      "satisfied": int((rated >= 4).sum()), "fund_use": _rate(spent, allotted), "participation": part,
                      "per_1000": None if part is None else part * 1000, "satisfaction": _rate(int((rated >= 4).sum()), len(rated))})

    people = lambda frame: int(pd.to_numeric(frame.people, errors="coerce").fillna(0).sum()) if len(frame) else 0  # noqa: E731
    one_comm = groups[groups.communities == 1] if len(groups) else groups
    one_street = groups[(groups.communities > 1) & (groups.streets == 1)] if len(groups) else groups
    figures("district", "", district.name if hasattr(district, "name") else "", "", None, rows, people(groups), int(comp.households.sum()))
    for s in streets.sort_values("id").itertuples():
        in_street = comm[comm.street_id == s.id].id if "street_id" in comm.columns else []
        g = pd.concat([one_comm[one_comm.community_id.isin(list(in_street))], one_street[one_street.street_id == s.id]]) if len(groups) else groups
        figures("street", s.id, s.name, s.name_en, None, rows[rows.street_id == s.id], people(g), int(hh_street.get(s.id, 0)))
    for c in comm.sort_values("id").itertuples():
        g = one_comm[one_comm.community_id == c.id] if len(groups) else groups
        figures("community", c.id, c.name, c.name_en, c.street_id, rows[rows.community_id == c.id], people(g), int(hh_comm.get(c.id, 0)))
    statuses = {s: 0 for s in STATUSES}
    for r in rows.itertuples():
        statuses[status_of(r)] += 1
    late = rows[rows.outcome.notna() & (rows.resolution_due < today.isoformat()) & (rows.in_round == 0) & rows.state.isna()]
    overdue = {str(k): int(v) for k, v in late.groupby("track").size().items()}
    from toolkit.store.projects import projects_frame

    pf = projects_frame(store)
    projects = {s: int((pf.state == s).sum()) if len(pf) else 0 for s in ("funded", "in_progress", "accepted", "maintenance")}
    return Dashboard(pd.DataFrame(units, columns=list(UNIT_COLUMNS)), statuses, overdue, projects)


def percent(value: Fraction | None) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def excel(board: Dashboard) -> bytes:
    """The dashboard as an Excel workbook: units (rates as percentages), statuses, overdue, projects."""
    import io

    import pandas as pd

    from toolkit.documents import safe_cells

    units = board.units.copy()
    for col in ("fund_use", "participation", "satisfaction"):
        units[col] = [None if v is None else round(float(v) * 100, 2) for v in units[col]]
    units["per_1000"] = [None if v is None else round(float(v), 2) for v in units["per_1000"]]
    buf = io.BytesIO()
    with pd.ExcelWriter(buf) as xl:
        safe_cells(units).to_excel(xl, sheet_name="units", index=False)
        pd.DataFrame(list(board.statuses.items()), columns=["status", "proposals"]).to_excel(xl, sheet_name="statuses", index=False)
        pd.DataFrame(list(board.overdue.items()), columns=["track", "overdue"]).to_excel(xl, sheet_name="overdue", index=False)
        pd.DataFrame(list(board.projects.items()), columns=["state", "projects"]).to_excel(xl, sheet_name="projects", index=False)
    return buf.getvalue()
