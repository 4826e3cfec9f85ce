"""Proposals (建议/议题): the form's rules, a resident's draft, and the checks run at submit time.

Everything here is pure: a :class:`Draft` goes in, a :class:`CheckedProposal` comes out or a
:class:`~toolkit.errors.ValidationError` names each bad field in plain words (zh + en). The store
checks the same rules again in the database (foreign keys, CHECK constraints, unique ids).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from toolkit.errors import RuleFileError, ValidationError
from toolkit.labels import Label
from toolkit.text import clean_block, clean_line, has_control
from toolkit.rulefiles import RuleFile, load_rule_file, need_label, need_list, need_number, need_str, rule_path

if TYPE_CHECKING:
    import random

TITLE_MAX = 80
TEXT_MAX = 2000
GEOM_TYPES = ("Point", "LineString", "Polygon")
# No 0/O, 1/I/L, 5/S, 2/Z: easy to read aloud and to type on a tablet.
RECEIPT_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"


@dataclass(frozen=True)
class Choice:
    """One entry of a rule-file list (a category, a channel or a cost band)."""

    id: str
    label: Label
    color: str = "#555555"
    estimate_fen: int | None = None


@dataclass(frozen=True)
class ProposalRules:
    """The proposal form's vocabulary, from ``templates/rules/proposals.toml``."""

    ref: str
    categories: tuple[Choice, ...]
    channels: tuple[Choice, ...]
    cost_bands: tuple[Choice, ...]

    def category(self, cid: str) -> Choice | None:
        return next((c for c in self.categories if c.id == cid), None)

    def channel(self, cid: str) -> Choice | None:
        return next((c for c in self.channels if c.id == cid), None)

    def cost_band(self, bid: str) -> Choice | None:
        return next((c for c in self.cost_bands if c.id == bid), None)


def parse_proposal_rules(rule_file: RuleFile) -> ProposalRules:
    """Read categories, channels and cost bands from a parsed rule file."""
    path, data = rule_file.path, rule_file.data

    def choices(key: str) -> tuple[Choice, ...]:
        out: list[Choice] = []
        seen: set[str] = set()
        for i, entry in enumerate(need_list(data, key, path), start=1):
            where = f"{key}[{i}]."
            if not isinstance(entry, dict):
                raise RuleFileError(path, "must be a table", field=f"{key}[{i}]", fix=f"write it as [[{key}]]")
            cid = need_str(entry, "id", path, where=where)
            if cid in seen:
                raise RuleFileError(path, f"duplicate id {cid!r}", field=where + "id", fix="give every entry its own id")
            seen.add(cid)
            estimate = None
            if key == "cost_bands":
                estimate = round(need_number(entry, "estimate_yuan", path, where=where, positive=True) * 100)
            out.append(Choice(cid, need_label(entry, "label", path, where=where), str(entry.get("color", "#555555")), estimate))
        return tuple(out)

    return ProposalRules(rule_file.ref, choices("categories"), choices("channels"), choices("cost_bands"))


def load_proposal_rules(path: str | Path | None = None) -> ProposalRules:
    return parse_proposal_rules(load_rule_file(path or rule_path("proposals.toml")))


class Locator(Protocol):
    """What validation needs from the geography (implemented by :class:`toolkit.geo.District`)."""

    def contains(self, lon: float, lat: float) -> bool: ...

    def locate_geometry(self, geom: Any) -> str | None: ...

    def compound_names(self) -> dict[str, tuple[str, str]]: ...


@dataclass(frozen=True)
class Draft:
    """What a resident (or a grid worker on their behalf) submits."""

    submission_id: str
    title: str
    problem: str
    why: str
    suggestion: str
    category: str
    channel: str = "tablet"
    geometry: dict | None = None  # GeoJSON geometry in WGS-84
    compound_id: str | None = None  # manual choice; overrides the map
    cost_band: str | None = None
    cost_fen: int | None = None
    contact: str = ""
    lang: str = "zh"


