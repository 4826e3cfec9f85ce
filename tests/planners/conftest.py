"""Fixtures for the planners' tests: the DEMO district and fresh demo-scale stores."""

from __future__ import annotations

import pytest

from toolkit.geo import DEMO_GEODATA, District, load_district


@pytest.fixture(scope="session")
def demo_district() -> District:
    return load_district(DEMO_GEODATA)
