from fractions import Fraction
from pathlib import Path

import pytest

from toolkit.rulefiles import RULES_DIR
from toolkit.scoring import load_rubric, parse_rubric

SHIPPED = sorted(p.stem for p in (RULES_DIR / "rubrics").glob("*.toml"))


def test_both_rubrics_are_shipped():
    assert SHIPPED == ["evaluation", "selection"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_rubric_is_complete(name):
    rubric = load_rubric(name)
    assert rubric.ref == f"{name}@{rubric.version}"
    assert rubric.path == RULES_DIR / "rubrics" / f"{name}.toml"
    assert rubric.scale == (Fraction(0), Fraction(10))
    assert rubric.tier_ids == ("community", "street", "district")
    assert sum(w for _, w in rubric.tiers) == 1
    assert len(rubric.criteria) == 7
    for c in rubric.criteria:
        assert c.weight > 0 and c.label.zh and c.label.en and c.guide is not None


def test_selection_rubric_has_the_issue_criteria():
    assert load_rubric("selection").criterion_ids == (
        "relevance", "participation", "quality", "feasibility", "cost_effectiveness", "beneficiaries", "sustainability",
    )


def test_evaluation_rubric_is_for_midterm_and_acceptance():
    assert load_rubric("evaluation").applies_to == ("midterm", "acceptance")


def test_weights_are_exact_decimals():
    text = 'name = "r"\nversion = "2"\nscale = [1, 5]\n[tiers]\ncommunity = 0.1\nstreet = 0.2\n[[criteria]]\nid = "a"\nlabel = { zh = "甲", en = "A" }\nweight = 0.3\n'
    rubric = parse_rubric(text, "r.toml")
    # 0.1 + 0.2 is exactly 3/10 here, not the float 0.30000000000000004
    assert sum(w for _, w in rubric.tiers) == Fraction(3, 10)
    assert rubric.criteria[0].weight == Fraction(3, 10)
    assert rubric.scale == (Fraction(1), Fraction(5))


def test_rules_dir_can_be_overridden(tmp_path, monkeypatch):
    (tmp_path / "rubrics").mkdir()
    src = Path(RULES_DIR / "rubrics" / "selection.toml").read_text(encoding="utf-8")
    (tmp_path / "rubrics" / "selection.toml").write_text(src.replace('version = "2026.1"', 'version = "local-3"'), encoding="utf-8")
    monkeypatch.setenv("LINLI_RULES_DIR", str(tmp_path))
    assert load_rubric("selection").ref == "selection@local-3"
