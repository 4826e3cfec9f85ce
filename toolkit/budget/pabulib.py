"""Reading and writing pabulib ``.pb`` files (https://pabulib.org/format).

``parse_pabulib(text)`` does the work; ``read_pabulib(path)`` is the thin file wrapper, and
``format_pabulib``/``write_pabulib`` are the inverse pair.  The VOTES section -- almost all of a file --
is read as one block: one ``split`` per line and one dictionary look-up per named project, no csv
machinery unless the block contains quotes.

Malformed input raises :class:`PabulibError` naming the line and the field.
"""

from __future__ import annotations

import csv
import gc
import io
import math
import re
import warnings
from fractions import Fraction
from os import PathLike
from pathlib import Path

import numpy as np

from toolkit.text import one_line
from toolkit.budget.election import VOTE_TYPES, Ballots, Election, Project
from toolkit.errors import FileFormatError

SECTIONS = ("meta", "projects", "votes")


class PabulibError(FileFormatError):
    """A ``.pb`` file is malformed; the message names the line and the field and says how to fix it."""


# Bounds that keep every sum of costs, budgets and points inside 64-bit integers (10^15 money units is
# a thousand times any public budget; 10^9 points per vote is far beyond any ballot), and decimals
# no finer than a billionth.
MONEY_LIMIT = 10**15
POINTS_LIMIT = 10**9
MAX_DECIMALS = 9
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,6})?")


def _number(text: str, path: str, line: int, field: str, what: str) -> Fraction:
    raw = text.strip().replace(",", ".")
    if not _PLAIN_NUMBER.fullmatch(raw):  # no fractions like 1/3, no inf or nan
        raise PabulibError(path, f"{what} {text!r} is not a number", line=line, field=field,
                           fix="write a plain number such as 12000 or 12000.50")
    value = Fraction(raw)
    limit = POINTS_LIMIT if field == "points" else MONEY_LIMIT
    if abs(value) > limit:
        raise PabulibError(path, f"{what} {text!r} is too large (at most {limit:.0e})", line=line, field=field,
                           fix=f"write the {what} in a larger unit or check the number (at most {limit:,})")
    if (value * 10**MAX_DECIMALS).denominator != 1:
        raise PabulibError(path, f"{what} {text!r} has more than {MAX_DECIMALS} decimal places", line=line, field=field,
                           fix="round it to at most 9 decimal places")
    if value < 0:
        raise PabulibError(path, f"{what} {text!r} is negative", line=line, field=field,
                           fix="costs, budgets and points must be 0 or more")
    return value


def _split(line: str) -> list[str]:
    if '"' in line:
        return next(csv.reader([line], delimiter=";"))
    return line.split(";")


def _scale(values: list[Fraction]) -> int:
    scale = 1
    for v in values:
        scale = math.lcm(scale, v.denominator)
    return scale


