"""Staff pages of a budget round: ``round-desk`` (set up, print codes, open, close),
``results`` (projector: turnout while open, funded projects with explanations after close, a
side-by-side of two rules, exports) and ``paper`` (double entry of paper ballots)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from toolkit.errors import LinliError, ValidationError
from toolkit.labels import Label
from toolkit.i18n import text
from toolkit.markup import escape, filled, user, yuan
from toolkit.text import clean_line
from toolkit.ui.ballot import BallotEditor
from toolkit.ui.polling import LivePoller
from toolkit.ui.tablets import error_text, field_name, store_guard, store_text, tt
from toolkit.ui.texts import T

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.geo import District
    from toolkit.store import Store


def _t(lang: str, key: str, **kw: object) -> str:
    label = T[key]
    return (label.format(**kw) if kw else label).get(lang)


def _data_link(text: str | bytes, name: str, mime: str, label: str, element_id: str) -> str:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    href = f"data:{mime};base64," + base64.b64encode(raw).decode()
    return f'<a id="{escape(element_id)}" download="{escape(name)}" href="{href}">{escape(label)}</a>'


def _error_text(lang: str, exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(f"{k}: {v.get(lang) if isinstance(v, Label) else v}" for k, v in exc.errors.items())
    return store_text(exc, lang) or str(exc)


def _reasons(r) -> str:
    """The proposer's reasons, for the ballot card: why it matters, and what they suggest."""
    return " · ".join(str(x) for x in (r.problem, r.why, r.suggestion) if isinstance(x, str) and x.strip())


