"""A public report's speed in Chromium, signed out, beside MLflow's UI, from one run.

    .venv/bin/python bench/report_bench.py [--quick] [--tries 5] [--no-peers]

Starts a real Cairn server on a fresh PostgreSQL database (as bench/web_bench.py
does), logs 50 runs of 100,000 steps of 10 metrics into a private project over
HTTP, and publishes a public report on it: a paragraph of text, then 10 line
chart panels (one metric each) over the 50 runs, then more text. A fresh
browser context (nobody signed in) opens the report's public link; times are
ms after navigation (performance.now()) at the first animation frame at which:

- first: the text is on the page and the first panel has drawn its chart;
- readable: the text is on the page and every panel in the first screen
  (1400 × 900: three, the third just begun) has drawn its chart;
- every panel: all 10 charts drawn.

Measured for the live report (data read from the runs on each visit) and the
same report frozen (data stored at publication). Each figure is the median of
--tries, after one untimed warm-up.

No peer has public reports (MLflow has none; W&B's are on its SaaS only), so
the closest equivalent is timed beside it: MLflow's metric page for the same
50 runs, one metric, at the size MLflow can be seeded with in minutes, against
a Cairn report with one chart of those 50 runs at that size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.server_bench import session  # noqa: E402
from bench.web_bench import PG, browser_context, log_history, median  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

TIMEOUT_MS = 120_000
SIZES = {
    "full": {"runs": 50, "steps": 100_000, "panels": 10, "mlflow_steps": 2_000},
    "quick": {"runs": 50, "steps": 10_000, "panels": 10, "mlflow_steps": 200},
}

# Before any page script: at each animation frame, the first time each condition held.
PROBE = """
(() => {
  window.__at = {};
  const drawn = (f) => f.dataset.drawn === "1" || !!f.querySelector("svg");
  const tests = {
    text: () => !!document.querySelector(".report-text p"),
    first: () => !!document.querySelector(".report-text p") && drawn(document.querySelector("figure.report-panel")),
    readable: () => {
      const figs = [...document.querySelectorAll("figure.report-panel")];
      const first = figs.filter((f) => f.getBoundingClientRect().top < innerHeight);
      return !!document.querySelector(".report-text p") && first.length > 0 && first.every(drawn);
    },
    all: () => {
      const figs = [...document.querySelectorAll("figure.report-panel")];
      return figs.length > 0 && figs.every(drawn);
    },
    plotly: () => [...document.querySelectorAll(".js-plotly-plot .scatterlayer path.js-line")]
      .filter((p) => (p.getAttribute("d") || "").length > 20).length >= (window.__traces || 1),
  };
  const tick = () => {
    for (const k of window.__want || []) if (!(k in window.__at) && tests[k]()) window.__at[k] = performance.now();
    if ((window.__want || []).some((k) => !(k in window.__at))) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""


def until(page: Any, url: str, want: list[str], traces: int = 0) -> dict[str, float]:
    page.add_init_script(f"window.__want = {json.dumps(want)}; window.__traces = {traces};" + PROBE)
    page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    page.wait_for_function("(keys) => keys.every((k) => k in window.__at)", arg=want, timeout=TIMEOUT_MS)
    at: dict[str, float] = page.evaluate("""() => {
      const api = performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/"));
      return {...window.__at, bytes: api.reduce((n, e) => n + (e.encodedBodySize || 0), 0)};
    }""")
    return at


def navigations(ctx: Any, url: str, want: list[str], tries: int, traces: int = 0) -> dict[str, Any]:
    runs: list[dict[str, float]] = []
    for i in range(tries + 1):
        page = ctx.new_page()
        try:
            at = until(page, url, want, traces)
        finally:
            page.close()
        if i:  # the first one warms the cache
            runs.append(at)
    out: dict[str, Any] = {}
    for k in [*want, "bytes"]:
        out[k] = median([r[k] for r in runs])
        out[f"{k}_all"] = [round(r[k], 1) for r in runs]
    return out


def report_publish(s: Any, base: str, project: str, keys: list[str], runs: list[str], frozen: bool) -> str:
    text = ("Fifty runs of the same model, one seed each. The loss falls for all of them; the charts below "
            "show each metric, every run overlaid, with its min-max band.")
    blocks: list[dict[str, Any]] = [{"id": "intro", "type": "text", "text": f"## Training\n\n{text}"}]
    for k in keys:
        blocks.append({"id": f"c-{k}", "type": "panel", "panel": {
            "kind": "line", "title": k, "keys": [k], "runset": {"runs": runs}}})
    blocks.append({"id": "end", "type": "text", "text": "That is all."})
    r = s.post(f"{base}/api/v1/projects/local/{project}/reports", json={"title": "Fifty runs", "blocks": blocks})
    r.raise_for_status()
    key = r.json()["id"]
    s.post(f"{base}/api/v1/reports/{key}/publish", json={"visibility": "public", "frozen": frozen}).raise_for_status()
    return f"{base}/r/{key}/"


def cairn(sz: dict[str, int], tries: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp), extra_env={"CAIRN_WEB_WORKERS": "2"})
        try:
            server.start()
            s = session(server)
            u = server.url
            keys = [f"m{i}" for i in range(sz["panels"])]
            ids = [f"r{i:02d}" for i in range(sz["runs"])]
            t0 = time.perf_counter()
            base = f"{u}/api/v1/projects/local/study"
            with ThreadPoolExecutor(max_workers=3) as pool:
                list(pool.map(lambda i: log_history(s, base, ids[i], keys, sz["steps"], i), range(sz["runs"])))
            small = f"{u}/api/v1/projects/local/small"
            with ThreadPoolExecutor(max_workers=3) as pool:
                list(pool.map(lambda i: log_history(s, small, ids[i], ["loss"], sz["mlflow_steps"], i), range(sz["runs"])))
            out["seed_s"] = round(time.perf_counter() - t0, 1)
            print(f"[report] Cairn seeded in {out['seed_s']} s", file=sys.stderr)
            live = report_publish(s, u, "study", keys, ids, frozen=False)
            frozen = report_publish(s, u, "study", keys, ids, frozen=True)
            one = report_publish(s, u, "small", ["loss"], ids, frozen=False)
            with sync_playwright() as pw:
                browser, ctx = browser_context(pw)  # nobody signed in
                out["live"] = navigations(ctx, live, ["text", "first", "readable", "all"], tries)
                out["frozen"] = navigations(ctx, frozen, ["text", "first", "readable", "all"], tries)
                out["one_chart_small"] = navigations(ctx, one, ["all"], tries)
                # The project itself stays closed to this visitor.
                page = ctx.new_page()
                out["project_page_status"] = page.goto(f"{u}/local/study/").status
                page.close()
                browser.close()
        except BaseException:
            print(server.log_tail(), file=sys.stderr)
            raise
        finally:
            server.cleanup()
    return out


def mlflow(runs: int, steps: int, tries: int) -> dict[str, Any]:
    """MLflow's metric page for `runs` runs of one metric (plotly over each run's full history)."""
    from playwright.sync_api import sync_playwright

    py = ROOT / "bench" / ".venv-peers" / "bin" / "python"
    if not py.exists():
        return {"error": "bench/.venv-peers missing: run bench/setup-peers.sh"}
    proc = subprocess.Popen([str(py), str(ROOT / "bench" / "peers" / "mlflow_ui.py"), "--runs", str(runs), "--steps", str(steps),
                             "--db", "postgresql://postgres@127.0.0.1:5432/cairn_bench_mlflow_report"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info: dict[str, Any] = {}
        for line in proc.stdout:
            if line.startswith("{"):
                info = json.loads(line)
                break
        if "url" not in info:
            return {"error": "mlflow_ui.py did not start; see its stderr"}
        print(f"[report] MLflow seeded in {info['seed_s']} s", file=sys.stderr)
        ids, exp = json.dumps(info["run_ids"]), json.dumps([info["experiment_id"]])
        url = (f"{info['url']}/#/metric/?runs={quote(ids)}&metric={quote(json.dumps('loss'))}&experiments={quote(exp)}"
               f"&plot_metric_keys={quote(json.dumps(['loss']))}&plot_layout={{}}&x_axis=step&y_axis_scale=linear"
               "&line_smoothness=1&show_point=false&deselected_curves=[]&last_linear_y_axis_range=[]")
        with sync_playwright() as pw:
            browser, ctx = browser_context(pw)
            # A visit takes MLflow most of a minute here: three tries, not more.
            result = {"one_chart_small": navigations(ctx, url, ["plotly"], min(tries, 3), traces=runs),
                      "points": info["points"], "seed_s": info["seed_s"]}
            browser.close()
        return result
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=60)


def report(r: dict[str, Any]) -> None:
    c, m, sz = r["cairn"], r.get("mlflow", {}), r["sizes"]

    def row(what: str, ms: float, floor: float | None, peer: float | None = None) -> str:
        ratio = f"{peer / ms:.1f}× faster" if peer else "—"
        limit = f"≤ {floor:,.0f} ({'ok' if ms <= floor else 'MISSED'})" if floor else "—"
        return f"| {what} | {ms:,.0f} | {f'{peer:,.0f}' if peer else '—'} | {ratio} | {limit} |"

    n = f"{sz['panels']} charts × {sz['runs']} runs × {sz['steps']:,} steps"
    peer = m.get("one_chart_small", {}).get("plotly")
    print("\n| public report, signed out (ms after navigation, median) | Cairn | MLflow | ratio | floor |")
    print("| --- | --- | --- | --- | --- |")
    for line in [
        row(f"Live report, {n}: text shown", c["live"]["text"], None),
        row(f"Live report, {n}: text and the first chart drawn", c["live"]["first"], None),
        row(f"Live report, {n}: readable (text + every chart of the first screen: 3)", c["live"]["readable"], 1000),
        row(f"Live report, {n}: every panel drawn", c["live"]["all"], 2000),
        row("Frozen report, same: text and the first chart drawn", c["frozen"]["first"], None),
        row("Frozen report, same: readable", c["frozen"]["readable"], 1000),
        row("Frozen report, same: every panel drawn", c["frozen"]["all"], 2000),
        row(f"One chart of {sz['runs']} runs × {sz['mlflow_steps']:,} steps (MLflow: its metric page, signed-in-less UI)",
            c["one_chart_small"]["all"], None, peer),
    ]:
        print(line)
    print(f"\nPanel data fetched by the live report: {c['live']['bytes'] / 1e6:.1f} MB (compressed size as sent).")
    print(f"The report's project page, signed out: HTTP {c['project_page_status']}.")
    if "error" in m:
        print(f"MLflow: {m['error']}")
    print("No peer has public reports: MLflow has none, W&B's are on its SaaS only. The MLflow row is its metric page"
          f" (one chart, the closest thing) at {sz['mlflow_steps']:,} steps a run, as much as log_batch seeds in minutes.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10,000 steps a run: a smoke run")
    ap.add_argument("--tries", type=int, default=5)
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()
    os.environ["DATABASE_URL"] = PG
    sz = SIZES["quick" if args.quick else "full"]
    results: dict[str, Any] = {"sizes": sz, "tries": args.tries, "cpus": os.cpu_count(), "load1": os.getloadavg()[0]}
    results["cairn"] = cairn(sz, args.tries)
    results["mlflow"] = {} if args.no_peers else mlflow(sz["runs"], sz["mlflow_steps"], args.tries)
    print(json.dumps(results, indent=2))
    report(results)


if __name__ == "__main__":
    main()
