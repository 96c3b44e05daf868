"""Web page speed in Chromium, Cairn beside MLflow's UI, from one run.

    .venv/bin/python bench/web_bench.py [--quick] [--tries 5] [--no-peers]

Starts a real Cairn server on a fresh PostgreSQL database (as
bench/server_bench.py does), seeds its own data, and drives Debian's Chromium
through Playwright. Times are taken in the page with performance.now(), whose
origin is the start of the navigation: a figure "after navigation" is the first
animation frame at which the thing is on the page (so it has been painted),
and an action's figure runs from the input event's timeStamp to the first
frame after the page changed. MLflow's metric page (plotly, full histories) is
timed the same way against bench/peers/mlflow_ui.py. Each figure is the median
of --tries, after one untimed warm-up (static files cached, as for a user
coming back).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import orjson
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.server_bench import seed_runs, session  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

PG = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CHROMIUM = os.environ.get("CAIRN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BATCH = 10_000  # rows a request, as docs/protocol.md recommends
TIMEOUT_MS = 120_000
# The runs table shows every config and summary key seed_runs writes, next to the defaults.
COLUMNS = (["state", "created_at", "runtime"] + [f"config.c{j}" for j in range(18)] + ["config.optimizer", "config.lr"]
           + [f"summary.s{j}" for j in range(18)] + ["summary.acc", "summary.`val/loss`"])
CONDITIONS = ("row", "charts", "plotly")  # what PROBE can wait for; other keys of `want` are its parameters
SIZES = {  # full: the sizes; quick: a smoke run
    "full": {"runs": 10_000, "chart_steps": 100_000, "run_steps": 1_000_000, "mlflow_steps": 10_000},
    "quick": {"runs": 1_000, "chart_steps": 10_000, "run_steps": 20_000, "mlflow_steps": 1_000},
}

# Installed before any page script: records, at each animation frame, the first
# time each condition of window.__want holds (window.__at), and can preselect
# runs for the charts the way clicking their eyes in the table would: importing
# the page's selection module (one instance per URL) as the page starts, its
# modules still loading.
PROBE = """
(() => {
  const want = %s, pick = %s;
  window.__at = {};
  if (pick) {
    import("/static/cairn/selection.js").then(({selection}) => {
      selection.reset([]);  // the table may have filled it already
      for (const id of pick) selection.toggle({id, name: id});
    });
  }
  const drawn = (n) => (window.cairnCharts || []).filter(
    (c) => c.u && c.el.dataset.drawnAt && c.u.series.length >= 1 + 3 * n);
  const tests = {
    row: () => !!document.querySelector("#runs-table tbody tr[data-run]"),
    charts: () => drawn(want.runs || 1).length >= want.charts,
    plotly: () => [...document.querySelectorAll(".js-plotly-plot .scatterlayer path.js-line")]
      .filter((p) => (p.getAttribute("d") || "").length > 20).length >= want.traces,
  };
  const tick = () => {
    for (const k of Object.keys(want)) if (tests[k] && !(k in window.__at) && tests[k]()) window.__at[k] = performance.now();
    if (Object.keys(tests).some((k) => k in want && !(k in window.__at))) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

# Resolves with ms from the input event to the frame after `#runs-table table` got new rows.
WATCH_TABLE = """
(evType) => { window.__done = new Promise((resolve) => {
  const table = document.querySelector("#runs-table table");
  let t0 = null;
  const onEvent = (e) => { if (t0 === null) t0 = e.timeStamp; };
  document.addEventListener(evType, onEvent, true);
  new MutationObserver((_, mo) => {
    if (t0 === null || !table.querySelector("tbody tr")) return;
    mo.disconnect();
    document.removeEventListener(evType, onEvent, true);
    requestAnimationFrame(() => {
      const rows = performance.getEntriesByType("resource").filter((e) => e.name.includes("/table/rows") && e.startTime >= t0);
      resolve({ms: performance.now() - t0, fetch_ms: rows.length ? rows[rows.length - 1].responseEnd - t0 : null});
    });
  }).observe(table, {childList: true});
}); }
"""

# Zooms a chart with u.setScale; ms until the frame after its draw hook fired.
ZOOM = """
([key, a, b]) => new Promise((resolve) => {
  const u = window.cairnCharts.find((c) => c.key === key && c.u).u;
  const xs = u.data[0], lo = xs[0], hi = xs[xs.length - 1];
  let done = false;
  const t0 = performance.now();
  u.hooks.draw.push(() => {
    if (done) return;
    done = true;
    requestAnimationFrame(() => resolve(performance.now() - t0));
  });
  u.setScale("x", {min: lo + (hi - lo) * a, max: lo + (hi - lo) * b});
})
"""


def median(xs: list[float]) -> float:
    return float(statistics.median(xs))


# --- Seeding ------------------------------------------------------------------


def log_history(s: requests.Session, base: str, run_id: str, keys: list[str], steps: int, seed: int) -> None:
    """`steps` steps of `keys` in one run, over HTTP in gzip batches of BATCH rows."""
    rng = np.random.default_rng(seed)
    url = f"{base}/runs/{run_id}"
    s.put(url, json={"name": run_id}).raise_for_status()
    for start in range(0, steps, BATCH):
        n = min(BATCH, steps - start)
        trend = 1.0 / (1 + np.arange(start, start + n) / 1000)
        rows = np.round(trend[:, None] + rng.normal(0, 0.02, (n, len(keys))), 5).tolist()
        records = [{"step": start + i, "time": 1.7e9 + (start + i) * 0.1, "data": dict(zip(keys, rows[i]))}
                   for i in range(n)]
        body = gzip.compress(orjson.dumps({"offset": start, "records": records}), compresslevel=1)
        s.post(f"{url}/streams/history", data=body,
               headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}).raise_for_status()
    s.post(f"{url}/finish", json={"exit_code": 0}).raise_for_status()


def seed_charts(server: ServerProcess, project: str, runs: int, steps: int) -> list[str]:
    s = session(server)
    base = f"{server.url}/api/v1/projects/local/{project}"
    ids = [f"r{i:02d}" for i in range(runs)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: log_history(s, base, ids[i], ["loss"], steps, i), range(runs)))
    return ids


def seed_table(server: ServerProcess, runs: int) -> None:
    """Project local/many: `runs` runs of 20 config keys and 20 summary metrics (COPY)."""
    s = session(server)
    s.post(f"{server.url}/api/v1/orgs/local/projects", json={"slug": "ingest"}).raise_for_status()
    seed_runs(server.env["DATABASE_URL"], runs)
    s.put(f"{server.url}/api/v1/projects/local/many/table/view", json={"columns": COLUMNS}).raise_for_status()


# --- Measuring in the browser ---------------------------------------------------


def until(page: Any, url: str, want: dict[str, int], pick: list[str] | None = None) -> dict[str, float]:
    """Navigate to `url` in a fresh page; ms after navigation at which each condition held."""
    page.add_init_script(PROBE % (json.dumps(want), json.dumps(pick)))
    page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    keys = [k for k in want if k in CONDITIONS]
    page.wait_for_function("(keys) => keys.every((k) => k in window.__at)", arg=keys, timeout=TIMEOUT_MS)
    # When the last API answer needed had arrived: the rest of the time is the page's own work.
    return dict(page.evaluate("""() => {
      const done = Math.max(...Object.values(window.__at));
      const api = performance.getEntriesByType("resource").filter((e) => /\\/(ajax-)?api\\//.test(e.name) && e.responseEnd <= done);
      return {...window.__at, api: Math.max(0, ...api.map((e) => e.responseEnd))};
    }"""))


def navigations(context: Any, url: str, want: dict[str, int], tries: int, pick: list[str] | None = None) -> dict[str, Any]:
    times, api = [], []
    for i in range(tries + 1):
        page = context.new_page()
        try:
            at = until(page, url, want, pick)
        finally:
            page.close()
        if i:  # the first one warms the cache
            times.append(max(v for k, v in at.items() if k in CONDITIONS))
            api.append(at["api"])
    return {"ms": median(times), "all_ms": [round(t, 1) for t in times], "last_api_answer_ms": round(median(api), 1)}


def table_actions(context: Any, base: str, tries: int) -> dict[str, Any]:
    """Sorting by a summary column (a click on its header) and filtering (typing + Enter)."""
    page = context.new_page()
    until(page, f"{base}/local/many/", {"row": 1})
    sorts, filters = [], []
    for i in range(tries + 1):
        col = ["summary.acc", "summary.s0", "summary.`val/loss`"][i % 3]
        page.evaluate(WATCH_TABLE, "click")
        page.click(f'#runs-table th[data-col="{col}"]')
        sorts.append(page.evaluate("window.__done"))
        page.fill("#runs-table input[name=filter]", f'config.optimizer = "adam" and summary.acc > {0.3 + 0.05 * i:.2f}')
        page.evaluate(WATCH_TABLE, "keydown")
        page.press("#runs-table input[name=filter]", "Enter")
        filters.append(page.evaluate("window.__done"))
    page.close()
    out: dict[str, Any] = {}
    for name, xs in (("sort", sorts[1:]), ("filter", filters[1:])):
        out[f"{name}_ms"] = median([x["ms"] for x in xs])
        out[f"{name}_all_ms"] = [round(x["ms"], 1) for x in xs]
        out[f"{name}_rows_answer_ms"] = median([x["fetch_ms"] or 0 for x in xs])  # the table/rows request's part
    return out


def chart_zooms(context: Any, url: str, runs: list[str], tries: int) -> dict[str, Any]:
    page = context.new_page()
    until(page, url, {"charts": 1, "runs": len(runs)}, runs)
    times = []
    for i in range(tries + 1):
        a = 0.05 + 0.1 * (i % 5)
        times.append(page.evaluate(ZOOM, ["loss", a, a + 0.2]))
        page.evaluate(ZOOM, ["loss", 0, 1])  # back to the whole run
    page.close()
    return {"ms": median(times[1:]), "all_ms": [round(t, 1) for t in times[1:]]}


def browser_context(pw: Any) -> Any:
    b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    return b, b.new_context(viewport={"width": 1400, "height": 900})


def sign_in(context: Any, server: ServerProcess) -> None:
    page = context.new_page()
    page.goto(f"{server.url}/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", (server.data_dir / "admin-password").read_text().strip())
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.close()


# --- Cairn and MLflow -------------------------------------------------------------


def cairn(sz: dict[str, int], tries: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp), extra_env={"CAIRN_WEB_WORKERS": "2"})
        try:
            server.start()
            t0 = time.perf_counter()
            seed_table(server, sz["runs"])
            charts = seed_charts(server, "charts", 20, sz["chart_steps"])
            small = seed_charts(server, "charts-small", 20, sz["mlflow_steps"])
            keys = [f"m{i:02d}" for i in range(50)]
            log_history(session(server), f"{server.url}/api/v1/projects/local/runpage", "big", keys, sz["run_steps"], 7)
            out["seed_s"] = round(time.perf_counter() - t0, 1)
            print(f"[web] Cairn seeded in {out['seed_s']} s", file=sys.stderr)
            with sync_playwright() as pw:
                browser, ctx = browser_context(pw)
                sign_in(ctx, server)
                u = server.url
                out["table_load"] = navigations(ctx, f"{u}/local/many/", {"row": 1}, tries)
                out.update(table_actions(ctx, u, tries))
                want = {"charts": 1, "runs": 20}
                out["chart_load"] = navigations(ctx, f"{u}/local/charts/", want, tries, charts)
                out["chart_zoom"] = chart_zooms(ctx, f"{u}/local/charts/", charts, tries)
                out["chart_load_small"] = navigations(ctx, f"{u}/local/charts-small/", want, tries, small)
                out["run_page"] = navigations(ctx, f"{u}/local/runpage/runs/big", {"charts": 50}, tries)
                browser.close()
        except BaseException:
            print(server.log_tail(), file=sys.stderr)
            raise
        finally:
            server.cleanup()
    return out


