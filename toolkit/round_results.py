"""The result of a budget round: its ballots as an election for the budget engine, the funded
projects with an explanation for every project, outcome measures, a side-by-side of two rules,
and the pabulib export. Pure: the round and its ballots come in as plain data.

Money: round costs and budgets are integer fen; the election keeps them in fen with
``money_scale = 100`` so explanations and the ``.pb`` export speak yuan, exactly.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from toolkit.budget import Allocation, Comparison, Election, Measures, Project, allocate, compare, explain, format_pabulib, measure

VOTE_TYPE = {"approval": "approval", "knapsack": "approval", "cumulative": "cumulative", "ranking": "ordinal"}
COMPARE_WITH = "mes:cost:add1-greedy"


def yuan_text(fen: int) -> str:
    """Exact yuan for a pabulib file: 1800000 → '18000', 2000050 → '20000.5'."""
    whole, cents = divmod(int(fen), 100)
    return str(whole) if not cents else f"{whole}.{cents:02d}".rstrip("0")


def min_support(round_: dict) -> int:
    """The votes a project needs to be funded, from the round's stored settings (0 for rounds
    stored before the setting existed: pabutools' semantics)."""
    try:
        value = json.loads(round_["settings"])["full"].get("min_support", 0)
    except (KeyError, TypeError, ValueError):
        return 0
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def support(round_: dict, ballots: list[dict[str, int]]) -> dict[str, int]:
    """How many ballots name each project (a pick, points above 0, or a rank)."""
    out = {p["project_id"]: 0 for p in round_["projects"]}
    for b in ballots:
        for pid, value in b.items():
            if pid in out and value:
                out[pid] += 1
    return out


def round_election(round_: dict, ballots: list[dict[str, int]], *, only: set[str] | None = None) -> Election:
    """``round_``: the store's round dict (settings + projects); ``ballots``: {project: value}.
    ``only``: keep just these projects (the others are left out of the election and the ballots)."""
    if only is not None:
        round_ = {**round_, "projects": [p for p in round_["projects"] if p["project_id"] in only]}
        ballots = [{pid: v for pid, v in b.items() if pid in only} for b in ballots]
    vote_type = VOTE_TYPE[round_["ballot_type"]]
    projects = [
        Project(
            p["project_id"], int(p["cost_fen"]), name=p["name"],
            latitude=p.get("lat"), longitude=p.get("lon"),
            fields=(("project_id", p["project_id"]), ("cost", yuan_text(p["cost_fen"])), ("name", p["name"])),
        )
        for p in round_["projects"]
    ]
    if vote_type == "cumulative":
        votes: list = [dict(b) for b in ballots]
    elif vote_type == "ordinal":
        votes = [sorted(b, key=lambda pid: (b[pid], pid)) for b in ballots]
    else:
        votes = [sorted(b) for b in ballots]
    meta = {
        "description": round_["name"],
        "country": "China",
        "unit": round_["fund"],
        "instance": str(round_.get("id", "")),
        "currency": "CNY",
        "budget": yuan_text(round_["budget_fen"]),
        "rule": round_["rule"],
        "language": "zh",
    }
    if round_["ballot_type"] == "cumulative":
        meta["max_sum_points"] = str(round_["points_total"])
    if round_["ballot_type"] in ("approval", "ranking"):
        meta["max_length"] = str(round_["max_picks"])
    election = Election.from_ballots(projects, votes, budget=int(round_["budget_fen"]), vote_type=vote_type, meta=meta)
    return dataclasses.replace(election, money_scale=100)


@dataclass(frozen=True)
class RoundResult:
    election: Election
    allocation: Allocation
    measures: Measures
    explanations: dict[str, str]  # project id -> sentence, in the requested language
    comparison: Comparison | None
    other: Allocation | None
    support: dict[str, int] = field(default_factory=dict)  # project id -> ballots naming it
    min_support: int = 0


def round_result(round_: dict, ballots: list[dict[str, int]], *, lang: str = "zh", compare_with: str | None = None) -> RoundResult:
    """Allocate with the round's rule, explain every project, and compare with a second rule:
    by default greedy by votes (what most cities use) against Method of Equal Shares.

    A project named on fewer ballots than the round's minimum support is not funded by either
    rule: it is left out of the election, and its explanation says so with the numbers."""
    from toolkit.i18n import text

    votes = support(round_, ballots)
    least = min_support(round_)
    eligible = {pid for pid, n in votes.items() if n >= least}
    below = {pid: text("nav.results.below_min", lang, votes=n, min=least) for pid, n in votes.items() if pid not in eligible}
    election = round_election(round_, ballots, only=eligible if below else None)
    result = allocate(election, round_["rule"])
    if compare_with is None:
        compare_with = "greedy-votes" if round_["rule"] != "greedy-votes" else COMPARE_WITH
    other = comparison = None
    if compare_with != round_["rule"]:
        other = allocate(election, compare_with)
        comparison = compare(election, result, other)
    explanations = {p.id: explain(result, p.id, lang) for p in election.projects}
    explanations = {p["project_id"]: below.get(p["project_id"]) or explanations[p["project_id"]] for p in round_["projects"]}
    return RoundResult(election, result, measure(election, result), explanations, comparison, other, votes, least)


def round_pabulib(round_: dict, ballots: list[dict[str, int]]) -> str:
    """The round as a pabulib ``.pb`` file (text)."""
    return format_pabulib(round_election(round_, ballots))
