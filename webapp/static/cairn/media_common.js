// What the media modules share: the path check for files a run's own files
// point at, how numbers read, the failed and caption boxes of an item, and
// the JSON of a logged file.
import * as cairn from "./api.js";

const el = cairn.el;

// A path read from a logged file (a table cell, a mask) must stay a file of this run.
export function runPath(path) {
  return typeof path === "string" && path !== "" && !path.startsWith("/") && !path.includes("\\")
    && !path.split("/").some((seg) => seg === "" || seg === "." || seg === "..");
}

export function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return String(+v.toPrecision(4));
}

export function failedBox(m) {
  return el("div", { class: "media-failed", "data-testid": "media-failed" },
    el("strong", { text: "Failed" }), el("span", { text: m.error || "No reason recorded." }));
}

export function captionOf(m) {
  return m.caption ? el("figcaption", { class: "media-caption", "data-testid": "media-caption", text: m.caption }) : null;
}

// Plain fetch, not cairn.get: a logged file's JSON may hold bare NaN and Infinity.
export async function fetchJson(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(response.statusText || String(response.status));
  return JSON.parse((await response.text()).replace(/\bNaN\b|-?\bInfinity\b/g, "null"));
}