class RoundDesk:
    """Set up a round from proposals, print voting codes, open and close voting."""

    def __init__(self, store: "Store", proposals: "pd.DataFrame", *, lang: str = "zh", scrypt_n: int = 2**14, public_url: str | None = None,
                 screened: "pd.DataFrame | None" = None, on_created: Callable[[int], None] | None = None) -> None:
        import pandas as pd

        from toolkit.budget import rule_specs
        from toolkit.i18n import text
        from toolkit.ui.candidates import CandidateTable, candidates_from
        from toolkit.ui.confirm import Confirm

        self.store, self.lang, self.scrypt_n, self.public_url, self.on_created = store, lang, scrypt_n, public_url, on_created
        self.round_id: int | None = None
        g = lang
        self.name = w.Text(description=_t(g, "round_name"), value="", style={"description_width": "160px"}, layout=w.Layout(width="640px"))
        self.fund = w.Text(description=_t(g, "fund_name"), value=_t(g, "fund_default"), style={"description_width": "160px"}, layout=w.Layout(width="640px"))
        self.amount = w.BoundedIntText(description=_t(g, "fund_amount"), value=300_000, min=1, max=10**9, style={"description_width": "160px"})
        self.name.add_class("linli-round-name")
        self.ballot_type = w.ToggleButtons(options=[(_t(g, f"bt_{k}"), k) for k in ("approval", "knapsack", "cumulative", "ranking")], value="knapsack", style={"button_width": "auto"})
        self.amount.add_class("linli-fund-amount")
        self.max_picks = w.BoundedIntText(description=_t(g, "max_picks"), value=5, min=1, max=100, style={"description_width": "160px"})
        self.points = w.BoundedIntText(description=_t(g, "points"), value=10, min=1, max=1000, style={"description_width": "160px"})
        specs = sorted(set(rule_specs("approval")) | {"greedy-votes"})
        self.rule = w.Dropdown(description=_t(g, "rule"), options=self._rule_options(specs), value="greedy-votes", style={"description_width": "160px"}, layout=w.Layout(width="900px"))
        self.rule_id = w.HTML()
        self.rule.observe(lambda _c: self._show_rule_id(), names=["value"])
        self.ballot_type.observe(lambda _c: self._rules_for_type(), names=["value"])
        self.min_support = w.BoundedIntText(description=text("nav.desk.min_support", g), value=1, min=0, max=10**6, style={"description_width": "160px"})
        self.min_support.add_class("linli-min-support")
        min_hint = w.HTML(f'<div class="linli-hint">{escape(text("nav.desk.min_support_hint", g))}</div>')
        self.voters = w.ToggleButtons(options=[(_t(g, "per_code"), "code"), (_t(g, "per_household"), "household")], value="code", style={"button_width": "auto"})
        self.policy = w.ToggleButtons(options=[(_t(g, "policy_none"), "none"), (_t(g, "policy_replace"), "replace-before-close")], value="none", style={"button_width": "auto"})
        screened = screened if screened is not None else pd.DataFrame(columns=["proposal_id", "outcome"])
        self.table = CandidateTable(candidates_from(proposals, screened), lang=g)
        self.create_button = w.Button(description=_t(g, "create_round"), button_style="primary", layout=w.Layout(min_width="240px", height="52px"))
        self.create_button.add_class("linli-create-round")
        self.create_button.on_click(lambda _b: self.create())
        self.codes_count = w.BoundedIntText(description=_t(g, "codes_count"), value=50, min=1, max=5000, style={"description_width": "160px"})
        self.codes_count.add_class("linli-codes-count")
        self.households = w.Textarea(placeholder=_t(g, "households_ph"), layout=w.Layout(width="520px", height="120px"))
        self.codes_button = w.Button(description=_t(g, "make_codes"), layout=w.Layout(min_width="240px", height="52px"))
        self.codes_button.add_class("linli-make-codes")
        self.codes_button.on_click(lambda _b: self.make_codes())
        self.open_button = w.Button(description=_t(g, "open_round"), button_style="success", layout=w.Layout(min_width="240px", height="52px"))
        self.open_button.add_class("linli-open-round")
        self.open_button.on_click(lambda _b: self.set_status("open"))
        self.close_button = w.Button(description=_t(g, "close_round"), button_style="danger", layout=w.Layout(min_width="300px", height="52px"))
        self.close_button.add_class("linli-close-round")
        self.confirm_close = Confirm(lambda: self.set_status("closed"), yes=text("nav.desk.close_yes", g), no=text("nav.desk.cancel", g))
        self.close_button.on_click(lambda _b: self.confirm_close.ask(text("nav.desk.close_question", g, id=self.round_id)))
        self.status = w.HTML()
        self.message = w.HTML()
        self.codes_link = w.HTML()
        self.links = w.HTML()
        self.setup = w.VBox([
            self.name, self.fund, self.amount, self.ballot_type, self.max_picks, self.points, self.rule, self.rule_id,
            w.HBox([self.min_support, min_hint], layout=w.Layout(align_items="center")), self.voters, self.policy,
            w.HTML(f"<b>{escape(_t(g, 'candidates'))}</b>"), self.table.root, self.create_button,
        ])
        # A lost or compromised slip: void its code (audit-logged); a household gets a new one.
        self.void_who = w.Text(description=text("trust.void_who", g), placeholder=text("trust.void_who_ph", g), continuous_update=False,
                               style={"description_width": "160px"}, layout=w.Layout(width="520px"))
        self.void_button = w.Button(description=text("trust.void_reprint", g), button_style="warning", layout=w.Layout(width="240px", height="52px"))
        self.void_button.add_class("linli-void-code")
        self.void_button.on_click(lambda _b: self.void_reprint())
        self.void_message = w.HTML()
        self.manage = w.VBox([self.status, self.links, w.HBox([self.codes_count, self.codes_button]), self.households, self.codes_link,
                              w.HBox([self.void_who, self.void_button]), self.void_message, w.HBox([self.open_button, self.close_button])])
        title = w.HTML(f'<div class="linli-big">{escape(_t(g, "desk_title"))}</div>')
        self.root = w.VBox([title, self.setup, self.message, self.manage, self.confirm_close.root])
        self.root.add_class("linli-page")
        self.root.add_class("linli-round-desk")
        self._rules_for_type()
        self.show_round(None)

    @property
    def candidates(self) -> dict:
        return self.table.all

    def _rule_options(self, specs: list[str]) -> list[tuple[str, str]]:
        from toolkit.ui.rulenames import rule_words

        return [(rule_words(s, self.lang), s) for s in specs]

    def _show_rule_id(self) -> None:
        from toolkit.ui.rulenames import rule_html

        self.rule_id.value = f'<div class="linli-rule-id" data-rule="{escape(self.rule.value)}">{rule_html(self.rule.value, self.lang)}</div>'

    def _rules_for_type(self) -> None:
        from toolkit.budget import rule_specs
        from toolkit.round_results import VOTE_TYPE

        specs = sorted(set(rule_specs(VOTE_TYPE[self.ballot_type.value])))
        current = self.rule.value
        self.rule.options = self._rule_options(specs)
        self.rule.value = current if current in specs else specs[0]
        self._show_rule_id()

    def settings(self):
        from toolkit.rounds import Approval, Cumulative, Fund, Knapsack, Project, Ranking, RoundSettings

        chosen = [(pid, cost, self.table.all[pid]) for pid, cost in self.table.chosen.items()]
        projects = tuple(
            Project(f"P{pid:04d}", Label(c.title, c.title), int(cost) * 100, Label(c.reasons, c.reasons), c.location)
            for pid, cost, c in chosen
        )
        kind = self.ballot_type.value
        ballot = {
            "approval": lambda: Approval(min_picks=1, max_picks=self.max_picks.value),
            "knapsack": lambda: Knapsack(),
            "cumulative": lambda: Cumulative(points=self.points.value),
            "ranking": lambda: Ranking(k=min(self.max_picks.value, max(len(projects), 1))),
        }[kind]()
        name = self.name.value.strip() or "预算轮次"
        return RoundSettings("round", Label(name, name), projects, (Fund("fund", Label(self.fund.value, self.fund.value), self.amount.value * 100),),
                             ballot, rule=self.rule.value, voters=self.voters.value, change_policy=self.policy.value,
                             min_support=int(self.min_support.value)), {f"P{pid:04d}": pid for pid, *_ in chosen}

    def _error(self, message: str) -> None:
        self.message.value = f'<div class="linli-error" id="linli-desk-error">{escape(message)}</div>'

    @store_guard("message")
    def create(self) -> int | None:
        from toolkit.i18n import text
        from toolkit.voting import create_round

        if not self.table.chosen:
            self._error(text("nav.desk.none_chosen", self.lang))
            return None
        try:
            settings, proposal_ids = self.settings()
            rid = create_round(self.store, settings, scrypt_n=self.scrypt_n, proposal_ids=proposal_ids)
        except ValidationError as exc:
            self._error("；".join(v.get(self.lang) if isinstance(v, Label) else str(v) for v in exc.errors.values()))
            return None
        except LinliError as exc:
            self._error(_error_text(self.lang, exc))
            return None
        self.message.value = ""
        self.show_round(rid)
        if self.on_created:
            self.on_created(rid)
        return rid

    def show_round(self, round_id: int | None) -> None:
        from toolkit.i18n import text
        from toolkit.ui.nav import href

        self.round_id = round_id
        if round_id is None:
            self.manage.layout.display = "none"
            return
        r = self.store.round(round_id)
        turnout = self.store.turnout(round_id)
        self.manage.layout.display = "flex"
        frozen = f' · {escape(_t(self.lang, "frozen"))}' if turnout["ballots"] else ""
        issued = f' · {escape(text("nav.desk.codes_issued", self.lang, n=turnout["codes_issued"]))}'
        self.status.value = (f'<div class="linli-title" id="linli-round-status" data-status="{escape(r["status"])}" data-codes="{turnout["codes_issued"]}">'
                             f'{escape(_t(self.lang, "round_status", id=round_id, status=_t(self.lang, "status_" + r["status"])))}{frozen}{issued}</div>')
        g = self.lang
        self.links.value = (f'<div class="linli-round-links">{escape(text("nav.desk.links", g))} '
                            f'<a class="linli-button-link" href="{escape(href("results", g, round=round_id))}">{escape(text("nav.page.results", g))}</a> '
                            f'<a class="linli-button-link" href="{escape(href("paper", g, round=round_id))}">{escape(text("nav.page.paper", g))}</a></div>')
        self.open_button.disabled = r["status"] != "draft"
        self.close_button.disabled = r["status"] != "open"
        self.codes_button.disabled = r["status"] == "closed"
        self.households.layout.display = "flex" if r["voter_unit"] == "household" else "none"
        self.setup.layout.display = "none"

    @store_guard("codes_link", [])
    def make_codes(self) -> list[str]:
        from toolkit.rounds import normalise_code
        from toolkit.rounds.sheets import render_code_sheet
        from toolkit.voting import issue_codes, round_settings

        assert self.round_id is not None
        round_ = self.store.round(self.round_id)
        homes = [h.strip() for h in self.households.value.splitlines() if h.strip()] if round_["voter_unit"] == "household" else []
        if round_["voter_unit"] == "household" and (not homes or len(set(homes)) != len(homes)):
            self.codes_link.value = f'<div class="linli-error">{escape(_t(self.lang, "households_needed"))}</div>'
            return []
        try:
            codes = issue_codes(self.store, self.round_id, len(homes) or self.codes_count.value, homes or None)
        except (LinliError, ValidationError) as exc:  # e.g. a household that already has a code
            self.codes_link.value = f'<div class="linli-error">{escape(_error_text(self.lang, exc))}</div>'
            return []
        settings = round_settings(round_)
        sheet = render_code_sheet(settings.name, [normalise_code(c) for c in codes], link=self.sheet_link())
        link = _data_link(sheet, f"round-{self.round_id}-codes.html", "text/html", "HTML (A4)", "linli-codes-sheet")
        self.codes_link.value = f"<div>{escape(_t(self.lang, 'codes_ready'))} {link}</div>"
        self.show_round(self.round_id)  # the status line counts the codes issued
        return codes

    @store_guard("void_message")
    def void_reprint(self) -> str | None:
        """Void the code named in the box (a household, or the code itself in a code round); a
        household gets a new code at once (a one-slip sheet). Returns the new code, if any."""
        from toolkit.rounds import normalise_code
        from toolkit.rounds.sheets import render_code_sheet
        from toolkit.voting import reprint_code, round_settings, void_code

        assert self.round_id is not None
        round_ = self.store.round(self.round_id)
        who = clean_line(self.void_who.value)
        if not who:
            self.void_message.value = f'<div class="linli-error">{escape(text("trust.void_who_ph", self.lang))}</div>'
            return None
        try:
            if round_["voter_unit"] == "household":
                code = reprint_code(self.store, self.round_id, who, reason="reprint", actor="facilitator")
            else:
                void_code(self.store, self.round_id, code_text=who, reason="void", actor="facilitator")
                code = None
        except (LinliError, ValidationError) as exc:
            self.void_message.value = f'<div class="linli-error">{escape(_error_text(self.lang, exc))}</div>'
            return None
        if code is None:
            self.void_message.value = f'<div class="linli-hint">{escape(text("trust.voided", self.lang))}</div>'
            return None
        sheet = render_code_sheet(round_settings(round_).name, [normalise_code(code)], link=self.sheet_link())
        link = _data_link(sheet, f"round-{self.round_id}-reprint.html", "text/html", "HTML (A4)", "linli-reprint-sheet")
        self.void_message.value = f'<div class="linli-hint">{escape(text("trust.reprinted", self.lang, who=who))} {link}</div>'
        self.void_who.value = ""
        return code

    def sheet_link(self) -> str | None:
        """What a code's QR holds: the vote page with round and code, when the public address is known."""
        if not self.public_url:
            return None
        return f"{self.public_url}/voila/render/vote.ipynb?round={self.round_id}&code={{code}}"

    @store_guard("message")
    def set_status(self, status: str) -> None:
        """Open (only once codes are issued) or close (after the confirmation dialog) voting."""
        from toolkit.i18n import text
        from toolkit.voting import close_round

        assert self.round_id is not None
        self.message.value = ""
        try:
            if status == "closed":
                close_round(self.store, self.round_id, lang=self.lang)
            elif self.store.turnout(self.round_id)["codes_issued"] == 0:
                self._error(text("nav.desk.no_codes", self.lang))
            else:
                self.store.set_round_status(self.round_id, status)
        except LinliError as exc:
            self._error(text("nav.desk.no_codes", self.lang) if "no voting codes" in str(exc) else _error_text(self.lang, exc))
        self.show_round(self.round_id)


