"""Shared steps for the loop tests: a budget round over proposals, voted and closed."""

from __future__ import annotations

from toolkit.labels import Label
from toolkit.rounds import Approval, Fund, Project, RoundSettings
from toolkit.voting import cast, close_round, create_round, issue_codes

FAST = 2**8


def run_round(store, proposal_costs: dict[int, int], votes: list[list[int]], *, budget_fen: int, name: str = "锦绣花园共有收益") -> int:
    """A round over proposals {proposal id: cost in fen}; each ballot approves proposal ids."""
    projects = []
    for pid, cost in proposal_costs.items():
        p = store.proposal(pid)
        loc = (p["lon"], p["lat"]) if p["lon"] is not None else None
        projects.append(Project(f"P{pid:04d}", Label(p["title"], p["title"]), cost, Label(p["problem"], p["problem"]), loc))
    settings = RoundSettings("r", Label(name, name + " (round)"), tuple(projects), (Fund("shared", Label("共有资金", "Shared income"), budget_fen),),
                             Approval(min_picks=1), rule="greedy-votes")
    rid = create_round(store, settings, scrypt_n=FAST, proposal_ids={f"P{pid:04d}": pid for pid in proposal_costs})
    codes = issue_codes(store, rid, len(votes))
    store.set_round_status(rid, "open")
    for i, (code, ballot) in enumerate(zip(codes, votes)):
        cast(store, rid, code, {"projects": [f"P{pid:04d}" for pid in ballot]}, submission_id=f"sub-{rid}-{i:05d}")
    close_round(store, rid)
    return rid
