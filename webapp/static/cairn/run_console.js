// The run page's console: the last CONSOLE_TAIL lines, earlier ones on request,
// new ones as they arrive, and a filter over their text. ANSI colours become
// classes (24-bit ones a CSSOM colour); every line is put on the page as text.
import * as cairn from "./api.js";

const el = cairn.el;
const CONSOLE_TAIL = 5000;
// Lines a read asks for: the whole tail in one round trip (the API allows 10,000).
const PAGE = 5000;

// ANSI SGR colour codes → [{text, cls, style}] segments; other escapes dropped.
const ANSI_COLORS = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];
function ansiSegments(line) {
  const out = [];
  const sgr = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
  const re = /\x1b\[([0-9;]*)([A-Za-z])/g;  // eslint-disable-line no-control-regex -- ESC starts each code
  let at = 0, m;
  const push = (text) => { if (text) out.push({ text, sgr: Object.assign({}, sgr) }); };
  while ((m = re.exec(line))) {
    push(line.slice(at, m.index));
    at = re.lastIndex;
    if (m[2] !== "m") continue;
    const codes = m[1] === "" ? [0] : m[1].split(";").map((c) => parseInt(c || "0", 10));
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i];
      if (c === 0) Object.assign(sgr, { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false });
      else if (c === 1) sgr.bold = true;
      else if (c === 2) sgr.dim = true;
      else if (c === 3) sgr.italic = true;
      else if (c === 4) sgr.underline = true;
      else if (c === 22) { sgr.bold = false; sgr.dim = false; }
      else if (c === 23) sgr.italic = false;
      else if (c === 24) sgr.underline = false;
      else if (c >= 30 && c <= 37) sgr.fg = `ansi-${ANSI_COLORS[c - 30]}`;
      else if (c >= 90 && c <= 97) sgr.fg = `ansi-bright-${ANSI_COLORS[c - 90]}`;
      else if (c === 39) sgr.fg = null;
      else if (c >= 40 && c <= 47) sgr.bg = `ansi-bg-${ANSI_COLORS[c - 40]}`;
      else if (c >= 100 && c <= 107) sgr.bg = `ansi-bg-${ANSI_COLORS[c - 100]}`;
      else if (c === 49) sgr.bg = null;
      else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
        const n = codes[i + 2];
        if (n >= 0 && n < 16) (c === 38 ? (sgr.fg = `ansi-${n >= 8 ? "bright-" : ""}${ANSI_COLORS[n % 8]}`) : (sgr.bg = `ansi-bg-${ANSI_COLORS[n % 8]}`));
        i += 2;
      } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
        const rgb = codes.slice(i + 2, i + 5).map((v) => Math.max(0, Math.min(255, v || 0)));
        if (c === 38) sgr.fg = `rgb(${rgb.join(",")})`; else sgr.bg = `rgb(${rgb.join(",")})`;
        i += 4;
      }
    }
  }
  push(line.slice(at));
  return out;
}

// marked: the line starts with its writer's name (a shared run's merged view).
function consoleLine(rec, marked) {
  const node = el("div", { class: rec.stream === "stderr" ? "line stderr" : "line" });
  if (marked) node.append(el("span", { class: "console-writer", text: rec.writer || "" }));
  // Most lines have no escape codes: their text as it is, and nothing to parse.
  const plain = !rec.line.includes("\x1b");
  for (const seg of plain ? [{ text: rec.line, sgr: {} }] : ansiSegments(rec.line)) {
    const s = seg.sgr;
    if (!s.fg && !s.bg && !s.bold && !s.dim && !s.italic && !s.underline) { node.append(document.createTextNode(seg.text)); continue; }
    const span = document.createElement("span");
    span.textContent = seg.text;
    for (const [v, bg] of [[s.fg, false], [s.bg, true]]) {
      if (!v) continue;
      if (v.startsWith("rgb(")) span.style[bg ? "backgroundColor" : "color"] = v; else span.classList.add(v);
    }
    if (s.bold) span.classList.add("ansi-bold");
    if (s.dim) span.classList.add("ansi-dim");
    if (s.italic) span.classList.add("ansi-italic");
    if (s.underline) span.classList.add("ansi-underline");
    node.append(span);
  }
  const text = plain ? rec.line : rec.line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");  // eslint-disable-line no-control-regex
  node.dataset.search = (marked ? `${rec.writer || ""} ${text}` : text).toLowerCase();
  return node;
}

