"""Round settings used across tests/rounds: six projects, a budget of ¥100,000 from two funds."""

from __future__ import annotations

import pytest

from toolkit.labels import Label
from toolkit.rounds.settings import Approval, Cumulative, Fund, Knapsack, Project, Ranking, RoundSettings

# cost in fen: ¥50,000 / ¥62,000 / ¥30,000 / ¥8,000.50 / ¥20,000 / ¥5,000
COSTS = {"p1": 5_000_000, "p2": 6_200_000, "p3": 3_000_000, "p4": 800_050, "p5": 2_000_000, "p6": 500_000}
NAMES = {"p1": ("凉亭", "Pavilion"), "p2": ("充电棚", "Charging shed"), "p3": ("文化墙", "Culture wall"),
         "p4": ("座椅", "Benches"), "p5": ("监控", "CCTV"), "p6": ("花箱", "Planters")}


def make_settings(ballot, **kw) -> RoundSettings:
    projects = tuple(Project(pid, Label(*NAMES[pid]), cost, location=(104.1, 30.66)) for pid, cost in COSTS.items())
    # ¥70,000 + ¥30,000 = ¥100,000
    funds = (Fund("protect", Label("保障资金", "Protection fund"), 7_000_000),
             Fund("parking", Label("停车收入", "Parking income"), 3_000_000))
    return RoundSettings("r2025-1", Label("2025 第一轮", "2025 round 1"), projects, funds, ballot, **kw)


@pytest.fixture
def approval():
    return make_settings(Approval(min_picks=2, max_picks=5))


@pytest.fixture
def knapsack():
    return make_settings(Knapsack(min_spend_fen=4_000_000))


@pytest.fixture
def cumulative():
    return make_settings(Cumulative(points=10, per_project_cap=4))


@pytest.fixture
def ranking():
    return make_settings(Ranking(k=3))
