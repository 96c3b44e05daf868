"""Charts as inline SVG, drawn on the server from panel data: for exports (no JS, no server
needed to read them; WeasyPrint renders them in PDFs) and for the non-line panels of the page.

Every piece of text passes through `_esc`; numbers are formatted by us.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from apps.core.markup import markup_escape

PALETTE = ["#3559e0", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#0c8599", "#d9480f", "#5c940d",
           "#a61e4d", "#1864ab", "#f08c00", "#087f5b", "#862e9c", "#364fc7", "#e67700", "#2f9e44",
           "#c92a2a", "#1098ad", "#9c36b5", "#495057"]
W, H = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 10, 28
FONT = 'font-family="sans-serif" font-size="10" fill="#667085"'


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _esc(text: Any) -> str:
    return markup_escape(text)


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def compact(v: float) -> str:
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.3g}G"
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e4:
        return f"{v / 1e3:.3g}k"
    return f"{v:.4g}"


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


class _Scale:
    def __init__(self, lo: float, hi: float, a: float, b: float, log: bool = False) -> None:
        if log:
            lo, hi = math.log10(lo), math.log10(hi)
        if hi == lo:
            lo, hi = lo - 1, hi + 1
        self.lo, self.hi, self.a, self.b, self.log = lo, hi, a, b, log

    def __call__(self, v: float) -> float:
        if self.log:
            v = math.log10(v)
        return self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)


def _frame(xs: _Scale | None, ys: _Scale, x_ticks: list[float], y_ticks: list[float], height: int) -> list[str]:
    out = []
    for t in y_ticks:
        y = ys(10**t if ys.log else t)
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eef0f3"/>')
        out.append(f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" {FONT}>{_esc(compact(10**t if ys.log else t))}</text>')
    if xs is not None:
        for t in x_ticks:
            x = xs(t)
            out.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" {FONT}>{_esc(compact(t))}</text>')
    out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{height - BOTTOM}" y2="{height - BOTTOM}" stroke="#d0d5dd"/>')
    return out


def _svg(height: int, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="100%" role="img" '
            f'aria-label="{_esc(label)}">' + "".join(body) + "</svg>")


def _legend(names: list[tuple[str, str]]) -> str:
    shown = names[:30]
    items = "".join(f'<span class="lg"><i style="background:{c}"></i>{_esc(n)}</span>' for n, c in shown)
    more = f'<span class="lg">+{len(names) - len(shown)} more</span>' if len(names) > len(shown) else ""
    return f'<div class="legend">{items}{more}</div>'


def _smooth(ys: list[float | None], weight: float) -> list[float | None]:
    if not weight:
        return ys
    out: list[float | None] = []
    last = debias = 0.0
    for y in ys:
        if y is None:
            out.append(None)
            continue
        last = last * weight + (1 - weight) * y
        debias = debias * weight + (1 - weight)
        out.append(last / debias)
    return out


def _quantile(sorted_vals: list[float], q: float) -> float:
    at = (len(sorted_vals) - 1) * q
    lo = math.floor(at)
    if lo + 1 >= len(sorted_vals):
        return sorted_vals[lo]
    return sorted_vals[lo] + (at - lo) * (sorted_vals[lo + 1] - sorted_vals[lo])


def outlier_range(values: list[float], *, log: bool) -> tuple[float, float] | None:
    """W&B's "ignore outliers", as the page's charts do it (charts.js): the 5th to 95th
    percentile of the lines drawn, padded; None when there are too few points to tell."""
    vals = sorted(values)
    if len(vals) < 3:
        return None
    lo, hi = _quantile(vals, 0.05), _quantile(vals, 0.95)
    if not hi > lo:
        return None
    if log:
        pad = (hi / lo) ** 0.1
        return lo / pad, hi * pad
    pad = (hi - lo) * 0.1
    return lo - pad, hi + pad


def line_svg(data: dict[str, Any], panel: dict[str, Any]) -> str:
    log, smoothing = bool(panel.get("log")), float(panel.get("smoothing") or 0)
    ignore_outliers = bool(panel.get("ignore_outliers"))
    keys: list[str] = data.get("keys", [])
    lines = []  # (name, color, steps, means, mins, maxs)
    for i, run in enumerate(data.get("runs", [])):
        for j, key in enumerate(keys):
            s = run["series"].get(key)
            if not s or not s["steps"]:
                continue
            name = run["name"] if len(keys) == 1 else f"{run['name']} · {key}"
            lines.append((name, color(i * len(keys) + j), s["steps"], s["values"], s.get("min") or s["values"],
                          s.get("max") or s["values"]))
    pts_x = [float(x) for ln in lines for x in ln[2]]
    pts_y = [v for ln in lines for col in (ln[4], ln[5]) for v in map(_num, col) if v is not None and (v > 0 or not log)]
    if not pts_x or not pts_y:
        return _svg(80, [f'<text x="{W / 2}" y="44" text-anchor="middle" {FONT}>No data</text>'], "empty chart")
    smoothed = [_smooth([_num(v) for v in ln[3]], smoothing) for ln in lines]
    y_lo, y_hi = min(pts_y), max(pts_y)
    fitted = ignore_outliers and outlier_range(
        [v for vals in smoothed for v in vals if v is not None and (v > 0 or not log)], log=log)
    if fitted:
        y_lo, y_hi = fitted
    xs = _Scale(min(pts_x), max(pts_x), LEFT, W - RIGHT)
    ys = _Scale(y_lo, y_hi, H - BOTTOM, TOP, log=log)
    y_ticks = _ticks(ys.lo, ys.hi)
    body = _frame(xs, ys, _ticks(xs.lo, xs.hi), y_ticks, H)
    plot: list[str] = []  # the lines and bands; clipped to the frame when the y-axis leaves outliers out
    for (_name, c, steps, _means, mins, maxs), vals in zip(lines, smoothed):
        band_top, band_bottom, path = [], [], []
        for x, lo, hi in zip(steps, mins, maxs):
            lo_, hi_ = _num(lo), _num(hi)
            if lo_ is None or hi_ is None or (log and lo_ <= 0):
                continue
            band_top.append(f"{xs(x):.1f},{ys(hi_):.1f}")
            band_bottom.append(f"{xs(x):.1f},{ys(lo_):.1f}")
        if band_top:
            plot.append(f'<polygon points="{" ".join(band_top + band_bottom[::-1])}" fill="{c}" fill-opacity="0.14"/>')
        for x, v in zip(steps, vals):
            if v is not None and (v > 0 or not log):
                path.append(f"{xs(x):.1f},{ys(v):.1f}")
        if path:
            plot.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="{c}" stroke-width="1.5"/>')
    if fitted:
        # Every line chart has the same frame, so charts on one page may share this id.
        body.append(f'<clipPath id="cairn-line-frame"><rect x="{LEFT}" y="{TOP}" width="{W - LEFT - RIGHT}" '
                    f'height="{H - TOP - BOTTOM}"/></clipPath><g clip-path="url(#cairn-line-frame)">{"".join(plot)}</g>')
    else:
        body += plot
    return _svg(H, body, ", ".join(keys)) + _legend([(ln[0], ln[1]) for ln in lines])


def bar_svg(data: dict[str, Any]) -> str:
    runs = [(r["name"], _num(r.get("value"))) for r in data.get("runs", [])]
    vals = [v for _, v in runs if v is not None]
    row = 18
    height = TOP + 8 + row * max(1, len(runs))
    if not vals:
        return _svg(80, [f'<text x="{W / 2}" y="44" text-anchor="middle" {FONT}>No data</text>'], "empty chart")
    left = 150
    xs = _Scale(min(0.0, min(vals)), max(0.0, max(vals)), left, W - RIGHT - 60)
    body = []
    for i, (name, v) in enumerate(runs):
        y = TOP + i * row
        body.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" {FONT}>{_esc(name[:28])}</text>')
        if v is None:
            continue
        x0, x1 = xs(0.0), xs(v)
        body.append(f'<rect x="{min(x0, x1):.1f}" y="{y + 2}" width="{max(1.0, abs(x1 - x0)):.1f}" height="{row - 5}" '
                    f'fill="{color(i)}"/>')
        body.append(f'<text x="{max(x0, x1) + 4:.1f}" y="{y + 12}" {FONT}>{_esc(compact(v))}</text>')
    return _svg(height, body, str(data.get("field", "")))


def importance_svg(data: dict[str, Any]) -> str:
    """One row a parameter: its importance as a bar (green when it raises the metric, red when it
    lowers it), with the importance and the correlation written beside it."""
    params = data.get("params") or []
    if not params:
        text = f"Too few runs with numbers to tell ({data.get('runs_used', 0)} of at least 3)"
        return _svg(80, [f'<text x="{W / 2}" y="44" text-anchor="middle" {FONT}>{_esc(text)}</text>'], "empty chart")
    row, left = 18, 190
    xs = _Scale(0.0, 1.0, left, W - RIGHT - 170)
    body = []
    for i, p in enumerate(params):
        y = TOP + i * row
        corr = p.get("correlation")
        fill = "#98a2b3" if corr is None else ("#2e7d32" if corr >= 0 else "#c62828")
        body.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" {FONT}>{_esc(str(p["name"])[:34])}</text>')
        width = max(1.0, xs(float(p["importance"])) - left)
        body.append(f'<rect x="{left}" y="{y + 2}" width="{width:.1f}" height="{row - 5}" fill="{fill}"/>')
        said = f"importance {p['importance']:.2f}, correlation " + ("n/a" if corr is None else f"{corr:+.2f}")
        body.append(f'<text x="{left + width + 4:.1f}" y="{y + 12}" {FONT}>{_esc(said)}</text>')
    label = f"importance of each parameter for {data.get('metric', '')}"
    return _svg(TOP + 8 + row * len(params), body, label)


def _categorical(values: list[Any]) -> tuple[list[float | None], list[str] | None]:
    nums = [_num(v) for v in values]
    if all(n is not None or v is None for n, v in zip(nums, values)):
        return nums, None
    cats = sorted({str(v) for v in values if v is not None})
    return [float(cats.index(str(v))) if v is not None else None for v in values], cats


def scatter_svg(data: dict[str, Any]) -> str:
    runs = data.get("runs", [])
    xv, xcats = _categorical([r.get("x") for r in runs])
    yv, ycats = _categorical([r.get("y") for r in runs])
    pts = [(x, y, i) for i, (x, y) in enumerate(zip(xv, yv)) if x is not None and y is not None]
    if not pts:
        return _svg(80, [f'<text x="{W / 2}" y="44" text-anchor="middle" {FONT}>No data</text>'], "empty chart")
    xs = _Scale(min(p[0] for p in pts), max(p[0] for p in pts), LEFT + 8, W - RIGHT - 8)
    ys = _Scale(min(p[1] for p in pts), max(p[1] for p in pts), H - BOTTOM - 8, TOP + 8)
    body = _frame(xs if xcats is None else None, ys, _ticks(xs.lo, xs.hi), _ticks(ys.lo, ys.hi), H)
    if xcats:
        body += [f'<text x="{xs(i):.1f}" y="{H - 10}" text-anchor="middle" {FONT}>{_esc(c[:16])}</text>'
                 for i, c in enumerate(xcats)]
    for x, y, i in pts:
        body.append(f'<circle cx="{xs(x):.1f}" cy="{ys(y):.1f}" r="4" fill="{color(i)}" fill-opacity="0.8">'
                    f'<title>{_esc(runs[i]["name"])}</title></circle>')
    body.append(f'<text x="{W - RIGHT}" y="{H - 1}" text-anchor="end" {FONT}>{_esc(data.get("x", ""))}</text>')
    body.append(f'<text x="{LEFT}" y="{TOP - 1}" {FONT}>{_esc(data.get("y", ""))}</text>')
    return _svg(H, body, f"{data.get('y', '')} against {data.get('x', '')}")


def parallel_svg(data: dict[str, Any]) -> str:
    fields: list[str] = data.get("fields", [])
    runs = data.get("runs", [])
    if not fields or not runs:
        return _svg(80, [f'<text x="{W / 2}" y="44" text-anchor="middle" {FONT}>No data</text>'], "empty chart")
    top, bottom = TOP + 14, H - BOTTOM
    right = 60  # room for the last axis' labels
    step = (W - LEFT - right) / max(1, len(fields) - 1)
    columns = []
    body = []
    for j, f in enumerate(fields):
        vals, cats = _categorical([r["values"][j] for r in runs])
        present = [v for v in vals if v is not None]
        scale = _Scale(min(present), max(present), bottom, top) if present else None
        columns.append((vals, scale))
        x = LEFT + j * step
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" stroke="#98a2b3"/>')
        body.append(f'<text x="{x:.1f}" y="{TOP + 4}" text-anchor="middle" {FONT}>{_esc(f[-24:])}</text>')
        if scale is not None:
            lo_label = cats[0] if cats else compact(scale.lo)
            hi_label = cats[-1] if cats else compact(scale.hi)
            body.append(f'<text x="{x + 3:.1f}" y="{bottom + 12}" {FONT}>{_esc(lo_label)}</text>')
            body.append(f'<text x="{x + 3:.1f}" y="{top - 2}" {FONT}>{_esc(hi_label)}</text>')
    for i, r in enumerate(runs):
        pts = []
        for j, (vals, scale) in enumerate(columns):
            v = vals[i]
            if v is not None and scale is not None:
                pts.append(f"{LEFT + j * step:.1f},{scale(v):.1f}")
        if len(pts) > 1:
            body.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="{color(i)}" stroke-opacity="0.7">'
                        f'<title>{_esc(r["name"])}</title></polyline>')
    return _svg(H, body, "parallel coordinates of " + ", ".join(fields))


def table_html(data: dict[str, Any]) -> str:
    fields: list[str] = data.get("fields", [])
    head = "".join(f"<th>{_esc(f)}</th>" for f in fields)
    rows = []
    for r in data.get("runs", []):
        cells = "".join(f"<td>{_esc(_show(v))}</td>" for v in r["values"])
        rows.append(f"<tr><td>{_esc(r['name'])}</td>{cells}</tr>")
    return f'<table class="runs"><thead><tr><th>run</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _show(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


# A media item's URL: (item, "thumbnail" | "file") → the report's own endpoint, a data: URI, or None.
MediaUrl = Callable[[dict[str, Any], str], "str | None"]


def histogram_svg(h: dict[str, Any], label: str) -> str:
    """Histograms over time as a heatmap: steps across, bins up, darker for more."""
    steps, edges, counts = h["steps"], h["edges"], h["counts"]
    height = 160
    x0, x1, y0, y1 = LEFT, W - RIGHT, TOP, height - BOTTOM
    cw, ch = (x1 - x0) / max(1, len(steps)), (y1 - y0) / max(1, len(edges) - 1)
    peak = h.get("max") or 1.0
    body = []
    for i, row in enumerate(counts):
        for j, c in enumerate(row):
            if c > 0:
                body.append(f'<rect x="{x0 + i * cw:.1f}" y="{y1 - (j + 1) * ch:.1f}" width="{cw + 0.3:.1f}" '
                            f'height="{ch + 0.3:.1f}" fill="#3559e0" fill-opacity="{0.08 + 0.92 * min(1.0, c / peak):.2f}"/>')
    body.append(f'<text x="{x0}" y="{height - 8}" {FONT}>step {_esc(steps[0])}</text>')
    body.append(f'<text x="{x1}" y="{height - 8}" text-anchor="end" {FONT}>step {_esc(steps[-1])}</text>')
    body.append(f'<text x="{x0 - 4}" y="{y1}" text-anchor="end" {FONT}>{_esc(compact(edges[0]))}</text>')
    body.append(f'<text x="{x0 - 4}" y="{y0 + 8}" text-anchor="end" {FONT}>{_esc(compact(edges[-1]))}</text>')
    return _svg(height, body, label)


def _media_item(item: dict[str, Any], url: MediaUrl) -> str:
    caption = _esc(item.get("caption") or "")
    thumb = url(item, "thumbnail") if item.get("thumbnail") else None
    file = url(item, "file")
    kind = item.get("kind")
    if kind == "audio" and file:
        shown = f'<audio controls preload="none" src="{_esc(file)}"></audio>'
    elif kind == "video" and file and (item.get("content_type") or "").startswith("video/"):
        poster = f' poster="{_esc(thumb)}"' if thumb else ""
        shown = f'<video controls preload="none" muted src="{_esc(file)}"{poster}></video>'
    elif thumb:
        shown = f'<img src="{_esc(thumb)}" alt="{caption}" loading="lazy">'
    else:
        why = {"failed": "failed", "pending": "processing"}.get(item.get("status") or "", kind or "")
        shown = f'<div class="media-none">{_esc(why)}</div>'
    return (f'<figure class="media-item" data-testid="report-media-item">{shown}'
            f'<figcaption>{caption}</figcaption></figure>')


def media_html(data: dict[str, Any], url: MediaUrl) -> str:
    """A media panel: per run, its items of the key (thumbnails, captions), or its histograms over time."""
    out = []
    for r in data.get("runs", []):
        if "histogram" in r:
            h = r["histogram"]
            shown = histogram_svg(h, f"{data['key']} of {r['name']}") if h else '<div class="media-none">no histograms</div>'
            out.append(f'<div class="media-run"><div class="media-run-name">{_esc(r["name"])}</div>{shown}</div>')
            continue
        step = "" if r.get("step") is None else f' <span class="muted">step {_esc(r["step"])}</span>'
        items = "".join(_media_item(i, url) for i in r.get("items", [])) or '<div class="media-none">nothing at this step</div>'
        out.append(f'<div class="media-run"><div class="media-run-name">{_esc(r["name"])}{step}</div>'
                   f'<div class="media-items">{items}</div></div>')
    return f'<div class="report-media">{"".join(out)}</div>'


def panel_figure(data: dict[str, Any], panel: dict[str, Any], media_url: MediaUrl | None = None) -> str:
    """The panel's chart (or table) as HTML with inline SVG."""
    kind = data.get("kind")
    if kind == "media":
        return media_html(data, media_url or (lambda item, what: None))
    if kind == "line":
        return line_svg(data, panel)
    if kind == "bar":
        return bar_svg(data)
    if kind == "scatter":
        return scatter_svg(data)
    if kind == "parallel":
        return parallel_svg(data)
    if kind == "importance":
        return importance_svg(data)
    return table_html(data)
