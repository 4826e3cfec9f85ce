"""The open budget plan: balance check, version diff, rounds, comments, freezing."""

from __future__ import annotations

from fractions import Fraction

import pytest

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.rounds.plan import (OverdrawnPlan, Plan, PlanFrozen, PlanLine, PlanProcess, check_balance, comment, diff,
                                 freeze, freeze_plan, propose, remove_line, set_line, set_terms)

PARKING = PlanLine("i1", Label("停车收入", "Parking income"), 12_000_000, "income", "shared")
ADS = PlanLine("i2", Label("广告收入", "Advertising income"), 3_000_000, "income", "shared")
PAVILION = PlanLine("e1", Label("凉亭", "Pavilion"), 6_600_000, "expense")
SHED = PlanLine("e2", Label("充电棚", "Charging shed"), 5_000_000, "expense")
WALL = PlanLine("e3", Label("文化墙", "Culture wall"), 1_200_000, "expense")


def plan(*lines, share=Fraction(1, 10), carry=0) -> Plan:
    return Plan(tuple(lines), share, carry)


def test_a_balanced_plan_reports_its_figures():
    # income 150,000; reserve 15,000; expenses 66,000 + 50,000 + 12,000 = 128,000; left 150,000 - 143,000 = 7,000
    b = check_balance(plan(PARKING, ADS, PAVILION, SHED, WALL))
    assert (b.income_fen, b.reserve_fen, b.expense_fen, b.left_fen) == (15_000_000, 1_500_000, 12_800_000, 700_000)


def test_an_overdrawn_plan_is_refused_naming_its_lines_and_the_shortfall():
    # income 120,000 + carry-over 5,000 = 125,000; expenses 66,000 + 50,000 + 12,000 = 128,000 plus reserve 12,000
    # = 140,000; short 15,000
    p = plan(PARKING, PAVILION, SHED, WALL, carry=500_000)
    with pytest.raises(OverdrawnPlan) as info:
        check_balance(p)
    assert info.value.shortfall_fen == 1_500_000
    assert info.value.line_ids == ("e1", "e2", "e3")
    assert info.value.errors["balance"] == Label(
        "缺口 ¥15,000：支出 ¥128,000 加储备金 ¥12,000，超过收入 ¥120,000 加结转 ¥5,000；"
        "支出条目：e1 凉亭 ¥66,000、e2 充电棚 ¥50,000、e3 文化墙 ¥12,000",
        "¥15,000 short: expenses ¥128,000 plus reserve ¥12,000 exceed income ¥120,000 plus carry-over ¥5,000; "
        "expense lines: e1 Pavilion ¥66,000, e2 Charging shed ¥50,000, e3 Culture wall ¥12,000")
    assert isinstance(info.value, ValidationError)


def test_balance_boundary_is_inclusive_and_reserve_rounds_up():
    # income ¥1,000.05 at 10 %: reserve 10,000.5 fen → 10,001 fen; expenses may be 100,005 - 10,001 = 90,004 fen
    income = PlanLine("i", Label("收入", "income"), 100_005, "income")
    assert check_balance(plan(income, PlanLine("e", Label("支出", "spend"), 90_004, "expense"))).left_fen == 0
    with pytest.raises(OverdrawnPlan) as info:
        check_balance(plan(income, PlanLine("e", Label("支出", "spend"), 90_005, "expense")))
    assert info.value.shortfall_fen == 1 and info.value.errors["balance"].en.startswith("¥0.01 short")


def test_diff_lists_added_removed_and_changed_lines():
    old = plan(PARKING, PAVILION, SHED)
    new = plan(PARKING, PlanLine("e1", Label("凉亭", "Pavilion"), 6_000_000, "expense"),
               PlanLine("e3", Label("文化墙", "Culture wall"), 1_200_000, "expense"), ADS, share=Fraction(1, 20))
    d = diff(old, new)
    assert [x.id for x in d.added] == ["e3", "i2"]
    assert [x.id for x in d.removed] == ["e2"]
    assert [(c.id, c.fields, c.old.amount_fen, c.new.amount_fen) for c in d.changed] == [("e1", ("amount_fen",), 6_600_000, 6_000_000)]
    assert d.terms == (("reserve_share", Fraction(1, 10), Fraction(1, 20)),)
    assert [x.en for x in d.summary()] == [
        "added e3 Culture wall ¥12,000", "added i2 Advertising income ¥30,000", "removed e2 Charging shed ¥50,000",
        "changed e1 Pavilion: amount ¥66,000 → ¥60,000", "reserve share 1/10 → 1/20"]
    assert d.summary()[3].zh == "修改 e1 凉亭：金额 ¥66,000 → ¥60,000"


