"""The rules registry: one entry point, :func:`allocate`, one result type, :class:`Allocation`.

>>> from toolkit.budget.election import Election
>>> e = Election.from_ballots([("a", 3), ("b", 2), ("c", 2)], [["a"], ["a", "b"], ["c"]], budget=5)
>>> allocate(e, "greedy-votes").selected
('a', 'b')
>>> allocate(e, "mes:cost").selected
('a',)
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from toolkit.budget.election import Election
from toolkit.budget.rules.greedy import greedy, greedy_totals
from toolkit.budget.rules.mes import equal_shares
from toolkit.budget.rules.phragmen import phragmen
from toolkit.budget.rules.profile import entry_utilities, group_voters, money, project_totals, tie_ranks
from toolkit.budget.rules.result import Allocation, Decision, Step
from toolkit.budget.rules.spec import RuleError, RuleSpec
from toolkit.budget.rules.welfare import max_welfare
from toolkit.labels import Label

APPROVAL = ("approval", "choose-1")
SCORED = ("cumulative", "scoring")
ALL = APPROVAL + SCORED + ("ordinal",)


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule: id, label, the ballot types it applies to, allowed utilities/completions."""

    id: str
    label: Label
    vote_types: tuple[str, ...]
    utilities: dict  # vote-type group -> allowed utilities ("" = no utility)
    completions: tuple[str | None, ...]
    run: Callable[[Election, RuleSpec], Allocation]

    def allowed_utilities(self, vote_type: str) -> tuple[str | None, ...]:
        for types, utils in self.utilities.items():
            if vote_type in types:
                return utils
        return ()


def _greedy_rule(kind: str):
    def run(election: Election, spec: RuleSpec) -> tuple:
        totals, score_name = greedy_totals(election, kind)
        sel, steps, decisions = greedy(election, spec, totals, score_name)
        return sel, steps, decisions, None
    return run


def _mes(election: Election, spec: RuleSpec) -> tuple:
    utility = spec.utility or "cost"
    values = entry_utilities(election, utility)
    groups = group_voters(election, values)
    rank = tie_ranks(election, spec)
    completion = None if spec.completion in (None, "none") else "add1"
    sel, run, history = equal_shares(election, groups, rank, completion)
    decisions: dict[str, Decision] = {}
    steps: list[Step] = []
    entered: dict[int, Fraction] = {}
    for b0, chosen in history:
        if b0 > run.b0:
            break
        for p in chosen:
            entered.setdefault(p, b0)
        for p in list(entered):
            if p not in chosen:
                del entered[p]
    pid = [p.id for p in election.projects]
    scale = election.money_scale

    def units(x: Fraction) -> Fraction:  # money units -> currency (most files: 1 unit = 1)
        return x if scale == 1 else x / scale

    per_voter = units(run.b0)
    initial = units(Fraction(election.budget, max(election.num_voters, 1)))
    for p in run.selected[: len(run.selected) - len(run.rounds)]:
        nums = {"cost": money(election, 0)}
        decisions[pid[p]] = Decision(pid[p], True, "mes_free", 0, nums)
    for r, rd in enumerate(run.rounds, start=1):
        nums = {"round": r, "rho": rd.rho, "price_min": units(rd.price_min),
                "price_max": units(rd.price_max), "supporters": rd.supporters,
                "capped": rd.capped, "cost": money(election, election.projects[rd.project].cost),
                "per_voter_budget": per_voter, "utility": utility}
        if completion:
            nums["entered_at"] = units(entered.get(rd.project, run.b0))
            nums["initial_per_voter"] = initial
        steps.append(Step(len(steps) + 1, "fund", pid[rd.project], nums))
        decisions[pid[rd.project]] = Decision(pid[rd.project], True, "mes_funded", r, nums)
    if completion:
        steps.append(Step(len(steps) + 1, "completion", None,
                          {"iterations": len(history), "per_voter_budget": per_voter}))
    for p, left in run.left_of_supporters.items():
        nums = {"left": units(left), "cost": money(election, election.projects[p].cost),
                "supporters": int(groups.weight[groups.supporters[p]].sum()), "rounds": len(run.rounds),
                "per_voter_budget": per_voter}
        if p in run.ruled_out_round:
            nums["ruled_out_round"] = run.ruled_out_round[p]
        decisions[pid[p]] = Decision(pid[p], False, "mes_no_money", run.ruled_out_round.get(p), nums)
    for p in range(len(pid)):
        if pid[p] not in decisions:
            decisions[pid[p]] = Decision(pid[p], False, "no_support", None,
                                         {"cost": money(election, election.projects[p].cost), "utility": utility})
    if spec.completion == "add1-greedy":
        totals, score_name = greedy_totals(election, "votes")
        extra, gsteps, gdec = greedy(election, spec, totals, score_name, initial=tuple(sel),
                                     step_offset=len(steps))
        steps.extend(gsteps)
        for p in extra:
            d = gdec[pid[p]]
            decisions[pid[p]] = Decision(pid[p], True, "completion_greedy", d.step, d.numbers)
        for p_id, d in gdec.items():
            if not d.funded and not decisions[p_id].funded:
                nums = dict(decisions[p_id].numbers)
                nums.update({"greedy_rank": d.step, "greedy_left": d.numbers["left"]})
                decisions[p_id] = Decision(p_id, False, decisions[p_id].reason, decisions[p_id].step, nums)
        sel = list(sel) + extra
    return sel, steps, decisions, None


