"""What residents asked for, by area: the analysis behind notebooks/planners/needs.ipynb.

Pure pandas over frames the store and the district give (no SQL, no widgets):

- ``by_compound`` / ``by_community``: proposals, households, proposals per 1,000 households
  (NaN where households are unknown, i.e. 0);
- ``categories``: proposals per community and category;
- ``hotspots``: proposals per grid cell of ``CELL_DEG`` (≈ 250 m), busiest first;
- ``repeats``: the same category raised at least twice in the same compound (repeat issues);
- ``screening``: per community, proposals deliberated, excluded, not screened yet, and overdue
  (a triage stage past its due date, as :func:`toolkit.screening.overdue` says);
- ``participation``: proposals per community and channel (tablet, paper, …).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

CELL_DEG = 0.0025
PER = 1000


@dataclass(frozen=True)
class Needs:
    by_compound: pd.DataFrame
    by_community: pd.DataFrame
    categories: pd.DataFrame
    hotspots: pd.DataFrame
    repeats: pd.DataFrame
    screening: pd.DataFrame
    participation: pd.DataFrame

    def sheets(self) -> dict[str, pd.DataFrame]:
        return {"by_compound": self.by_compound, "by_community": self.by_community, "categories": self.categories,
                "hotspots": self.hotspots, "repeats": self.repeats, "screening": self.screening,
                "participation": self.participation}


def _per_1000(count: pd.Series, households: pd.Series) -> pd.Series:
    hh = households.astype(float).replace(0, np.nan)
    return (count.astype(float) / hh * PER).round(2)


def analyse(proposals: pd.DataFrame, compounds: pd.DataFrame, screening: pd.DataFrame, *, today: date) -> Needs:
    """``proposals``: the store's proposals frame; ``compounds``: :meth:`District.compound_table`;
    ``screening``: the store's screening frame."""
    from toolkit.screening import Ticket, overdue

    p = proposals.merge(compounds[["compound_id", "community_id"]].rename(columns={"community_id": "community"}),
                        on="compound_id", how="left")
    p["community_id"] = p["community_id"].fillna(p["community"])
    counts = p.groupby("compound_id").size()
    by_compound = compounds[["compound_id", "compound", "community_id", "community", "households"]].copy()
    by_compound["proposals"] = by_compound["compound_id"].map(counts).fillna(0).astype(int)
    by_compound["per_1000"] = _per_1000(by_compound["proposals"], by_compound["households"])

    communities = compounds.groupby(["community_id", "community", "street_id"], as_index=False)["households"].sum()
    by_community = communities.copy()
    by_community["proposals"] = by_community["community_id"].map(p.groupby("community_id").size()).fillna(0).astype(int)
    by_community["per_1000"] = _per_1000(by_community["proposals"], by_community["households"])

    categories = (p.groupby(["community_id", "category"]).size().unstack(fill_value=0)
                  .reindex(communities["community_id"], fill_value=0))
    categories.columns.name = None

    located = p.dropna(subset=["lon", "lat"])
    cells = pd.DataFrame({"cx": np.floor(located["lon"] / CELL_DEG).astype(int), "cy": np.floor(located["lat"] / CELL_DEG).astype(int)})
    hotspots = cells.groupby(["cx", "cy"]).size().rename("proposals").reset_index()
    hotspots["lon"] = (hotspots["cx"] + 0.5) * CELL_DEG
    hotspots["lat"] = (hotspots["cy"] + 0.5) * CELL_DEG
    hotspots = hotspots.sort_values(["proposals", "cx", "cy"], ascending=[False, True, True]).reset_index(drop=True)

    repeats = (p.dropna(subset=["compound_id"]).groupby(["compound_id", "category"]).size().rename("proposals")
               .reset_index().query("proposals >= 2").sort_values(["proposals", "compound_id", "category"],
                                                                   ascending=[False, True, True]).reset_index(drop=True))

    decided = screening.set_index("proposal_id")["outcome"] if len(screening) else pd.Series(dtype=object)
    p["outcome"] = p["id"].map(decided).fillna("unscreened")
    scr = p.groupby(["community_id", "outcome"]).size().unstack(fill_value=0)
    for col in ("deliberated", "excluded", "unscreened"):
        if col not in scr.columns:
            scr[col] = 0
    tickets = [Ticket(str(r.proposal_id), r.track, date.fromisoformat(r.received), date.fromisoformat(r.response_due),
                      date.fromisoformat(r.resolution_due), r.triage_ref) for r in screening.itertuples()]
    late = overdue(tickets, today)
    late_ids = set(late["item_id"].astype(int)) if len(late) else set()
    scr["overdue"] = p[p["id"].isin(late_ids)].groupby("community_id").size().reindex(scr.index).fillna(0).astype(int)
    screening_table = (scr[["deliberated", "excluded", "unscreened", "overdue"]]
                       .reindex(communities["community_id"], fill_value=0).reset_index())

    participation = (p.groupby(["community_id", "channel"]).size().unstack(fill_value=0)
                     .reindex(communities["community_id"], fill_value=0).reset_index())
    participation.columns.name = None
    return Needs(by_compound, by_community, categories.reset_index(), hotspots[["lon", "lat", "proposals"]],
                 repeats, screening_table, participation)


def _cell(value):
    """Spreadsheet cells: text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_excel(needs: Needs, path: str | Path) -> Path:
    """One sheet per table (openpyxl)."""
    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, frame in needs.sheets().items():
            frame.map(_cell).to_excel(xl, sheet_name=name, index=False)
    return path
