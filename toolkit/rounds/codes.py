"""One-time voter codes (投票码): generate, normalise, check, hash.

A code is 8 random characters plus 1 check character from a 23-character alphabet without
look-alikes (no 0/O/D, 1/I/L, 2/Z, 5/S, G, B, U), shown as ``K7Q-4MX-A3W``. The check character
makes the weighted sum ``Σ (i+1)·value(c_i)`` over all 9 characters ≡ 0 (mod 23). As 23 is prime
and the weights 1…9 are distinct and non-zero mod 23, **every** single-character typo and every
swap of two neighbouring characters is caught before any database lookup.

Only a hash of each code is stored: scrypt (memory-hard, in the standard library) with a per-round
random salt. It is deterministic for a given salt, so the store can look a typed code up by its
hash (one indexed column, no per-code salt to try), while a leaked table still costs an attacker
~23⁸ scrypt evaluations per round to turn back into codes. Default cost n=2¹⁴, r=8, p=1 (about
30 ms per code on a laptop); :class:`CodeHasher` keeps salt and parameters together so the store
records exactly what a round used (:meth:`CodeHasher.scheme`).

>>> code = "K7Q4MXA3" + check_char("K7Q4MXA3")
>>> format_code(code)
'K7Q-4MX-A3W'
>>> normalise_code(" k7q 4mx-a3w ") == code
True
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.rounds.settings import is_int

if TYPE_CHECKING:
    import random

ALPHABET = "346789ACEFHJKMNPQRTVWXY"
MODULUS = len(ALPHABET)  # 23, a prime
DATA_LENGTH = 8
CODE_LENGTH = DATA_LENGTH + 1
SEPARATORS = " -_.·\t\u3000"
MAX_SHEET = 20_000
_VALUE = {c: i for i, c in enumerate(ALPHABET)}

assert MODULUS == 23 and len(set(ALPHABET)) == MODULUS  # the typo guarantee depends on it


def check_char(data: str) -> str:
    """The check character for ``data`` (8 alphabet characters)."""
    total = sum((i + 1) * _VALUE[c] for i, c in enumerate(data))
    weight = len(data) + 1
    # weight * x ≡ -total (mod 23): multiply by the inverse of the weight.
    return ALPHABET[(-total * pow(weight, -1, MODULUS)) % MODULUS]


def is_valid(code: str) -> bool:
    """True when ``code`` (canonical, 9 characters) passes the check character."""
    return (len(code) == CODE_LENGTH and all(c in _VALUE for c in code)
            and sum((i + 1) * _VALUE[c] for i, c in enumerate(code)) % MODULUS == 0)


def format_code(code: str) -> str:
    """Group a canonical code in threes for print and reading aloud: ``K7Q-4MX-A3E``."""
    return "-".join(code[i:i + 3] for i in range(0, len(code), 3))


def normalise_code(text: object) -> str:
    """Canonical form of a typed code: upper case, no spaces or dashes, full-width folded.

    Raises ValidationError (field ``code``) for a wrong length, a character that is never used,
    or a typo caught by the check character.
    """
    if not isinstance(text, str):
        raise ValidationError({"code": Label("请输入投票码", "enter a voter code")})
    folded = unicodedata.normalize("NFKC", text[:100]).upper()
    chars = "".join(c for c in folded if c not in SEPARATORS and not c.isspace())
    bad = sorted({c for c in chars if c not in _VALUE})
    if bad:
        shown = "、".join(bad[:5])
        raise ValidationError({"code": Label(f"投票码里没有这些字符：{shown}（没有 0、O、1、I、L、2、Z、5、S 等）",
                                             f"voter codes never contain {', '.join(bad[:5])} (no 0, O, 1, I, L, 2, Z, 5, S…)")})
    if len(chars) != CODE_LENGTH:
        raise ValidationError({"code": Label(f"投票码应为 {CODE_LENGTH} 位（现在是 {len(chars)} 位）",
                                             f"a voter code has {CODE_LENGTH} characters (this has {len(chars)})")})
    if not is_valid(chars):
        raise ValidationError({"code": Label("投票码有误，请对照纸条再核对一遍", "this code has a typo; please check it against the slip")})
    return chars


def new_code(rng: "random.Random | None" = None) -> str:
    """One random canonical code (``secrets`` unless a seeded ``rng`` is given for tests/demos)."""
    pick = rng.choice if rng is not None else secrets.choice
    data = "".join(pick(ALPHABET) for _ in range(DATA_LENGTH))
    return data + check_char(data)


def generate_codes(count: int, rng: "random.Random | None" = None) -> tuple[str, ...]:
    """``count`` distinct canonical codes for one round's sheet."""
    if not is_int(count) or not 1 <= count <= MAX_SHEET:
        raise ValidationError({"count": Label(f"投票码数量应在 1 到 {MAX_SHEET:,} 之间", f"make between 1 and {MAX_SHEET:,} codes")})
    codes: dict[str, None] = {}
    while len(codes) < count:
        codes[new_code(rng)] = None
    return tuple(codes)


def new_salt() -> str:
    """A fresh per-round salt (hex text, to store with the round)."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class CodeHasher:
    """scrypt keyed by a per-round salt; :meth:`hash` is what the store keeps and looks up."""

    salt: str
    n: int = 2**14
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.salt, str) or len(self.salt) < 16:
            raise ValidationError({"salt": Label("盐值至少 16 个字符", "the salt needs at least 16 characters")})
        if not (is_int(self.n) and self.n >= 2 and self.n & (self.n - 1) == 0):
            raise ValidationError({"n": Label("scrypt 的 n 必须是 2 的幂", "scrypt n must be a power of 2")})

    def hash(self, code: str) -> str:
        """Hex digest of a canonical code (normalise typed text with :func:`normalise_code` first)."""
        return hashlib.scrypt(code.encode("ascii"), salt=self.salt.encode("utf-8"), n=self.n, r=self.r, p=self.p,
                              maxmem=256 * 1024 * 1024, dklen=32).hex()

    def scheme(self) -> str:
        """The parameters as text, e.g. ``scrypt:n=16384,r=8,p=1`` (stored with the round)."""
        return f"scrypt:n={self.n},r={self.r},p={self.p}"

    def lookup_key(self, typed: object) -> str:
        """Normalise and check typed text, then hash it: the value to look up in the store."""
        return self.hash(normalise_code(typed))


__all__ = ["ALPHABET", "CODE_LENGTH", "CodeHasher", "check_char", "format_code", "generate_codes", "is_valid",
           "new_code", "new_salt", "normalise_code"]