class ResultsBoard(LivePoller):
    """Projector: turnout while voting is open (no counts), the explained result after close."""

    def __init__(self, store: "Store", round_id: int, district: "District", changed: Callable[[], bool], *, lang: str = "zh", poll_seconds: float = 1.0, max_hours: float = 8.0) -> None:
        from toolkit import maps

        self.store, self.round_id, self.changed, self.lang = store, round_id, changed, lang
        self.poll_seconds, self.max_seconds = poll_seconds, max_hours * 3600
        self.map = maps.base_map(district, height_px=700, width_px=900)
        self.layer = None
        self.head = w.HTML()
        self.turnout = w.HTML()
        self.summary = w.HTML()
        self.table = w.HTML()
        self.compare = w.HTML()
        self.export = w.HTML()
        self.map_box = w.Box([self.map], layout=w.Layout(width="920px"))
        self.map_box.layout.display = "none"
        side = w.VBox([self.summary, self.table, self.compare, self.export], layout=w.Layout(width="940px"))
        self.root = w.VBox([self.head, self.turnout, w.HBox([self.map_box, side])], layout=w.Layout(width="1880px"))
        self.root.add_class("linli-projector")
        self.shown_closed = False
        self.status = self.turnout

    def refresh(self) -> None:
        r = self.store.round(self.round_id)
        self.head.value = f'<div class="linli-big">{escape(_t(self.lang, "results_title"))} · {user(r["name"])}</div>'
        t = self.store.turnout(self.round_id)
        ch = t["by_channel"]
        self.turnout.value = (
            f'<div id="linli-turnout">{escape(_t(self.lang, "turnout", n=t["ballots"], tablet=ch.get("tablet", 0), assisted=ch.get("assisted", 0), paper=ch.get("paper", 0), used=t["codes_used"], issued=t["codes_issued"]))}</div>'
        )
        if r["status"] != "closed":
            self.summary.value = f'<div class="linli-hint">{escape(_t(self.lang, "no_counts"))}</div>'
            return
        if not self.shown_closed:
            self.show_result()

    def show_result(self) -> None:
        import ipyleaflet

        from toolkit.voting import results

        closed = results(self.store, self.round_id, lang=self.lang)
        res = closed.result
        a = res.allocation
        r = self.store.round(self.round_id)
        names = {p["project_id"]: p for p in r["projects"]}
        funded = set(a.selected)
        m = res.measures
        self.summary.value = (
            f'<div class="linli-title" id="linli-spent">{escape(_t(self.lang, "spent_left", spent=yuan(int(a.total_cost * 100)), left=yuan(int(a.left * 100)), budget=yuan(int(a.budget * 100))))}</div>'
            f'<div>{escape(_t(self.lang, "served", share=f"{float(m.share_served):.0%}"))}</div>'
        )
        from toolkit.i18n import text
        from toolkit.ui.rulenames import rule_html, rule_words

        g = self.lang
        most = max(res.support.values(), default=0) or 1
        rows = ""
        for pid, p in names.items():
            mark = _t(g, "funded" if pid in funded else "not_funded")
            votes = res.support.get(pid, 0)
            bar = (f'<div class="linli-bar-track"><div class="linli-bar {"linli-bar-funded" if pid in funded else "linli-bar-not"}" '
                   f'style="width:{max(votes * 100 // most, 1)}%"></div></div><div class="linli-votes">{escape(text("nav.results.votes", g, n=votes))}</div>')
            rows += (
                f'<tr data-project="{escape(pid)}" data-funded="{int(pid in funded)}" data-votes="{votes}"><td class="linli-result-name"><b>{user(p["name"])}</b><br/><small>{escape(res.explanations[pid])}</small></td>'
                f'<td class="linli-result-bar">{bar}</td><td class="num">{escape(yuan(p["cost_fen"]))}</td><td class="mark">{escape(mark)}</td></tr>'
            )
        self.table.value = (f'<div class="linli-title">{escape(text("nav.results.bars_title", g))}</div>'
                            f'<div class="linli-rule-line">{escape(_t(g, "rule"))}: {rule_html(str(a.spec), g)}</div>'
                            f'<table id="linli-results">{rows}</table>')
        if res.comparison is not None:
            c = res.comparison
            other = str(res.other.spec)
            words = {str(a.spec): rule_words(str(a.spec), g), other: rule_words(other, g)}
            lines = [escape(_t(g, "side_by_side", a=words[str(a.spec)], b=words[other]))]
            if c.only_a or c.only_b:
                if c.only_a:
                    lines.append(filled(_t(g, "only_in"), rule=escape(words[str(a.spec)]), projects=("、" if g == "zh" else ", ").join(user(names[x]["name"]) for x in c.only_a)))
                if c.only_b:
                    lines.append(filled(_t(g, "only_in"), rule=escape(words[other]), projects=("、" if g == "zh" else ", ").join(user(names[x]["name"]) for x in c.only_b)))
            else:
                lines.append(escape(_t(g, "same_both")))
            lines.append(escape(_t(g, "served", share=f"{float(c.a.share_served):.0%}")) + f' <small class="linli-id">{escape(str(a.spec))}</small>')
            lines.append(escape(_t(g, "served", share=f"{float(c.b.share_served):.0%}")) + f' <small class="linli-id">{escape(other)}</small>')
            self.compare.value = '<div id="linli-compare">' + "".join(f"<div>{x}</div>" for x in lines) + "</div>"
        features = [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]}, "properties": {"id": escape(pid), "funded": pid in funded}}
            for pid, p in names.items() if p["lon"] is not None
        ]
        if self.layer is None and features:
            self.layer = ipyleaflet.GeoJSON(
                data={"type": "FeatureCollection", "features": features},
                point_style={"radius": 12, "weight": 2},
                style_callback=lambda f: {"color": "#1b5e20" if f["properties"]["funded"] else "#9e9e9e", "fillColor": "#1b5e20" if f["properties"]["funded"] else "#bdbdbd", "fillOpacity": 0.9},
            )
            self.map.add(self.layer)
        if not hasattr(self.map, "linli_legend"):  # the project's legend: swatch and words on one line, projector-sized
            from toolkit import maps

            self.map.linli_legend = maps.add_legend(  # type: ignore[attr-defined]
                self.map, text("nav.results.legend_title", g),
                [(text("nav.results.legend_funded", g), "#1b5e20", "dot"), (text("nav.results.legend_not", g), "#bdbdbd", "dot")], position="topright")
        self.map_box.layout.display = "flex"
        ballots = self.store.counted_ballots(self.round_id)
        from toolkit.spreadsheets import csv_text

        csv = csv_text(["ballot", "project", "value"], [(i, pid, v) for i, b in enumerate(ballots, start=1) for pid, v in b.items()])
        self.export.value = (
            f"<div><b>{escape(_t(self.lang, 'export'))}</b>: "
            + _data_link(closed.pabulib, f"round-{self.round_id}.pb", "text/plain", ".pb (pabulib)", "linli-export-pb")
            + " · " + _data_link(csv, f"round-{self.round_id}-ballots.csv", "text/csv", "CSV", "linli-export-csv")
            + " · " + _data_link(self._excel(ballots, res), f"round-{self.round_id}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel", "linli-export-xlsx")
            + "</div>"
        )
        self.shown_closed = True

    def _excel(self, ballots: list[dict[str, int]], res) -> bytes:
        import pandas as pd

        from toolkit.spreadsheets import excel_bytes

        return excel_bytes({
            "ballots": pd.DataFrame([(i, pid, v) for i, b in enumerate(ballots, start=1) for pid, v in b.items()], columns=["ballot", "project", "value"]),
            "result": pd.DataFrame([(pid, pid in res.allocation.selected, text) for pid, text in res.explanations.items()], columns=["project", "funded", "explanation"]),
        })


