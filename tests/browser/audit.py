"""The layout audit: what a person at a tablet or in front of a projector would trip over, checked
on the rendered page in a real chromium.

``audit(page, device, lang, external)`` runs ``audit.js`` in the page and returns the violations,
one per element and rule:

=============== ==========================================================================================
rule            fails on
=============== ==========================================================================================
small-control   a visible control (button, input, select, link, check box with its label, map zoom button)
                under 44×44 px — resident (tablet) pages only
clipped         text clipped inside a control or label (scrollWidth > clientWidth with overflow hidden;
                a drop-down whose chosen option does not fit)
ellipsis        text cut with an ellipsis (``text-overflow: ellipsis`` actually truncating)
hscroll         the page, or a box in it, scrolls sideways (maps excepted)
overlap         visible boxes of text and controls overlapping each other (> 2 px both ways)
small-text      text under 16 px (tablet, staff) or 24 px (projector), small print marked ``linli-small``
                excepted
language        Latin words on a zh page / CJK on an en page outside user data (``linli-user``), machine ids
                (``linli-id``) and text marked in another language (``lang="…"``, ``linli-lang-zh|en``)
html-lang       ``<html lang>`` does not match the page's language (screen readers, fonts, hyphenation)
placeholder     a ``{name}`` pattern left in visible text
error-page      a traceback, a cell's error output, Voila's or Jupyter's error page
external        any request that left localhost (recorded by the browser context's route)
blank           the page shows no text and no control, or a widget never rendered ("Loading widget...")
=============== ==========================================================================================

Which page is which device (``DEVICES``): residents' pages are tablets (1280×800, controls ≥ 44 px,
text ≥ 16 px); projected pages are 1920×1080 with text ≥ 24 px; staff desk pages (screening,
round-desk, paper, plan, the staff home) are used on a laptop or a tablet at the table: 1280×800,
text ≥ 16 px, no minimum control size (a mouse or a facilitator's careful finger).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout

AUDIT_JS = (Path(__file__).with_name("audit.js")).read_text(encoding="utf-8")

RULES = (
    "small-control", "clipped", "ellipsis", "hscroll", "overlap", "small-text",
    "language", "html-lang", "placeholder", "error-page", "external", "blank",
)


@dataclass(frozen=True)
class Device:
    name: str
    width: int
    height: int
    min_control: int  # px, 0 = no minimum
    min_font: int  # px


TABLET = Device("tablet", 1280, 800, 44, 16)
STAFF = Device("staff", 1280, 800, 0, 16)
PROJECTOR = Device("projector", 1920, 1080, 0, 24)

# page (notebook stem) -> device; resident pages not listed are tablets, staff pages not listed staff desks
DEVICES: dict[str, Device] = {
    "propose": TABLET, "vote": TABLET, "scoring": TABLET, "home": TABLET, "index": TABLET, "status": TABLET,
    "live-map": PROJECTOR, "tally": PROJECTOR, "results": PROJECTOR,
    "screening": STAFF, "round-desk": STAFF, "paper": STAFF, "plan": STAFF,
}


def device_for(audience: str, page: str) -> Device:
    if audience == "staff" and page in ("home", "index"):
        return STAFF
    return DEVICES.get(page, TABLET if audience == "resident" else STAFF)


# Latin a Chinese page may show: file formats and paper sizes people know by these names.
LATIN_ON_ZH = ("CSV", "Excel", "PDF", "QR", "A4", "HTML", "pb", "pabulib", "LED", "W")


@dataclass(frozen=True)
class Violation:
    rule: str
    element: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.element}: {self.detail}"


def audit(page, device: Device, lang: str, external: list[str] | None = None) -> list[Violation]:
    """Run the audit on the page as it is rendered now."""
    found = page.evaluate(
        AUDIT_JS,
        {"device": device.name, "lang": lang, "minControl": device.min_control, "minFont": device.min_font, "latinAllowed": list(LATIN_ON_ZH)},
    )
    out = list(dict.fromkeys(Violation(v["rule"], v["element"], v["detail"]) for v in found))
    out += [Violation("external", url[:120], "request left localhost") for url in (external or [])]
    return out


def rules_of(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def report(violations: list[Violation], per_rule: int = 8) -> str:
    """A readable summary: up to ``per_rule`` examples of each rule, with the count."""
    lines = []
    for rule in RULES:
        hits = [v for v in violations if v.rule == rule]
        if not hits:
            continue
        lines.append(f"{rule}: {len(hits)}")
        lines += [f"    {v.element}: {v.detail}" for v in hits[:per_rule]]
    return "\n".join(lines)


SETTLE_JS = """
() => new Promise((resolve) => {
  // resolves once the DOM has been quiet for 600 ms (widgets rendered, maps laid out)
  let timer = setTimeout(done, 600);
  const obs = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, 600); });
  obs.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  function done() { obs.disconnect(); resolve(true); }
})
"""


# Installed in every audited browser context (``watch(context)``): counts the widget outputs Voila
# sends with the page, so that waiting can tell "every widget view is on screen" from "not yet".
WATCH_JS = """
(() => {
  window.__linliWidgetOutputs = 0;
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) {
      if (n.tagName === 'SCRIPT' && n.type === 'application/vnd.voila.cell-output+json' && n.textContent.includes('widget-view')) window.__linliWidgetOutputs += 1;
    }
  }).observe(document, {subtree: true, childList: true});
})();
"""


def watch(context) -> None:
    context.add_init_script(WATCH_JS)


def wait_rendered(page, timeout: float = 180_000, blank_timeout: float = 120_000) -> None:
    """Wait until Voila has run the notebook and every widget output shows its view (or an error
    page is shown), then until the page has stopped changing for a moment."""
    page.wait_for_function(
        """() => {
          if (document.readyState !== 'complete') return false;
          const cells = document.getElementById('rendered_cells');
          if (!cells) return !document.getElementById('loading');  // not a Voila page: an error page
          if (getComputedStyle(cells).display === 'none') return false;
          if (/Loading widget/.test(cells.innerText)) return false;
          const views = [...cells.querySelectorAll('.jp-OutputArea-output')].filter(o => o.querySelector('.jupyter-widgets, .widget-container, .widget-html, .widget-button')).length;
          return window.__linliWidgetOutputs === undefined || views >= window.__linliWidgetOutputs;
        }""",
        timeout=timeout,
    )
    try:  # a page that shows nothing at all is reported by the audit (rule blank), not waited for forever
        page.wait_for_function(
            """() => { const c = document.getElementById('rendered_cells');
                       return !c || c.innerText.trim().length > 0 || c.querySelector('button, input, select, .leaflet-container'); }""",
            timeout=blank_timeout,
        )
    except PlaywrightTimeout:
        pass
    page.evaluate(SETTLE_JS)