def parse_pabulib(text: str, path: str | PathLike[str] = "<string>") -> Election:
    """Parse the text of a ``.pb`` file (see :func:`_parse`); the cyclic garbage collector is paused
    meanwhile -- the parser allocates ~10^5 small lists and tuples and creates no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse(text, path)
    finally:
        if enabled:
            gc.enable()


def _parse(text: str, path: str | PathLike[str] = "<string>") -> Election:
    """Parse the text of a ``.pb`` file.

    >>> e = parse_pabulib("META\\nkey;value\\nbudget;5\\nvote_type;approval\\nPROJECTS\\nproject_id;cost\\n"
    ...                   "a;3\\nb;2\\nVOTES\\nvoter_id;vote\\n1;a,b\\n2;b\\n")
    >>> [p.id for p in e.projects], e.budget, e.ballots.items.tolist()
    (['a', 'b'], 5, [0, 1, 1])
    """
    path = str(path)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r\n" in text:  # every line is right-stripped of "\r" anyway; line numbers do not change
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    starts: dict[str, int] = {}
    order: list[str] = []
    for i, line in enumerate(lines):
        head = line.split(";", 1)[0].strip().lower()
        if head in SECTIONS and (";" not in line or not line.split(";", 1)[1].strip()):
            if head in starts:
                raise PabulibError(path, f"section {head.upper()} appears twice", line=i + 1,
                                   fix="keep one META, one PROJECTS and one VOTES section")
            starts[head] = i
            order.append(head)
            if head == "votes":
                break
    for name in SECTIONS:
        if name not in starts:
            raise PabulibError(path, f"section {name.upper()} is missing", line=len(lines),
                               fix="a .pb file has META, PROJECTS and VOTES sections, in this order")
    if order != list(SECTIONS):
        raise PabulibError(path, f"sections in order {', '.join(s.upper() for s in order)}",
                           line=starts[order[1]] + 1, fix="put META first, then PROJECTS, then VOTES")

    def body(name: str, end: int) -> tuple[list[str], int, list[tuple[int, str]]]:
        start = starts[name] + 1
        if start >= end or not lines[start].strip():
            raise PabulibError(path, f"section {name.upper()} has no header line", line=start + 1,
                               fix="put the column names on the line after the section name")
        header = [h.strip() for h in _split(lines[start].rstrip("\r"))]
        rows = [(j + 1, lines[j].rstrip("\r")) for j in range(start + 1, end) if lines[j].strip()]
        return header, start + 1, rows

    # META
    _, _, meta_rows = body("meta", starts["projects"])
    meta: dict[str, str] = {}
    for n, line in meta_rows:
        parts = _split(line)
        if len(parts) < 2:
            raise PabulibError(path, f"META line {line!r} has no value", line=n, field=parts[0].strip(),
                               fix="write key;value")
        if any(p.strip() for p in parts[2:]):
            raise PabulibError(path, f"META line {line!r} has more than one value", line=n, field=parts[0].strip(),
                               fix="write key;value (quote a value that contains ';')")
        meta[parts[0].strip()] = parts[1].strip()
    for key in ("budget", "vote_type"):
        if key not in meta:
            raise PabulibError(path, f"META has no {key!r}", line=starts["meta"] + 1, field=key,
                               fix=f"add a line '{key};...' to META")
    vote_type = meta["vote_type"].strip().lower()
    if vote_type not in VOTE_TYPES:
        raise PabulibError(path, f"unknown vote_type {meta['vote_type']!r}", field="vote_type",
                           line=next(n for n, l in meta_rows if l.split(";")[0].strip() == "vote_type"),
                           fix=f"use one of {', '.join(VOTE_TYPES)}")
    budget_line = next(n for n, l in meta_rows if l.split(";")[0].strip() == "budget")
    budget = _number(meta["budget"], path, budget_line, "budget", "budget")

    # PROJECTS
    header, header_line, project_rows = body("projects", starts["votes"])
    for col in ("project_id", "cost"):
        if col not in header:
            raise PabulibError(path, f"PROJECTS header has no {col!r} column", line=header_line,
                               field=col, fix="the header must start with project_id;cost")
    raw_projects = []
    seen: dict[str, int] = {}
    for n, line in project_rows:
        parts = _split(line)
        if len(parts) != len(header):
            raise PabulibError(path, f"project row has {len(parts)} fields, the header has {len(header)}",
                               line=n, fix="check for a missing or extra ';' (quote names containing ';')")
        row = dict(zip(header, parts))
        pid = row["project_id"].strip()
        if not pid:
            raise PabulibError(path, "empty project id", line=n, field="project_id", fix="give every project an id")
        if pid in seen:
            raise PabulibError(path, f"project {pid!r} already defined on line {seen[pid]}", line=n,
                               field="project_id", fix="project ids must be unique")
        seen[pid] = n
        raw_projects.append((n, pid, _number(row["cost"], path, n, "cost", "cost"), parts))
    if "num_projects" in meta and meta["num_projects"].strip() != str(len(raw_projects)):
        raise PabulibError(path, f"META says num_projects={meta['num_projects']} but PROJECTS has "
                           f"{len(raw_projects)} rows", field="num_projects",
                           line=next(n for n, l in meta_rows if l.split(";")[0].strip() == "num_projects"),
                           fix="correct num_projects or the PROJECTS section (file truncated?)")
    money_scale = _scale([budget] + [c for _, _, c, _ in raw_projects])
    projects = tuple(_project(pid, int(c * money_scale), header, parts)
                     for _, pid, c, parts in raw_projects)
    index = {p.id: i for i, p in enumerate(projects)}

    # VOTES
    header, header_line, _ = body("votes", min(starts["votes"] + 2, len(lines)))
    if "vote" not in header:
        raise PabulibError(path, "VOTES header has no 'vote' column", line=header_line, field="vote",
                           fix="the header must contain voter_id;vote")
    scored = vote_type in ("cumulative", "scoring")
    if scored and "points" not in header:
        raise PabulibError(path, f"{vote_type} VOTES need a 'points' column", line=header_line,
                           field="points", fix="add a points column: one number per voted project")
    fast = _parse_votes_fast(header, lines, header_line, index, scored)
    if fast is None:  # unusual input (quotes, blank lines, errors ...): the general row-by-row reader
        vote_rows = [(j + 1, lines[j].rstrip("\r")) for j in range(header_line, len(lines)) if lines[j].strip()]
        fast = _parse_votes(path, header, vote_rows, index, scored)
    ballots, points_scale = fast
    if "num_votes" in meta and meta["num_votes"].strip() != str(ballots.count):
        raise PabulibError(path, f"META says num_votes={meta['num_votes']} but VOTES has {ballots.count} rows",
                           field="num_votes",
                           line=next(n for n, l in meta_rows if l.split(";")[0].strip() == "num_votes"),
                           fix="correct num_votes or the VOTES section (file truncated?)")
    return Election(projects, int(budget * money_scale), ballots, vote_type, meta, money_scale, points_scale)


def _project(pid: str, cost: int, header: list[str], parts: list[str]) -> Project:
    row = {h: v.strip() for h, v in zip(header, parts)}

    def listed(*keys: str) -> tuple[str, ...]:
        for k in keys:
            v = row.get(k, "")
            if v and v.lower() != "none":
                return tuple(x.strip() for x in v.split(","))
        return ()

    def coord(key: str) -> float | None:
        try:
            return float(row[key]) if row.get(key, "").lower() not in ("", "none") else None
        except ValueError:
            return None

    return Project(pid, cost, name=row.get("name", ""), categories=listed("category", "categories"),
                   targets=listed("target", "targets"), latitude=coord("latitude"),
                   longitude=coord("longitude"), fields=tuple(zip(header, (p for p in parts))))


def _parse_votes_fast(header, lines, first, index, scored) -> tuple[Ballots, int] | None:
    """The VOTES section of a well-formed file in bulk: the whole block is split at once, columns are
    list slices, and every ballot is mapped to project indices in one pass over all tokens.  Returns
    ``None`` at anything unusual (quotes, stray carriage returns, blank or short lines, empty votes,
    unknown ids, spaces, non-integer points, duplicates) -- :func:`_parse_votes` then reads the rows
    one by one and reports the exact line of any error."""
    width = len(header)
    vote_col = header.index("vote")
    points_col = header.index("points") if scored else -1
    id_col = header.index("voter_id") if "voter_id" in header else -1
    end = len(lines)
    while end > first and not lines[end - 1].strip():
        end -= 1
    n = end - first
    if n <= 0:
        return None
    block = "\n".join(lines[first:end])
    if '"' in block or "\r" in block or "\n\n" in block:
        return None
    flat = block.replace("\n", ";").split(";")
    if len(flat) != n * width:
        return None
    if width > 1 and n > 1:
        raw = np.frombuffer(block.encode(), dtype=np.uint8)
        per_line = np.diff(np.searchsorted(np.flatnonzero(raw == 59), np.flatnonzero(raw == 10)), prepend=0)
        if np.any(per_line != width - 1):
            return None
    votes = flat[vote_col::width]
    # one pass over every token; a separator token between ballots marks the ballot boundaries
    if any(k.lower() == "none" for k in index):
        return None
    coded = None
    numeric = _numeric_ids(index)
    if numeric is not None:  # ids are plain numbers: numpy reads them straight from the joined text
        values = _int_tokens(",-1,".join(votes))
        if values is not None:
            hit = values >= 0
            if values.size and int(values.max()) < numeric.shape[0]:
                coded = np.where(hit, numeric[np.where(hit, values, 0)], -1)
                if np.any(coded[hit] < 0):
                    return None
    if coded is None:
        lookup = dict(index)
        sep = "\x00"
        if sep in lookup:
            return None
        lookup[sep] = -1
        tokens = (",\x00,".join(votes)).split(",")
        try:
            coded = np.fromiter(map(lookup.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        except KeyError:  # empty vote, "none", spaces or an unknown id
            return None
    bounds = np.flatnonzero(coded < 0)
    if bounds.shape[0] != n - 1:
        return None
    items = coded[coded >= 0]
    ends = np.empty(n, dtype=np.int64)
    ends[: n - 1] = bounds - np.arange(n - 1)
    ends[n - 1] = items.shape[0]
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = ends
    lengths = np.diff(indptr)
    if lengths.min() <= 0:
        return None
    voters = np.repeat(np.arange(n), lengths)
    key = voters * (len(index) + 1) + items
    srt = np.sort(key)
    if np.any(srt[1:] == srt[:-1]):
        return None
    points = None
    if scored:
        # separators sit where the vote separators are iff every ballot has as many points as projects
        pcoded = _int_tokens(",-1,".join(flat[points_col::width]))
        if pcoded is None or pcoded.shape != coded.shape or not np.array_equal(np.flatnonzero(pcoded < 0), bounds):
            return None
        points = pcoded[coded >= 0]
        if points.size and int(points.max()) > POINTS_LIMIT:
            return None  # the row-by-row reader names the line
    if id_col >= 0 and len(set(map(str.strip, flat[id_col::width]))) != n:
        return None  # a repeated voter_id: the row-by-row reader names the line
    others = [c for c in range(width) if c not in (vote_col, points_col, id_col)]
    ballots = Ballots(
        indptr=indptr, items=items, points=points,
        voter_ids=tuple(map(str.strip, flat[id_col::width])) if id_col >= 0 else tuple(map(str, range(n))),
        columns=tuple(header[c] for c in others),
        rows=tuple(zip(*(flat[c::width] for c in others))) if others else (),
    )
    return ballots, 1


_POW10 = np.array([10 ** k for k in range(1, 19)], dtype=np.int64)


def _int_tokens(joined: str) -> np.ndarray | None:
    """The comma-separated integers of ``joined`` if every token is a plain non-negative decimal
    (no sign, spaces or leading zeros) or the separator ``-1``; else ``None``.  numpy parses the text;
    comparing the text length with the length of the canonical spelling of what it read proves that
    every token was canonical (any other spelling of a number is longer)."""
    if not joined or len(joined) > 10**9:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            values = np.fromstring(joined, dtype=np.int64, sep=",")
        except (ValueError, DeprecationWarning):
            return None
    if values.shape[0] != joined.count(",") + 1 or np.any(values < -1):
        return None
    digits = np.where(values < 0, 2, 1 + np.searchsorted(_POW10, values, side="right"))
    if int(digits.sum()) + values.shape[0] - 1 != len(joined):
        return None
    return values


def _numeric_ids(index: dict[str, int]) -> np.ndarray | None:
    """number -> project index if every project id is a plain non-negative decimal below 10**7."""
    top = 0
    for k in index:
        if not (k.isascii() and k.isdigit()) or (len(k) > 1 and k[0] == "0") or len(k) > 7:
            return None
        top = max(top, int(k))
    table = np.full(top + 1, -1, dtype=np.int64)
    for k, i in index.items():
        table[int(k)] = i
    return table


def _parse_votes(path, header, rows, index, scored) -> tuple[Ballots, int]:
    width = len(header)
    vote_col = header.index("vote")
    points_col = header.index("points") if scored else -1
    id_col = header.index("voter_id") if "voter_id" in header else -1
    block = [line for _, line in rows]
    split = [line.split(";") for line in block]
    if '"' in "".join(block):  # only the quoted lines need the csv module
        for k, line in enumerate(block):
            if '"' in line:
                split[k] = _split(line)
    bad = [k for k, parts in enumerate(split) if len(parts) != width]
    if bad:
        k = bad[0]
        raise PabulibError(path, f"vote row has {len(split[k])} fields, the header has {width}",
                           line=rows[k][0], fix="check for a missing or extra ';' (file truncated?)")
    columns = list(zip(*split)) if split else [()] * width
    votes = [v.strip() for v in columns[vote_col]]
    lengths = np.fromiter((0 if (v == "" or v.lower() == "none") else v.count(",") + 1 for v in votes),
                          dtype=np.int64, count=len(votes))
    tokens = ",".join(v for v, n in zip(votes, lengths) if n).split(",") if lengths.sum() else []
    try:
        items = np.array(list(map(index.__getitem__, tokens)), dtype=np.int64)
    except KeyError:
        items = None
    indptr = np.zeros(len(votes) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    if items is None:
        for k, v in enumerate(votes):
            for t in (v.split(",") if lengths[k] else []):
                if t not in index:
                    shown = ", ".join(sorted(index)[:8]) + (" ..." if len(index) > 8 else "")
                    raise PabulibError(path, f"vote names unknown project {t.strip()!r}", line=rows[k][0],
                                       field="vote", fix=f"use ids from PROJECTS ({shown})")
    voters = np.repeat(np.arange(len(votes)), lengths)
    if items.size:
        key = voters * (len(index) + 1) + items
        srt = np.sort(key)
        if np.any(srt[1:] == srt[:-1]):
            dup = int(srt[np.nonzero(srt[1:] == srt[:-1])[0][0]])
            k = dup // (len(index) + 1)
            raise PabulibError(path, "a project is named twice in one vote", line=rows[k][0], field="vote",
                               fix="name each project at most once per voter")
    points = None
    points_scale = 1
    if scored:
        pts_text = [p.strip() for p in columns[points_col]]
        flat: list[str] = []
        for k, (p, n) in enumerate(zip(pts_text, lengths)):
            got = 0 if (p == "" or p.lower() == "none") else p.count(",") + 1
            if got != n:
                raise PabulibError(path, f"{n} projects voted but {got} points given", line=rows[k][0],
                                   field="points", fix="give exactly one number per project in 'vote'")
        flat = ",".join(p for p, n in zip(pts_text, lengths) if n).split(",") if lengths.sum() else []
        try:
            points = np.array([int(t) for t in flat], dtype=np.int64)
            if points.size and int(points.max()) > POINTS_LIMIT:
                raise ValueError("too large: checked number by number below")
        except (ValueError, OverflowError):
            values = []
            for k in range(len(votes)):
                for t in (pts_text[k].split(",") if lengths[k] else []):
                    values.append(_number(t, path, rows[k][0], "points", "points"))
            points_scale = _scale(values)
            points = np.array([int(v * points_scale) for v in values], dtype=np.int64)
        if points.size and points.min() < 0:
            k = int(voters[int(np.argmin(points))])
            raise PabulibError(path, "negative points", line=rows[k][0], field="points",
                               fix="points must be 0 or more")
    others = [c for c in range(width) if c not in (vote_col, points_col, id_col)]
    if id_col >= 0:
        first: dict[str, int] = {}
        for k, vid in enumerate(map(str.strip, columns[id_col])):
            if vid in first:
                raise PabulibError(path, f"voter_id {vid!r} already used on line {rows[first[vid]][0]}", line=rows[k][0],
                                   field="voter_id", fix="give every vote its own voter_id (a voter votes once)")
            first[vid] = k
    ballots = Ballots(
        indptr=indptr, items=items, points=points,
        voter_ids=tuple(map(str.strip, columns[id_col])) if id_col >= 0 else tuple(map(str, range(len(split)))),
        columns=tuple(header[c] for c in others),
        rows=tuple(zip(*(columns[c] for c in others))) if others else (),
    )
    return ballots, points_scale


def read_pabulib(path: str | PathLike[str]) -> Election:
    """Read a ``.pb`` file (UTF-8, with or without BOM)."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PabulibError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                           fix="save the file as UTF-8") from None
    return parse_pabulib(text, path)


