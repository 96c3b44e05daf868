// What every page does: the top bar's organisation switch, and selects that
// submit their form when changed. Here rather than in onchange attributes, so
// the pages need no inline script.
const orgSwitch = document.querySelector("select.org-switch");
if (orgSwitch) orgSwitch.addEventListener("change", () => {
  if (orgSwitch.value) location.href = `/${encodeURIComponent(orgSwitch.value)}/`;
});

for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}
