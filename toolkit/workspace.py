"""A workspace: what every page and command needs, opened once per kernel or process —
settings, store, the proposal form's rules and the district's geography."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit.geo import District, load_district
from toolkit.proposals import Draft, ProposalRules, check, load_proposal_rules
from toolkit.settings import Settings, load_settings
from toolkit.store import Store, Stored, open_store


@dataclass
class Workspace:
    settings: Settings
    store: Store
    rules: ProposalRules
    district: District
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
        from toolkit.geodata.workflow import published_district

        self.district, self.geo_version = published_district(self.store, version), version
        return True


def district_units(district: District) -> list[dict]:
    """Streets, communities and compounds as store rows, parents first."""
    rows: list[dict] = []
    for level, frame, parent in (
        ("street", district.streets, None),
        ("community", district.communities, "street_id"),
        ("compound", district.compounds, "community_id"),
    ):
        for rec in frame.itertuples(index=False):
            rows.append(
                {
                    "id": str(rec.id),
                    "level": level,
                    "name": str(rec.name),
                    "name_en": str(rec.name_en),
                    "parent_id": str(getattr(rec, parent)) if parent else None,
                }
            )
    return rows


def open_workspace(db: str | Path | None = None, geodata: str | Path | None = None) -> Workspace:
    """Open the store (migrating it) and bring its reference lists in step with the rule
    file and the geodata."""
    settings = load_settings()
    store = open_store(db if db is not None else settings.db)
    rules = load_proposal_rules()
    from toolkit.geodata.workflow import published_district
    from toolkit.store.geodata import current_version

    version = current_version(store)  # once a planner has published a version, the store is the source
    district = published_district(store, version) if version is not None else load_district(
        geodata if geodata is not None else settings.geodata)
    store.sync_reference(rules, district_units(district))
    return Workspace(settings, store, rules, district, version)
