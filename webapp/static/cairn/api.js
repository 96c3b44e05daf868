// A small fetch wrapper for the pages: session auth with the CSRF token, and
// non-finite numbers as strings ("NaN", "Infinity"), since JSON.parse cannot
// read the bare tokens the API uses by default. Also how API values are shown,
// and `el`, the one way the pages build DOM (text never parsed as HTML).
// Modules take it whole: `import * as cairn from "./api.js"`.
import { ago, exact } from "./util.js";
function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}
async function request(method, url, body) {
  const headers = { "X-Cairn-Nonfinite": "string", "Accept": "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = csrfToken();
    init.body = JSON.stringify(body);
  } else if (method !== "GET") {
    headers["X-CSRFToken"] = csrfToken();
  }
  const response = await fetch(url, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const err = new Error((data && data.error) || response.statusText);
    err.status = response.status;
    err.data = data;
    throw err;
  }
  return data;
}
export const get = (url) => request("GET", url);
export const post = (url, body) => request("POST", url, body === undefined ? {} : body);
export const put = (url, body) => request("PUT", url, body);
export const patch = (url, body) => request("PATCH", url, body);
export const del = (url) => request("DELETE", url);

// A number from the API, where non-finite ones arrive as strings.
export function num(v) {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return null;
}
// Text for display; never HTML: callers put it in textContent.
export function show(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(+v.toPrecision(6));
  if (typeof v === "object") return mediaText(v) || JSON.stringify(v);
  return String(v);
}
// A logged media reference ({"_type": ...}, see docs/media.md) in a few words:
// its JSON (paths, digests, every bin) says nothing to a reader.
function mediaText(v) {
  if (Array.isArray(v) || typeof v._type !== "string") return "";
  const n = (k, one, many) => `${k} ${k === 1 ? one : many}`;
  switch (v._type) {
    case "images": return `[${n((v.items || []).length, "image", "images")}]`;
    case "media-list": return `[${n((v.items || []).length, "item", "items")}]`;
    case "image": return v.width && v.height ? `[image ${v.width}×${v.height}]` : "[image]";
    case "histogram": return `[histogram, ${n((v.counts || []).length, "bin", "bins")}]`;
    case "table": return "[table]";
    default: return `[${v._type}]`;
  }
}
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// A date as the pages show it, everywhere the same: how long ago, the exact
// moment on hover (util.js's `ago` and `exact`); "—" for none.
export function moment(iso, attrs) {
  if (!iso) return el("span", Object.assign({ class: "muted", text: "—" }, attrs));
  return el("time", Object.assign({ datetime: iso, title: exact(iso), text: ago(iso) }, attrs));
}

