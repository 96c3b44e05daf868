// The run page's files: the list with sizes and dates, a preview of one (the
// first PREVIEW_BYTES of a text file, an image, a diff coloured by line), and
// the code diff the agent saved (code/diff.patch). File names and contents are
// put on the page as text.
import * as cairn from "./api.js";
import { fileSize as size, fileUrl as runFileUrl } from "./util.js";

const el = cairn.el;
const PREVIEW_BYTES = 100 * 1024;
const TEXT_EXT = /\.(txt|log|md|py|json|jsonl|ya?ml|toml|cfg|ini|csv|tsv|patch|diff|sh|js|ts|html|css|xml|rst)$/i;
const MEDIA_DIR = "media/";  // where the agent writes logged media (agent/_media/_base.py)
const IMAGE_EXT = /\.(png|jpe?g|gif|webp|bmp|svg)$/i;


function diffView(text) {
  const pre = el("pre", { class: "diff" });
  for (const line of text.split("\n")) {
    let cls = "";
    if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ") || line.startsWith("index ")) cls = "d-file";
    else if (line.startsWith("+")) cls = "d-add";
    else if (line.startsWith("-")) cls = "d-del";
    else if (line.startsWith("@@")) cls = "d-hunk";
    pre.append(el("span", { class: `d-line ${cls}`, text: line + "\n" }));
  }
  return pre;
}

// runApi: the run's API URL. load() redraws the list when a file changed and
// returns it; loadDiff(files, run) shows the diff once there is one.
export function runFiles(runApi) {
  const filesTable = el("table", { class: "grid", "data-testid": "files" });
  const preview = el("div", { class: "preview", "data-testid": "file-preview" });
  let filesSig = "";

  function fileUrl(path) { return runFileUrl(runApi, path); }

  async function textHead(path) {
    const response = await fetch(fileUrl(path), { credentials: "same-origin" });
    if (!response.ok) throw new Error(response.statusText);
    const reader = response.body.getReader();
    const parts = [];
    let got = 0;
    while (got < PREVIEW_BYTES) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      got += value.length;
    }
    reader.cancel().catch(() => {});
    const bytes = new Uint8Array(Math.min(got, PREVIEW_BYTES));
    let at = 0;
    for (const p of parts) { const take = p.subarray(0, bytes.length - at); bytes.set(take, at); at += take.length; if (at >= bytes.length) break; }
    return { text: new TextDecoder().decode(bytes), cut: got > PREVIEW_BYTES };
  }

  async function showPreview(f) {
    const head = el("div", { class: "preview-head" }, el("strong", { text: f.path }), " ",
      el("a", { href: fileUrl(f.path), download: "", text: "Download" }));
    if (IMAGE_EXT.test(f.path) || (f.content_type || "").startsWith("image/")) {
      preview.replaceChildren(head, el("img", { src: fileUrl(f.path), alt: f.path, class: "preview-img" }));
      return;
    }
    if (TEXT_EXT.test(f.path) || (f.content_type || "").startsWith("text/") || f.size < 4096) {
      preview.replaceChildren(head, el("p", { class: "muted", text: "Loading…" }));
      try {
        const { text, cut } = await textHead(f.path);
        const body = f.path.endsWith(".patch") || f.path.endsWith(".diff") ? diffView(text) : el("pre", { class: "file-text", text });
        preview.replaceChildren(head, body, cut ? el("p", { class: "muted", text: "Showing the first 100 KB." }) : "");
      } catch (e) {
        preview.replaceChildren(head, el("p", { class: "error", text: `Could not load: ${e.message}` }));
      }
      return;
    }
    preview.replaceChildren(head, el("p", { class: "muted", text: "No preview for this file type." }));
  }

  function fileRow(f) {
    return el("tr", {},
      el("td", {}, el("button", { class: "link", text: f.path, onclick: () => showPreview(f) })),
      el("td", { text: size(f.size) }),
      el("td", {}, cairn.moment(f.updated_at)),
      el("td", {}, el("a", { href: fileUrl(f.path), download: "", text: "Download" })));
  }

  const mediaTable = el("table", { class: "grid", "data-testid": "media-files" });
  const mediaSummary = el("summary", { "data-testid": "media-files-summary" });
  const mediaBox = el("details", { class: "media-files", hidden: "" }, mediaSummary, mediaTable);

  async function loadFiles() {
    const body = await cairn.get(`${runApi}/files/`);
    const sig = body.results.map((f) => f.path + f.sha256).join();
    if (sig === filesSig) return body.results;
    filesSig = sig;
    if (!body.results.length) {
      filesTable.replaceChildren(el("tr", {}, el("td", { class: "muted", text: "No files." })));
      return body.results;
    }
    // The files of logged media (images, tables...) are drawn in the Charts tab:
    // listed apart, folded, so that the run's own files are not lost among them.
    const own = body.results.filter((f) => !f.path.startsWith(MEDIA_DIR));
    const media = body.results.filter((f) => f.path.startsWith(MEDIA_DIR));
    const head = () => el("tr", {}, el("th", { text: "Path" }), el("th", { text: "Size" }), el("th", { text: "Updated" }), el("th", { text: "" }));
    filesTable.replaceChildren(head(), ...own.map(fileRow));
    if (!own.length) filesTable.append(el("tr", {}, el("td", { class: "muted", colspan: "4", text: "No files but logged media." })));
    mediaBox.hidden = !media.length;
    mediaSummary.textContent = `Media files (${media.length}), drawn in the Charts tab`;
    mediaTable.replaceChildren(head(), ...media.map(fileRow));
    return body.results;
  }

  // --- Code diff ---------------------------------------------------------

  const diffBox = el("div", { "data-testid": "diff" });
  let diffShown = false;
  async function loadDiff(files, run) {
    if (diffShown) return;
    const f = files.find((x) => x.path === "code/diff.patch");
    if (!f) { diffBox.replaceChildren(el("p", { class: "muted", text: run && run.system && run.system.git && run.system.git.dirty === false ? "No uncommitted changes." : "No diff recorded." })); return; }
    diffShown = true;
    const { text, cut } = await textHead(f.path);
    diffBox.replaceChildren(diffView(text), cut ? el("p", { class: "muted", text: "Showing the first 100 KB." }) : "");
  }

  return { table: filesTable, media: mediaBox, preview, diffBox, load: loadFiles, loadDiff };
}
