from datetime import date

import pytest

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.screening import follow_up, load_screening_rules, load_triage_rules, screen

RULES = load_screening_rules()
TRIAGE = load_triage_rules()


@pytest.mark.parametrize("code", [k.id for k in RULES.deliberated])
def test_deliberated_kinds(code):
    d = screen("A7K2", code, RULES)
    assert d.outcome == "deliberated" and d.deliberated and d.redirect is None
    assert d.rules_ref == "screening@2026.1"
    label = RULES.kind(code).label
    assert d.message == Label(f"您的建议属于“{label.zh}”，将提交居民议事会讨论。", f"Your proposal concerns “{label.en}” and will be put to a residents' deliberation meeting.")


@pytest.mark.parametrize("code", [k.id for k in RULES.excluded])
def test_excluded_proposals_are_redirected_never_dropped(code):
    kind = RULES.kind(code)
    d = screen("A7K2", code, RULES, note="reported twice")
    assert d.outcome == "excluded" and not d.deliberated and d.code == code and d.note == "reported twice"
    assert d.redirect.kind == kind.redirect and d.redirect.to == kind.to and d.redirect.track == kind.track
    # the sentence carries the guidance and the party it went to, in both languages
    assert kind.guidance.zh in d.message.zh and kind.to.zh in d.message.zh
    assert kind.guidance.en in d.message.en and kind.to.en in d.message.en
    ticket = follow_up(d, date(2026, 3, 20), TRIAGE)
    assert ticket.item_id == "A7K2" and ticket.track == kind.track


def test_the_sentences_read_as_written():
    d = screen("B1", "others_duty", RULES)
    assert d.message.en == (
        "Your proposal will not go to a deliberation meeting: it is the legal duty of the property company or a government "
        "department to solve it. We have passed it to the property company or the responsible department and will tell you the outcome."
    )
    q = screen("B2", "private_interest", RULES)
    assert q.redirect.kind == "quick_fix" and q.redirect.track == "compound_service"
    assert q.message.zh == "您的建议不需要提交议事会讨论：这件事只涉及个人或一户的利益，不属于公共事务。我们已为它开了快办单，由网格员跟进，并会把处理结果告诉您。"


def test_deliberated_proposal_follows_up_on_the_deliberate_track():
    assert follow_up(screen("C3", "safety", RULES), date(2026, 3, 20), TRIAGE).track == "deliberate"


def test_unknown_kind_lists_the_valid_ones():
    with pytest.raises(ValidationError) as info:
        screen("A7K2", "parking", RULES)
    message = info.value.errors["code"]
    assert "'parking'" in message.en and "shared_space" in message.en and "beyond_powers" in message.en
    assert "parking" in message.zh
