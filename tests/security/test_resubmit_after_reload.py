"""Finding 7, the kernel-death side for the vote and paper pages: a page reloaded after its kernel
died (a new kernel, a new page object; only the address survives) never stores a ballot twice and
tells the person plainly what happened. (On the code as it was, the vote page's submission id
lived in the kernel only: the voter who reloaded after the ballot was stored got "This voting code
has already been used", and the paper desk told an operator re-entering the same paper "Two
different operators must each enter the ballot".)"""

from __future__ import annotations

import re

import pytest

from tests.security.rounds_setup import FAST, settings
from toolkit import voting
from toolkit.i18n import text
from toolkit.markup import escape
from toolkit.rounds import Approval
from toolkit.store import open_store
from toolkit.ui.ballot import VotePage
from toolkit.ui.rounds import PaperDesk


@pytest.fixture
def round_(tmp_path):
    store = open_store(tmp_path / "reload.sqlite")
    rid = voting.create_round(store, settings(Approval(min_picks=1, max_picks=3)), scrypt_n=FAST)
    codes = voting.issue_codes(store, rid, 4)
    store.set_round_status(rid, "open")
    return store, rid, codes


def vote_page(store, rid, sid=None, lang="zh"):
    """The page as ``pages.vote_page`` wires it; ``sid`` is what the address carried (``?sid=``)."""
    return VotePage(voting.round_settings(store.round(rid)), lambda c: voting.code_problem(store, rid, c),
                    lambda c, d, s, a: voting.cast(store, rid, c, d, submission_id=s, assisted_by=a), lang=lang, idle_seconds=0,
                    submission_id=sid, received=lambda c, s: voting.received(store, rid, c, s))


def address_sid(page) -> str:
    """What the Voila template copies into the address bar from the page's hidden marker."""
    return re.search(r'class="linli-sid" data-sid="([^"]+)"', page.sid_marker.value).group(1)


def vote(page, code, *picks):
    page.code_box.value = code
    page.start.click()
    for pid in picks:
        page.editor.toggle(pid)
    page.review_button.click()
    page.confirm_button.click()


def test_a_ballot_stored_before_the_kernel_died_is_received_once_and_the_voter_is_told(round_):
    store, rid, codes = round_
    first = vote_page(store, rid)
    vote(first, codes[0], "A", "C")  # stored; the reply never reached the tablet (the kernel died)
    receipt = re.search(r'id="linli-vote-receipt">([^<]+)<', first.receipt.value).group(1)
    again = vote_page(store, rid, sid=address_sid(first), lang="en")  # the reloaded page, a new kernel
    again.code_box.value = codes[0]
    again.start.click()
    assert again.screen == "receipt" and receipt in again.receipt.value
    assert escape(text("trust.vote_received", "en")) in again.receipt.value
    assert "already been used" not in again.code_error.value + again.receipt.value
    assert store.counted_ballots(rid) == [{"A": 1, "C": 1}]


def test_a_kernel_that_died_before_the_confirm_lets_the_same_voter_vote_once(round_):
    store, rid, codes = round_
    first = vote_page(store, rid)
    first.code_box.value = codes[1]
    first.start.click()  # code accepted, the ballot not yet confirmed when the kernel died
    again = vote_page(store, rid, sid=address_sid(first))
    vote(again, codes[1], "B")
    assert again.screen == "receipt" and "linli-vote-again" not in again.receipt.value
    again.confirm_button.click()  # a second press (a re-enabled button, a lost reply) stores nothing
    assert store.counted_ballots(rid) == [{"B": 1}]


def test_the_next_voter_on_a_reloaded_tablet_gets_a_ballot_of_their_own(round_):
    store, rid, codes = round_
    first = vote_page(store, rid)
    vote(first, codes[0], "A")  # voter 1 done; the kernel dies before "next voter" is pressed
    again = vote_page(store, rid, sid=address_sid(first))  # the address still names voter 1's ballot
    vote(again, codes[2], "D")  # voter 2, a fresh code
    assert again.screen == "receipt" and "linli-vote-again" not in again.receipt.value
    assert address_sid(again) != address_sid(first)
    assert sorted(store.counted_ballots(rid), key=sorted) == [{"A": 1}, {"D": 1}]  # ballot ids are random: no order


def test_a_spent_code_on_another_tablet_is_not_shown_someone_elses_receipt(round_):
    store, rid, codes = round_
    vote(vote_page(store, rid), codes[0], "A")
    other = vote_page(store, rid)  # a different tablet: its address names no stored ballot
    other.code_box.value = codes[0]
    other.start.click()
    assert other.screen == "login" and "已经投过票" in other.code_error.value and other.receipt.value == ""
    assert len(store.counted_ballots(rid)) == 1


def test_the_vote_page_takes_its_submission_id_from_the_address(round_, monkeypatch):
    from toolkit.ui import pages

    store, rid, _codes = round_
    monkeypatch.setenv("QUERY_STRING", f"round={rid}&sid=0123456789abcdef0123")
    root = pages.vote_page(store.url)
    assert 'data-sid="0123456789abcdef0123"' in root.children[-1].value
    monkeypatch.setenv("QUERY_STRING", f"round={rid}&sid=%3Cscript%3E")
    assert "script" not in pages.vote_page(store.url).children[-1].value  # not an id: a fresh one instead


def test_a_paper_entry_resubmitted_after_a_reload_is_recorded_once(round_):
    store, rid, _codes = round_

    def desk(operator, serial, *picks):
        d = PaperDesk(store, rid, lang="zh")  # each call: a new page object (a reload)
        d.operator.value, d.serial.value = operator, serial
        for pid in picks:
            d.editor.toggle(pid)
        d.save.click()
        return d

    assert 'data-role="first"' in desk("张敏", "0007", "A", "B").message.value
    again = desk("张敏", "0007", "A", "B")  # the same operator, the same paper, after the kernel died
    assert 'data-role="already"' in again.message.value
    assert escape(text("trust.paper_already", "zh", serial="0007")) in again.message.value
    assert len(store.paper_entries_frame(rid)) == 1
    slip = desk("张敏", "0007", "A")  # the same operator with other marks: still refused, never a second entry
    assert "linli-error" in slip.message.value and len(store.paper_entries_frame(rid)) == 1
    assert 'data-role="second"' in desk("刘洋", "0007", "A", "B").message.value
    assert 'data-role="already"' in desk("刘洋", "0007", "A", "B").message.value  # the second operator reloads too
    assert store.counted_ballots(rid) == [{"A": 1, "B": 1}] and len(store.paper_entries_frame(rid)) == 2
