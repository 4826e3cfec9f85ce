"""Voter codes: alphabet, check character, normalisation, hashing."""

from __future__ import annotations

import random

import pytest

from toolkit.errors import ValidationError
from toolkit.labels import Label
from toolkit.rounds.codes import (ALPHABET, CODE_LENGTH, CodeHasher, check_char, format_code, generate_codes, is_valid,
                                  new_salt, normalise_code)

LOOK_ALIKES = "0O1IL2Z5SBGDU"


def test_alphabet_has_no_look_alikes_and_a_prime_size():
    assert not set(ALPHABET) & set(LOOK_ALIKES)
    assert len(ALPHABET) == 23 and all(23 % d for d in range(2, 23))


def test_check_character_worked_by_hand():
    # alphabet "346789ACEFHJKMNPQRTVWXY"; "33333333" has value 0 everywhere,
    # so the weighted sum is 0 and the check character is the value-0 character "3".
    assert check_char("33333333") == "3"
    # "43333333": 1·1 = 1; need 9·x ≡ -1 (mod 23); 9·5 = 45 = 2·23 - 1, so x = 5 → ALPHABET[5] = "9"
    assert check_char("43333333") == "9"
    assert is_valid("433333339") and not is_valid("433333338")


def test_generated_codes_are_distinct_and_valid():
    codes = generate_codes(200, random.Random(7))
    assert len(set(codes)) == 200
    assert all(len(c) == CODE_LENGTH and is_valid(c) for c in codes)


@pytest.mark.parametrize("count", [0, -3, 20_001, 2.0, "10"])
def test_sheet_size_is_checked(count):
    with pytest.raises(ValidationError):
        generate_codes(count)


def test_every_single_character_typo_and_neighbour_swap_is_caught():
    # exhaustive for a few codes: 9 positions × 22 wrong characters, and 8 swaps
    for code in generate_codes(5, random.Random(3)):
        for i in range(CODE_LENGTH):
            for c in ALPHABET:
                if c != code[i]:
                    assert not is_valid(code[:i] + c + code[i + 1:])
        for i in range(CODE_LENGTH - 1):
            if code[i] != code[i + 1]:
                assert not is_valid(code[:i] + code[i + 1] + code[i] + code[i + 2:])


def test_normalise_accepts_spaces_dashes_lower_case_and_full_width():
    code = "K7Q4MXA3" + check_char("K7Q4MXA3")
    assert format_code(code) == "K7Q-4MX-A3" + code[-1]
    for typed in (format_code(code), code.lower(), " k7q 4mx - a3" + code[-1].lower(),
                  "ｋ７ｑ－４ｍｘ－ａ３" + code[-1], "K7Q_4MX.A3" + code[-1] + "\n"):
        assert normalise_code(typed) == code


def test_normalise_messages():
    code = "K7Q4MXA3" + check_char("K7Q4MXA3")
    with pytest.raises(ValidationError) as info:
        normalise_code(code[:-2])
    assert info.value.errors["code"] == Label("投票码应为 9 位（现在是 7 位）", "a voter code has 9 characters (this has 7)")
    with pytest.raises(ValidationError) as info:
        normalise_code("K7Q-4MX-AO" + code[-1])
    assert info.value.errors["code"].en == "voter codes never contain O (no 0, O, 1, I, L, 2, Z, 5, S…)"
    typo = code[:3] + ("3" if code[3] != "3" else "4") + code[4:]
    with pytest.raises(ValidationError) as info:
        normalise_code(typo)
    assert info.value.errors["code"] == Label("投票码有误，请对照纸条再核对一遍", "this code has a typo; please check it against the slip")
    with pytest.raises(ValidationError):
        normalise_code(None)


def test_hash_is_deterministic_per_salt_and_differs_between_rounds():
    code = generate_codes(1, random.Random(1))[0]
    a = CodeHasher("a" * 32, n=2**8)
    b = CodeHasher("b" * 32, n=2**8)
    assert a.hash(code) == CodeHasher("a" * 32, n=2**8).hash(code)
    assert a.hash(code) != b.hash(code)
    assert len(a.hash(code)) == 64 and code not in a.hash(code)
    assert a.lookup_key(format_code(code).lower()) == a.hash(code)
    assert a.scheme() == "scrypt:n=256,r=8,p=1"


def test_default_hasher_is_scrypt_2_14():
    h = CodeHasher(new_salt())
    assert h.scheme() == "scrypt:n=16384,r=8,p=1"
    assert len(h.salt) == 32 and new_salt() != h.salt
    import hashlib
    code = "433333339"
    assert h.hash(code) == hashlib.scrypt(code.encode(), salt=h.salt.encode(), n=16384, r=8, p=1, dklen=32).hex()


@pytest.mark.parametrize("salt, n", [("short", 2**8), ("s" * 16, 1000), ("s" * 16, 2.0)])
def test_hasher_parameters_are_checked(salt, n):
    with pytest.raises(ValidationError):
        CodeHasher(salt, n=n)
