"""Fixtures for the geodata tests: the shipped DEMO district in every format, and the toy district."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

from toolkit.geo import DEMO_GEODATA, LEVELS, District, load_district

DATA = Path(__file__).parent / "data"
TOY = DATA / "valid" / "toy"
FORMATS = ("geojson", "shapefile", "gpkg", "gpkg-files", "cgcs2000")


@pytest.fixture(scope="session")
def demo() -> District:
    return load_district(DEMO_GEODATA)


def _write(frame, path: Path, **kwargs) -> None:
    import pyogrio

    with warnings.catch_warnings():  # Shapefile: "community_id" is cut to "community_"; that is the point
        warnings.simplefilter("ignore")
        pyogrio.write_dataframe(frame, path, **kwargs)


@pytest.fixture(scope="session")
def demo_copies(tmp_path_factory) -> dict[str, Path]:
    """The DEMO district written once per format through pyogrio (GDAL)."""
    import geopandas as gpd

    root = tmp_path_factory.mktemp("demo_formats")
    layers = {level: gpd.read_file(DEMO_GEODATA / f"{level}.geojson") for level in LEVELS}
    paths = {"geojson": DEMO_GEODATA}
    for name in ("shapefile", "gpkg-files", "cgcs2000"):
        (root / name).mkdir()
    for level, frame in layers.items():
        _write(frame, root / "shapefile" / f"{level}.shp")
        _write(frame, root / "demo.gpkg", layer=level)
        _write(frame, root / "gpkg-files" / f"{level}.gpkg", layer=f"{level}_layer")
        _write(frame.to_crs(4544), root / "cgcs2000" / f"{level}.geojson", driver="GeoJSON")
    paths.update(shapefile=root / "shapefile", gpkg=root / "demo.gpkg", **{"gpkg-files": root / "gpkg-files"},
                 cgcs2000=root / "cgcs2000")
    return paths


@pytest.fixture(params=FORMATS)
def demo_source(request, demo_copies) -> tuple[str, Path]:
    """(format name, path) — every I/O test runs once per format."""
    return request.param, demo_copies[request.param]


@pytest.fixture
def toy_dir(tmp_path) -> Path:
    """A fresh copy of the hand-written toy district."""
    target = tmp_path / "toy"
    shutil.copytree(TOY, target)
    return target


@pytest.fixture
def make_case(tmp_path):
    """Build a district folder: the toy with the files of ``data/<kind>/<case>/`` laid on top."""

    def make(case: str, kind: str = "invalid") -> Path:
        target = tmp_path / case
        shutil.copytree(TOY, target)
        for file in (DATA / kind / case).iterdir():
            shutil.copy(file, target / file.name)
        return target

    return make