// runApi: the run's API URL. writer: one writer's label or id (its lines
// only), or null (every writer's); marked: each line says its writer.
// load(total) asks for the lines since the last call; the first call starts
// CONSOLE_TAIL lines before `total`, the number of lines there are (the run's,
// or the writer's own count of its lines). A writer's lines are numbered by
// the writer (`writer_offset`) where a read starts from a line count, and by
// the run's offsets (what each read answers with) where it follows on.
export function runConsole(runApi, { writer = null, marked = false } = {}) {
  const url = `${runApi}/console?${writer === null ? "" : `writer=${encodeURIComponent(writer)}&`}`;
  const from = (n) => (writer === null ? `offset=${n}` : `writer_offset=${n}`);
  const consoleBox = el("pre", { class: "console", "data-testid": "console" });
  const consoleFilter = el("input", { type: "search", placeholder: "Filter lines", "data-testid": "console-filter", "aria-label": "Filter console lines" });
  const consoleNote = el("span", { class: "muted" });
  const consoleEarlier = el("button", { type: "button", class: "link", hidden: "", "data-testid": "console-earlier",
    text: `Show ${CONSOLE_TAIL} earlier lines`, onclick: () => loadEarlierConsole() });
  let first = 0;  // the number of the first line shown (counting the view's lines: the run's, or the writer's)
  let seen = 0;  // ... and of the line after the last one shown
  let next = null;  // the run's offset where the next read starts; null before the first
  let loading = null;

  async function loadEarlierConsole() {
    consoleEarlier.disabled = true;
    const start = Math.max(0, first - CONSOLE_TAIL);
    const nodes = [];
    let want = first - start, q = from(start);
    while (want > 0) {
      const body = await cairn.get(`${url}${q}&limit=${Math.min(5000, want)}`);
      if (!body.lines.length) break;
      for (const rec of body.lines.slice(0, want)) nodes.push(consoleLine(rec, marked));
      want -= body.lines.length;
      q = `offset=${body.next_offset}`;
    }
    applyFilter(nodes);
    const keep = consoleBox.scrollHeight - consoleBox.scrollTop;  // stay on the line being read
    consoleBox.prepend(...nodes);
    consoleBox.scrollTop = consoleBox.scrollHeight - keep;
    first = start;
    consoleNote.textContent = start > 0 ? `Showing lines ${start + 1}–${seen} of ${seen}.` : "";
    consoleEarlier.hidden = start === 0;
    consoleEarlier.disabled = false;
  }

  function applyFilter(nodes) {
    const q = consoleFilter.value.trim().toLowerCase();
    for (const n of nodes) n.hidden = q !== "" && !n.dataset.search.includes(q);
  }
  consoleFilter.addEventListener("input", () => applyFilter(consoleBox.children));

  async function loadConsole(total) {
    let q;
    if (next === null) {
      first = seen = Math.max(0, (total || 0) - CONSOLE_TAIL);
      if (first > 0) consoleNote.textContent = `Showing the last ${CONSOLE_TAIL} lines of ${total}.`;
      consoleEarlier.hidden = first === 0;
      q = from(first);
    } else {
      q = `offset=${next}`;
    }
    for (let pages = 0; pages < 2; pages++) {  // at most 10,000 lines a call, as before
      const body = await cairn.get(`${url}${q}&limit=${PAGE}`);
      next = body.next_offset;
      q = `offset=${next}`;
      if (!body.lines.length) break;
      // Read before the lines go in (a layout, so not when the box is empty).
      const atBottom = !consoleBox.firstChild || consoleBox.scrollHeight - consoleBox.scrollTop - consoleBox.clientHeight < 24;
      const nodes = body.lines.map((rec) => consoleLine(rec, marked));
      applyFilter(nodes);
      consoleBox.append(...nodes);
      seen += nodes.length;
      // At the next frame, when the page is laid out anyway: thousands of lines are not laid out twice.
      if (atBottom) requestAnimationFrame(() => { consoleBox.scrollTop = consoleBox.scrollHeight; });
      if (body.lines.length < PAGE) break;
    }
    if (!consoleBox.children.length) consoleNote.textContent = "No console output.";
    else if (consoleNote.textContent === "No console output.") consoleNote.textContent = "";
  }

  // One read at a time: a live refresh and a click on the view's tab may ask together.
  function load(total) {
    if (!loading) loading = loadConsole(total).finally(() => { loading = null; });
    return loading;
  }

  return { bar: el("div", { class: "row" }, consoleFilter, consoleNote, consoleEarlier), box: consoleBox, load };
}
