"""Versioned TOML rule files (templates/rules/*.toml) with zh/en labels.

Every rule file starts with ``name`` and ``version``; every stored result records both.
:func:`load_rule_file` parses and checks the header; the typed readers below (``need_*``) give
the caller errors that name the file, the key and the fix.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import RuleFileError
from toolkit.labels import Label

RULES_DIR = Path(__file__).resolve().parent.parent / "templates" / "rules"


@dataclass(frozen=True)
class RuleFile:
    """A parsed rule file: where it came from, its declared name/version, and its tables."""

    path: Path
    name: str
    version: str
    data: dict[str, Any]

    @property
    def ref(self) -> str:
        """What a stored result records, e.g. ``categories@2026.1``."""
        return f"{self.name}@{self.version}"


def rule_path(filename: str) -> Path:
    """Path of a shipped rule file, overridable with LINLI_RULES_DIR."""
    import os

    base = Path(os.environ.get("LINLI_RULES_DIR") or RULES_DIR)
    return base / filename


def parse_rule_file(text: str, path: str | Path = "<string>") -> RuleFile:
    """Parse TOML text and check the ``name``/``version`` header."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(exc)
        raise RuleFileError(path, f"not valid TOML ({exc})", line=line, fix="correct the TOML syntax on that line") from None
    name = need_str(data, "name", path)
    version = data.get("version")
    if isinstance(version, int):
        version = str(version)
    if not isinstance(version, str) or not version.strip():
        raise RuleFileError(path, "missing or empty", field="version", fix='add a line like version = "2026.1" at the top')
    return RuleFile(Path(path), name, version, data)


def load_rule_file(path: str | Path) -> RuleFile:
    """Read and parse a rule file (thin wrapper over :func:`parse_rule_file`)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise RuleFileError(p, "file not found", fix="check the path or LINLI_RULES_DIR") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RuleFileError(p, f"not UTF-8 text ({exc.reason} at byte {exc.start})", line=line,
                            fix="save the file as UTF-8 (in Notepad: Save As, Encoding UTF-8)") from None
    return parse_rule_file(text, p)


def need_str(table: dict, key: str, path: str | Path, *, where: str = "") -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RuleFileError(path, "missing or not a text", field=where + key, fix=f'write {key} = "..."')
    return value


def need_number(table: dict, key: str, path: str | Path, *, where: str = "", positive: bool = False) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RuleFileError(path, "missing or not a number", field=where + key, fix=f"write {key} = 1")
    if not math.isfinite(value):
        raise RuleFileError(path, f"must be a finite number, got {value}", field=where + key, fix=f"write {key} = 1 (not inf or nan)")
    if positive and value <= 0:
        raise RuleFileError(path, f"must be greater than 0, got {value}", field=where + key, fix="use a positive number")
    return value


def need_label(table: dict, key: str, path: str | Path, *, where: str = "") -> Label:
    value = table.get(key)
    if not isinstance(value, dict) or not all(isinstance(value.get(lang), str) and value.get(lang).strip() for lang in ("zh", "en")):
        raise RuleFileError(path, "needs a Chinese and an English text", field=where + key, fix=f'write {key} = {{ zh = "...", en = "..." }}')
    return Label(value["zh"], value["en"])


def need_list(table: dict, key: str, path: str | Path, *, where: str = "") -> list:
    value = table.get(key)
    if not isinstance(value, list) or not value:
        raise RuleFileError(path, "missing or empty list", field=where + key, fix=f"add at least one [[{key}]] entry")
    return value


def _toml_error_line(exc: Exception) -> int | None:
    import re

    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None
