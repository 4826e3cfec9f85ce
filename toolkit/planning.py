"""Multi-round open budgeting (开放式预算编制) as run: the plan logic of
:mod:`toolkit.rounds.plan` kept in the store, one proposed version per round, comments on
lines, a balance check before freezing, and the final plan for public notice."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import TYPE_CHECKING

from toolkit.labels import Label
from toolkit.rounds.plan import Plan, PlanLine, PlanProcess, check_balance, comment, freeze, propose

if TYPE_CHECKING:
    from toolkit.store import Store


def lines_to_json(plan: Plan) -> str:
    return json.dumps(
        [{"id": x.id, "label": [x.label.zh, x.label.en], "amount_fen": x.amount_fen, "kind": x.kind, "fund": x.fund} for x in plan.lines],
        ensure_ascii=False,
    )


def plan_from_row(row: dict) -> Plan:
    lines = tuple(PlanLine(x["id"], Label(*x["label"]), x["amount_fen"], x["kind"], x.get("fund")) for x in json.loads(row["lines"]))
    return Plan(lines, Fraction(row["reserve_share"]), row["carry_over_fen"])


def load_process(store: "Store", plan_id: int) -> PlanProcess:
    """Rebuild the plan's process from the store: each version, then its round's comments."""
    rec = store.plan_record(plan_id)
    process = PlanProcess(rounds=rec["rounds"])
    for v in rec["versions"]:
        process = propose(process, plan_from_row(v), v["note"])
        for c in rec["comments"]:
            if c["round_no"] == v["round_no"]:
                process = comment(process, c["line_id"], c["author"], c["text"])
    if rec["frozen_at"]:
        process = freeze(process)
    return process


def propose_version(store: "Store", plan_id: int, plan: Plan, note: str = "", vote_round_id: int | None = None) -> PlanProcess:
    """Check the version against the process (rounds left, not final) and store it."""
    process = propose(load_process(store, plan_id), plan, note)
    store.add_plan_version(plan_id, process.round_no, lines_to_json(plan), str(Fraction(plan.reserve_share)), plan.carry_over_fen, note, vote_round_id)
    return process


def add_comment(store: "Store", plan_id: int, line_id: str, author: str, text: str) -> PlanProcess:
    process = comment(load_process(store, plan_id), line_id, author, text)
    store.add_plan_comment(plan_id, process.round_no, line_id, author.strip(), text.strip())
    return process


def finalise(store: "Store", plan_id: int) -> PlanProcess:
    """Freeze the current version for public notice; refused (OverdrawnPlan) if it does not balance."""
    process = freeze(load_process(store, plan_id))
    store.freeze_plan(plan_id)
    return process


__all__ = ["add_comment", "check_balance", "finalise", "load_process", "propose_version"]
