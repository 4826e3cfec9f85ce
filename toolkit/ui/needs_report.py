"""The planners' needs analysis (notebooks/planners/needs.ipynb): tables and two choropleths
(proposals per 1,000 households by compound and by community) with hot spots, plus static exports —
a folium HTML map that opens offline and an Excel workbook — written to ``var/exports/``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import ipywidgets as w
import pandas as pd

from toolkit.i18n import text
from toolkit.markup import escape
from toolkit.needs import Needs, analyse, write_excel

COLUMNS = ("compound_id", "compound", "community_id", "community", "street_id", "households", "proposals", "per_1000",
           "lon", "lat", "category", "deliberated", "excluded", "unscreened", "overdue")


def _label(column: str, lang: str, labels: dict[str, str]) -> str:
    if column in labels:
        return labels[column]
    if column in COLUMNS:
        return text(f"planners.needs.col_{column}", lang)
    return column


def html_table(frame: pd.DataFrame, lang: str, labels: dict[str, str], *, limit: int = 30) -> str:
    head = "".join(f"<th>{escape(_label(str(c), lang, labels))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(labels.get(v, v) if isinstance(v, str) else ('—' if pd.isna(v) else v))}</td>"
                                    for v in row) + "</tr>" for row in frame.head(limit).itertuples(index=False))
    return f'<table class="linli-table">{"<tr>" + head + "</tr>"}{body}</table>'


def needs_report(db: str | None = None, *, lang: str = "zh", today: date | None = None,
                 out_dir: str | Path | None = None) -> tuple[w.Widget, Needs, dict[str, Path]]:
    from toolkit.maps import choropleth_html
    from toolkit.workspace import open_workspace

    ws = open_workspace(db)
    today = today or date.today()
    needs = analyse(ws.store.proposals_frame(), ws.district.compound_table(), ws.store.screening_frame(), today=today)
    labels = {c.id: c.label.get(lang) for c in ws.rules.categories} | {c.id: c.label.get(lang) for c in ws.rules.channels}
    t = lambda key, **kw: text(key, lang, **kw)  # noqa: E731

    if out_dir is None:  # next to the SQLite file (var/exports by default), else var/exports
        url = ws.store.url
        out_dir = Path(url.removeprefix("sqlite:///")).parent / "exports" if url.startswith("sqlite:///") else ws.settings.var_dir / "exports"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = today.isoformat()
    legend = t("planners.needs.legend")
    hot = [(r.lon, r.lat, int(r.proposals)) for r in needs.hotspots.head(15).itertuples()]
    compound_map = choropleth_html(ws.district.geojson("compounds"), dict(zip(needs.by_compound["compound_id"], needs.by_compound["per_1000"])),
                                   title=t("planners.needs.map_compounds"), legend=legend, hotspots=hot, center=ws.district.center)
    community_map = choropleth_html(ws.district.geojson("communities"), dict(zip(needs.by_community["community_id"], needs.by_community["per_1000"])),
                                    title=t("planners.needs.map_communities"), legend=legend, center=ws.district.center)
    files = {"html": out / f"needs-compounds-{stamp}.html", "html_communities": out / f"needs-communities-{stamp}.html",
             "excel": out / f"needs-{stamp}.xlsx"}
    files["html"].write_text(compound_map, encoding="utf-8")
    files["html_communities"].write_text(community_map, encoding="utf-8")
    write_excel(needs, files["excel"])

    def frame_(html: str) -> w.HTML:
        return w.HTML(f'<iframe srcdoc="{escape(html)}" style="width:100%;height:520px;border:0"></iframe>')

    sections = [
        w.HTML(f"<h2>{escape(t('planners.needs.title'))}</h2><p>{escape(t('planners.needs.summary', proposals=int(needs.by_compound['proposals'].sum()), households=int(needs.by_compound['households'].sum()), day=stamp))}</p>"),
        w.HTML(f"<h3>{escape(t('planners.needs.map_compounds'))}</h3>"), frame_(compound_map),
        w.HTML(f"<h3>{escape(t('planners.needs.map_communities'))}</h3>"), frame_(community_map),
    ]
    for key, frame in (("by_community", needs.by_community), ("by_compound", needs.by_compound.sort_values("per_1000", ascending=False)),
                       ("categories", needs.categories), ("hotspots", needs.hotspots), ("repeats", needs.repeats),
                       ("screening", needs.screening), ("participation", needs.participation)):
        sections.append(w.HTML(f'<h3>{escape(t("planners.needs.h_" + key))}</h3>' + html_table(frame, lang, labels)))
    sections.append(w.HTML(f'<div class="linli-hint linli-needs-files">{escape(t("planners.needs.files", html=str(files["html"]), excel=str(files["excel"])))}</div>'))
    root = w.VBox(sections)
    root.add_class("linli-needs")
    return root, needs, files