@dataclass(frozen=True)
class CheckedProposal:
    """A draft that passed every rule, with its compound resolved."""

    draft: Draft
    title: str
    problem: str
    why: str
    suggestion: str
    geom_type: str | None
    lon: float | None
    lat: float | None
    compound_id: str | None
    compound_source: str | None
    cost_fen: int | None
    contact: str
    rules_ref: str
    warnings: tuple[Label, ...] = field(default=())


MSG = {
    "required": Label("请填写这一项。", "Please fill this in."),
    "too_long": Label("太长了，最多 {n} 个字。", "Too long: at most {n} characters."),
    "too_short": Label("请多写几个字。", "Please write a few more words."),
    "category": Label("请选择一个类别。", "Please choose a category."),
    "category_unknown": Label("没有这个类别，请从按钮中选择。", "There is no such category; please choose one of the buttons."),
    "channel_unknown": Label("没有这个来源渠道。", "There is no such channel."),
    "place": Label("请在地图上点一下，标出位置（或选择小区）。", "Tap the map to mark the place (or choose a compound)."),
    "outside": Label("这个位置不在本辖区内，请在地图上的小区范围内选点。", "That place is outside the district; tap inside the outlined area."),
    "geometry": Label("位置数据不正确：{why}", "The location is not valid: {why}"),
    "compound_unknown": Label("没有这个小区。", "There is no such compound."),
    "cost_band_unknown": Label("没有这个费用档次。", "There is no such cost band."),
    "cost": Label("费用应为不小于 0 的整数（分）。", "The cost must be a whole number of fen, 0 or more."),
    "lang": Label("语言只能是中文或英文。", "Language must be zh or en."),
    "submission_id": Label("提交编号缺失，请刷新页面。", "The submission id is missing; reload the page."),
    "one_line": Label("标题只能写一行，不能有换行、制表符等控制字符。", "The title must be one line, without line breaks, tabs or other control characters."),
}


def check(draft: Draft, rules: ProposalRules, district: Locator) -> CheckedProposal:
    """Check every rule of the form; raise ValidationError naming each bad field."""
    errors: dict[str, Label] = {}

    def text(name: str, value: Any, *, required: bool, max_len: int, min_len: int = 2, one_line: bool = False) -> str:
        value = (value or "") if isinstance(value, str) or value is None else str(value)
        if one_line and has_control(value.strip()):
            errors[name] = MSG["one_line"]
            return value.strip()
        value = value.strip() if one_line else clean_block(value)
        if not value:
            if required:
                errors[name] = MSG["required"]
            return value
        if len(value) > max_len:
            errors[name] = MSG["too_long"].format(n=max_len)
        elif len(value) < min_len:
            errors[name] = MSG["too_short"]
        return value

    if not isinstance(draft.submission_id, str) or not (8 <= len(draft.submission_id) <= 64):
        errors["submission_id"] = MSG["submission_id"]
    title = text("title", draft.title, required=True, max_len=TITLE_MAX, one_line=True)
    problem = text("problem", draft.problem, required=True, max_len=TEXT_MAX)
    why = text("why", draft.why, required=False, max_len=TEXT_MAX)
    suggestion = text("suggestion", draft.suggestion, required=True, max_len=TEXT_MAX)
    if not draft.category:
        errors["category"] = MSG["category"]
    elif rules.category(draft.category) is None:
        errors["category"] = MSG["category_unknown"]
    if rules.channel(draft.channel) is None:
        errors["channel"] = MSG["channel_unknown"]
    if draft.lang not in ("zh", "en"):
        errors["lang"] = MSG["lang"]

    cost_fen = draft.cost_fen
    if draft.cost_band:
        band = rules.cost_band(draft.cost_band)
        if band is None:
            errors["cost"] = MSG["cost_band_unknown"]
        elif cost_fen is None:
            cost_fen = band.estimate_fen
    if cost_fen is not None and (isinstance(cost_fen, bool) or not isinstance(cost_fen, int) or cost_fen < 0):
        errors["cost"] = MSG["cost"]

    geom_type = lon = lat = None
    compound_id, compound_source = None, None
    if draft.geometry is not None:
        try:
            geom_type, vertices = _vertices(draft.geometry)
        except ValueError as exc:
            errors["place"] = MSG["geometry"].format(why=str(exc))
        else:
            if not all(district.contains(x, y) for x, y in vertices):
                errors["place"] = MSG["outside"]
            else:
                shape = _shape(draft.geometry)
                point = shape.representative_point()
                lon, lat = round(point.x, 7), round(point.y, 7)
                compound_id = district.locate_geometry(shape)
                compound_source = "map" if compound_id else None
    if draft.compound_id:
        if draft.compound_id not in district.compound_names():
            errors["place"] = MSG["compound_unknown"]
        else:
            compound_id, compound_source = draft.compound_id, "manual"
    if draft.geometry is None and not draft.compound_id:
        errors["place"] = MSG["place"]

    if errors:
        raise ValidationError(errors)
    return CheckedProposal(
        draft=draft,
        title=title,
        problem=problem,
        why=why,
        suggestion=suggestion,
        geom_type=geom_type,
        lon=lon,
        lat=lat,
        compound_id=compound_id,
        compound_source=compound_source,
        cost_fen=cost_fen,
        contact=clean_line(draft.contact if isinstance(draft.contact, str) else "")[:200],
        rules_ref=rules.ref,
    )


