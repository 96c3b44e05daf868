// What the pages share besides the API: the data the server put in the page,
// and the URLs of a run and its files.

const parsed = new Map();

// A `{{ value|json_script:id }}` block, parsed once however many modules ask; null if absent.
export function jsonScript(id) {
  if (!parsed.has(id)) {
    const node = document.getElementById(id);
    parsed.set(id, node ? JSON.parse(node.textContent) : null);
  }
  return parsed.get(id);
}

// The page's own settings (`page-data`): its API root, what the user may do.
export function pageData() {
  return jsonScript("page-data");
}

// A run's API root, under a project's API root.
export function runUrl(api, runId) {
  return `${api}/runs/${encodeURIComponent(runId)}`;
}

// A run file's URL: each path segment encoded, the slashes kept.
export function fileUrl(run, path) {
  return `${run}/files/${String(path).split("/").map(encodeURIComponent).join("/")}`;
}
