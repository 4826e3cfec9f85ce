"""Rule specifications: the string ``rule[:utility[:completion]]`` and its parsed form."""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.errors import LinliError

TIE_BREAKS = ("id", "cost", "votes", "lot")
"""``id`` (pabutools default: smallest project id in string order), ``cost`` (lower cost first),
``votes`` (more supporters first), ``lot`` (a seeded random order); every option falls back to ``id``."""


class RuleError(LinliError, ValueError):
    """An unknown rule, utility, completion or tie-break, or a rule that does not fit the ballots."""


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A parsed rule specification.

    >>> RuleSpec.parse("mes:cost:add1-greedy")
    RuleSpec(rule='mes', utility='cost', completion='add1-greedy', tie_break='id', seed=0)
    >>> str(RuleSpec.parse("greedy-votes"))
    'greedy-votes'
    """

    rule: str
    utility: str | None = None
    completion: str | None = None
    tie_break: str = "id"
    seed: int = 0

    @classmethod
    def parse(cls, text: str, tie_break: str = "id", seed: int = 0) -> "RuleSpec":
        parts = [p.strip() for p in text.strip().split(":")]
        if not parts[0] or len(parts) > 3:
            raise RuleError(f"rule spec {text!r} must look like rule[:utility[:completion]], e.g. mes:cost:add1")
        if tie_break not in TIE_BREAKS:
            raise RuleError(f"unknown tie-break {tie_break!r}; use one of {', '.join(TIE_BREAKS)}")
        return cls(parts[0], (parts[1] or None) if len(parts) > 1 else None,
                   (parts[2] or None) if len(parts) > 2 else None, tie_break, seed)

    def __str__(self) -> str:
        text = self.rule
        if self.utility or self.completion:
            text += f":{self.utility or ''}"
        if self.completion:
            text += f":{self.completion}"
        return text
