"""Rubrics: versioned TOML rule files under ``templates/rules/rubrics/``.

A rubric has ``name``, ``version``, a score ``scale = [low, high]``, ``[[criteria]]`` (each with
``id``, ``label = {zh, en}``, ``weight``) and ``[tiers]`` mapping each tier id (``community``,
``street``, ``district``) to its weight. ``parse_rubric`` does the work; ``load_rubric`` reads a
file. Errors name the file, the key and the fix.

Design decisions
----------------
* Weights and the scale are kept as exact :class:`fractions.Fraction` values, converted from the
  TOML text of the number (``0.3`` becomes ``3/10``, not the nearest binary float), so that
  aggregation stays exact and ties are real ties.
* A weight may be 0 (a criterion or tier kept for the record only) but not negative, and the
  weights of the criteria, and of the tiers, must each sum to more than 0.
* Tier ids are free (a rubric may add a tier), written in lower case; the order of the
  ``[tiers]`` table is the order used in reports.
"""

from __future__ import annotations

import math

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from toolkit.errors import RuleFileError
from toolkit.labels import Label
from toolkit.rulefiles import RuleFile, load_rule_file, need_label, need_list, need_str, parse_rule_file, rule_path

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
TIER_LABELS = {
    "community": Label("社区众创组", "Community co-creation group"),
    "street": Label("街道设计师", "Street designers"),
    "district": Label("区级导师团", "District mentor group"),
}


@dataclass(frozen=True)
class Criterion:
    id: str
    label: Label
    weight: Fraction
    guide: Label | None = None


@dataclass(frozen=True)
class Rubric:
    """A parsed rubric. ``ref`` (``name@version``) is recorded with every ranking."""

    name: str
    version: str
    path: Path
    title: Label | None
    scale: tuple[Fraction, Fraction]
    criteria: tuple[Criterion, ...]
    tiers: tuple[tuple[str, Fraction], ...]  # (tier id, weight) in file order
    applies_to: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria)

    @property
    def tier_ids(self) -> tuple[str, ...]:
        return tuple(t for t, _ in self.tiers)

    def tier_weight(self, tier: str) -> Fraction:
        return dict(self.tiers)[tier]

    def tier_label(self, tier: str) -> Label:
        return TIER_LABELS.get(tier, Label(tier, tier))


def exact(value: int | float | str | Fraction) -> Fraction:
    """An exact Fraction for a number as written (floats via their shortest text, 0.1 -> 1/10)."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def _weight(table: dict, key: str, path, where: str) -> Fraction:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise RuleFileError(path, "missing or not a number", field=where + key, fix=f"write {key} = 1")
    if not math.isfinite(value):
        raise RuleFileError(path, f"must be a finite number, got {value}", field=where + key, fix=f"write {key} = 1 (not inf)")
    if value < 0:
        raise RuleFileError(path, f"must not be negative, got {value}", field=where + key, fix="use 0 or a positive number")
    return exact(value)


def rubric_from(rf: RuleFile) -> Rubric:
    """Check and convert an already parsed :class:`RuleFile` into a :class:`Rubric`."""
    path, data = rf.path, rf.data
    title = need_label(data, "title", path) if "title" in data else None
    scale = data.get("scale")
    if (
        not isinstance(scale, list)
        or len(scale) != 2
        or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in scale)
        or not scale[0] < scale[1]
    ):
        raise RuleFileError(path, f"must be two numbers, low then high, got {scale!r}", field="scale", fix="write scale = [0, 10]")
    if not all(math.isfinite(v) for v in scale):
        raise RuleFileError(path, f"must be two finite numbers, got {scale!r}", field="scale", fix="write scale = [0, 10] (not inf or nan)")
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for i, entry in enumerate(need_list(data, "criteria", path)):
        where = f"criteria[{i}]."
        if not isinstance(entry, dict):
            raise RuleFileError(path, "must be a table", field=f"criteria[{i}]", fix="write [[criteria]] entries")
        cid = need_str(entry, "id", path, where=where)
        if not _ID.match(cid):
            raise RuleFileError(path, f"id {cid!r} must be lower-case letters, digits and _", field=where + "id", fix='write e.g. id = "feasibility"')
        if cid in seen:
            raise RuleFileError(path, f"criterion {cid!r} is listed twice", field=where + "id", fix="give every criterion its own id")
        seen.add(cid)
        guide = need_label(entry, "guide", path, where=where) if "guide" in entry else None
        criteria.append(Criterion(cid, need_label(entry, "label", path, where=where), _weight(entry, "weight", path, where), guide))
    if sum(c.weight for c in criteria) <= 0:
        raise RuleFileError(path, "the criteria weights sum to 0", field="criteria.weight", fix="give at least one criterion a positive weight")
    table = data.get("tiers")
    if not isinstance(table, dict) or not table:
        raise RuleFileError(path, "missing or empty table", field="tiers", fix="add [tiers] with e.g. community = 0.4, street = 0.3, district = 0.3")
    tiers = []
    for tier in table:
        if not _ID.match(tier):
            raise RuleFileError(path, f"tier id {tier!r} must be lower-case letters, digits and _", field=f"tiers.{tier}", fix="write e.g. community = 0.4")
        tiers.append((tier, _weight(table, tier, path, "tiers.")))
    if sum(w for _, w in tiers) <= 0:
        raise RuleFileError(path, "the tier weights sum to 0", field="tiers", fix="give at least one tier a positive weight")
    applies_to = data.get("applies_to", [])
    if not isinstance(applies_to, list) or not all(isinstance(s, str) for s in applies_to):
        raise RuleFileError(path, "must be a list of texts", field="applies_to", fix='write applies_to = ["midterm", "acceptance"]')
    return Rubric(rf.name, rf.version, rf.path, title, (exact(scale[0]), exact(scale[1])), tuple(criteria), tuple(tiers), tuple(applies_to))


def parse_rubric(text: str, path: str | Path = "<string>") -> Rubric:
    """Parse rubric TOML text.

    >>> r = parse_rubric('name = "r"\\nversion = "1"\\nscale = [0, 10]\\n[tiers]\\ncommunity = 1\\n'
    ...                  '[[criteria]]\\nid = "a"\\nlabel = { zh = "甲", en = "A" }\\nweight = 0.5\\n')
    >>> (r.ref, r.criteria[0].weight, r.scale)
    ('r@1', Fraction(1, 2), (Fraction(0, 1), Fraction(10, 1)))
    """
    return rubric_from(parse_rule_file(text, path))


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Read a rubric file; ``None`` or a bare name (``"selection"``) means a shipped rubric."""
    if path is None:
        path = "selection"
    if isinstance(path, str) and _ID.match(path):
        path = rule_path(f"rubrics/{path}.toml")
    return rubric_from(load_rule_file(path))
