from pathlib import Path

import pytest

from toolkit.scoring import load_rubric

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data() -> Path:
    return DATA


@pytest.fixture
def small_rubric():
    return load_rubric(DATA / "valid" / "rubric_small.toml")


@pytest.fixture
def one_rubric():
    return load_rubric(DATA / "valid" / "rubric_one.toml")


@pytest.fixture
def two_rubric():
    return load_rubric(DATA / "valid" / "rubric_two.toml")
