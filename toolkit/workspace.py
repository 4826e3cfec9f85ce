"""A workspace: what every page and command needs, opened once per kernel or process —
settings, store, the proposal form's rules and the district's geography.

Staff pages and commands get the checked :class:`toolkit.geo.District` (geopandas frames); resident
pages (``lean=True``) get :class:`toolkit.outlines.Outlines`, prepared once and cached, so their
kernels never import pandas or geopandas."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.outlines import Outlines
from toolkit.proposals import Draft, ProposalRules, check, load_proposal_rules
from toolkit.settings import Settings, load_settings
from toolkit.store import Store, Stored, open_store

if TYPE_CHECKING:
    from toolkit.geo import District


@dataclass
class Workspace:
    settings: Settings
    store: Store
    rules: ProposalRules
    district: "District | Outlines"
    geo_version: int | None = None  #: published geodata version the district came from (None: the files)

    def submit_proposal(self, draft: Draft, *, actor: str = "resident") -> Stored:
        """Check a draft against every rule and store it once (idempotent by submission id)."""
        self.refresh_district()
        return self.store.add_proposal(check(draft, self.rules, self.district), actor=actor)

    def refresh_district(self) -> bool:
        """Pick up a newly published geodata version (one cheap query); True if the district changed."""
        from toolkit.store.geodata import current_version

        version = current_version(self.store)
        if version == self.geo_version:
            return False
        if isinstance(self.district, Outlines):
            self.district = district_outlines(self.store, self.settings)[0]
            self.geo_version = version
            return True
        from toolkit.geodata.workflow import published_district

        self.district, self.geo_version = published_district(self.store, version), version
        return True


def district_units(district: "District | Outlines") -> list[dict]:
    """Streets, communities and compounds as store rows, parents first."""
    return district.units()


def cache_dir(settings: Settings) -> Path:
    """Prepared outlines live in ``cache/`` beside a SQLite database (``var/cache`` for PostgreSQL)."""
    from toolkit.services.projects import files_dir

    return files_dir(settings).parent / "cache"


def district_outlines(store: Store, settings: Settings, geodata: str | Path | None = None) -> tuple[Outlines, int | None]:
    """The district's prepared outlines and the geodata version they come from (None: the files).

    Read from the cache; on a miss a published version is prepared from the store's rows (shapely
    only), the files by reading and checking them (geopandas) — which the staff pages, ``linli
    demo`` and the servers' start do first, so a resident page's kernel rarely has to."""
    from toolkit import outlines
    from toolkit.store import geodata as stored

    version = stored.current_version(store)
    if version is not None:
        published = next(v for v in stored.versions(store) if v["id"] == version)
        key = outlines.version_key(store.url, version, str(published["published_at"]))
        source = f"{store.url} (geodata version {version})"
        return outlines.cached(cache_dir(settings), key, lambda: Outlines.from_features(
            stored.version_rows(store, version), source=source)), version
    path = outlines.geodata_path(geodata if geodata is not None else settings.geodata)

    def from_files() -> Outlines:
        from toolkit.geo import load_district

        return load_district(path).outlines

    return outlines.cached(cache_dir(settings), outlines.files_key(path), from_files), None


def open_workspace(db: str | Path | None = None, geodata: str | Path | None = None, *, lean: bool = False) -> Workspace:
    """Open the store (migrating it) and bring its reference lists in step with the rule
    file and the geodata. ``lean``: the district as prepared outlines (resident pages)."""
    import dataclasses

    settings = load_settings()
    if db is not None:
        settings = dataclasses.replace(settings, db=str(db))
    store = open_store(settings.db)
    rules = load_proposal_rules()
    from toolkit.store.geodata import current_version

    if lean:
        district, version = district_outlines(store, settings, geodata)
    else:
        from toolkit.geodata.workflow import published_district
        from toolkit.geo import load_district
        from toolkit import outlines

        version = current_version(store)  # once a planner has published a version, the store is the source
        if version is not None:
            district = published_district(store, version)
        else:
            path = outlines.geodata_path(geodata if geodata is not None else settings.geodata)
            district = load_district(path)
            # resident pages then find the outlines prepared (a kernel of theirs needs no geopandas)
            outlines.cached(cache_dir(settings), outlines.files_key(path), lambda: district.outlines)
    store.sync_reference(rules, district_units(district))
    return Workspace(settings, store, rules, district, version)
