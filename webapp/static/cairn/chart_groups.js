// Runs drawn as groups: a group's line is the mean of its runs at each x, its
// band their min and max there (each run read by linear interpolation inside
// its own x range, so a run that stopped early does not drag the mean after it).

const MAX_POINTS = 1000;

function interpAt(xs, ys, x) {
  const n = xs.length;
  if (!n || x < xs[0] || x > xs[n - 1]) return null;
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid; else hi = mid;
  }
  const a = +ys[lo], b = +ys[hi];
  if (xs[hi] === xs[lo]) return Number.isFinite(a) ? a : null;
  const v = a + ((x - xs[lo]) / (xs[hi] - xs[lo])) * (b - a);
  return Number.isFinite(v) ? v : null;
}

// runs: [{xs, ys}] of one group → {xs, ys (mean), mins, maxs, runs (how many at each x)}, or null.
export function groupPoints(runs) {
  const live = runs.filter((r) => r && r.xs.length);
  if (!live.length) return null;
  let grid = [...new Set(live.flatMap((r) => Array.from(r.xs)))].sort((a, b) => a - b);
  if (grid.length > MAX_POINTS) {
    const lo = grid[0], hi = grid[grid.length - 1];
    grid = Array.from({ length: MAX_POINTS }, (_, i) => lo + ((hi - lo) * i) / (MAX_POINTS - 1));
  }
  const out = { xs: [], ys: [], mins: [], maxs: [], runs: [] };
  for (const x of grid) {
    let sum = 0, n = 0, mn = Infinity, mx = -Infinity;
    for (const r of live) {
      const v = interpAt(r.xs, r.ys, x);
      if (v === null) continue;
      sum += v; n++;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    if (!n) continue;
    out.xs.push(x); out.ys.push(sum / n); out.mins.push(mn); out.maxs.push(mx); out.runs.push(n);
  }
  return out.xs.length ? out : null;
}