def test_diff_reports_label_and_fund_changes_and_nothing_for_equal_plans():
    renamed = PlanLine("e2", Label("电动车充电棚", "E-bike charging shed"), 5_000_000, "expense", "shared")
    d = diff(plan(SHED), plan(renamed))
    assert d.changed[0].fields == ("label", "fund")
    assert d.summary()[0].en == "changed e2 E-bike charging shed: name Charging shed → E-bike charging shed; fund — → shared"
    assert diff(plan(PARKING, SHED), plan(PARKING, SHED)).empty


def test_lines_and_plans_are_checked():
    with pytest.raises(ValidationError) as info:
        PlanLine("e1", Label("", ""), -1, "cost")
    assert set(info.value.errors) == {"e1.label", "e1.amount_fen", "e1.kind"}
    with pytest.raises(ValidationError) as info:
        Plan((PAVILION, PAVILION), Fraction(1, 10))
    assert "e1.id" in info.value.errors
    for share in (Fraction(1), Fraction(-1, 10), 0.1):
        with pytest.raises(ValidationError):
            Plan((PAVILION,), share)


def test_edits_and_a_frozen_plan_refuses_them():
    p = set_line(plan(PARKING, PAVILION), PlanLine("e1", Label("凉亭", "Pavilion"), 6_000_000, "expense"))
    assert p.line("e1").amount_fen == 6_000_000 and [x.id for x in p.lines] == ["i1", "e1"]
    p = remove_line(set_line(p, WALL), "e1")
    assert [x.id for x in p.lines] == ["i1", "e3"]
    final = freeze_plan(set_terms(p, carry_over_fen=100))
    assert final.frozen and final.carry_over_fen == 100
    for edit in (lambda: set_line(final, SHED), lambda: remove_line(final, "e3"), lambda: set_terms(final, carry_over_fen=0)):
        with pytest.raises(PlanFrozen) as info:
            edit()
        assert info.value.errors["plan"] == Label("计划已定稿，不能再修改", "the plan is final and cannot be edited")


def test_an_overdrawn_plan_cannot_be_frozen():
    with pytest.raises(OverdrawnPlan):
        freeze_plan(plan(ADS, PAVILION))


def test_six_rounds_with_versions_comments_and_freezing():
    process = PlanProcess()
    assert process.rounds == 6 and process.current is None
    drafts = [plan(PARKING, PAVILION, SHED, WALL, share=Fraction(1, 10) if i < 3 else Fraction(1, 20))
              for i in range(5)] + [plan(PARKING, ADS, PAVILION, SHED)]
    process = propose(process, drafts[0], "first draft")
    process = comment(process, "e2", "3 栋 张阿姨", "充电棚要离窗户远一点")
    for d in drafts[1:]:
        process = propose(process, d)
    assert process.round_no == 6
    assert process.comments_on("e2")[0].round_no == 1 and process.comments_on("e1") == ()
    assert [x.id for x in process.changes(6).added] == ["i2"] and [x.id for x in process.changes(6).removed] == ["e3"]
    with pytest.raises(ValidationError) as info:
        propose(process, drafts[-1])
    assert info.value.errors["round"].en == "all 6 rounds are used; freeze the plan"
    final = freeze(process)
    assert final.frozen and final.current.frozen
    with pytest.raises(PlanFrozen):
        comment(final, "e1", "someone", "too late")
    with pytest.raises(PlanFrozen):
        freeze(final)


def test_comments_attach_to_existing_lines_only():
    process = propose(PlanProcess(rounds=2), plan(PARKING, PAVILION))
    with pytest.raises(ValidationError) as info:
        comment(process, "e9", "李", "?")
    assert info.value.errors["line"].en == "the current version has no line e9"
    with pytest.raises(ValidationError):
        comment(process, "e1", "李", "   ")
    with pytest.raises(ValidationError):
        comment(process, "e1", "李", "长" * 1001)


def test_freezing_needs_a_version_and_a_balanced_one():
    with pytest.raises(ValidationError):
        freeze(PlanProcess())
    with pytest.raises(OverdrawnPlan):
        freeze(propose(PlanProcess(), plan(ADS, PAVILION)))
