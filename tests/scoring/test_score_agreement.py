from fractions import Fraction as F

import pytest

from toolkit.scoring import kendall_w, midranks


def test_kendall_w_without_ties():
    # 3 scorers, 4 projects, given as ranks:
    #   r1: 1 2 3 4,  r2: 2 1 3 4,  r3: 1 3 2 4
    #   rank sums R = (4, 6, 8, 12); mean m(n+1)/2 = 3*5/2 = 7.5
    #   S = 3.5^2 + 1.5^2 + 0.5^2 + 4.5^2 = 12.25 + 2.25 + 0.25 + 20.25 = 35
    #   W = 12 S / (m^2 (n^3 - n)) = 420 / (9 * 60) = 7/9
    assert kendall_w([[1, 2, 3, 4], [2, 1, 3, 4], [1, 3, 2, 4]]) == F(7, 9)


def test_kendall_w_with_ties():
    # scores (not ranks), higher is higher:
    #   r1: 1 2 2 3 -> mid-ranks 1, 2.5, 2.5, 4      ties: one pair   -> 2^3 - 2 = 6
    #   r2: 4 3 2 1 -> ranks 4, 3, 2, 1               ties: none       -> 0
    #   r3: 1 1 1 2 -> mid-ranks 2, 2, 2, 4           ties: one triple -> 3^3 - 3 = 24
    #   R = (7, 7.5, 6.5, 9); mean 7.5; S = 0.25 + 0 + 1 + 2.25 = 3.5
    #   W = 12 * 3.5 / (9 * 60 - 3 * (6 + 0 + 24)) = 42 / 450 = 7/75
    assert kendall_w([[1, 2, 2, 3], [4, 3, 2, 1], [1, 1, 1, 2]]) == F(7, 75)
    # without the tie correction the denominator would be 540 and W = 42/540 = 7/90
    assert kendall_w([[1, 2, 2, 3], [4, 3, 2, 1], [1, 1, 1, 2]]) != F(7, 90)


def test_kendall_w_extremes():
    assert kendall_w([[1, 2, 3], [10, 20, 30], [0, 5, 6]]) == 1  # same order everywhere
    # two scorers in opposite order: R = (4, 4, 4) -> S = 0 -> W = 0
    assert kendall_w([[1, 2, 3], [3, 2, 1]]) == 0
    assert kendall_w([[5, 5], [5, 5]]) is None  # everything tied: 0/0
    assert kendall_w([[1, 2, 3]]) is None  # one scorer
    with pytest.raises(ValueError):
        kendall_w([[1, 2, 3], [1, 2]])


def test_midranks():
    assert midranks([F(7), F(7), F(3)]) == [F(5, 2), F(5, 2), F(1)]
