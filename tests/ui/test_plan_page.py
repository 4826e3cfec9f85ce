"""The plan page over the store (SQLite and PostgreSQL): versions per round, the balance check
naming lines, the diff between versions, comments on lines, the final freeze."""

from __future__ import annotations

import re

import pytest

from toolkit.errors import StoreError
from toolkit.planning import load_process
from toolkit.store import open_store
from toolkit.ui.plan import PlanDesk


def line(desk, lid, kind, label, yuan):
    desk.line_id.value, desk.kind.value, desk.label.value, desk.amount.value = lid, kind, label, yuan
    return desk.set_line()


@pytest.fixture
def desk(db_url):
    d = PlanDesk(open_store(db_url), None)
    d.create("锦绣花园 2026 共有资金收支计划", 6)
    return d


def test_rounds_balance_diff_comments_and_freeze(desk):
    desk.reserve.value = 10  # 10 % of income kept in reserve
    assert line(desk, "i1", "income", "停车收入", 200_000)
    assert line(desk, "i2", "income", "广告收入", 50_000)
    assert line(desk, "e1", "expense", "电动车充电棚", 180_000)
    assert line(desk, "e2", "expense", "院坝凉亭", 66_000)
    # 180,000 + 66,000 + reserve 25,000 = 271,000 > 250,000: ¥21,000 short, lines named.
    assert 'data-ok="0"' in desk.balance.value
    assert "¥21,000" in desk.balance.value and "e1" in desk.balance.value and "e2" in desk.balance.value
    assert desk.propose()  # drafts may be unbalanced; round 1 is on record
    assert desk.process.round_no == 1
    desk.comment_line.value, desk.comment_author.value, desk.comment_text.value = "e2", "3栋 李阿姨", "凉亭可以小一点，省下的钱修路灯"
    assert desk.comment()
    assert [c.text for c in desk.process.comments_on("e2")] == ["凉亭可以小一点，省下的钱修路灯"]

    assert not desk.freeze() and "¥21,000" in desk.message.value  # an overdrawn plan cannot be final
    assert line(desk, "e2", "expense", "院坝凉亭（小型）", 40_000)
    desk.line_id.value = "i2"
    assert desk.remove_line()
    assert line(desk, "i3", "income", "场地租金", 60_000)
    assert line(desk, "e3", "expense", "修复路灯", 8_000)
    assert 'data-ok="1"' in desk.balance.value  # 180,000 + 40,000 + 8,000 + 26,000 = 254,000 ≤ 260,000
    assert desk.propose()
    changes = desk.changes.value
    assert "新增 i3 场地租金 ¥60,000" in changes and "新增 e3 修复路灯 ¥8,000" in changes
    assert "删除 i2 广告收入 ¥50,000" in changes
    assert "修改 e2 院坝凉亭（小型）" in changes and "¥66,000 → ¥40,000" in changes
    assert desk.freeze()
    assert 'data-final="1"' in desk.head.value and desk.editor.layout.display == "none"

    process = load_process(desk.store, desk.plan_id)
    assert process.frozen and process.round_no == 2 and process.current.frozen
    with pytest.raises(StoreError):  # the database refuses a version after the freeze
        desk.store.add_plan_version(desk.plan_id, 3, "[]", "0", 0, "late")
    rows = re.findall(r'data-line="([^"]+)"', desk.table.value)
    assert rows == ["i1", "e1", "e2", "i3", "e3"]
