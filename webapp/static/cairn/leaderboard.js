// The leaderboard page: the best-score-over-time chart, submitting a run,
// withdrawing, and the owner's moderation buttons. The table itself is
// rendered by the server, so the first page shows without a round trip.
// uPlot is the classic script the page loads before this module (see charts.js).
import * as cairn from "./api.js";
import { pageData } from "./util.js";

const page = pageData();
const API = page.api;

// --- Best score over time -------------------------------------------------

async function bestChart() {
  const box = document.getElementById("best-chart");
  if (!box) return;
  const body = await cairn.get(`${API}/leaderboard/best`);
  const pts = body.points.map((p) => [p.time, cairn.num(p.score)]);
  if (!pts.length) {
    box.textContent = "No entries yet.";
    box.classList.add("muted");
    return;
  }
  // A step line: the best holds until the next record; extend it to now.
  pts.push([Date.now() / 1000, pts[pts.length - 1][1]]);
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const opts = {
    width: Math.max(300, box.clientWidth || 600), height: 200,
    scales: { x: { time: true } },
    legend: { show: false },
    series: [{}, { label: page.metric, stroke: "#3559e0", width: 2, points: { show: true, size: 5 },
                   paths: globalThis.uPlot.paths.stepped({ align: 1 }) }],
  };
  const u = new globalThis.uPlot(opts, [xs, ys], box);
  box.dataset.points = String(body.points.length);
  new ResizeObserver(() => u.setSize({ width: Math.max(300, box.clientWidth), height: 200 })).observe(box);
}

// --- Actions ----------------------------------------------------------------

async function act(button) {
  const id = button.dataset.id, action = button.dataset.action;
  let url, body;
  if (action === "withdraw") {
    if (!confirm("Withdraw this submission from the leaderboard?")) return;
    url = `${API}/submissions/${id}/withdraw`;
  } else {
    let reason = "";
    if (action === "hide" || action === "reject") {
      reason = prompt(action === "hide" ? "Why is this entry hidden? (shown to its submitter)" : "Reason for rejecting (optional)");
      if (reason === null) return;
    }
    url = `${API}/submissions/${id}/moderate`;
    body = { action, reason };
  }
  button.disabled = true;
  try {
    await cairn.post(url, body);
    location.reload();
  } catch (e) {
    button.disabled = false;
    alert(e.message);
  }
}

document.addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-action]");
  if (button) { ev.preventDefault(); act(button); }
});

const form = document.getElementById("submit-form");
if (form) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const error = document.getElementById("submit-error");
    error.textContent = "";
    const data = new FormData(form);
    try {
      await cairn.post(`${API}/submissions/`, { run: data.get("run"), name: data.get("name") });
      location.reload();
    } catch (e) {
      error.textContent = e.message;
    }
  });
}

bestChart().catch(() => {});
