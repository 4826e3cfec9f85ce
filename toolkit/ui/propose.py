"""The resident page ``propose`` (tablet): mark a place, pick a category, say what and why,
submit, get a receipt code in large type. zh-Hans first, English on a switch.

The form is a plain class with an injected ``on_submit`` (the store, in production) so tests can
drive it in-process; the same class runs in Voila.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as w

from toolkit.errors import LinliError, StoreUnavailable, ValidationError
from toolkit.i18n import text
from toolkit.labels import Label
from toolkit.markup import escape
from toolkit.proposals import Draft, given_submission_id, new_submission_id
from toolkit.ui.texts import T

if TYPE_CHECKING:
    from toolkit.geo import District
    from toolkit.proposals import ProposalRules
    from toolkit.store import Stored

FIELDS = ("mode", "place", "category", "title", "problem", "why", "suggestion", "cost", "contact")


def _error_html() -> w.HTML:
    return w.HTML(value="", layout=w.Layout(min_height="0px"))


class ProposeForm:
    """Widgets and behaviour of the propose page. ``root`` is what the page displays."""

    def __init__(
        self,
        rules: "ProposalRules",
        district: "District",
        on_submit: Callable[[Draft], "Stored"],
        *,
        lang: str = "zh",
        tile_url: str | None = None,
        channel: str = "tablet",
        clock: Callable[[], float] = time.monotonic,
        submission_id: str | None = None,
    ) -> None:
        from toolkit import maps

        self.rules, self.district, self.on_submit = rules, district, on_submit
        # Per-page (per visitor) throttle: new submissions at most every MIN_GAP seconds and
        # PER_HOUR an hour; a resubmission of the same submission id is always allowed.
        self.clock, self._sent = clock, []  # times of stored new submissions
        self.lang, self.channel = lang, channel
        # The submission id lives in the page's address too (?sid=..., written there by the Voila
        # template from the marker below): a reload after a kernel crash sends the same id again,
        # so the store returns the first record instead of a duplicate.
        self.submission_id = given_submission_id(submission_id) or new_submission_id()
        self.sid_marker = w.HTML()
        self.vertices: list[tuple[float, float]] = []  # (lat, lon) taps
        self.errors: dict[str, w.HTML] = {f: _error_html() for f in FIELDS}

        self.lang_switch = w.ToggleButtons(options=[("中文", "zh"), ("English", "en")], value=lang)
        self.lang_switch.observe(self._on_lang, names=["value"])
        self.heading = w.HTML()
        self.intro = w.HTML()

        self.map = maps.base_map(district, tile_url=tile_url, height_px=460, width_px=1100, labels_lang=lang, legend=self._legend(lang))
        self.map.on_interaction(self._on_map)
        self._shape_layer = None
        self.mode = w.ToggleButtons(options=self._mode_options(), value="Point")
        self.mode.observe(lambda _change: self._clear(), names=["value"])
        self.undo_button = w.Button()
        self.undo_button.on_click(lambda _b: self._undo())
        self.clear_button = w.Button()
        self.clear_button.on_click(lambda _b: self._clear())
        self.place_status = w.HTML()
        self.compound_pick = w.Dropdown(layout=w.Layout(width="auto", min_width="520px"))
        self.compound_pick.observe(lambda _c: self._show_place(), names=["value"])

        self.category = w.ToggleButtons(options=self._category_options(), value=None, style={"button_width": "190px"})
        self.title = w.Text(continuous_update=False, layout=w.Layout(width="100%"))
        self.problem = w.Textarea(continuous_update=False, rows=3, layout=w.Layout(width="100%"))
        self.why = w.Textarea(continuous_update=False, rows=2, layout=w.Layout(width="100%"))
        self.suggestion = w.Textarea(continuous_update=False, rows=3, layout=w.Layout(width="100%"))
        self.cost = w.ToggleButtons(options=self._cost_options(), value=None, style={"button_width": "150px"})
        self.contact = w.Text(continuous_update=False, layout=w.Layout(width="100%"))
        self.submit_button = w.Button(button_style="danger", layout=w.Layout(width="100%", height="60px"))
        self.submit_button.add_class("linli-submit")
        self.submit_button.on_click(lambda _b: self.submit())
        self.form_message = w.HTML()
        self.captions: dict[str, w.HTML] = {k: w.HTML() for k in ("mode", "category", "title", "problem", "why", "suggestion", "cost", "contact")}

        self.receipt = w.HTML()
        self.another_button = w.Button(layout=w.Layout(width="320px", height="56px"))
        self.another_button.on_click(lambda _b: self.reset())
        self.receipt_box = w.VBox([self.receipt, self.another_button])
        self.receipt_box.layout.display = "none"

        def field(key: str, *widgets: w.Widget) -> w.VBox:
            return w.VBox([self.captions[key], *widgets, self.errors[key]])

        self.form = w.VBox(
            [
                self.intro,
                field("mode", self.mode, w.HBox([self.undo_button, self.clear_button])),
                self.map,
                self.place_status,
                self.compound_pick,
                self.errors["place"],
                field("category", self.category),
                field("title", self.title),
                field("problem", self.problem),
                field("why", self.why),
                field("suggestion", self.suggestion),
                field("cost", self.cost),
                field("contact", self.contact),
                self.form_message,
                self.submit_button,
            ]
        )
        self.root = w.VBox([w.HBox([self.heading, self.lang_switch], layout=w.Layout(justify_content="space-between", align_items="center")), self.form, self.receipt_box, self.sid_marker])
        self._mark_sid()
        self.root.add_class("linli-page")
        self.root.add_class("linli-tablet")
        self.root.add_class(f"linli-lang-{lang}")
        self._apply_lang()

    # -- language -----------------------------------------------------------------------
    def t(self, key: str, **kw: object) -> str:
        label = T[key]
        return (label.format(**kw) if kw else label).get(self.lang)

    def _mode_options(self) -> list[tuple[str, str]]:
        return [(self.t("mode_point"), "Point"), (self.t("mode_line"), "LineString"), (self.t("mode_area"), "Polygon")]

    def _category_options(self) -> list[tuple[str, str]]:
        return [(c.label.get(self.lang), c.id) for c in self.rules.categories]

    def _cost_options(self) -> list[tuple[str, str]]:
        return [(b.label.get(self.lang), b.id) for b in self.rules.cost_bands] + [(self.t("cost_unknown"), "")]

    @staticmethod
    def _legend(lang: str):
        from toolkit.ui.tablets import map_legend, tt

        return map_legend(lang, (tt("tablets.map.your_mark", lang), "#b71c1c", "dot"))

    def _on_lang(self, change: dict) -> None:
        from toolkit import maps

        self.root.remove_class(f"linli-lang-{self.lang}")
        self.lang = change["new"]
        self.root.add_class(f"linli-lang-{self.lang}")
        self._apply_lang()
        self.map.linli_legend.value = maps.legend_html(*self._legend(self.lang))
        self.map.linli_labels.restyle(lang=self.lang)

    def _apply_lang(self) -> None:
        g = self.lang
        self.heading.value = f'<div class="linli-title">{escape(self.t("propose_title"))}</div>'
        self.intro.value = f'<div class="linli-hint">{escape(self.t("propose_intro"))}</div>'
        for key in self.captions:
            self.captions[key].value = f"<b>{escape(self.t(key))}</b>"
        mode = self.mode.value
        self.mode.options = self._mode_options()
        self.mode.value = mode
        self.undo_button.description = self.t("undo")
        self.clear_button.description = self.t("clear")
        category = self.category.value
        self.category.options = self._category_options()
        self.category.value = category
        cost = self.cost.value
        self.cost.options = self._cost_options()
        self.cost.value = cost
        pick = self.compound_pick.value
        names = self.district.compound_names()
        self.compound_pick.options = [(self.t("compound_none"), "")] + [
            (n[0] if g == "zh" else n[1], cid) for cid, n in sorted(names.items())
        ]
        self.compound_pick.value = pick or ""
        self.compound_pick.description = self.t("compound_pick")
        self.compound_pick.style = {"description_width": "initial"}
        self.title.placeholder = self.t("title_ph")
        self.submit_button.description = self.t("submit")
        self.another_button.description = self.t("another")
        self._show_place()
        for name, box in self.errors.items():
            if box.value and hasattr(box, "_label"):
                box.value = self._error_markup(box._label)  # type: ignore[attr-defined]

    # -- map ----------------------------------------------------------------------------
    def _on_map(self, **event: object) -> None:
        if event.get("type") != "click":
            return
        lat, lon = event["coordinates"]  # type: ignore[misc]
        self.tap(float(lat), float(lon))

    def tap(self, lat: float, lon: float) -> None:
        """A tap on the map: place the point, or add a vertex to the line or area. Cheap when
        repeated: the same point again redraws nothing; a shape stops at MAX_VERTICES points."""
        from toolkit.proposals import MAX_VERTICES

        if self.mode.value == "Point":
            if self.vertices == [(lat, lon)]:
                return
            self.vertices = [(lat, lon)]
        else:
            if len(self.vertices) >= MAX_VERTICES:
                self.errors["place"].value = self._error_markup(Label(text("trust.too_many_vertices", "zh", n=MAX_VERTICES),
                                                                      text("trust.too_many_vertices", "en", n=MAX_VERTICES)))
                return
            self.vertices.append((lat, lon))
        self._draw()

    def _undo(self) -> None:
        self.vertices = self.vertices[:-1]
        self._draw()

    def _clear(self) -> None:
        self.vertices = []
        self._draw()

    def geometry(self) -> dict | None:
        """The marked place as a GeoJSON geometry (lon, lat order), or None."""
        v = [[round(lon, 7), round(lat, 7)] for lat, lon in self.vertices]
        mode = self.mode.value
        if not v:
            return None
        if mode == "Point":
            return {"type": "Point", "coordinates": v[-1]}
        if mode == "LineString":
            return {"type": "LineString", "coordinates": v} if len(v) >= 2 else None
        return {"type": "Polygon", "coordinates": [v + [v[0]]]} if len(v) >= 3 else None

    def _draw(self) -> None:
        import ipyleaflet

        if self._shape_layer is not None:
            self.map.remove(self._shape_layer)
            self._shape_layer = None
        pts = list(self.vertices)
        layers: list = [
            ipyleaflet.CircleMarker(location=p, radius=10, color="#b71c1c", fill_color="#b71c1c", fill_opacity=0.9, weight=3)
            for p in pts
        ]
        if self.mode.value == "LineString" and len(pts) >= 2:
            layers.append(ipyleaflet.Polyline(locations=pts, color="#b71c1c", weight=6, fill=False))
        if self.mode.value == "Polygon" and len(pts) >= 3:
            layers.append(ipyleaflet.Polygon(locations=pts, color="#b71c1c", weight=4, fill_color="#b71c1c", fill_opacity=0.3))
        if layers:
            self._shape_layer = ipyleaflet.LayerGroup(layers=layers, name="my-place")
            self.map.add(self._shape_layer)
        self._show_place()

    def _show_place(self) -> None:
        geom = self.geometry()
        names = self.district.compound_names()
        if self.compound_pick.value:
            n = names[self.compound_pick.value]
            text = self.t("place_at", name=n[0] if self.lang == "zh" else n[1])
        elif geom is None:
            text = self.t("place_none")
        else:
            lon, lat = (geom["coordinates"] if geom["type"] == "Point" else geom["coordinates"][0] if geom["type"] == "LineString" else geom["coordinates"][0][0])
            if not self.district.contains(lon, lat):
                text = self.t("place_outside")
            else:
                from toolkit.proposals import _shape

                cid = self.district.locate_geometry(_shape(geom))
                if cid:
                    n = names[cid]
                    text = self.t("place_at", name=n[0] if self.lang == "zh" else n[1])
                else:
                    text = self.t("place_gap")
        self.place_status.value = f'<div class="linli-place">{escape(text)}</div>'

    # -- submit -------------------------------------------------------------------------
    def draft(self) -> Draft:
        cost_band = self.cost.value or None
        return Draft(
            submission_id=self.submission_id,
            title=self.title.value,
            problem=self.problem.value,
            why=self.why.value,
            suggestion=self.suggestion.value,
            category=self.category.value or "",
            channel=self.channel,
            geometry=self.geometry(),
            compound_id=self.compound_pick.value or None,
            cost_band=cost_band,
            contact=self.contact.value,
            lang=self.lang,
        )

    def _error_markup(self, label: Label) -> str:
        return f'<div class="linli-error">{escape(label.get(self.lang))}</div>'

    def _show_errors(self, errors: dict[str, Label]) -> None:
        for name, box in self.errors.items():
            label = errors.get(name)
            box._label = label  # type: ignore[attr-defined]
            box.value = self._error_markup(label) if label else ""

    def submit(self) -> "Stored | None":
        """Check and store the draft. Safe to call twice: the submission id makes it idempotent."""
        wait = self._throttle()
        if wait is not None:
            self.form_message.value = f'<div class="linli-error" id="linli-throttle">{escape(wait)}</div>'
            return None
        self.submit_button.disabled = True
        self.submit_button.description = self.t("submitting")
        try:
            stored = self.on_submit(self.draft())
        except ValidationError as exc:
            known = {k: v for k, v in exc.errors.items() if k in self.errors}
            other = [v for k, v in exc.errors.items() if k not in self.errors]
            self._show_errors(known)
            msg = self.t("fix_errors") + "".join(" " + v.get(self.lang) for v in other if isinstance(v, Label))
            self.form_message.value = f'<div class="linli-error">{escape(msg)}</div>'
            return None
        except StoreUnavailable as exc:  # locked, read-only or unreachable: say what to do; the form keeps its text
            self.form_message.value = f'<div class="linli-error" id="linli-store-error">{escape(text("trust.store_" + exc.reason, self.lang))}</div>'
            return None
        except LinliError:
            self.form_message.value = f'<div class="linli-error">{escape(self.t("store_error"))}</div>'
            return None
        finally:
            self.submit_button.disabled = False
            self.submit_button.description = self.t("submit")
        self._show_errors({})
        self.form_message.value = ""
        if stored.created:
            self._sent.append(self.clock())
            self._last_sent_id = self.submission_id
        note = "" if stored.created else f'<div class="linli-hint">{escape(self.t("already"))}</div>'
        self.receipt.value = (
            '<div class="linli-receipt-box">'
            f'<div class="linli-title">{escape(self.t("receipt_intro"))}</div>'
            f'<div class="linli-receipt" id="linli-receipt">{escape(stored.receipt_code)}</div>'
            f'<div class="linli-hint">{escape(self.t("receipt_later"))}</div>{note}</div>'
        )
        self.form.layout.display = "none"
        self.receipt_box.layout.display = "flex"
        return stored

    MIN_GAP = 15.0  # seconds between two new proposals from one page
    PER_HOUR = 30  # new proposals per page per hour (a shared meeting tablet stays well under)

    def _throttle(self) -> str | None:
        """The message to show when this page sends new proposals too fast, else None."""
        if self._sent and self.submission_id == getattr(self, "_last_sent_id", None):
            return None  # the same submission again: idempotent, never throttled
        now = self.clock()
        recent = [t for t in self._sent if now - t < 3600]
        if len(recent) >= self.PER_HOUR:
            return text("trust.too_many", self.lang, n=len(recent))
        if recent and now - recent[-1] < self.MIN_GAP:
            return text("trust.too_fast", self.lang, seconds=max(1, math.ceil(self.MIN_GAP - (now - recent[-1]))))
        return None

    def _mark_sid(self) -> None:
        """A hidden marker the template copies into the address bar (?sid=...)."""
        self.sid_marker.value = f'<span class="linli-sid" data-sid="{escape(self.submission_id)}" hidden></span>'

    def adopt_submission_id(self, given: str) -> None:
        """Take the submission id from the page address (a reload after a lost kernel), if it is one."""
        sid = given_submission_id(given)
        if sid:
            self.submission_id = sid
            self._mark_sid()

    def reset(self) -> None:
        """Start a new, empty proposal with a new submission id."""
        self.submission_id = new_submission_id()
        self._mark_sid()
        for widget in (self.title, self.problem, self.why, self.suggestion, self.contact):
            widget.value = ""
        self.category.value = None
        self.cost.value = None
        self.compound_pick.value = ""
        self._clear()
        self._show_errors({})
        self.receipt_box.layout.display = "none"
        self.form.layout.display = "flex"