def _fmt_number(units: int, scale: int) -> str:
    """Integer units -> the shortest exact decimal text (scales are powers of ten for decimal input)."""
    if units % scale == 0:
        return str(units // scale)
    value = Fraction(units, scale)
    digits = 0
    while (value * 10 ** digits).denominator != 1:
        digits += 1
        if digits > 30:
            return str(float(value))
    whole = value * 10 ** digits
    text = str(whole.numerator).rjust(digits + 1, "0")
    return f"{text[:-digits]}.{text[-digits:]}"


class _OneLineWriter:
    """A ``;`` CSV writer whose every cell is one line: line breaks and other control characters in
    titles become a space (a ``.pb`` file is read line by line), ``;`` and quotes are quoted."""

    def __init__(self, out: io.StringIO) -> None:
        self._w = csv.writer(out, delimiter=";", lineterminator="\n")

    def writerow(self, row: list) -> None:
        self._w.writerow([one_line(c) if isinstance(c, str) else c for c in row])


def format_pabulib(election: Election) -> str:
    """The ``.pb`` text of an election; ``parse_pabulib(format_pabulib(e))`` gives ``e`` back
    (each control character in a text field comes back as a space: :func:`toolkit.text.one_line`)."""
    out = io.StringIO()
    w = _OneLineWriter(out)
    out.write("META\n")
    w.writerow(["key", "value"])
    meta = dict(election.meta)
    meta["num_projects"] = str(len(election.projects))
    meta["num_votes"] = str(election.num_voters)
    meta.setdefault("vote_type", election.vote_type)
    meta.setdefault("budget", _fmt_number(election.budget, election.money_scale))
    for k, v in meta.items():
        w.writerow([k, v])
    out.write("PROJECTS\n")
    header = [k for k, _ in election.projects[0].fields] if election.projects and election.projects[0].fields else ["project_id", "cost"]
    w.writerow(header)
    for p in election.projects:
        row = dict(p.fields) if p.fields else {}
        row["project_id"] = p.id
        if "cost" not in row or _number(row["cost"], "", 0, "cost", "cost") * election.money_scale != p.cost:
            row["cost"] = _fmt_number(p.cost, election.money_scale)
        w.writerow([row.get(h, "") for h in header])
    out.write("VOTES\n")
    b = election.ballots
    scored = b.points is not None
    w.writerow(["voter_id", "vote"] + (["points"] if scored else []) + list(b.columns))
    ids = [p.id for p in election.projects]
    for v in range(b.count):
        lo, hi = int(b.indptr[v]), int(b.indptr[v + 1])
        row = [b.voter_ids[v], ",".join(ids[i] for i in b.items[lo:hi])]
        if scored:
            row.append(",".join(_fmt_number(int(x), election.points_scale) for x in b.points[lo:hi]))
        if b.columns:
            row.extend(b.rows[v])
        w.writerow(row)
    return out.getvalue()


def write_pabulib(election: Election, path: str | PathLike[str]) -> None:
    """Write an election as a ``.pb`` file (UTF-8)."""
    Path(path).write_text(format_pabulib(election), encoding="utf-8")
