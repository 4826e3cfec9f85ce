"""Screening (七议五不议) and triage (三快二提一转) rule files, parsed into frozen values.

``parse_*`` does the work on TOML text; ``load_*`` reads a file (default: the shipped one under
``templates/rules/``, overridable with ``LINLI_RULES_DIR``). Every error names the file, the key
and the fix (:class:`toolkit.errors.RuleFileError`).

Design decisions
----------------
* Kind ids are unique across the deliberated and the excluded list, so a screener picks one id
  and the id alone says whether the proposal is deliberated.
* Every excluded kind must name a redirect (``referral`` or ``quick_fix``), who it goes ``to``
  and the triage ``track`` that follows it up: an excluded proposal is never dropped.
  :func:`check_rules_agree` checks that those tracks exist in the triage rules.
* Deadlines are whole calendar days (no working-day calendar); ``response_days`` may not exceed
  ``resolution_days``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import RuleFileError
from toolkit.labels import Label
from toolkit.rulefiles import RuleFile, load_rule_file, need_label, need_list, need_str, parse_rule_file, rule_path

REDIRECTS = ("referral", "quick_fix")
TRACK_GROUPS = ("fast", "raise", "transfer", "deliberate")
TRACK_LEVELS = ("compound", "community", "street", "department")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class MatterKind:
    """A kind of matter that is deliberated (one of the 七议)."""

    id: str
    label: Label
    examples: Label | None = None


@dataclass(frozen=True)
class ExcludedKind:
    """A kind of matter that is not deliberated (one of the 五不议), with where it goes instead."""

    id: str
    label: Label
    guidance: Label
    redirect: str  # "referral" or "quick_fix"
    to: Label
    track: str  # a triage track id


@dataclass(frozen=True)
class ScreeningRules:
    """The parsed screening rule file. ``ref`` (``name@version``) goes into every decision."""

    ref: str
    path: Path
    deliberated: tuple[MatterKind, ...]
    excluded: tuple[ExcludedKind, ...]
    messages: dict[str, Label]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(k.id for k in self.deliberated) + tuple(k.id for k in self.excluded)

    def kind(self, code: str) -> MatterKind | ExcludedKind:
        for k in (*self.deliberated, *self.excluded):
            if k.id == code:
                return k
        raise KeyError(code)


@dataclass(frozen=True)
class Track:
    """A triage track with its deadlines in calendar days."""

    id: str
    group: str  # fast | raise | transfer | deliberate
    level: str  # compound | community | street | department
    label: Label
    response_days: int
    resolution_days: int


@dataclass(frozen=True)
class TriageRules:
    """The parsed triage rule file. ``ref`` goes into every ticket."""

    ref: str
    path: Path
    tracks: tuple[Track, ...]
    deliberated_track: str

    def track(self, track_id: str) -> Track:
        for t in self.tracks:
            if t.id == track_id:
                return t
        raise KeyError(track_id)


def _need_id(table: dict, path, where: str, seen: set[str]) -> str:
    value = need_str(table, "id", path, where=where)
    if not _ID.match(value):
        raise RuleFileError(path, f"id {value!r} must be lower-case letters, digits and _", field=where + "id", fix='write e.g. id = "shared_space"')
    if value in seen:
        raise RuleFileError(path, f"id {value!r} is used twice", field=where + "id", fix="give every entry its own id")
    seen.add(value)
    return value


def _need_choice(table: dict, key: str, choices: tuple[str, ...], path, where: str) -> str:
    value = table.get(key)
    if value not in choices:
        raise RuleFileError(path, f"must be one of {', '.join(choices)}, got {value!r}", field=where + key, fix=f'write {key} = "{choices[0]}"')
    return value


def _need_days(table: dict, key: str, path, where: str) -> int:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleFileError(path, f"must be a whole number of days (0 or more), got {value!r}", field=where + key, fix=f"write {key} = 7")
    return value


def parse_screening_rules(text: str, path: str | Path = "<string>") -> ScreeningRules:
    """Parse a screening rule file (see ``templates/rules/screening.toml``)."""
    rf = parse_rule_file(text, path)
    return screening_rules_from(rf)


def screening_rules_from(rf: RuleFile) -> ScreeningRules:
    """Check and convert an already parsed :class:`RuleFile`."""
    path, data = rf.path, rf.data
    seen: set[str] = set()
    deliberated = []
    for i, entry in enumerate(need_list(data, "deliberated", path)):
        where = f"deliberated[{i}]."
        if not isinstance(entry, dict):
            raise RuleFileError(path, "must be a table", field=f"deliberated[{i}]", fix="write [[deliberated]] entries")
        examples = need_label(entry, "examples", path, where=where) if "examples" in entry else None
        deliberated.append(MatterKind(_need_id(entry, path, where, seen), need_label(entry, "label", path, where=where), examples))
    excluded = []
    for i, entry in enumerate(need_list(data, "excluded", path)):
        where = f"excluded[{i}]."
        if not isinstance(entry, dict):
            raise RuleFileError(path, "must be a table", field=f"excluded[{i}]", fix="write [[excluded]] entries")
        excluded.append(
            ExcludedKind(
                id=_need_id(entry, path, where, seen),
                label=need_label(entry, "label", path, where=where),
                guidance=need_label(entry, "guidance", path, where=where),
                redirect=_need_choice(entry, "redirect", REDIRECTS, path, where),
                to=need_label(entry, "to", path, where=where),
                track=need_str(entry, "track", path, where=where),
            )
        )
    table = data.get("messages")
    if not isinstance(table, dict):
        raise RuleFileError(path, "missing table", field="messages", fix="add a [messages] table with deliberated, referral and quick_fix sentences")
    messages = {key: need_label(table, key, path, where="messages.") for key in ("deliberated", *REDIRECTS)}
    for key, label in messages.items():
        for lang in ("zh", "en"):
            try:
                label.get(lang).format(kind="", to="", guidance="")
            except (KeyError, IndexError, ValueError) as exc:
                raise RuleFileError(
                    path,
                    f"the {lang} sentence has a bad placeholder ({exc})",
                    field=f"messages.{key}.{lang}",
                    fix="use only {kind}, {to} and {guidance} in braces",
                ) from None
    return ScreeningRules(rf.ref, rf.path, tuple(deliberated), tuple(excluded), messages)


def load_screening_rules(path: str | Path | None = None) -> ScreeningRules:
    """Read a screening rule file; default: the shipped ``screening.toml``."""
    return screening_rules_from(load_rule_file(path or rule_path("screening.toml")))


def parse_triage_rules(text: str, path: str | Path = "<string>") -> TriageRules:
    """Parse a triage rule file (see ``templates/rules/triage.toml``)."""
    return triage_rules_from(parse_rule_file(text, path))


def triage_rules_from(rf: RuleFile) -> TriageRules:
    """Check and convert an already parsed :class:`RuleFile`."""
    path, data = rf.path, rf.data
    seen: set[str] = set()
    tracks = []
    for i, entry in enumerate(need_list(data, "tracks", path)):
        where = f"tracks[{i}]."
        if not isinstance(entry, dict):
            raise RuleFileError(path, "must be a table", field=f"tracks[{i}]", fix="write [[tracks]] entries")
        track = Track(
            id=_need_id(entry, path, where, seen),
            group=_need_choice(entry, "group", TRACK_GROUPS, path, where),
            level=_need_choice(entry, "level", TRACK_LEVELS, path, where),
            label=need_label(entry, "label", path, where=where),
            response_days=_need_days(entry, "response_days", path, where),
            resolution_days=_need_days(entry, "resolution_days", path, where),
        )
        if track.response_days > track.resolution_days:
            raise RuleFileError(
                path,
                f"response_days ({track.response_days}) is later than resolution_days ({track.resolution_days})",
                field=where + "response_days",
                fix="make response_days at most resolution_days",
            )
        tracks.append(track)
    deliberated_track = need_str(data, "deliberated_track", path)
    if deliberated_track not in seen:
        raise RuleFileError(path, f"names unknown track {deliberated_track!r}", field="deliberated_track", fix=f"use one of: {', '.join(t.id for t in tracks)}")
    return TriageRules(rf.ref, rf.path, tuple(tracks), deliberated_track)


def load_triage_rules(path: str | Path | None = None) -> TriageRules:
    """Read a triage rule file; default: the shipped ``triage.toml``."""
    return triage_rules_from(load_rule_file(path or rule_path("triage.toml")))


def check_rules_agree(screening: ScreeningRules, triage: TriageRules) -> None:
    """Raise :class:`RuleFileError` (naming the screening file) if an excluded kind names a track
    the triage rules do not have."""
    known = {t.id for t in triage.tracks}
    for i, kind in enumerate(screening.excluded):
        if kind.track not in known:
            raise RuleFileError(
                screening.path,
                f"track {kind.track!r} is not in {triage.path} ({triage.ref})",
                field=f"excluded[{i}].track",
                fix=f"use one of: {', '.join(sorted(known))}",
            )
