// Linli layout audit: inspects the rendered page and returns the rule violations a person would meet.
// Called by tests/browser/audit.py as  page.evaluate(AUDIT_JS, options)  with
//   options = {device: "tablet"|"staff"|"projector", lang: "zh"|"en", minControl: px|0, minFont: px,
//              latinAllowed: [words allowed on a zh page]}
// Class names the pages use (see tests/browser/audit.py):
//   linli-user   user data (proposal titles, names, typed text): exempt from the language rule
//   linli-id     machine ids and codes (P0002, receipt codes, rule ids), small print by design: exempt from the
//                language and the text-size rules
//   linli-small  small print on purpose (ids, sources): exempt from the text-size rule
//   lang="…" on an element: text in that language (e.g. a language switch); linli-lang-zh / linli-lang-en on the
//   page root declare the page's language (the template copies it to <html lang>), and are honoured likewise
(options) => {
  const out = [];
  const CONTROL = "button, input, select, textarea, a[href], [role=button], [role=checkbox], [role=slider], .widget-toggle-button, .leaflet-control-zoom a";
  const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60\uffe0-\uffe6]/;
  const LATIN_WORD = /[A-Za-z][A-Za-z'’\-]*[A-Za-z]|(?<![A-Za-z0-9])[A-Za-z](?![A-Za-z0-9])/g;
  // codes people copy, not read as words: receipt and voter codes such as K7Q-4MX-A3W, ids such as P0002
  // (capital groups joined by hyphens are codes even without a digit: WRC-CUX, ballot serials A-001)
  const CODE = /(?<![A-Za-z0-9])[A-Z0-9]+(?:-[A-Z0-9]+)+(?![A-Za-z0-9])|(?<![A-Za-z0-9])[A-Z]+[0-9]+(?![A-Za-z0-9])/g;
  // a language switch names each language in itself
  const OWN_NAME = { zh: /^(English|EN)$/, en: /^(中文|简体中文|汉语)$/ };
  const SYMBOLS = /^[\s+\-−–—×·•…]*$/;
  const PLACEHOLDER = /\{[A-Za-z_][A-Za-z0-9_]*(?:![rsa])?(?::[^{}]*)?\}/;
  const allowed = new Set((options.latinAllowed || []).map((x) => x.toLowerCase()));

  function describe(el) {
    if (!el || el.nodeType !== 1) return String(el);
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    const cls = [...el.classList].filter((c) => c.startsWith("linli-") || c.startsWith("widget-") || c.startsWith("leaflet-")).slice(0, 3);
    if (cls.length) s += "." + cls.join(".");
    const text = (el.innerText || el.value || el.placeholder || el.getAttribute("aria-label") || "").trim().replace(/\s+/g, " ");
    if (text) s += ` "${text.slice(0, 40)}"`;
    return s;
  }
  function add(rule, el, detail) {
    out.push({ rule, element: describe(el), detail });
  }

  // --- visibility: the part of an element's box that its clipping ancestors let through ----------
  const clipCache = new Map();
  function clipOf(el) {
    // the rectangle the ancestors of el (not el itself) clip to; null = fully clipped away
    if (!el.parentElement) return { left: -1e9, top: -1e9, right: 1e9, bottom: 1e9 };
    const p = el.parentElement;
    if (clipCache.has(p)) return clipCache.get(p);
    let rect = clipOf(p);
    if (rect) {
      const cs = getComputedStyle(p);
      // the page's own scroller (body.jp-Notebook in Voila's lab template) lets a person scroll to
      // everything in it: it hides nothing. Inner scroll boxes and overflow:hidden clip.
      const pageScroller = p === document.body || p === document.documentElement || (p.clientHeight >= window.innerHeight - 4 && p.clientWidth >= window.innerWidth - 20);
      if ((cs.overflowX !== "visible" || cs.overflowY !== "visible") && !pageScroller) {
        const r = p.getBoundingClientRect();
        rect = {
          left: cs.overflowX !== "visible" ? Math.max(rect.left, r.left) : rect.left,
          right: cs.overflowX !== "visible" ? Math.min(rect.right, r.right) : rect.right,
          top: cs.overflowY !== "visible" ? Math.max(rect.top, r.top) : rect.top,
          bottom: cs.overflowY !== "visible" ? Math.min(rect.bottom, r.bottom) : rect.bottom,
        };
        if (rect.right - rect.left < 1 || rect.bottom - rect.top < 1) rect = null;
      }
    }
    clipCache.set(p, rect);
    return rect;
  }
  function hiddenByStyle(el) {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === "none" || cs.visibility === "hidden" || cs.visibility === "collapse" || parseFloat(cs.opacity) === 0) return true;
      if (e.getAttribute("aria-hidden") === "true" && e.tagName !== "BODY") return true;
    }
    return false;
  }
  function visibleBox(el, r) {
    r = r || el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return null;
    const c = clipOf(el);
    if (!c) return null;
    const v = { left: Math.max(r.left, c.left), right: Math.min(r.right, c.right), top: Math.max(r.top, c.top), bottom: Math.min(r.bottom, c.bottom) };
    if (v.right - v.left < 1 || v.bottom - v.top < 1) return null;
    return v;
  }
  const visCache = new Map();
  function visible(el) {
    if (visCache.has(el)) return visCache.get(el);
    const v = hiddenByStyle(el) ? null : visibleBox(el);
    visCache.set(el, v);
    return v;
  }
  const inMap = (el) => !!el.closest(".leaflet-pane, .leaflet-control-attribution");
  const inMapPane = (el) => !!el.closest(".leaflet-pane");

  const root = document.body;
  const all = [...root.querySelectorAll("*")];

  // --- error pages and tracebacks ----------------------------------------------------------------
  const bodyText = root.innerText || "";
  const errorSigns = [
    /Traceback \(most recent call last\)/,
    /There was an error when executing cell/,
    /Error\s*:\s*[A-Z][A-Za-z]+Error/,
    /^\s*\d{3}\s*:\s*(Not Found|Forbidden|Internal Server Error|Bad Request)/m,
    /\b(?:[A-Z][a-z]+)+(?:Error|Exception)\b:/,
  ];
  const stderr0 = root.querySelector("[data-mime-type='application/vnd.jupyter.stderr'], .jp-RenderedText[data-mime-type*='error'], [data-mime-type='application/vnd.jupyter.error']");
  const stderr = stderr0 && (stderr0.closest(".jp-OutputArea-output") || stderr0);
  if (stderr && visible(stderr)) add("error-page", stderr, "a cell's error output is shown");
  for (const re of errorSigns) {
    const m = bodyText.match(re) || document.title.match(re);
    if (m) {
      add("error-page", root, `page shows "${m[0].slice(0, 80)}"`);
      break;
    }
  }

  // --- html lang ----------------------------------------------------------------------------------
  const htmlLang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
  const wantLang = options.lang === "zh" ? /^zh/ : /^en/;
  if (!wantLang.test(htmlLang)) add("html-lang", document.documentElement, `<html lang="${htmlLang}"> on a ${options.lang} page`);

  // --- horizontal scrolling ------------------------------------------------------------------------
  const se = document.scrollingElement || document.documentElement;
  if (se.scrollWidth > window.innerWidth + 1) add("hscroll", se, `page is ${se.scrollWidth}px wide in a ${window.innerWidth}px window`);
  for (const el of all) {
    if (el === se || el === document.body || inMap(el) || el.matches("input, textarea, select")) continue;
    const cs = getComputedStyle(el);
    if ((cs.overflowX === "auto" || cs.overflowX === "scroll") && el.scrollWidth > el.clientWidth + 1 && visible(el)) {
      add("hscroll", el, `scrolls sideways: ${el.scrollWidth}px of content in ${el.clientWidth}px`);
    }
  }

  // scroll boxes squeezed so small that what is inside cannot be seen or reached
  for (const el of all) {
    if (inMap(el) || el.matches("textarea, select, input")) continue;
    const cs = getComputedStyle(el);
    if (!["auto", "scroll"].includes(cs.overflowY) || el === se || el === document.body) continue;
    if (el.clientHeight < 24 && el.scrollHeight > el.clientHeight + 24 && el.querySelector(CONTROL) && !hiddenByStyle(el)) {
      add("clipped", el, `a scroll box squeezed to ${Math.round(el.getBoundingClientRect().height * 100) / 100}px high holds ${el.scrollHeight}px of content`);
    }
  }

  // --- controls: size and clipping -----------------------------------------------------------------
  const controls = all.filter((el) => el.matches(CONTROL) && !(el.tagName === "INPUT" && el.type === "hidden"));
  const ctx = document.createElement("canvas").getContext("2d");
  function textWidth(el, text) {
    const cs = getComputedStyle(el);
    ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    return ctx.measureText(text).width;
  }
  for (const el of controls) {
    if (hiddenByStyle(el)) continue;
    // squashed: a box that hides overflow (not a scroll box) shows only a sliver of the control
    if (!inMap(el)) {
      let hard = { left: -1e9, top: -1e9, right: 1e9, bottom: 1e9 };
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const pcs = getComputedStyle(p);
        // inside a scroll box a person can scroll the control into view: clipping beyond it does not count
        if (["auto", "scroll"].includes(pcs.overflowY) || ["auto", "scroll"].includes(pcs.overflowX)) break;
        const pr = p.getBoundingClientRect();
        if (["hidden", "clip"].includes(pcs.overflowY)) { hard.top = Math.max(hard.top, pr.top); hard.bottom = Math.min(hard.bottom, pr.bottom); }
        if (["hidden", "clip"].includes(pcs.overflowX)) { hard.left = Math.max(hard.left, pr.left); hard.right = Math.min(hard.right, pr.right); }
      }
      const own = el.getBoundingClientRect();
      const shownH = Math.max(0, Math.min(own.bottom, hard.bottom) - Math.max(own.top, hard.top));
      const shownW = Math.max(0, Math.min(own.right, hard.right) - Math.max(own.left, hard.left));
      if ((own.height >= 8 && shownH < Math.min(own.height, 44) / 2) || (own.width >= 8 && shownW < Math.min(own.width, 44) / 2)) {
        add("clipped", el, `squashed: ${Math.round(shownW)}×${Math.round(shownH * 100) / 100}px of its ${Math.round(own.width)}×${Math.round(own.height)}px show`);
      }
    }
    if (!visible(el)) continue;
    // what a finger hits: a check box or radio inside a label is hit through its label
    let target = el;
    if (el.matches("input[type=checkbox], input[type=radio]")) target = el.closest("label") || el;
    const r = target.getBoundingClientRect();
    if (options.minControl && !inMapPane(el) && !el.closest(".leaflet-control-attribution")) {
      if (r.height < options.minControl - 0.5 || r.width < options.minControl - 0.5) {
        add("small-control", el, `${Math.round(r.width)}×${Math.round(r.height)}px, needs ≥${options.minControl}×${options.minControl}`);
      }
    }
    if (el.tagName === "SELECT" && el.selectedIndex >= 0 && el.options[el.selectedIndex]) {
      const cs = getComputedStyle(el);
      const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 16;
      const w = textWidth(el, el.options[el.selectedIndex].text);
      if (w > room + 1) add("clipped", el, `chosen option needs ${Math.round(w)}px, has ${Math.round(room)}px`);
    }
  }

  // text cut inside controls and labels: by an ellipsis, or clipped (overflow hidden)
  for (const el of all) {
    if (inMap(el) || el.matches("input, textarea, select, html, body")) continue;
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const isControl = el.matches(CONTROL) || !!el.closest("button, label, .widget-label, .widget-toggle-button");
    if (!ownText && !el.matches(CONTROL)) continue;
    if (!isControl && !ownText) continue;
    const cs = getComputedStyle(el);
    const clipsX = cs.overflowX !== "visible";
    const clipsY = cs.overflowY !== "visible" && cs.overflowY !== "auto" && cs.overflowY !== "scroll";
    const wide = el.scrollWidth > el.clientWidth + 1;
    const tall = el.scrollHeight > el.clientHeight + 2;
    if (!(wide && clipsX) && !(tall && clipsY && isControl)) continue;
    if (!visible(el)) continue;
    if (wide && cs.textOverflow === "ellipsis") add("ellipsis", el, `text cut with "…": needs ${el.scrollWidth}px, has ${el.clientWidth}px`);
    else if (wide && clipsX && cs.overflowX !== "auto" && cs.overflowX !== "scroll") add("clipped", el, `text clipped: needs ${el.scrollWidth}px, has ${el.clientWidth}px`);
    else if (tall && clipsY && isControl) add("clipped", el, `text clipped: needs ${el.scrollHeight}px high, has ${el.clientHeight}px`);
  }

  // --- text: size, script, placeholders --------------------------------------------------------------
  const textItems = []; // {node, el, text}
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.replace(/\s+/g, " ").trim();
    if (!text) continue;
    const el = n.parentElement;
    if (!el || el.closest("script, style, noscript, template, title")) continue;
    if (stderr && stderr.contains(el)) continue; // reported once as error-page
    if (!visible(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    const rr = range.getBoundingClientRect();
    if (rr.width < 1 || rr.height < 1) continue;
    let box = visibleBox(el, rr);
    const own = getComputedStyle(el);
    if (box && (own.overflowX !== "visible" || own.overflowY !== "visible")) {
      // the element clips its own text (a button cutting its label): only what shows counts
      const er = el.getBoundingClientRect();
      box = { left: Math.max(box.left, er.left), right: Math.min(box.right, er.right), top: Math.max(box.top, er.top), bottom: Math.min(box.bottom, er.bottom) };
      if (box.right - box.left < 1 || box.bottom - box.top < 1) box = null;
    }
    if (!box) continue;
    // the lines a person sees: one box per line, as tall as the line (a CJK font's content area is
    // taller than its line, so neighbouring lines' content areas always touch)
    const ecs = getComputedStyle(el);
    const fs = parseFloat(ecs.fontSize);
    const lh = ecs.lineHeight === "normal" ? 1.2 * fs : parseFloat(ecs.lineHeight);
    const keep = Math.max(Math.min(lh, 1.4 * fs), fs);
    const lines = [];
    for (const lr of range.getClientRects()) {
      if (lr.width < 1 || lr.height < 1) continue;
      const cut = Math.max(0, (lr.height - keep) / 2);
      const b = { left: Math.max(lr.left, box.left), right: Math.min(lr.right, box.right), top: Math.max(lr.top + cut, box.top), bottom: Math.min(lr.bottom - cut, box.bottom) };
      if (b.right - b.left >= 1 && b.bottom - b.top >= 1) lines.push(b);
    }
    textItems.push({ el, text, box, lines });
  }
  // the text a person reads in form fields: values the page put there, placeholders, chosen options
  for (const el of controls) {
    if (!visible(el)) continue;
    let text = "";
    if (el.tagName === "SELECT") text = el.selectedIndex >= 0 && el.options[el.selectedIndex] ? el.options[el.selectedIndex].text : "";
    else if (el.matches("input, textarea") && !["checkbox", "radio", "range", "color", "hidden"].includes(el.type)) text = el.value || el.placeholder || "";
    text = text.replace(/\s+/g, " ").trim();
    if (text) textItems.push({ el, text, box: visible(el), field: true });
  }

  const minFont = options.minFont;
  const smallSeen = new Set();
  const langSeen = new Set();
  for (const item of textItems) {
    const { el, text } = item;
    if (minFont && !SYMBOLS.test(text) && !el.closest(".linli-small, .linli-id") && !el.closest(".leaflet-control-attribution") && !inMapPane(el)) {
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < minFont - 0.25 && !smallSeen.has(el)) {
        smallSeen.add(el);
        add("small-text", el, `${size}px text, needs ≥${minFont}px (or class linli-small for small print)`);
      }
    }
    if (PLACEHOLDER.test(text)) add("placeholder", el, `unfilled placeholder in "${text.slice(0, 60)}"`);
    if (el.closest(".linli-user, .linli-id, .leaflet-control-attribution")) continue;
    const marked = el.closest("[lang], .linli-lang-zh, .linli-lang-en");
    let lang = options.lang;
    if (marked && marked !== document.documentElement) {
      if (marked.classList.contains("linli-lang-zh")) lang = "zh";
      else if (marked.classList.contains("linli-lang-en")) lang = "en";
      else lang = /^zh/i.test(marked.getAttribute("lang")) ? "zh" : "en";
    }
    if (langSeen.has(el)) continue;
    if (lang === "zh") {
      if (OWN_NAME.zh.test(text)) continue;
      const words = (text.replace(new RegExp(PLACEHOLDER.source, "g"), " ").replace(CODE, " ").match(LATIN_WORD) || []).filter((w) => !allowed.has(w.toLowerCase()));
      if (words.length) {
        langSeen.add(el);
        add("language", el, `Latin on a zh page: ${[...new Set(words)].slice(0, 5).join(", ")}`);
      }
    } else if (CJK.test(text) && !OWN_NAME.en.test(text)) {
      langSeen.add(el);
      add("language", el, `CJK on an en page: "${text.slice(0, 40)}"`);
    }
  }

  // --- a page that shows nothing ---------------------------------------------------------------------
  const cells = document.getElementById("rendered_cells") || root;
  const shown = textItems.some((t) => cells.contains(t.el)) || controls.some((c) => cells.contains(c) && visible(c));
  if (!shown) add("blank", cells, "the page shows no text and no control");
  const waiting = textItems.find((t) => /^Loading widget/.test(t.text));
  if (waiting) add("blank", waiting.el, "a widget never rendered");

  // --- overlapping boxes of labels and controls ------------------------------------------------------
  const boxes = [];
  for (const item of textItems) if (!item.field && !inMap(item.el)) for (const line of item.lines) boxes.push({ el: item.el, box: line });
  for (const el of controls) {
    if (inMapPane(el)) continue;
    const v = visible(el);
    if (v) boxes.push({ el, box: v });
  }
  boxes.sort((a, b) => a.box.top - b.box.top);
  const TOL = 2; // px of touching allowed
  const reported = new Set();
  for (let i = 0; i < boxes.length; i++) {
    const a = boxes[i];
    for (let j = i + 1; j < boxes.length; j++) {
      const b = boxes[j];
      if (b.box.top >= a.box.bottom - TOL) break;
      if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const ix = Math.min(a.box.right, b.box.right) - Math.max(a.box.left, b.box.left);
      const iy = Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top);
      if (ix <= TOL || iy <= TOL) continue;
      // the same control's parts (a label and its check box, a button and its icon) do not count
      const ca = a.el.closest("label, button, .widget-toggle-button, .widget-checkbox");
      const cb = b.el.closest("label, button, .widget-toggle-button, .widget-checkbox");
      if (ca && ca === cb) continue;
      const key = describe(a.el) + "|" + describe(b.el);
      if (reported.has(key)) continue;
      reported.add(key);
      add("overlap", a.el, `overlaps ${describe(b.el)} by ${Math.round(ix)}×${Math.round(iy)}px`);
    }
  }
  return out;
}
