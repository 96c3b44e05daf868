// The reports list: the "new report" form (members only) makes a draft and opens its editor.
import * as cairn from "./api.js";
import { pageData } from "./util.js";

const page = pageData();
const form = document.getElementById("report-new");
if (form) form.addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const r = await cairn.post(page.api, { title: form.title.value });
    location.href = `${page.base}${r.id}/edit`;
  } catch (err) { document.getElementById("report-new-error").textContent = err.message; }
});
