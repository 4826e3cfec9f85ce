"""The proposal form's rules, checked in Python at submit time."""

from __future__ import annotations

import pytest

from toolkit.errors import RuleFileError, ValidationError
from toolkit.geo import load_district
from toolkit.proposals import Draft, check, load_proposal_rules, new_receipt_code, parse_proposal_rules
from toolkit.rulefiles import parse_rule_file


@pytest.fixture(scope="module")
def district():
    return load_district(None)


@pytest.fixture(scope="module")
def rules():
    return load_proposal_rules()


def centre(district, cid):
    p = district.compounds.set_index("id").loc[cid].geometry.representative_point()
    return p.x, p.y


def make(**kw):
    base = dict(submission_id="abcdef0123456789", title="修路灯", problem="太黑了", why="", suggestion="换灯", category="safety")
    base.update(kw)
    return Draft(**base)


def test_rule_file_lists_labels_in_both_languages(rules):
    assert rules.ref == "proposals@2026.1"
    assert {c.id for c in rules.categories} >= {"facilities", "greening", "safety", "elderly_children"}
    assert all(c.label.zh and c.label.en for c in rules.categories + rules.channels + rules.cost_bands)
    assert rules.cost_band("10k-50k").estimate_fen == 3_000_000


@pytest.mark.parametrize(
    "text, field",
    [
        ('name = "proposals"\n', "version"),
        ('name = "p"\nversion = "1"\n[[categories]]\nid = "a"\nlabel = { zh = "甲" }\n', "categories[1].label"),
        ('name = "p"\nversion = "1"\n[[categories]]\nid = "a"\nlabel = { zh = "甲", en = "A" }\n[[categories]]\nid = "a"\nlabel = { zh = "乙", en = "B" }\n', "categories[2].id"),
    ],
)
def test_invalid_rule_file_names_file_and_key(text, field):
    with pytest.raises(RuleFileError) as err:
        parse_proposal_rules(parse_rule_file(text, "community.toml"))
    assert err.value.field == field and "community.toml" in str(err.value) and "Fix:" in str(err.value)


@pytest.mark.parametrize("bad", ["inf", "nan", "-inf", "1e400"])
def test_non_finite_estimate_is_refused_not_a_traceback(bad):
    """Issue 11, finding 10: inf/nan in proposals.toml gave an OverflowError/ValueError traceback."""
    from toolkit.rulefiles import rule_path

    text = rule_path("proposals.toml").read_text(encoding="utf-8").replace("estimate_yuan = 5000", f"estimate_yuan = {bad}", 1)
    with pytest.raises(RuleFileError) as err:
        parse_proposal_rules(parse_rule_file(text, "proposals.toml"))
    assert err.value.field.endswith("estimate_yuan") and "finite" in str(err.value) and "Fix:" in str(err.value)


def test_broken_toml_names_the_line():
    with pytest.raises(RuleFileError) as err:
        parse_rule_file('name = "p"\nversion = \n', "x.toml")
    assert err.value.line == 2


def test_point_is_placed_in_its_compound(rules, district):
    lon, lat = centre(district, "S3C2Y1")
    p = check(make(geometry={"type": "Point", "coordinates": [lon, lat]}), rules, district)
    assert (p.compound_id, p.compound_source, p.geom_type) == ("S3C2Y1", "map", "Point")
    assert p.rules_ref == "proposals@2026.1"


def test_manual_compound_overrides_the_map(rules, district):
    lon, lat = centre(district, "S3C2Y1")
    p = check(make(geometry={"type": "Point", "coordinates": [lon, lat]}, compound_id="S1C1Y1"), rules, district)
    assert (p.compound_id, p.compound_source) == ("S1C1Y1", "manual")
    q = check(make(compound_id="S1C1Y1"), rules, district)  # no location at all
    assert (q.compound_id, q.geom_type, q.lon) == ("S1C1Y1", None, None)


def test_line_and_area(rules, district):
    (x, y) = centre(district, "S2C1Y1")
    line = check(make(geometry={"type": "LineString", "coordinates": [[x, y], [x + 0.0003, y]]}), rules, district)
    assert line.geom_type == "LineString"
    ring = [[x, y], [x + 0.0003, y], [x + 0.0003, y + 0.0003], [x, y]]
    area = check(make(geometry={"type": "Polygon", "coordinates": [ring]}), rules, district)
    assert area.geom_type == "Polygon"
    bowtie = [[x, y], [x + 0.001, y + 0.001], [x + 0.001, y], [x, y + 0.001], [x, y]]
    with pytest.raises(ValidationError) as err:
        check(make(geometry={"type": "Polygon", "coordinates": [bowtie]}), rules, district)
    assert "cross" in err.value.errors["place"].en


def test_every_rule_has_a_plain_message(rules, district):
    bad = make(
        submission_id="x",
        title="",
        problem="x" * 2001,
        suggestion="",
        category="",
        channel="fax",
        cost_band="free",
        lang="fr",
    )
    with pytest.raises(ValidationError) as err:
        check(bad, rules, district)
    e = err.value.errors
    assert set(e) == {"submission_id", "title", "problem", "suggestion", "category", "channel", "cost", "lang", "place"}
    assert e["title"].zh == "请填写这一项。" and e["problem"].en == "Too long: at most 2000 characters."
    assert e["place"].zh.startswith("请在地图上点一下")


@pytest.mark.parametrize("coords", [["a", "b"], [200, 30], [104.1], None, [float("nan"), 30.6]])
def test_malformed_coordinates_refused(rules, district, coords):
    with pytest.raises(ValidationError) as err:
        check(make(geometry={"type": "Point", "coordinates": coords}), rules, district)
    assert "place" in err.value.errors


def test_cost_band_gives_estimate_and_cost_must_be_whole_fen(rules, district):
    lon, lat = centre(district, "S1C1Y1")
    geo = {"type": "Point", "coordinates": [lon, lat]}
    assert check(make(geometry=geo, cost_band="50k-200k"), rules, district).cost_fen == 10_000_000
    with pytest.raises(ValidationError):
        check(make(geometry=geo, cost_fen=12.5), rules, district)


def test_receipt_codes_are_short_and_unambiguous():
    codes = {new_receipt_code() for _ in range(500)}
    assert len(codes) > 495
    for c in codes:
        assert len(c) == 7 and c[3] == "-" and not set(c) & set("015SZOIL2")
