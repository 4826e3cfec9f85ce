"""Rows behind the loop dashboard (issue 12): each proposal with where it is and how far it got,
and each round and scoring panel with the one community (or street) its projects lie in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Integer, cast, func, select

from toolkit.store import schema

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.store.core import Store


def proposal_rows(store: "Store") -> "pd.DataFrame":
    """Columns: id, compound_id, community_id, street_id, outcome (screening or None),
    response_due, resolution_due, track, in_round (a non-draft round), voting (an open round),
    funded_any, outcome_any (closed-round outcome exists), state (project), budget_fen,
    spent_fen, rating. Never the contact."""
    import pandas as pd

    p, d, y, c = schema.proposals, schema.screening_decisions, schema.units.alias("y"), schema.units.alias("c")
    rp, r, o, j, s = schema.round_projects, schema.rounds, schema.round_outcomes, schema.projects, schema.satisfaction
    in_round = select(func.count()).select_from(rp.join(r, rp.c.round_id == r.c.id)).where(rp.c.proposal_id == p.c.id, r.c.status != "draft").scalar_subquery()
    voting = select(func.count()).select_from(rp.join(r, rp.c.round_id == r.c.id)).where(rp.c.proposal_id == p.c.id, r.c.status == "open").scalar_subquery()
    funded = select(func.count()).select_from(o).where(o.c.proposal_id == p.c.id, o.c.funded == 1).scalar_subquery()
    outcomes = select(func.count()).select_from(o).where(o.c.proposal_id == p.c.id).scalar_subquery()
    query = (
        select(p.c.id, p.c.compound_id, c.c.id.label("community_id"), c.c.parent_id.label("street_id"), d.c.outcome, d.c.track,
               d.c.response_due, d.c.resolution_due, in_round.label("in_round"), voting.label("voting"), funded.label("funded_any"),
               outcomes.label("outcome_any"), j.c.state, j.c.budget_fen, j.c.spent_fen, s.c.rating)
        .select_from(p.outerjoin(y, p.c.compound_id == y.c.id).outerjoin(c, y.c.parent_id == c.c.id).outerjoin(d, d.c.proposal_id == p.c.id)
                     .outerjoin(j, j.c.proposal_id == p.c.id).outerjoin(s, s.c.proposal_id == p.c.id))
        .order_by(p.c.id)
    )
    with store.read() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))




def group_rows(store: "Store") -> "pd.DataFrame":
    """Participation that belongs to a group, not a proposal: per non-draft round its counted
    ballots, per locked-or-open panel its community-tier reviewers; each with the lowest unit
    holding all its projects' proposals (community_id when one community, else street_id when
    one street, else neither: the district). Columns: kind, group_id, people, communities,
    community_id, streets, street_id."""
    import pandas as pd

    p, y, c = schema.proposals, schema.units.alias("y"), schema.units.alias("c")
    rp, r, b = schema.round_projects, schema.rounds, schema.ballots
    rounds_q = (
        select(r.c.id.label("group_id"),
               select(func.count()).select_from(b).where(b.c.round_id == r.c.id, b.c.superseded == 0).scalar_subquery().label("people"),
               select(func.count(func.distinct(c.c.id))).select_from(rp.join(p, rp.c.proposal_id == p.c.id).join(y, p.c.compound_id == y.c.id).join(c, y.c.parent_id == c.c.id))
               .where(rp.c.round_id == r.c.id).scalar_subquery().label("communities"),
               select(func.min(c.c.id)).select_from(rp.join(p, rp.c.proposal_id == p.c.id).join(y, p.c.compound_id == y.c.id).join(c, y.c.parent_id == c.c.id))
               .where(rp.c.round_id == r.c.id).scalar_subquery().label("community_id"),
               select(func.count(func.distinct(c.c.parent_id))).select_from(rp.join(p, rp.c.proposal_id == p.c.id).join(y, p.c.compound_id == y.c.id).join(c, y.c.parent_id == c.c.id))
               .where(rp.c.round_id == r.c.id).scalar_subquery().label("streets"),
               select(func.min(c.c.parent_id)).select_from(rp.join(p, rp.c.proposal_id == p.c.id).join(y, p.c.compound_id == y.c.id).join(c, y.c.parent_id == c.c.id))
               .where(rp.c.round_id == r.c.id).scalar_subquery().label("street_id"))
        .where(r.c.status != "draft")
    )
    pn, pp, rv = schema.panels, schema.panel_projects, schema.reviewers
    pid = cast(func.substr(pp.c.project_id, 2), Integer)
    base = pp.join(p, p.c.id == pid).join(y, p.c.compound_id == y.c.id).join(c, y.c.parent_id == c.c.id)
    panels_q = select(
        pn.c.id.label("group_id"),
        select(func.count()).select_from(rv).where(rv.c.panel_id == pn.c.id, rv.c.tier == "community").scalar_subquery().label("people"),
        select(func.count(func.distinct(c.c.id))).select_from(base).where(pp.c.panel_id == pn.c.id).scalar_subquery().label("communities"),
        select(func.min(c.c.id)).select_from(base).where(pp.c.panel_id == pn.c.id).scalar_subquery().label("community_id"),
        select(func.count(func.distinct(c.c.parent_id))).select_from(base).where(pp.c.panel_id == pn.c.id).scalar_subquery().label("streets"),
        select(func.min(c.c.parent_id)).select_from(base).where(pp.c.panel_id == pn.c.id).scalar_subquery().label("street_id"),
    )
    with store.read() as conn:
        rounds = pd.DataFrame(conn.execute(rounds_q).mappings().all())
        panels = pd.DataFrame(conn.execute(panels_q).mappings().all())
    cols = ["kind", "group_id", "people", "communities", "community_id", "streets", "street_id"]
    frames = [f.assign(kind=k) for f, k in ((rounds, "round"), (panels, "panel")) if len(f)]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


__all__ = ["group_rows", "proposal_rows"]
