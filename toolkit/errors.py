"""One exception family for every error Linli raises on purpose.

Every message says what is wrong, where (file, line, field) and how to fix it.
"""

from __future__ import annotations

from os import PathLike


class LinliError(Exception):
    """Base class: an error a user or operator can act on."""


class FileFormatError(LinliError, ValueError):
    """A file (rule file, geodata, pabulib, CSV) is malformed.

    >>> str(FileFormatError("a.toml", "weight must be a number", line=3, field="weight", fix="write weight = 1"))
    "a.toml:3: field 'weight': weight must be a number. Fix: write weight = 1"
    """

    def __init__(
        self,
        path: str | PathLike[str],
        problem: str,
        *,
        line: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.line = line
        self.field = field
        self.fix = fix
        where = self.path if line is None else f"{self.path}:{line}"
        text = f"{where}: "
        if field is not None:
            text += f"field {field!r}: "
        text += problem
        if fix:
            text += f". Fix: {fix}"
        super().__init__(text)


class RuleFileError(FileFormatError):
    """A versioned TOML rule file under templates/rules/ is invalid."""


class GeodataError(FileFormatError):
    """A geodata layer (GeoPackage/GeoJSON/Shapefile) is invalid."""


class ValidationError(LinliError, ValueError):
    """A submitted record breaks a rule. ``errors`` maps field name -> plain-words message.

    Messages are :class:`toolkit.labels.Label` objects (zh + en) so pages can show them in
    the visitor's language next to the field.
    """

    def __init__(self, errors: dict) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {getattr(v, 'en', v)}" for k, v in self.errors.items()))


class StoreError(LinliError):
    """The store refused a change (constraint, migration, missing record).

    ``key`` (optional) names the refusal for pages, which show it in the visitor's language
    (catalog id ``tablets.store.<key>``, filled with ``params``); the message stays for logs.
    """

    def __init__(self, message: str, *, key: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


class ScreeningConflict(StoreError):
    """Another desk decided this proposal first: who, when and what (for the page to say)."""

    def __init__(self, proposal_id: int, decided_by: str, decided_at: str, outcome: str, code: str) -> None:
        self.proposal_id, self.decided_by, self.decided_at, self.outcome, self.code = proposal_id, decided_by, decided_at, outcome, code
        super().__init__(f"proposal {proposal_id} was already screened by {decided_by} at {decided_at} ({outcome}: {code}); this decision was not stored")


class StoreUnavailable(StoreError):
    """The database could not be used at all: ``reason`` is 'busy' (locked by another writer past
    the wait), 'readonly' (file or disk refuses writes) or 'down' (cannot open or connect). Pages
    say so in plain words; nothing was stored."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(f"the database is {'busy' if reason == 'busy' else 'read-only' if reason == 'readonly' else 'unavailable'}: {detail}")
