// The compare page: show only the keys whose values differ, or those matching a filter.
function mountCompare(table) {
  const onlyDiff = document.getElementById("cmp-only-diff");
  const filter = document.getElementById("cmp-filter");
  const params = new URLSearchParams(location.search);
  onlyDiff.checked = params.get("diff") === "1";
  function apply() {
    table.classList.toggle("only-diff", onlyDiff.checked);
    const q = filter.value.trim().toLowerCase();
    for (const tr of table.querySelectorAll("tr[data-key]")) {
      tr.hidden = q !== "" && !tr.dataset.key.toLowerCase().includes(q);
    }
    const p = new URLSearchParams(location.search);
    if (onlyDiff.checked) p.set("diff", "1"); else p.delete("diff");
    // Only when something changed, and with the run list's commas as typed: a
    // rewrite at load (to "runs=a%2Cb") changed the address under whoever had
    // just opened it, and anything waiting for that address waited forever.
    if (p.toString() !== new URLSearchParams(location.search).toString()) {
      history.replaceState(null, "", "?" + p.toString().replace(/%2C/gi, ","));
    }
  }
  onlyDiff.addEventListener("change", apply);
  filter.addEventListener("input", apply);
  apply();
}

const table = document.querySelector(".cmp-table");  // absent with fewer than two runs
if (table) mountCompare(table);