def mlflow(steps: int, tries: int) -> dict[str, Any]:
    """MLflow's metric page (`#/metric/?runs=[...]`: plotly over each run's full history)."""
    from playwright.sync_api import sync_playwright

    py = ROOT / "bench" / ".venv-peers" / "bin" / "python"
    if not py.exists():
        return {"error": "bench/.venv-peers missing: run bench/setup-peers.sh"}
    proc = subprocess.Popen([str(py), str(ROOT / "bench" / "peers" / "mlflow_ui.py"), "--runs", "20", "--steps", str(steps)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info: dict[str, Any] = {}
        for line in proc.stdout:  # one JSON line once it serves; anything else is noise
            if line.startswith("{"):
                info = json.loads(line)
                break
        if "url" not in info:
            return {"error": "mlflow_ui.py did not start; see its stderr"}
        print(f"[web] MLflow seeded in {info['seed_s']} s", file=sys.stderr)
        ids, exp = json.dumps(info["run_ids"]), json.dumps([info["experiment_id"]])
        url = (f"{info['url']}/#/metric/?runs={quote(ids)}&metric={quote(json.dumps('loss'))}&experiments={quote(exp)}"
               f"&plot_metric_keys={quote(json.dumps(['loss']))}&plot_layout={{}}&x_axis=step&y_axis_scale=linear"
               "&line_smoothness=1&show_point=false&deselected_curves=[]&last_linear_y_axis_range=[]")
        with sync_playwright() as pw:
            browser, ctx = browser_context(pw)
            result = {"chart_load_small": navigations(ctx, url, {"plotly": 1, "traces": 20}, tries),
                      "points": info["points"], "seed_s": info["seed_s"], "url": url}
            browser.close()
        return result
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=60)


# --- Report -----------------------------------------------------------------------


def report(r: dict[str, Any]) -> None:
    c, m, sz = r["cairn"], r.get("mlflow", {}), r["sizes"]
    mk = sz["mlflow_steps"]

    def row(what: str, ms: float, floor: float, peer: float | None = None) -> str:
        ratio = f"{peer / ms:.1f}× faster" if peer else "—"
        ok = "ok" if ms <= floor else "MISSED"
        return f"| {what} | {ms:,.0f} | {f'{peer:,.0f}' if peer else '—'} | {ratio} | ≤ {floor:,.0f} ({ok}) |"

    peer_small = m.get("chart_load_small", {}).get("ms")
    print("\n| measure (ms, median) | Cairn | MLflow | ratio | floor |\n| --- | --- | --- | --- | --- |")
    for line in [
        row(f"Project page, {sz['runs']:,} runs: first table row drawn", c["table_load"]["ms"], 1000),
        row("Sort by a summary column: click to new rows drawn", c["sort_ms"], 300),
        row("Filter: Enter to new rows drawn", c["filter_ms"], 300),
        row(f"Chart, 20 runs × {sz['chart_steps']:,} steps: drawn after navigation", c["chart_load"]["ms"], 1000),
        row("Same chart: redrawn after a zoom (setScale)", c["chart_zoom"]["ms"], 150),
        row(f"Chart, 20 runs × {mk:,} steps (MLflow's size): drawn after navigation",
            c["chart_load_small"]["ms"], 1000, peer_small),
        row(f"Run page, {sz['run_steps']:,} steps × 50 metrics: every panel drawn", c["run_page"]["ms"], 2000),
    ]:
        print(line)
    if "error" in m:
        print(f"\nMLflow: {m['error']}")
    print(f"\nMLflow was seeded with 20 runs × {mk:,} steps (log_batch runs at a few thousand points/s, so the"
          f" issue's 20 × {SIZES['full']['chart_steps']:,} is out of reach); Cairn's comparable row uses the same size.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller data: a smoke run")
    ap.add_argument("--tries", type=int, default=5)
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()
    os.environ["DATABASE_URL"] = PG
    sz = SIZES["quick" if args.quick else "full"]
    results: dict[str, Any] = {"sizes": sz, "tries": args.tries, "cpus": os.cpu_count(), "load1": os.getloadavg()[0]}
    results["cairn"] = cairn(sz, args.tries)
    results["mlflow"] = {} if args.no_peers else mlflow(sz["mlflow_steps"], args.tries)
    print(json.dumps(results, indent=2))
    report(results)


if __name__ == "__main__":
    main()
