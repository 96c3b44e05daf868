// Items the page plays or embeds: video and audio players (an animated GIF as
// an image), Plotly figures, and HTML in a sandboxed iframe (an opaque origin:
// its scripts cannot reach this page or the API).
import * as cairn from "./api.js";
import { captionOf, failedBox, fetchJson, fmt } from "./media_common.js";

const el = cairn.el;
// Plotly (a classic script, no ES module build) loads on the first figure.
const PLOTLY_SRC = new URL("../vendor/plotly.min.js", import.meta.url).href;

export function playerItem(m, kind) {
  const fig = el("figure", { class: `media-item media-${kind}`, "data-testid": "media-item", dataset: { status: m.status, step: String(m.step) } });
  if (m.status === "failed") { fig.append(failedBox(m), captionOf(m) || ""); return fig; }
  if (kind === "video" && (m.content_type === "image/gif" || (m.meta || {}).format === "gif" || /\.gif$/i.test(m.path))) {
    // An animated GIF (what the agent logs without PyAV) is an image, not something <video> plays.
    fig.append(el("img", { src: m.file_url, alt: m.caption || m.key, class: "media-img", loading: "lazy", "data-testid": "media-gif" }), captionOf(m) || "");
    return fig;
  }
  const player = el(kind, { controls: "", preload: "metadata", src: m.file_url, "data-testid": `media-${kind}` });
  if (kind === "video" && m.thumbnail_url) player.setAttribute("poster", m.thumbnail_url);
  if (kind === "video" && m.width && m.height) { player.setAttribute("width", String(m.width)); player.setAttribute("height", String(m.height)); }
  fig.append(player);
  const facts = [];
  if (m.duration) facts.push(`${fmt(m.duration)} s`);
  const meta = m.meta || {};
  if (meta.fps) facts.push(`${meta.fps} fps`);
  if (meta.sample_rate) facts.push(`${meta.sample_rate} Hz`);
  if (facts.length) fig.append(el("div", { class: "muted media-facts", text: facts.join(" · ") }));
  const cap = captionOf(m);
  if (cap) fig.append(cap);
  return fig;
}

let plotlyLoading = null;
export function plotly() {
  if (globalThis.Plotly) return Promise.resolve(globalThis.Plotly);
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const s = el("script", { src: PLOTLY_SRC });
      s.onload = () => resolve(globalThis.Plotly);
      s.onerror = () => { plotlyLoading = null; reject(new Error("Plotly did not load")); };
      document.head.append(s);
    });
  }
  return plotlyLoading;
}

export function plotlyItem(m) {
  const fig = el("figure", { class: "media-item media-plotlybox", "data-testid": "media-item", dataset: { status: m.status } });
  if (m.status === "failed") { fig.append(failedBox(m)); return fig; }
  const target = el("div", { class: "media-plotly", "data-testid": "media-plotly" }, el("p", { class: "muted", text: "Loading…" }));
  fig.append(target, captionOf(m) || "");
  Promise.all([fetchJson(m.file_url), plotly()]).then(([figure, Plotly]) => {
    target.replaceChildren();
    const layout = Object.assign({ autosize: true, height: 340, margin: { l: 48, r: 16, t: 32, b: 40 } }, (figure && figure.layout) || {});
    return Plotly.newPlot(target, (figure && figure.data) || [], layout, { displaylogo: false, responsive: true });
  }).then(() => { target.dataset.drawn = "1"; })
    .catch((e) => target.replaceChildren(el("p", { class: "error", text: `Could not draw the figure: ${e.message}` })));
  return fig;
}

export function htmlItem(m) {
  const fig = el("figure", { class: "media-item media-htmlbox", "data-testid": "media-item", dataset: { status: m.status } });
  if (m.status === "failed" || !m.html_url) { fig.append(failedBox(m)); return fig; }
  // No allow-same-origin, ever: with it the document's scripts could remove the sandbox.
  fig.append(el("iframe", { src: m.html_url, sandbox: "allow-scripts", referrerpolicy: "no-referrer", loading: "lazy",
    class: "media-html", "data-testid": "media-html", title: m.caption || m.key }), captionOf(m) || "");
  return fig;
}
