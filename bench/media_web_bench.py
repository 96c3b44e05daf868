"""Media panels in Chromium: the histogram-over-time panel and the image panel, beside MLflow's image grid.

    .venv/bin/python bench/media_web_bench.py [--quick] [--tries 5] [--no-peers]

Starts a real Cairn server on a fresh PostgreSQL database (as bench/web_bench.py
does) and seeds two runs: one logging a 64-bin histogram at each of 1,000 steps
(through the history API), one with 10,000 logged images (1,000 steps × a
gallery of 10; Media rows with thumbnails as the pipeline leaves them). Then,
in Debian's Chromium through Playwright, each figure the median of --tries
after one untimed warm-up:

- histogram panel: navigation → heatmap on the canvas; also the panel's own
  time (its request and drawing) and the canvas drawing alone;
- image panel: navigation → the panel's items on the page, and → the thumbnails
  on screen loaded (the panel is scrolled into view as soon as it appears);
- a step change: the slider's key press → the new step's thumbnails on screen.

MLflow's run page shows images logged with `log_image(key=, step=)` in an image
card with a step slider: bench/peers/mlflow_images.py logs the same 10,000
images (PNG, 40×30) and the same page timing is taken there. MLflow has no
histogram view; Aim's run page has a Distributions tab drawing a heatmap of
tracked `aim.Distribution`s over steps: bench/peers/aim_distributions.py tracks
the same 1,000 × 64 histograms and serves them with `aim up`, and the
after-navigation time is taken there (Aim samples 50 steps by default).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.web_bench import PG, browser_context, median, sign_in  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402
from tests.web.media_seed import (  # noqa: E402
    log_histograms,
    media_rows_create,
    png,
    project_create,
    run_url,
    upload,
)

TIMEOUT_MS = 120_000
SIZES = {"full": {"hist_steps": 1000, "bins": 64, "image_steps": 1000, "gallery": 10},
         "quick": {"hist_steps": 1000, "bins": 64, "image_steps": 100, "gallery": 10}}

# Before any page script: records when each thing is first on the page (window.__at).
PROBE = """
(() => {
  window.__at = {};
  const onScreen = (e) => { const r = e.getBoundingClientRect();
    return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth && r.width > 0; };
  window.__thumbsLoaded = (panel) => {
    const imgs = [...panel.querySelectorAll("img.media-img")].filter(onScreen);
    return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  };
  const tick = () => {
    const at = window.__at;
    const panel = document.querySelector("[data-testid=media-panel][data-kind=image]");
    if (panel && panel.dataset.drawnAt && !("panel" in at)) { at.panel = performance.now(); panel.scrollIntoView(); }
    if ("panel" in at && !("thumbs" in at) && window.__thumbsLoaded(panel)) at.thumbs = performance.now();
    const hist = document.querySelector("[data-testid=histogram-panel] .hist-view[data-drawn-at]");
    if (hist && !("hist" in at)) {
      at.hist = performance.now(); at.hist_panel_ms = +hist.dataset.loadMs; at.hist_draw_ms = +hist.dataset.drawMs;
    }
    if (!("thumbs" in at) || !("hist" in at)) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

# Resolves with ms from the slider's key press to the new step's thumbnails loaded on screen.
WATCH_STEP = """
() => { window.__step = new Promise((resolve) => {
  const panel = document.querySelector("[data-testid=media-panel][data-kind=image]");
  const before = panel.dataset.step;
  let t0 = null;
  document.addEventListener("keydown", (e) => { if (t0 === null) t0 = e.timeStamp; }, {capture: true, once: true});
  const check = () => {
    if (t0 !== null && panel.dataset.step !== before && window.__thumbsLoaded(panel)) return resolve(performance.now() - t0);
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}); }
"""

# The canvas drawing alone, on a random 1,000 × 64 matrix: median of 20 draws.
DRAW_ONLY = """
async ([steps, bins]) => {
  const {drawHeatmap} = await import("/static/cairn/media_histogram.js");
  const data = {steps: [], edges: [], counts: [], max: 0};
  for (let b = 0; b <= bins; b++) data.edges.push(-4 + 8 * b / bins);
  for (let s = 0; s < steps; s++) {
    data.steps.push(s);
    const row = [];
    for (let b = 0; b < bins; b++) { const c = Math.round(1000 * Math.random()); row.push(c); data.max = Math.max(data.max, c); }
    data.counts.push(row);
  }
  const canvas = document.createElement("canvas");
  document.body.append(canvas);
  const times = [];
  for (let i = 0; i < 20; i++) times.push(drawHeatmap(canvas, data, {width: 1300, height: 220}));
  canvas.remove();
  times.sort((a, b) => a - b);
  return times[10];
}
"""


def seed(server: ServerProcess, sz: dict[str, int]) -> str:
    project, s = project_create(server, prefix="media")
    hist = run_url(server, project, "hist")
    s.put(hist, json={"name": "histograms"}).raise_for_status()
    log_histograms(s, hist, "weights", sz["hist_steps"], sz["bins"])
    images = run_url(server, project, "images")
    s.put(images, json={"name": "images"}).raise_for_status()
    upload(s, images, "media/full.png", png(40, 30, (90, 120, 200)))
    rows = [{"key": "samples", "step": step, "index": i, "kind": "image", "path": f"media/samples/{step}_{i}.png",
             "caption": f"sample {i} at step {step}", "status": "ready", "width": 40, "height": 30,
             "content_type": "image/png", "meta": {"boxes": [{"box": [4, 4, 20, 15], "label": "cat"}]},
             "thumb": [(step * 7) % 255, (i * 25) % 255, 128]}
            for step in range(sz["image_steps"]) for i in range(sz["gallery"])]
    media_rows_create(server, project, "images", rows)
    return project


def until(page: Any, url: str, keys: list[str]) -> dict[str, float]:
    page.add_init_script(PROBE)
    page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    page.wait_for_function("(keys) => keys.every((k) => k in window.__at)", arg=keys, timeout=TIMEOUT_MS)
    return dict(page.evaluate("window.__at"))


def navigations(context: Any, url: str, keys: list[str], tries: int) -> list[dict[str, float]]:
    """tries + 1 navigations: the first (browser and server caches cold) then the timed ones."""
    out = []
    for _ in range(tries + 1):
        page = context.new_page()
        try:
            out.append(until(page, url, keys))
        finally:
            page.close()
    return out


def summary(runs: list[dict[str, float]], key: str) -> dict[str, Any]:
    xs = [r[key] for r in runs]
    return {"ms": round(median(xs), 1), "all_ms": [round(x, 1) for x in xs]}


def step_changes(context: Any, url: str, tries: int) -> dict[str, Any]:
    page = context.new_page()
    until(page, url, ["thumbs"])
    times = []
    slider = page.locator("[data-testid=media-panel][data-kind=image] [data-testid=media-slider]")
    for _ in range(tries + 1):
        page.evaluate(WATCH_STEP)
        slider.press("ArrowLeft")
        times.append(page.evaluate("window.__step"))
    page.close()
    return {"ms": round(median(times[1:]), 1), "all_ms": [round(t, 1) for t in times[1:]]}


def cairn(sz: dict[str, int], tries: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp), extra_env={"CAIRN_WEB_WORKERS": "2"})
        try:
            server.start()
            t0 = time.perf_counter()
            project = seed(server, sz)
            out["seed_s"] = round(time.perf_counter() - t0, 1)
            print(f"[media-web] Cairn seeded in {out['seed_s']} s", file=sys.stderr)
            with sync_playwright() as pw:
                browser, ctx = browser_context(pw)
                sign_in(ctx, server)
                base = f"{server.url}/local/{project}/runs"
                cold, *hist = navigations(ctx, f"{base}/hist", ["hist"], tries)
                out["hist_first_open"] = {k: round(cold[k], 1) for k in ("hist", "hist_panel_ms", "hist_draw_ms")}
                out["hist_after_navigation"] = summary(hist, "hist")
                out["hist_panel"] = summary(hist, "hist_panel_ms")
                out["hist_draw"] = summary(hist, "hist_draw_ms")
                page = ctx.new_page()
                page.goto(f"{base}/hist")
                page.wait_for_selector(".hist-view[data-drawn-at]")
                out["heatmap_draw_only_ms"] = round(float(page.evaluate(DRAW_ONLY, [sz["hist_steps"], sz["bins"]])), 2)
                page.close()
                cold, *images = navigations(ctx, f"{base}/images", ["panel", "thumbs"], tries)
                out["images_first_open"] = {k: round(cold[k], 1) for k in ("panel", "thumbs")}
                out["images_panel"] = summary(images, "panel")
                out["images_thumbs"] = summary(images, "thumbs")
                out["images_step_change"] = step_changes(ctx, f"{base}/images", tries)
                browser.close()
        except BaseException:
            print(server.log_tail(), file=sys.stderr)
            raise
        finally:
            server.cleanup()
    return out


# MLflow: until the image card's images on screen are loaded (it is scrolled into view when it appears).
MLFLOW_PROBE = """
(() => {
  window.__at = {};
  const onScreen = (e) => { const r = e.getBoundingClientRect();
    return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth && r.width > 0; };
  const tick = () => {
    const imgs = [...document.querySelectorAll("img")].filter((i) => /get-artifact|artifacts/.test(i.currentSrc || i.src));
    if (imgs.length && !("panel" in window.__at)) { window.__at.panel = performance.now(); imgs[0].scrollIntoView(); }
    const seen = imgs.filter(onScreen);
    if ("panel" in window.__at && seen.length && seen.every((i) => i.complete && i.naturalWidth > 0)) { window.__at.thumbs = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""


def mlflow(sz: dict[str, int], tries: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    py = ROOT / "bench" / ".venv-peers" / "bin" / "python"
    if not py.exists():
        return {"error": "bench/.venv-peers missing: run bench/setup-peers.sh"}
    n = sz["image_steps"] * sz["gallery"]
    proc = subprocess.Popen([str(py), str(ROOT / "bench" / "peers" / "mlflow_images.py"), "--steps", str(sz["image_steps"]),
                             "--gallery", str(sz["gallery"])], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info: dict[str, Any] = {}
        for line in proc.stdout:
            if line.startswith("{"):
                info = json.loads(line)
                break
        if "url" not in info:
            return {"error": "mlflow_images.py did not start; see its stderr"}
        print(f"[media-web] MLflow seeded {n} images in {info['seed_s']} s", file=sys.stderr)
        url = f"{info['url']}/#/experiments/{info['experiment_id']}/runs/{info['run_id']}/model-metrics"
        with sync_playwright() as pw:
            browser, ctx = browser_context(pw)
            runs: list[dict[str, float]] = []
            try:
                for _ in range(tries + 1):
                    page = ctx.new_page()
                    try:
                        page.add_init_script(MLFLOW_PROBE)
                        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
                        page.wait_for_function("() => 'thumbs' in window.__at", timeout=TIMEOUT_MS)
                        runs.append(dict(page.evaluate("window.__at")))
                    finally:
                        page.close()
            except Exception as e:  # not shown in time, or the peer's UI changed under us: no figure invented
                done = len(runs)
                return {"error": f"MLflow's image card did not show its images within {TIMEOUT_MS // 1000} s"
                                 f" (navigation {done + 1}; {type(e).__name__}) on {url}", "url": url,
                        "images": n, "seed_s": info["seed_s"], "before": [round(r["thumbs"], 1) for r in runs]}
            finally:
                browser.close()
        cold, *warm = runs
        return {"images_panel": summary(warm, "panel"), "images_thumbs": summary(warm, "thumbs"),
                "images_first_open": {k: round(cold[k], 1) for k in ("panel", "thumbs")},
                "images": n, "seed_s": info["seed_s"], "version": info.get("version"), "url": url}
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=120)


# Aim: until its distributions heatmap (the second Highcharts chart of the run's Distributions tab) has cells.
AIM_PROBE = """
(() => {
  window.__at = {};
  const tick = () => {
    const charts = document.querySelectorAll("svg.highcharts-root");
    if (charts.length >= 2 && charts[1].querySelectorAll(".highcharts-point").length > 0) {
      window.__at.hist = performance.now();
      window.__at.cells = charts[1].querySelectorAll(".highcharts-point").length;
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""


def aim(sz: dict[str, int], tries: int) -> dict[str, Any]:
    """Aim's run page, Distributions tab: a heatmap of the tracked distributions over steps."""
    from playwright.sync_api import sync_playwright

    py = ROOT / "bench" / ".venv-peers" / "bin" / "python"
    if not py.exists():
        return {"error": "bench/.venv-peers missing: run bench/setup-peers.sh"}
    proc = subprocess.Popen([str(py), str(ROOT / "bench" / "peers" / "aim_distributions.py"), "--steps", str(sz["hist_steps"]),
                             "--bins", str(sz["bins"])], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info: dict[str, Any] = {}
        for line in proc.stdout:
            if line.startswith("{"):
                info = json.loads(line)
                break
        if "url" not in info:
            return {"error": "aim_distributions.py did not start; see its stderr"}
        url = f"{info['url']}/runs/{info['run_hash']}/distributions"
        with sync_playwright() as pw:
            browser, ctx = browser_context(pw)
            runs: list[dict[str, float]] = []
            try:
                for _ in range(tries + 1):
                    page = ctx.new_page()
                    try:
                        page.add_init_script(AIM_PROBE)
                        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
                        page.wait_for_function("() => 'hist' in window.__at", timeout=60_000)
                        runs.append(dict(page.evaluate("window.__at")))
                    finally:
                        page.close()
            except Exception as e:  # the peer's UI changed under us: say so rather than invent a figure
                return {"error": f"Aim's distributions heatmap was not found on {url}: {type(e).__name__}", "url": url}
            finally:
                browser.close()
        cold, *warm = runs
        return {"hist_after_navigation": summary(warm, "hist"), "hist_first_open": round(cold["hist"], 1),
                "cells": warm[-1]["cells"], "version": info.get("version"), "url": url}
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=120)


def report(r: dict[str, Any]) -> None:
    c, m, a, sz = r["cairn"], r.get("mlflow", {}), r.get("aim", {}), r["sizes"]
    n = sz["image_steps"] * sz["gallery"]

    def row(what: str, ms: float, floor: float | None, peer: float | None = None, peer_note: str = "—") -> str:
        ratio = "—" if not peer else f"{peer / ms:.1f}× faster" if peer >= ms else f"{ms / peer:.1f}× slower"
        ok = "" if floor is None else f"≤ {floor:,.0f} ({'ok' if ms <= floor else 'MISSED'})"
        return f"| {what} | {ms:,.1f} | {f'{peer:,.0f}' if peer else peer_note} | {ratio} | {ok or '—'} |"

    hs, hb = sz["hist_steps"], sz["bins"]
    aim_ms = a.get("hist_after_navigation", {}).get("ms")
    print("\n| measure (ms, median) | Cairn | peer | ratio | floor |\n| --- | --- | --- | --- | --- |")
    for line in [
        row(f"Histogram panel, {hs:,} steps × {hb} bins: drawn after navigation (peer: Aim's Distributions tab)",
            c["hist_after_navigation"]["ms"], None, aim_ms, peer_note="Aim failed"),
        row("Same panel: its request and drawing (panel load → drawn)", c["hist_panel"]["ms"], 500, peer_note="no peer UI"),
        row("Same panel, first open (server computes, nothing cached): request and drawing",
            c["hist_first_open"]["hist_panel_ms"], 500, peer_note="no peer UI"),
        row("Same panel: the canvas drawing alone (page data)", c["hist_draw"]["ms"], 500, peer_note="no peer UI"),
        row(f"Canvas drawing alone, random {hs:,} × {hb} matrix (median of 20)", c["heatmap_draw_only_ms"], 500,
            peer_note="no peer UI"),
        row(f"Image panel, run with {n:,} images: items on the page after navigation (peer: MLflow's image card)",
            c["images_panel"]["ms"], 1000,
            m.get("images_panel", {}).get("ms")),
        row("Same: on-screen thumbnails loaded after navigation", c["images_thumbs"]["ms"], 1000,
            m.get("images_thumbs", {}).get("ms")),
        row("Same, first open (browser cache cold): thumbnails loaded", c["images_first_open"]["thumbs"], 1000,
            m.get("images_first_open", {}).get("thumbs")),
        row("Step slider: key press → new step's thumbnails loaded", c["images_step_change"]["ms"], None),
    ]:
        print(line)
    if "error" in m:
        print(f"\nMLflow: {m['error']}")
    if "error" in a:
        print(f"\nAim: {a['error']}")
    print("\nPeers: MLflow's run page (Model metrics) shows images logged with log_image(key, step) in a card"
          " with a step slider, one image of the first step; Cairn's panel shows the newest step's gallery."
          " MLflow has no histogram view; Aim's Distributions tab draws a heatmap of 50 sampled steps by"
          f" default ({a.get('cells', '?')} cells), Cairn's all {hs:,} steps. No step-change or panel-only figure"
          " was taken on the peers.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="100 image steps instead of 1,000: a smoke run")
    ap.add_argument("--tries", type=int, default=5)
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()
    os.environ["DATABASE_URL"] = PG
    sz = SIZES["quick" if args.quick else "full"]
    results: dict[str, Any] = {"sizes": sz, "tries": args.tries, "cpus": os.cpu_count(), "load1": os.getloadavg()[0]}
    results["cairn"] = cairn(sz, args.tries)
    results["mlflow"] = {} if args.no_peers else mlflow(sz, args.tries)
    results["aim"] = {} if args.no_peers else aim(sz, args.tries)
    print(json.dumps(results, indent=2))
    report(results)


if __name__ == "__main__":
    main()
