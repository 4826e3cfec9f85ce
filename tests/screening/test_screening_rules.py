import tomllib
from pathlib import Path

import pytest

from toolkit.errors import RuleFileError
from toolkit.rulefiles import RULES_DIR
from toolkit.screening import check_rules_agree, load_screening_rules, load_triage_rules, parse_screening_rules

DATA = Path(__file__).parent / "data"
INVALID = DATA / "invalid"
EXPECTED = tomllib.loads((INVALID / "expected.toml").read_text(encoding="utf-8"))
FILES = sorted(p.name for p in INVALID.glob("*.toml") if p.name != "expected.toml")


def test_shipped_screening_rules_follow_the_default_interpretation():
    rules = load_screening_rules()
    assert rules.ref == "screening@2026.1" and rules.path == RULES_DIR / "screening.toml"
    assert [k.id for k in rules.deliberated] == ["shared_space", "environment", "safety", "group_services", "culture", "conventions", "shared_funds"]
    assert [k.id for k in rules.excluded] == ["illegal", "private_interest", "others_duty", "already_decided", "beyond_powers"]
    for kind in rules.excluded:
        assert kind.redirect in ("referral", "quick_fix") and kind.to.zh and kind.to.en and kind.guidance.zh and kind.guidance.en


def test_shipped_triage_rules_are_three_fast_two_raise_one_transfer_plus_deliberate():
    rules = load_triage_rules()
    assert rules.ref == "triage@2026.1"
    groups = [t.group for t in rules.tracks]
    assert groups.count("fast") == 3 and groups.count("raise") == 2 and groups.count("transfer") == 1 and groups.count("deliberate") == 1
    assert all(t.level == "compound" for t in rules.tracks if t.group == "fast")
    assert {t.level for t in rules.tracks if t.group == "raise"} == {"community", "street"}
    assert all(0 <= t.response_days <= t.resolution_days for t in rules.tracks)
    assert rules.deliberated_track == "deliberate"


def test_shipped_files_agree():
    check_rules_agree(load_screening_rules(), load_triage_rules())


def test_a_community_edit_loads_and_is_recorded_by_version():
    rules = load_screening_rules(DATA / "valid" / "screening_community_edit.toml")
    assert rules.ref == "screening@2026.1-shuangqiao"
    assert rules.excluded[-1].id == "commercial"
    check_rules_agree(rules, load_triage_rules())


def test_every_invalid_file_has_an_expectation():
    assert sorted(EXPECTED) == FILES


@pytest.mark.parametrize("name", FILES)
def test_invalid_rule_file_fails_naming_file_and_key(name):
    path = INVALID / name
    loader = load_screening_rules if name.startswith("screening") else load_triage_rules
    with pytest.raises(RuleFileError) as info:
        loader(path)
    err = info.value
    assert err.path == str(path) and str(path) in str(err)
    assert err.field == EXPECTED[name]["field"]
    assert err.fix
    for words in EXPECTED[name]["says"]:
        assert words in str(err)


def test_excluded_kind_pointing_at_an_unknown_track_fails_naming_the_screening_file():
    text = (RULES_DIR / "screening.toml").read_text(encoding="utf-8").replace('track = "raise_street"', 'track = "raise_district"')
    rules = parse_screening_rules(text, "edited/screening.toml")
    with pytest.raises(RuleFileError) as info:
        check_rules_agree(rules, load_triage_rules())
    assert info.value.field == "excluded[4].track"
    assert "edited/screening.toml" in str(info.value) and "raise_district" in str(info.value) and "raise_street" in str(info.value)
