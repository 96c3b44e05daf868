// A run's alerts (W&B's run.alert) in the run page's overview: the newest
// first, each with its level as a badge, how many times it was raised, and
// when. Titles and texts are the run author's: put on the page as text.
import * as cairn from "./api.js";
import { when } from "./util.js";

const el = cairn.el;
const SHOWN = 20;

export function alertsOverview(runUrl) {
  const list = el("ul", { class: "alerts", "data-testid": "alerts" });
  const more = el("p", { class: "muted" });
  const box = el("div", { class: "alerts-box", hidden: "" }, el("h3", { text: "Alerts" }), list, more);

  function item(a) {
    const head = el("div", { class: "alert-head" },
      el("span", { class: `alert-level ${a.level}`, "data-testid": "alert-level", text: a.level }), " ",
      el("strong", { "data-testid": "alert-title", text: a.title }));
    if (a.count > 1) head.append(" ", el("span", { class: "muted", "data-testid": "alert-count", text: `×${a.count}` }));
    head.append(" ", el("span", { class: "muted", text: when(a.created_at) }));
    return el("li", { "data-testid": "alert" }, head, a.text ? el("div", { class: "alert-text", text: a.text }) : "");
  }

  async function load() {
    const { results } = await cairn.get(`${runUrl}/alerts`);
    list.replaceChildren(...results.slice(0, SHOWN).map(item));
    more.textContent = results.length > SHOWN ? `and ${results.length - SHOWN} older` : "";
    box.hidden = results.length === 0;
  }

  return { box, load };
}
