"""The planners' geodata editor (notebooks/planners/edit-geodata.ipynb): the draft on an
ipyleaflet map with a DrawControl, an attribute form over one feature plus a read-only table of
all compounds, checks shown feature by feature (list + red markers), and publishing with the diff
(table + coloured map layers) and the report of re-located records.

Why a form and an HTML table instead of an editable grid (ipydatagrid): one feature is edited at a
time with a check per field and Chinese input committed only on Enter/blur
(``continuous_update=False``), nothing extra to load (ipydatagrid adds ~1 MB of JavaScript to every
page and edits cell by cell without validation), and it works the same in JupyterLab and Voila.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

import ipywidgets as w

from toolkit.errors import LinliError, StoreError
from toolkit.geodata import workflow
from toolkit.geodata.basemaps import Basemap, available_basemaps
from toolkit.geodata.edits import EditError
from toolkit.geodata.gcj02 import transform_geojson
from toolkit.geodata.layers import feature_collection
from toolkit.i18n import text
from toolkit.markup import escape
from toolkit.store import Store
from toolkit.store import geodata as stored

DRAFT_STYLE = {"color": "#1f3b57", "weight": 2, "opacity": 0.9, "fillColor": "#fff7d6", "fillOpacity": 0.5}
COMMUNITY_STYLE = {"color": "#7a5c2e", "weight": 3, "opacity": 0.8, "fill": False, "dashArray": "6 4"}
DIFF_COLORS = {"added": "#1a9850", "reshaped": "#f46d43", "removed": "#d73027"}
FOCUS_ZOOM = 16


class GeodataEditor:
    def __init__(self, store: Store, *, lang: str = "zh", actor: str = "planner", geodata: str | None = None,
                 basemaps: dict[str, Basemap] | None = None) -> None:
        import ipyleaflet

        self.store, self.lang, self.actor = store, lang, actor
        self.t: Callable[..., str] = lambda key, **kw: text(key, lang, **kw)
        self.draft_id = workflow.latest_open_draft(store, actor=actor, geodata=geodata)
        self.rows: list[dict] = []
        self.basemaps = basemaps if basemaps is not None else available_basemaps()
        self.datum = "wgs84"
        self.preview: workflow.Preview | None = None

        self.map = ipyleaflet.Map(center=(30.67, 104.15), zoom=13, layers=(), max_zoom=19, min_zoom=8,
                                  scroll_wheel_zoom=True, attribution_control=False,
                                  layout=w.Layout(width="100%", height="560px"))
        self.tiles = ipyleaflet.LayerGroup(name="basemap")
        self.communities = ipyleaflet.GeoJSON(data={"type": "FeatureCollection", "features": []}, style=COMMUNITY_STYLE)
        self.compounds = ipyleaflet.GeoJSON(
            data={"type": "FeatureCollection", "features": []}, style=DRAFT_STYLE,
            style_callback=lambda f: {"className": f"linli-draft-compound linli-draft-compound-{f['properties']['id']}"})
        self.problem_marks = ipyleaflet.LayerGroup(name="problems")
        self.diff_layer = ipyleaflet.LayerGroup(name="diff")
        for layer in (self.tiles, self.communities, self.compounds, self.diff_layer, self.problem_marks):
            self.map.add(layer)
        self.draw = ipyleaflet.DrawControl(
            polygon={"shapeOptions": {"color": "#1a9850", "weight": 3}},
            polyline={"shapeOptions": {"color": "#d73027", "weight": 3}},
            rectangle={}, circle={}, circlemarker={}, marker={}, edit=False, remove=False)
        self.draw.on_draw(self._guard(self._drawn))
        self.map.add(self.draw)
        self.compounds.on_click(self._guard(lambda feature=None, **kw: self._select(feature["properties"]["id"])))

        self.basemap = w.Dropdown(options=[(self.t(f"planners.ui.basemap_{k}"), k) for k in self.basemaps], value="vector",
                                  description=self.t("planners.ui.basemap"))
        self.basemap.observe(self._guard(lambda ch: self._set_basemap(ch["new"])), names=["value"])
        self.mode = w.ToggleButtons(options=[(self.t("planners.ui.mode_add"), "add"), (self.t("planners.ui.mode_split"), "split"),
                                             (self.t("planners.ui.mode_reshape"), "reshape")], value="add")
        self.mode.add_class("linli-geo-mode")
        self.new_name = w.Text(description=self.t("planners.ui.new_name"), value="", continuous_update=False)
        self.new_name.add_class("linli-geo-new-name")

        self.focus = w.Dropdown(description=self.t("planners.ui.feature"), options=[])
        self.focus.add_class("linli-geo-focus")
        self.focus.observe(self._guard(lambda ch: self._select(ch["new"]) if ch["new"] else None), names=["value"])
        self.name = w.Text(description=self.t("planners.ui.name"), continuous_update=False)
        self.name_en = w.Text(description=self.t("planners.ui.name_en"), continuous_update=False)
        self.community = w.Dropdown(description=self.t("planners.ui.community"), options=[])
        self.households = w.Text(description=self.t("planners.ui.households"), continuous_update=False)
        self.households.add_class("linli-geo-households")
        self.apply = w.Button(description=self.t("planners.ui.apply"), button_style="primary")
        self.apply.add_class("linli-geo-apply")
        self.apply.on_click(self._guard(lambda _: self._apply()))
        self.merge_with = w.Dropdown(description=self.t("planners.ui.merge_with"), options=[])
        self.merge_button = w.Button(description=self.t("planners.ui.merge"))
        self.merge_button.on_click(self._guard(lambda _: self._merge()))
        self.delete_button = w.Button(description=self.t("planners.ui.delete"), button_style="danger")
        self.delete_button.on_click(self._guard(lambda _: self._delete()))

        self.import_path = w.Text(description=self.t("planners.ui.import_path"), continuous_update=False,
                                  placeholder="/path/compounds.shp")
        self.import_level = w.Dropdown(options=[(text(f"planners.level.{lv}", lang), lv)
                                                for lv in ("compounds", "communities", "streets")], value="compounds")
        self.import_button = w.Button(description=self.t("planners.ui.import"))
        self.import_button.on_click(self._guard(lambda _: self._import()))

        self.check_button = w.Button(description=self.t("planners.ui.check"))
        self.check_button.add_class("linli-geo-check")
        self.check_button.on_click(self._guard(lambda _: self._check()))
        self.preview_button = w.Button(description=self.t("planners.ui.preview"))
        self.preview_button.add_class("linli-geo-preview")
        self.preview_button.on_click(self._guard(lambda _: self._preview()))
        self.confirm = w.Checkbox(description=self.t("planners.ui.confirm"), value=False, indent=False)
        self.confirm.add_class("linli-geo-confirm")
        self.publish_button = w.Button(description=self.t("planners.ui.publish"), button_style="warning", disabled=True)
        self.publish_button.add_class("linli-geo-publish")
        self.publish_button.on_click(self._guard(lambda _: self._publish()))
        self.confirm.observe(lambda ch: setattr(self.publish_button, "disabled", not ch["new"]), names=["value"])

        self.message = w.HTML()
        self.message.add_class("linli-geo-message")
        self.problems = w.HTML()
        self.problems.add_class("linli-geo-problems")
        self.diff = w.HTML()
        self.diff.add_class("linli-geo-diff")
        self.decisions = w.VBox()
        self.report = w.HTML()
        self.report.add_class("linli-geo-report")
        self.table = w.HTML()
        self.table.add_class("linli-geo-table")
        self.status = w.HTML()

        form = w.VBox([self.focus, self.name, self.name_en, self.community, self.households, self.apply,
                       w.HBox([self.merge_with, self.merge_button]), self.delete_button])
        draw_box = w.VBox([w.HTML(f"<b>{escape(self.t('planners.ui.draw_help'))}</b>"), self.mode, self.new_name, self.basemap])
        self.root = w.VBox([
            w.HTML(f"<h2>{escape(self.t('planners.ui.title'))}</h2>"), self.status, self.message,
            w.HBox([self.map], layout=w.Layout(width="100%")),
            w.HBox([draw_box, form]),
            w.HBox([self.import_path, self.import_level, self.import_button]),
            w.HBox([self.check_button, self.preview_button, self.confirm, self.publish_button]),
            self.problems, self.diff, self.decisions, self.report,
            w.HTML(f"<h3>{escape(self.t('planners.ui.table'))}</h3>"), self.table,
        ])
        self.root.add_class("linli-geo-editor")
        self._reload(fit=True)

    # -- plumbing --------------------------------------------------------------------------
    def _guard(self, fn: Callable) -> Callable:
        """One error boundary: every failure becomes a message in the page's language."""
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except EditError as exc:
                self._say(text(exc.key, self.lang, **exc.params), error=True)
            except workflow.PublishRefused as exc:
                self._say(self.t("planners.ui.refused", problems=len(exc.problems), undecided=len(exc.undecided)), error=True)
            except StoreError as exc:
                race = "was published while" in str(exc)
                self._say(self.t("planners.ui.race" if race else "planners.ui.store_error"), error=True)
            except LinliError as exc:  # geodata import errors name the file, the feature and the fix
                self._say(self.t("planners.ui.import_error", detail=str(exc)), error=True)
            except Exception:  # never a traceback in front of a person; the log keeps it
                logging.getLogger(__name__).exception("geodata editor action failed")
                self._say(self.t("planners.ui.unexpected"), error=True)
        return run

    def _say(self, message: str, *, error: bool = False) -> None:
        cls = "linli-error" if error else "linli-ok"
        self.message.value = f'<div class="{cls}" style="font-size:18px">{escape(message)}</div>'

    def _shown(self, data: dict) -> dict:
        return transform_geojson(data, "gcj02") if self.datum == "gcj02" else data

    def _stored(self, geometry: dict) -> dict:
        return transform_geojson(geometry, "wgs84") if self.datum == "gcj02" else geometry

    def _reload(self, *, fit: bool = False) -> None:
        self.rows = stored.draft_rows(self.store, self.draft_id)
        self.communities.data = self._shown(_escaped(feature_collection(self.rows, "communities")))
        self.compounds.data = self._shown(_escaped(feature_collection(self.rows, "compounds")))
        compounds = [r for r in self.rows if r["level"] == "compounds"]
        options = [(f"{r['id']} {r['name']}", r["id"]) for r in compounds]
        keep = self.focus.value
        self.focus.options = [("—", None)] + options
        self.focus.value = keep if keep in {o[1] for o in options} else None
        self.merge_with.options = [("—", None)] + options
        self.community.options = [(f"{r['id']} {r['name']}", r["id"]) for r in self.rows if r["level"] == "communities"]
        d = stored.draft(self.store, self.draft_id)
        status = self.t("planners.ui.status", draft=self.draft_id, base=d["base_version"], compounds=len(compounds))
        self.status.value = f'<div class="linli-hint">{escape(status)}</div>'
        head = "".join(f"<th>{escape(self.t(f'planners.ui.{k}'))}</th>" for k in ("id", "name", "name_en", "community", "households"))
        body = "".join(f'<tr><td>{escape(r["id"])}</td><td>{escape(r["name"])}</td><td>{escape(r["name_en"])}</td>'
                       f'<td>{escape(r["community_id"])}</td><td style="text-align:right">{int(r["households"])}</td></tr>'
                       for r in compounds)
        self.table.value = f'<table class="linli-table"><tr>{head}</tr>{body}</table>'
        if fit and compounds:
            import shapely

            minx, miny, maxx, maxy = shapely.union_all([shapely.from_geojson(r["geometry"]) for r in compounds]).bounds
            self.map.center = ((miny + maxy) / 2, (minx + maxx) / 2)

    def _row(self, fid: str) -> dict | None:
        return next((r for r in self.rows if r["level"] == "compounds" and r["id"] == fid), None)

    # -- actions ---------------------------------------------------------------------------
    def _select(self, fid: str) -> None:
        row = self._row(fid)
        if row is None:
            return
        if self.focus.value != fid:
            self.focus.value = fid
        import shapely

        c = shapely.from_geojson(row["geometry"]).centroid
        lat, lon = (c.y, c.x)
        if self.datum == "gcj02":
            from toolkit.geodata.gcj02 import wgs84_to_gcj02

            lon, lat = wgs84_to_gcj02(lon, lat)
        self.map.zoom = FOCUS_ZOOM
        self.map.center = (lat, lon)
        self.name.value, self.name_en.value = row["name"], row["name_en"]
        self.community.value = row["community_id"]
        self.households.value = str(row["households"])

    def _apply(self) -> None:
        fid = self.focus.value
        if not fid:
            self._say(self.t("planners.ui.pick_first"), error=True)
            return
        row = self._row(fid)
        values = {k: v for k, v in (("name", self.name.value), ("name_en", self.name_en.value),
                                    ("community_id", self.community.value), ("households", self.households.value.strip()))
                  if str(v) != str(row[k])}
        if not values:
            self._say(self.t("planners.ui.nothing_changed"))
            return
        workflow.edit(self.store, self.draft_id, "set_attributes", "compounds", fid, actor=self.actor, **values)
        self._reload()
        self._say(self.t("planners.ui.saved", id=fid))

    def _drawn(self, target: Any = None, action: str = "", geo_json: dict | None = None, **_: Any) -> None:
        if action != "created" or not geo_json:
            return
        geometry = self._stored(geo_json["geometry"])
        mode = self.mode.value
        if mode == "add":
            rows = workflow.edit(self.store, self.draft_id, "add_compound", geometry,
                                 name=self.new_name.value.strip() or self.t("planners.ui.new_default"), actor=self.actor)
            fid = rows[0]["id"]
        elif mode == "split":
            if not self.focus.value:
                raise EditError("planners.err_pick_first")
            rows = workflow.edit(self.store, self.draft_id, "split", self.focus.value, geometry, actor=self.actor)
            fid = rows[1]["id"]
        else:
            if not self.focus.value:
                raise EditError("planners.err_pick_first")
            workflow.edit(self.store, self.draft_id, "reshape", "compounds", self.focus.value, geometry, actor=self.actor)
            fid = self.focus.value
        self.draw.clear()
        self._reload()
        self._say(self.t(f"planners.ui.done_{mode}", id=fid))

    def _merge(self) -> None:
        if not self.focus.value or not self.merge_with.value:
            raise EditError("planners.err_merge_needs_two")
        workflow.edit(self.store, self.draft_id, "merge", [self.focus.value, self.merge_with.value], actor=self.actor)
        self._reload()
        self._say(self.t("planners.ui.saved", id=self.focus.value))

    def _delete(self) -> None:
        if not self.focus.value:
            raise EditError("planners.err_pick_first")
        fid = self.focus.value
        workflow.edit(self.store, self.draft_id, "delete", "compounds", fid, actor=self.actor)
        self._reload()
        self._say(self.t("planners.ui.deleted", id=fid))

    def _import(self) -> None:
        n = workflow.import_into_draft(self.store, self.draft_id, self.import_path.value.strip(), self.import_level.value,
                                       actor=self.actor)
        self._reload(fit=True)
        self._say(self.t("planners.ui.imported", count=n))

    def _check(self) -> list:
        import ipyleaflet

        problems = workflow.check(self.store, self.draft_id)
        self.problem_marks.clear_layers()
        rows = []
        for p in problems:
            cls = "linli-error" if p.severity == "error" else "linli-hint"
            rows.append(f'<tr class="linli-problem {cls}" data-id="{escape(p.feature_id)}" data-kind="{escape(p.kind)}">'
                        f"<td>{escape(p.message(self.lang))}</td><td>{escape(p.fix(self.lang))}</td></tr>")
            if p.lon is not None:
                lon, lat = p.lon, p.lat
                if self.datum == "gcj02":
                    from toolkit.geodata.gcj02 import wgs84_to_gcj02

                    lon, lat = wgs84_to_gcj02(lon, lat)
                self.problem_marks.add(ipyleaflet.CircleMarker(location=(lat, lon), radius=10, color="#d73027",
                                                               fill_color="#d73027", fill_opacity=0.6))
        errors = sum(p.severity == "error" for p in problems)
        head = f"<h3>{escape(self.t('planners.ui.problems', errors=errors, warnings=len(problems) - errors))}</h3>"
        table = f'<table class="linli-table"><tr><th>{escape(self.t("planners.ui.problem"))}</th><th>{escape(self.t("planners.ui.fix"))}</th></tr>{"".join(rows)}</table>'
        self.problems.value = head + (table if rows else "")
        return problems

    def _preview(self) -> None:
        import ipyleaflet

        problems = self._check()
        pre = workflow.preview(self.store, self.draft_id)
        self.preview = pre
        rows = "".join(
            f'<tr class="linli-change" data-kind="{escape(c.kind)}" data-id="{escape(c.feature_id)}">'
            f"<td>{escape(text(f'planners.level.{c.level}', self.lang))}</td><td>{escape(c.feature_id)}</td>"
            f"<td>{escape(self.t('planners.ui.kind_' + c.kind))}</td><td>{escape(c.before)}</td><td>{escape(c.after)}</td></tr>"
            for c in pre.changes)
        head = "".join(f"<th>{escape(self.t(f'planners.ui.{k}'))}</th>" for k in ("level", "id", "change", "before", "after"))
        self.diff.value = (f"<h3>{escape(self.t('planners.ui.diff_title', count=len(pre.changes)))}</h3>"
                           f'<table class="linli-table">{head and "<tr>" + head + "</tr>"}{rows}</table>')
        self.diff_layer.clear_layers()
        by_key = {(r["level"], r["id"]): r for r in self.rows}
        base = {(r["level"], r["id"]): r for r in stored.version_rows(self.store, stored.draft(self.store, self.draft_id)["base_version"])}
        for kind, color in DIFF_COLORS.items():
            source = base if kind == "removed" else by_key
            feats = [{"type": "Feature", "properties": {}, "geometry": json.loads(source[(c.level, c.feature_id)]["geometry"])}
                     for c in pre.changes if c.kind == kind and (c.level, c.feature_id) in source]
            if feats:
                self.diff_layer.add(ipyleaflet.GeoJSON(data=self._shown({"type": "FeatureCollection", "features": feats}),
                                                       style={"color": color, "weight": 4, "fillOpacity": 0.25,
                                                              "className": f"linli-diff-{kind}"}))
        self._show_report(pre.changed_placements, pending=True)
        if [p for p in problems if p.severity == "error"]:
            self._say(self.t("planners.ui.fix_first"), error=True)

    def _show_report(self, placements: list, *, pending: bool) -> None:
        records = {(r["kind"], r["record_id"]): r for r in stored.located_records(self.store)}
        rows, pickers = [], []
        for p in placements:
            rec = records.get((p.kind, p.record_id), {})
            label = rec.get("receipt_code") or p.record_id
            rows.append(f'<tr class="linli-moved" data-record="{escape(p.kind)}:{escape(p.record_id)}" data-status="{escape(p.status)}">'
                        f"<td>{escape(self.t('planners.ui.record_' + p.kind))}</td><td>{escape(label)}</td><td>{escape(rec.get('title') or '')}</td>"
                        f"<td>{escape(p.old_compound or '—')}</td><td>{escape(p.compound_id or '—')}</td>"
                        f"<td>{escape(self.t('planners.ui.status_' + p.status))}</td></tr>")
            if p.status == "ambiguous" and pending:
                dd = w.Dropdown(description=f"{label}", options=[(self.t("planners.ui.choose"), "")] +
                                [(c, c) for c in p.candidates] + [(self.t("planners.ui.outside"), "-")], value="")
                dd.key = (p.kind, p.record_id)
                pickers.append(dd)
        head = "".join(f"<th>{escape(self.t(f'planners.ui.{k}'))}</th>" for k in ("record", "code", "record_title", "before", "after", "change"))
        title = self.t("planners.ui.report_title" if not pending else "planners.ui.report_preview", count=len(placements))
        self.report.value = f"<h3>{escape(title)}</h3>" + (f'<table class="linli-table"><tr>{head}</tr>{"".join(rows)}</table>' if rows else "")
        self.decisions.children = pickers

    def _publish(self) -> None:
        if not self.confirm.value:
            return
        decisions = {}
        for dd in self.decisions.children:
            if dd.value == "":
                self._say(self.t("planners.ui.decide_first", code=dd.description), error=True)
                return
            decisions[dd.key] = None if dd.value == "-" else dd.value
        version, pre = workflow.publish(self.store, self.draft_id, decisions=decisions, actor=self.actor)
        self.confirm.value = False
        report = workflow.changed_report(self.store, version)
        from toolkit.geodata.relocation import Placement

        self._show_report([Placement(r["kind"], r["record_id"], r["before"], r["after"], r["status"], tuple(r["candidates"]))
                           for r in report], pending=False)
        self.draft_id = workflow.open_draft(self.store, actor=self.actor)
        self._reload()
        self._say(self.t("planners.ui.published", version=version, moved=len(report)))

    # -- basemaps --------------------------------------------------------------------------
    def _set_basemap(self, key: str) -> None:
        import ipyleaflet

        bm = self.basemaps[key]
        self.tiles.clear_layers()
        for src in bm.layers:
            kw = {"subdomains": list(src.subdomains)} if src.subdomains else {}
            self.tiles.add(ipyleaflet.TileLayer(url=src.url, attribution=src.attribution, max_zoom=bm.max_zoom, **kw))
        if bm.datum != self.datum:
            self.datum = bm.datum
            self._reload()


def _escaped(collection: dict) -> dict:
    for f in collection["features"]:
        f["properties"] = {k: escape(v) if isinstance(v, str) else v for k, v in f["properties"].items()}
    return collection


def edit_geodata(db: str | None = None, *, lang: str = "zh") -> GeodataEditor:
    from toolkit.settings import load_settings
    from toolkit.store import open_store

    settings = load_settings()
    store = open_store(db if db is not None else settings.db)
    return GeodataEditor(store, lang=lang, geodata=settings.geodata)
