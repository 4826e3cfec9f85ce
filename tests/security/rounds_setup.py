"""Shared round setups for the security tests (plain functions: spawned processes import them)."""

from __future__ import annotations

from toolkit.labels import Label
from toolkit.rounds import Approval, Fund, Knapsack, Project, Ranking, RoundSettings

FAST = 2**4  # scrypt cost for tests (production default 2**14)
PIDS = ("A", "B", "C", "D", "E", "F")


def settings(ballot=None, *, voters: str = "code", rule: str = "greedy-votes") -> RoundSettings:
    names = ("充电棚", "凉亭", "文化墙", "口袋公园", "助餐点", "花箱")
    costs = (180_000_00, 66_000_00, 20_000_00, 250_000_00, 90_000_00, 5_000_00)
    projects = tuple(Project(pid, Label(name, f"Project {pid}"), cost) for pid, name, cost in zip(PIDS, names, costs))
    funds = (Fund("shared", Label("共有资金", "Shared income"), 300_000_00),)
    return RoundSettings("r1", Label("锦绣花园共有收益", "Jinxiu shared income"), projects, funds,
                         ballot or Knapsack(), rule=rule, voters=voters)


__all__ = ["Approval", "FAST", "Knapsack", "PIDS", "Ranking", "settings"]