def _phragmen(election: Election, spec: RuleSpec) -> tuple:
    values = entry_utilities(election, "cardinality")
    groups = group_voters(election, values)
    sel, steps, decisions = phragmen(election, groups, tie_ranks(election, spec))
    pid = [p.id for p in election.projects]
    for p in range(len(pid)):
        if pid[p] not in decisions:
            decisions[pid[p]] = Decision(pid[p], False, "phragmen_not_reached", None,
                                         {"cost": money(election, election.projects[p].cost)})
    return sel, steps, decisions, None


def _max_welfare(election: Election, spec: RuleSpec) -> tuple:
    utility = spec.utility or "cost"
    profits = project_totals(election, entry_utilities(election, utility))
    costs = [p.cost for p in election.projects]
    sel = max_welfare(costs, profits, election.budget)
    sel.sort(key=lambda i: -Fraction(profits[i], costs[i]) if costs[i] else Fraction(-10**30))
    scale = election.money_scale if utility == "cost" else (election.points_scale if utility == "points" else 1)
    welfare = Fraction(sum(profits[i] for i in sel), scale)
    chosen = set(sel)
    decisions = {}
    steps = []
    for i, p in enumerate(election.projects):
        nums = {"welfare": Fraction(profits[i], scale), "cost": money(election, costs[i]),
                "total_welfare": welfare, "utility": utility}
        decisions[p.id] = Decision(p.id, i in chosen, "welfare_optimal" if i in chosen else "welfare_not_optimal",
                                   None, nums)
        if i in chosen:
            steps.append(Step(len(steps) + 1, "fund", p.id, nums))
    return sel, steps, decisions, welfare


RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        Rule("greedy-votes", Label("按票数贪心", "greedy by votes"), ALL, {ALL: (None,)}, (None,), _greedy_rule("votes")),
        Rule("greedy-votes-per-cost", Label("按每元票数贪心", "greedy by votes per cost"), ALL, {ALL: (None,)}, (None,),
             _greedy_rule("votes-per-cost")),
        Rule("greedy-points", Label("按总分贪心", "greedy by points"), SCORED, {SCORED: (None,)}, (None,),
             _greedy_rule("points")),
        Rule("greedy-points-per-cost", Label("按每元分数贪心", "greedy by points per cost"), SCORED, {SCORED: (None,)},
             (None,), _greedy_rule("points-per-cost")),
        Rule("greedy-score", Label("按名次得分贪心", "greedy by positional score"), ("ordinal",),
             {("ordinal",): (None,)}, (None,), _greedy_rule("score")),
        Rule("greedy-borda-per-cost", Label("按每元波达分贪心", "greedy by Borda points per cost"), ("ordinal",),
             {("ordinal",): (None,)}, (None,), _greedy_rule("borda-per-cost")),
        Rule("mes", Label("平等份额法", "Method of Equal Shares"), ALL,
             {APPROVAL: ("cost", "cardinality"), SCORED: ("cost", "cardinality", "points"),
              ("ordinal",): ("cost", "cardinality", "borda")},
             (None, "none", "add1", "add1-greedy"), _mes),
        Rule("phragmen", Label("序贯弗拉格门法", "sequential Phragmén"), APPROVAL, {APPROVAL: (None,)}, (None,), _phragmen),
        Rule("max-welfare", Label("最大总福利", "maximum total welfare"), ALL,
             {APPROVAL + ("ordinal",): ("cost",), SCORED: ("cost", "points")}, (None,), _max_welfare),
    ]
}
"""Every rule by id.  Add a rule here and the registry-parametrized tests pick it up."""


