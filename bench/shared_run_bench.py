"""The run page of a shared run in Chromium: 64 writers (one per rank and host).

    .venv/bin/python bench/shared_run_bench.py [--quick] [--tries 5] [--writers 64]

Starts a real Cairn server on a fresh PostgreSQL database (as bench/web_bench.py
does) and builds one shared run through the ingest API, as 64 ranks of a
distributed job would: each rank joins as a writer (`shared`, its host and pid)
and has 12 system metrics (what the agent samples on a one-GPU host) every
10 s for 2 hours (sent in the order live ranks' would land, see seed()) and 50
console lines; rank 0 logs 10 metrics over 20,000 steps.
Then, in Debian's Chromium through Playwright (median of --tries after one
untimed warm-up, times taken in the page from the start of the navigation, at
the first animation frame where the thing is on the page):

- the page drawn: the overview's 64 writers, the metric charts, the first
  writer's system charts and every console line of the merged view; the other
  writers' groups are closed and have no charts yet;
- for scale, the same page of a run that is not shared (one process, the same
  metrics and system keys), measured the same way on the same server;
- opening a closed writer's group: the click to its charts drawn;
- a writer's console tab: the click to its lines on the page.

There is no peer here: W&B's run page is not something we can run on this
machine, so each figure is printed beside its floor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.server_bench import session  # noqa: E402
from bench.web_bench import BATCH, PG, browser_context, median, sign_in  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

TIMEOUT_MS = 60_000
SYSTEM_KEYS = ["cpu.percent", "proc.cpu.percent", "proc.memory.rss_mb", "memory.percent", "memory.used_mb",
               "gpu.0.util", "gpu.0.memory.percent", "gpu.0.memory.used_mb", "gpu.0.temp", "gpu.0.power_w",
               "disk.read_mb", "net.sent_mb"]
METRICS = [f"m{i}" for i in range(10)]
SIZES = {  # full: the sizes; quick: a smoke run
    "full": {"system_samples": 720, "console_lines": 50, "steps": 20_000},
    "quick": {"system_samples": 100, "console_lines": 10, "steps": 2_000},
}

# Before any page script: records (window.__at) the first animation frame at
# which each part of the page is drawn, and how many charts exist then.
PROBE = """
(() => {
  const want = %s;
  window.__at = {};
  // Drawn charts in the first grid matching `selector`: the metrics, or the (first writer's) system charts.
  const drawn = (selector) => {
    const grid = document.querySelector(selector);
    return grid ? (window.cairnCharts || []).filter((c) => c.u && c.el.dataset.drawnAt && grid.contains(c.el)).length : 0;
  };
  const tests = {
    // Counted without a selector over every line: the probe runs at every frame.
    writers: () => (document.querySelector("[data-testid=writers] tbody") || {}).childElementCount >= want.writers,
    metrics: () => drawn("[data-testid=run-charts]") >= want.metrics,
    system: () => drawn("[data-testid=system-charts]") >= want.system,
    console: () => (document.querySelector("[data-testid=console]") || {}).childElementCount >= want.lines,
  };
  const tick = () => {
    for (const [k, test] of Object.entries(tests)) if (!(k in window.__at) && test()) window.__at[k] = performance.now();
    if (Object.keys(tests).every((k) => k in window.__at)) window.__at.charts = (window.cairnCharts || []).length;
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

# ms from a click on writer `label`'s system group ("group") or console tab
# ("tab") to the first frame with its `n` charts drawn, or its `n` lines shown.
CLICK_UNTIL = """
([what, label, n]) => new Promise((resolve) => {
  const selector = what === "group" ? `[data-testid=system-group][data-writer="${label}"] summary`
    : `[data-testid=console-tab][data-writer="${label}"]`;
  const done = what === "group"
    ? () => (window.cairnCharts || []).filter((c) => c.u && c.el.dataset.drawnAt && c.key.startsWith(label + "/")).length >= n
    : () => { const lines = document.querySelectorAll("[data-testid=console] .line");
              return lines.length === n && lines[0].textContent.startsWith(`[${label}]`); };
  const target = document.querySelector(selector);
  let t0 = null;
  target.addEventListener("click", (e) => { t0 = e.timeStamp; }, { capture: true, once: true });
  const tick = () => { if (t0 !== null && done()) resolve(performance.now() - t0); else requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  target.click();
})
"""


# --- Seeding ------------------------------------------------------------------


def seed(server: ServerProcess, run_id: str, writers: int, sz: dict[str, int]) -> str:
    """Run `run_id` of project local/ddp: `writers` ranks, each with its system metrics and console.

    With one writer the run is not shared (the page as it was before writers):
    the baseline. Live agents send each system sample as it is taken, so a
    shared run's rows interleave: one sample of each rank in turn. Here those
    rows are sent in that order in batches of BATCH (one request per rank and
    sample would take most of an hour), with the keys under each rank's label
    as the server would have put them: the series stored, and so the page, are
    the same.
    """
    s = session(server)
    base = f"{server.url}/api/v1/projects/local/ddp"
    run = f"{base}/runs/{run_id}"
    shared = writers > 1
    labels = [f"rank-{r}" for r in range(writers)]
    for r, label in enumerate(labels):  # the primary first: it names the run
        writer = {"id": label, "label": label, "host": f"gpu{r:02d}", "pid": 4000 + r, "shared": shared, "primary": r == 0}
        s.put(run, json={"name": run_id, "writer": writer}).raise_for_status()
        lines = [{"time": 1.7e9 + i, "stream": "stdout", "line": f"[{label}] epoch {i}: loss {1 / (i + 1):.4f}"}
                 for i in range(sz["console_lines"])]
        s.post(f"{run}/streams/console", json={"offset": 0, "writer": label, "records": lines}).raise_for_status()
    n = sz["system_samples"]
    values = np.round(50 + 10 * np.random.default_rng(0).standard_normal((n, writers, len(SYSTEM_KEYS))), 3).tolist()
    prefixes = [f"{label}/" if shared else "" for label in labels]
    rows = [{"time": 1.7e9 + 10 * i + 0.01 * r, "data": {prefixes[r] + k: v for k, v in zip(SYSTEM_KEYS, values[i][r])}}
            for i in range(n) for r in range(writers)]
    for start in range(0, len(rows), BATCH):
        s.post(f"{run}/streams/system", json={"offset": start, "records": rows[start:start + BATCH]}).raise_for_status()
    # Rank 0's training history.
    rng = np.random.default_rng(0)
    for start in range(0, sz["steps"], BATCH):
        n = min(BATCH, sz["steps"] - start)
        trend = 1.0 / (1 + np.arange(start, start + n) / 1000)
        history = np.round(trend[:, None] + rng.normal(0, 0.02, (n, len(METRICS))), 5).tolist()
        records = [{"step": start + i, "time": 1.7e9 + (start + i) * 0.3, "data": dict(zip(METRICS, history[i]))}
                   for i in range(n)]
        s.post(f"{run}/streams/history", json={"offset": start, "writer": "rank-0", "records": records}).raise_for_status()
    # Every rank finishes, the primary last: the run is finished, and its page has no live refresh to time.
    for label in [*labels[1:], labels[0]]:
        s.post(f"{run}/finish", json={"exit_code": 0, "writer": label}).raise_for_status()
    return f"{server.url}/local/ddp/runs/{run_id}"


# --- Measuring in the browser ---------------------------------------------------


def page_load(context: Any, url: str, want: dict[str, Any], tries: int) -> dict[str, Any]:
    times: list[float] = []
    parts: dict[str, list[float]] = {}
    charts = 0
    for i in range(tries + 1):
        page = context.new_page()
        try:
            page.add_init_script(PROBE % json.dumps(want))
            page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
            page.wait_for_function("() => 'charts' in window.__at", timeout=TIMEOUT_MS)
            at = page.evaluate("window.__at")
        finally:
            page.close()
        if i:  # the first one warms the cache
            charts = at.pop("charts")
            times.append(max(at.values()))
            for k, v in at.items():
                parts.setdefault(k, []).append(v)
    return {"ms": median(times), "all_ms": [round(t, 1) for t in times], "charts_built": charts,
            "parts_ms": {k: round(median(v), 1) for k, v in parts.items()}}


def clicks(context: Any, url: str, want: dict[str, Any], tries: int) -> dict[str, Any]:
    """Opening the group of writer 1, 2, ... and its console tab, each once per try, on one page."""
    page = context.new_page()
    page.add_init_script(PROBE % json.dumps(want))
    page.goto(url, timeout=TIMEOUT_MS)
    page.wait_for_function("() => 'charts' in window.__at", timeout=TIMEOUT_MS)
    groups, tabs = [], []
    for i in range(1, tries + 2):
        groups.append(page.evaluate(CLICK_UNTIL, ["group", f"rank-{i}", want["system"]]))
        tabs.append(page.evaluate(CLICK_UNTIL, ["tab", f"rank-{i}", want["lines_each"]]))
    page.close()
    return {"group_ms": median(groups[1:]), "group_all_ms": [round(t, 1) for t in groups[1:]],
            "tab_ms": median(tabs[1:]), "tab_all_ms": [round(t, 1) for t in tabs[1:]]}


def cairn(writers: int, sz: dict[str, int], tries: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp), extra_env={"CAIRN_WEB_WORKERS": "2"})
        try:
            server.start()
            t0 = time.perf_counter()
            session(server).post(f"{server.url}/api/v1/orgs/local/projects", json={"slug": "ddp"}).raise_for_status()
            url = seed(server, "job", writers, sz)
            single = seed(server, "single", 1, sz)
            out["seed_s"] = round(time.perf_counter() - t0, 1)
            print(f"[shared-run] seeded in {out['seed_s']} s", file=sys.stderr)
            want = {"writers": writers, "metrics": len(METRICS), "system": len(SYSTEM_KEYS),
                    "lines": writers * sz["console_lines"], "lines_each": sz["console_lines"]}
            with sync_playwright() as pw:
                browser, ctx = browser_context(pw)
                sign_in(ctx, server)
                out["single_page"] = page_load(ctx, single, {**want, "writers": 0, "lines": sz["console_lines"]}, tries)
                out["page"] = page_load(ctx, url, want, tries)
                out.update(clicks(ctx, url, want, tries))
                browser.close()
        except BaseException:
            print(server.log_tail(), file=sys.stderr)
            raise
        finally:
            server.cleanup()
    return out


# --- Report -----------------------------------------------------------------------


def report(r: dict[str, Any]) -> None:
    c, sz, n = r["cairn"], r["sizes"], r["writers"]

    def row(what: str, ms: float, floor: float | None) -> str:
        ok = f"≤ {floor:,.0f} ({'ok' if ms <= floor else 'MISSED'})" if floor else "—"
        return f"| {what} | {ms:,.0f} | — | {ok} |"

    print("\n| measure (ms, median) | Cairn | W&B | floor |\n| --- | --- | --- | --- |")
    print(row(f"Run page of a shared run, {n} writers × {len(SYSTEM_KEYS)} system keys × {sz['system_samples']} samples, "
              f"{n * sz['console_lines']:,} console lines, {len(METRICS)} metrics × {sz['steps']:,} steps: "
              f"writers, metric charts, first writer's system charts and console drawn", c["page"]["ms"], 1000))
    print(row(f"The same page of a run that is not shared (one process, {sz['console_lines']} console lines), "
              "in the same run of this script: for scale", c["single_page"]["ms"], None))
    print(row("Opening another writer's system group: click to its charts drawn", c["group_ms"], None))
    print(row("A writer's console tab: click to its lines shown", c["tab_ms"], None))
    print(f"\nCharts built at load: {c['page']['charts_built']} (of {len(METRICS) + n * len(SYSTEM_KEYS)} if every "
          f"group were open); each part after navigation: {c['page']['parts_ms']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller data: a smoke run")
    ap.add_argument("--tries", type=int, default=5)
    ap.add_argument("--writers", type=int, default=64)
    args = ap.parse_args()
    os.environ["DATABASE_URL"] = PG
    sz = SIZES["quick" if args.quick else "full"]
    results: dict[str, Any] = {"sizes": sz, "writers": args.writers, "tries": args.tries, "cpus": os.cpu_count(),
                               "load1": os.getloadavg()[0]}
    results["cairn"] = cairn(args.writers, sz, args.tries)
    print(json.dumps(results, indent=2))
    report(results)


if __name__ == "__main__":
    main()