MAX_VERTICES = 200  # a line or area drawn by taps; more is a script, not a person (issue 11, finding 8)


def _vertices(geometry: dict) -> tuple[str, list[tuple[float, float]]]:
    """Validate a GeoJSON geometry's shape and numbers; return its type and vertices."""
    if not isinstance(geometry, dict):
        raise ValueError("not a GeoJSON geometry")
    gtype, coords = geometry.get("type"), geometry.get("coordinates")
    if gtype not in GEOM_TYPES:
        raise ValueError(f"type must be one of {', '.join(GEOM_TYPES)}")
    try:
        if gtype == "Point":
            pts = [coords]
        elif gtype == "LineString":
            pts = list(coords)
            if len(pts) < 2:
                raise ValueError("a line needs at least 2 points")
        else:
            if not isinstance(coords, list) or len(coords) != 1:
                raise ValueError("an area must be one ring without holes")
            pts = list(coords[0])
            if len(pts) < 4 or pts[0] != pts[-1]:
                raise ValueError("an area needs at least 3 corners and a closed ring")
        if len(pts) > MAX_VERTICES + 1:
            raise ValueError(f"at most {MAX_VERTICES} points")
        out = []
        for p in pts:
            x, y = float(p[0]), float(p[1])
            if len(p) != 2 or not (math.isfinite(x) and math.isfinite(y)) or not (-180 <= x <= 180 and -90 <= y <= 90):
                raise ValueError("coordinates must be [longitude, latitude] in degrees")
            out.append((x, y))
    except (TypeError, IndexError):
        raise ValueError("coordinates must be [longitude, latitude] in degrees") from None
    if gtype == "Polygon" and not _shape(geometry).is_valid:
        raise ValueError("the area's edges cross each other")
    return gtype, out


def _shape(geometry: dict):
    from shapely.geometry import shape

    return shape(geometry)


def new_receipt_code(rng: "random.Random | None" = None) -> str:
    """A short code a resident can read aloud, e.g. ``K7Q-4MX``."""
    pick = rng.choice if rng is not None else secrets.choice
    chars = "".join(pick(RECEIPT_ALPHABET) for _ in range(6))
    return f"{chars[:3]}-{chars[3:]}"


def new_submission_id() -> str:
    return secrets.token_hex(16)


def given_submission_id(value: object) -> str | None:
    """A submission id the page's address carried back after a reload (``?sid=``), if it looks like
    one (8–64 letters, digits, ``_`` or ``-``); anything else is ignored."""
    import re

    return value if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{8,64}", value) else None