def rule_specs(vote_type: str) -> list[str]:
    """Every spec string that applies to a ballot type (the conformance matrix of issue 3)."""
    out = []
    for r in RULES.values():
        if vote_type not in r.vote_types:
            continue
        for u in r.allowed_utilities(vote_type):
            for c in r.completions:
                if c == "none":
                    continue
                if c == "add1-greedy" and u != "cost":
                    continue
                out.append(str(RuleSpec(r.id, u, c)))
    return out


def resolve(election: Election, spec: str | RuleSpec) -> RuleSpec:
    """Check a spec against the registry and the election's ballots; fill the default utility."""
    if isinstance(spec, str):
        spec = RuleSpec.parse(spec)
    if spec.rule not in RULES:
        raise RuleError(f"unknown rule {spec.rule!r}; valid rules: {', '.join(RULES)}")
    rule = RULES[spec.rule]
    if election.vote_type not in rule.vote_types:
        raise RuleError(f"rule {rule.id!r} does not apply to {election.vote_type} ballots; it needs "
                        f"{', '.join(rule.vote_types)}")
    allowed = rule.allowed_utilities(election.vote_type)
    utility = spec.utility
    if utility is None and allowed != (None,):
        utility = allowed[0]
    if utility not in allowed:
        valid = ", ".join(u for u in allowed if u) or "none (omit it)"
        raise RuleError(f"utility {spec.utility!r} does not fit rule {rule.id!r} with {election.vote_type} "
                        f"ballots; valid: {valid}")
    if spec.completion not in rule.completions:
        valid = ", ".join(c for c in rule.completions if c) or "none (omit it)"
        raise RuleError(f"completion {spec.completion!r} does not fit rule {rule.id!r}; valid: {valid}")
    if spec.completion == "add1-greedy" and utility != "cost":
        raise RuleError("completion 'add1-greedy' is defined with utility 'cost' only (mes:cost:add1-greedy)")
    completion = None if spec.completion == "none" else spec.completion
    return RuleSpec(spec.rule, utility, completion, spec.tie_break, spec.seed)


def allocate(election: Election, spec: str | RuleSpec, *, tie_break: str = "id", seed: int = 0) -> Allocation:
    """Run one rule on an election; the one entry point of the registry.

    ``spec`` is ``rule[:utility[:completion]]`` (see :data:`RULES`); ``tie_break`` one of
    ``id`` (default, as pabutools), ``cost``, ``votes``, ``lot`` (with ``seed``)."""
    if isinstance(spec, str):
        spec = RuleSpec.parse(spec, tie_break=tie_break, seed=seed)
    spec = resolve(election, spec)
    # the kernels create many small objects and no reference cycles: pause the cyclic collector (a full
    # collection over a large election in memory costs more than a greedy run)
    enabled = gc.isenabled()
    gc.disable()
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        sel, steps, decisions, welfare = RULES[spec.rule].run(election, spec)
        seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    finally:
        if enabled:
            gc.enable()
    projects = election.projects
    return Allocation(
        spec=spec,
        selected=tuple(projects[i].id for i in sel),
        total_cost=money(election, sum(projects[i].cost for i in sel)),
        budget=money(election, election.budget),
        steps=tuple(steps),
        decisions={p.id: decisions[p.id] for p in projects},
        welfare=welfare,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
    )


__all__ = ["RULES", "Rule", "RuleSpec", "RuleError", "Allocation", "Decision", "Step", "allocate", "resolve",
           "rule_specs"]
