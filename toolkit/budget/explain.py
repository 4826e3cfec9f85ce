"""Explanations: every decision of a rule in plain words with its numbers, in zh-Hans or English.

equalshares.net is the model: "not funded: its 412 supporters had CNY 31,200 left, it costs 52,000".
"""

from __future__ import annotations

from fractions import Fraction

from toolkit.budget.rules.result import Allocation, Decision
from toolkit.errors import LinliError
from toolkit.labels import Label

TEMPLATES: dict[str, Label] = {
    "greedy_funded": Label(
        "项目 {project}：获得资助。按{score_name_zh}排第 {rank} 位（{score}）；轮到它时还剩 {left}，它需要 {cost}，之后剩 {left_after}。",
        "Project {project}: funded. Ranked {rank} by {score_name_en} ({score}); when its turn came {left} was left, "
        "it costs {cost}, leaving {left_after}."),
    "greedy_no_money": Label(
        "项目 {project}：未获资助。按{score_name_zh}排第 {rank} 位（{score}）；轮到它时只剩 {left}，而它需要 {cost}。",
        "Project {project}: not funded. Ranked {rank} by {score_name_en} ({score}); when its turn came only {left} "
        "was left and it costs {cost}."),
    "mes_funded": Label(
        "项目 {project}：获得资助，第 {round} 轮。{supporters} 位支持者分摊 {cost}，每人支付 {price}"
        "（其中 {capped} 人付出了全部余额）；每位选民的预算为 {per_voter_budget}。",
        "Project {project}: funded in round {round}. Its {supporters} supporters shared its cost of {cost}; each paid "
        "{price} ({capped} of them paid all they had left); each voter's budget was {per_voter_budget}."),
    "mes_free": Label("项目 {project}：获得资助（费用为 0，有人支持，直接入选）。",
                      "Project {project}: funded (it costs nothing and has supporters, so it is taken first)."),
    "mes_no_money": Label(
        "项目 {project}：未获资助。经过 {rounds} 轮后，它的 {supporters} 位支持者只剩 {left}，而它需要 {cost}"
        "（每位选民的预算为 {per_voter_budget}）。",
        "Project {project}: not funded. After {rounds} rounds its {supporters} supporters had {left} left, "
        "it costs {cost} (each voter's budget was {per_voter_budget})."),
    "no_support": Label("项目 {project}：未获资助，没有选民从它获得效用（{utility}），平等份额法不考虑它。",
                        "Project {project}: not funded; no voter gets any utility ({utility}) from it, so Equal "
                        "Shares never considers it."),
    "completion_greedy": Label(
        "项目 {project}：获得资助，在补足阶段按票数贪心加入（排第 {rank} 位，当时还剩 {left}，它需要 {cost}）。",
        "Project {project}: funded in the completion step, greedy by votes (rank {rank}; {left} was left, "
        "it costs {cost})."),
    "phragmen_funded": Label(
        "项目 {project}：获得资助，第 {round} 轮。{supporters} 位支持者的负载升至 {load}；之后剩 {left_after}。",
        "Project {project}: funded in round {round}; its {supporters} supporters' load rose to {load}; "
        "{left_after} left afterwards."),
    "phragmen_stopped": Label(
        "项目 {project}：未获资助。第 {step} 轮时下一个该选的项目 {stopper}（{stopper_cost}）超出剩余的 {left}，规则在此停止。",
        "Project {project}: not funded. In round {step} the next project due, {stopper} ({stopper_cost}), did not "
        "fit in the {left} left, and the rule stops there."),
    "phragmen_not_reached": Label("项目 {project}：未获资助（{cost}）。", "Project {project}: not funded ({cost})."),
    "over_budget": Label("项目 {project}：未获资助，它需要 {cost}，超过总预算 {budget}。",
                         "Project {project}: not funded; it costs {cost}, more than the whole budget of {budget}."),
    "welfare_optimal": Label(
        "项目 {project}：获得资助，属于总福利最大的组合（总福利 {total_welfare}；本项目贡献 {welfare}，费用 {cost}）。",
        "Project {project}: funded; it is part of a set with the largest total welfare ({total_welfare}; this "
        "project adds {welfare} and costs {cost})."),
    "welfare_not_optimal": Label(
        "项目 {project}：未获资助，总福利最大的组合（{total_welfare}）不包含它（它贡献 {welfare}，费用 {cost}）。",
        "Project {project}: not funded; the set with the largest total welfare ({total_welfare}) leaves it out "
        "(it would add {welfare} and costs {cost})."),
}

COMPLETION = Label("（补足：每位选民的预算从 {initial_per_voter} 提高到 {per_voter_budget}；本项目在 {entered_at} 时进入结果。）",
                   " (Completion: each voter's budget was raised from {initial_per_voter} to {per_voter_budget}; this "
                   "project entered the outcome at {entered_at}.)")
GREEDY_AFTER = Label("补足阶段按票数贪心时它排第 {greedy_rank} 位，当时只剩 {greedy_left}。",
                     " In the greedy completion it ranked {greedy_rank} with only {greedy_left} left.")

SCORE_NAMES = {"votes": ("票数", "votes"), "votes_per_cost": ("每元票数", "votes per unit of cost"),
               "points": ("总分", "points"), "points_per_cost": ("每元分数", "points per unit of cost"),
               "score": ("名次得分", "positional score"), "borda_per_cost": ("每元波达分", "Borda points per unit of cost")}


def format_amount(value: object) -> str:
    """Money and ratios for people: thousands separators, at most 2 decimals (exact values stay in the trace)."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return f"{value.numerator:,}"
        return f"{float(value):,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return "∞" if value == float("inf") else f"{value:,.2f}"
    return str(value)


def explain_decision(decision: Decision, lang: str = "zh") -> str:
    nums = {k: format_amount(v) for k, v in decision.numbers.items()}
    nums["project"] = decision.project
    nums["step"] = decision.step
    if "score_name" in decision.numbers:
        zh, en = SCORE_NAMES[decision.numbers["score_name"]]
        nums["score_name_zh"], nums["score_name_en"] = zh, en
    if "price_min" in decision.numbers:
        lo, hi = decision.numbers["price_min"], decision.numbers["price_max"]
        nums["price"] = format_amount(lo) if lo == hi else f"{format_amount(lo)}–{format_amount(hi)}"
    text = TEMPLATES[decision.reason].get(lang).format(**nums)
    if "entered_at" in decision.numbers:
        text += COMPLETION.get(lang).format(**nums)
    if "greedy_rank" in decision.numbers:
        text += GREEDY_AFTER.get(lang).format(**nums)
    return text


def explain(result: Allocation, project: str, lang: str = "zh") -> str:
    """One project's decision as a sentence with its numbers.

    >>> from toolkit.budget.election import Election
    >>> from toolkit.budget.rules import allocate
    >>> e = Election.from_ballots([("a", 3), ("b", 4)], [["a"], ["b"]], budget=5)
    >>> print(explain(allocate(e, "greedy-votes"), "b", lang="en"))
    Project b: not funded. Ranked 2 by votes (1); when its turn came only 2 was left and it costs 4.
    """
    if project not in result.decisions:
        known = ", ".join(sorted(result.decisions)[:10])
        raise LinliError(f"no project {project!r} in this election; known ids include: {known}")
    return explain_decision(result.decisions[project], lang)


def explain_all(result: Allocation, lang: str = "zh") -> list[str]:
    return [explain_decision(d, lang) for d in result.decisions.values()]
