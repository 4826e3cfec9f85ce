"""The shared confirmation dialog: the action runs only after ask + confirm, once."""

from toolkit.ui.confirm import Confirm


def test_action_runs_only_after_ask_and_once():
    ran = []
    c = Confirm(lambda: ran.append(1), yes="结束投票", no="取消")
    assert c.root.layout.display == "none"
    c.yes.click()  # a forged click on the hidden button: nothing
    assert ran == []
    c.ask("结束后不能再投票。<b>确定</b>吗？")
    assert c.root.layout.display == "flex" and "&lt;b&gt;" in c.question.value
    c.no.click()
    assert ran == [] and c.root.layout.display == "none"
    c.ask("确定吗？")
    c.yes.click()
    c.yes.click()  # a second tap (or a re-enabled button) does not run it again
    assert ran == [1] and c.root.layout.display == "none"