class PaperDesk:
    """Double entry of paper ballots: each paper is typed by two operators; a mismatch stays out
    of the count until a third operator resolves it."""

    def __init__(self, store: "Store", round_id: int, *, lang: str = "zh") -> None:
        from toolkit.voting import round_settings

        self.store, self.round_id, self.lang = store, round_id, lang
        self.settings = round_settings(store.round(round_id))
        g = lang
        self.operator = w.Text(description=_t(g, "operator"), continuous_update=False, style={"description_width": "120px"})
        self.serial = w.Text(description=_t(g, "serial"), continuous_update=False, style={"description_width": "120px"})
        self.resolver = w.Checkbox(description=_t(g, "resolver"), indent=False)
        self.operator.add_class("linli-operator")
        self.serial.add_class("linli-serial")
        self.editor = BallotEditor(self.settings, lang=lang)
        self.save = w.Button(description=_t(g, "save_entry"), button_style="primary", layout=w.Layout(width="260px", height="52px"))
        self.save.add_class("linli-save-paper")
        self.save.on_click(lambda _b: self.enter())
        self.message = w.HTML()
        self.state = w.HTML()
        title = w.HTML(f'<div class="linli-big">{escape(_t(g, "paper_title"))} · {user(self.settings.name.get(g))}</div>')
        self.root = w.VBox([title, w.HBox([self.operator, self.serial, self.resolver]), self.editor.root, self.save, self.message, self.state])
        self.root.add_class("linli-page")
        self.root.add_class(f"linli-lang-{lang}")
        self.show_state()

    @store_guard("message", False)
    def enter(self) -> bool:
        from toolkit.voting import count_paper, enter_paper

        try:
            role = enter_paper(self.store, self.round_id, self.serial.value.strip(), self.operator.value.strip(), self.editor.data(), resolver=self.resolver.value)
            count_paper(self.store, self.round_id)
        except (LinliError, ValidationError) as exc:
            self.message.value = f'<div class="linli-error">{escape(error_text(exc, self.lang))}</div>'
            return False
        saved = text("trust.paper_already", self.lang, serial=self.serial.value.strip()) if role == "already" else \
            tt("tablets.paper.saved", self.lang, role=tt(f"tablets.paper.role_{role}", self.lang))
        self.message.value = f'<div class="linli-hint" id="linli-paper-saved" data-role="{escape(role)}">{escape(saved)}</div>'
        self.editor.reset()
        self.resolver.value = False
        self.show_state()
        return True

    def difference_label(self, field: str) -> str:
        """A differing field of two entries (``projects.P0002``, ``points.P0002``, ``ranking[2]``,
        ``assisted``, ``kind``) in words: the project's card number and name, or the rank."""
        import re

        from toolkit.ui.ballot import project_numbers

        numbers = project_numbers(self.settings)
        head, _, pid = field.partition(".")
        if pid in numbers and head in ("projects", "points"):
            name = self.settings.project(pid).name.get(self.lang)
            return tt(f"tablets.paper.diff_{'project' if head == 'projects' else 'points'}", self.lang, n=numbers[pid], name=name)
        rank = re.fullmatch(r"ranking\[(\d+)\]", field)
        if rank:
            return tt("tablets.paper.diff_rank", self.lang, n=int(rank.group(1)))
        if field in ("assisted", "kind"):
            return tt(f"tablets.paper.diff_{field}", self.lang)
        return field_name(field, self.lang)

    def show_state(self) -> None:
        from toolkit.voting import paper_status

        items = []
        sep = "、" if self.lang != "en" else ", "
        for serial, res in paper_status(self.store, self.round_id).items():
            status = _t(self.lang, f"ps_{res.status}", fields=sep.join(self.difference_label(d) for d in res.differences))
            items.append(f'<li data-serial="{escape(serial)}" data-status="{escape(res.status)}">{escape(_t(self.lang, "paper_state", serial=serial, status=status))}</li>')
        self.state.value = '<ul id="linli-paper-state">' + "".join(items) + "</ul>"
