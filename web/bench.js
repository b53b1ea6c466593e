// The full page's `?bench[=preset][&speed=N]` mode (used by `make bench-web`):
// per-frame work time of the playground's frame loop, split in parts, and the
// browser's whole frames (requestAnimationFrame to requestAnimationFrame,
// long tasks). After BENCH_MS of wall time it writes
// { p50, p95, max, frames, whole_frame, parts, ... } to #bench-result and
// window.__benchResult.
//
// createBench($) -> { start(), record(now, marks), active }
// `marks` = [t0, t1, ..., t6]: frame start, after advance, after snapshot,
// after the stage, after the panels, after the log, after the charts.

const BENCH_MS = 10_000;

function pct(sorted, q) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function createBench($, describe) {
  const bench = {
    frames: [], parts: { advance: [], snapshot: [], draw: [], stage: [], panels: [], log: [], charts: [] }, until: 0, done: false,
    // Whole frames: requestAnimationFrame to requestAnimationFrame (JS, style,
    // layout, paint and whatever else the browser did), and long tasks (> 50 ms).
    intervals: [], lastRaf: 0, longTasks: 0, longTaskMs: 0, startedAt: 0,
    // All script in animation-frame callbacks, per frame: frame() and the
    // callbacks the charts and the event log schedule for themselves (a chart's
    // turn to redraw, the log's rows below the visible ones).
    callbacks: new Map(),
  };
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb) => raf((t) => {
    const t0 = performance.now();
    try {
      cb(t);
    } finally {
      if (bench.until && !bench.done) bench.callbacks.set(t, (bench.callbacks.get(t) || 0) + performance.now() - t0);
    }
  });
  if (typeof PerformanceObserver === 'function') {
    try {
      new PerformanceObserver((list) => {
        if (!bench.until || bench.done) return;
        for (const e of list.getEntries()) {
          bench.longTasks += 1;
          bench.longTaskMs += e.duration;
        }
      }).observe({ type: 'longtask', buffered: false });
    } catch { /* no long-task timing in this browser: reported as null */ bench.longTasks = null; }
  }

  function finish() {
    bench.done = true;
    const sorted = [...bench.frames].sort((a, b) => a - b);
    const r = (x) => Math.round(x * 1000) / 1000;
    const part = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      return { p50: r(pct(s, 0.5)), p95: r(pct(s, 0.95)), max: r(s[s.length - 1] || 0) };
    };
    const iv = [...bench.intervals].sort((a, b) => a - b);
    const wall = (performance.now() - bench.startedAt) / 1000;
    const result = {
      whole_frame: {
        fps: r(bench.intervals.length / Math.max(1e-9, wall)),
        p50: r(pct(iv, 0.5)),
        p95: r(pct(iv, 0.95)),
        max: r(iv[iv.length - 1] || 0),
        over_20ms: iv.filter((x) => x > 20).length,
        long_tasks: bench.longTasks,
        long_task_ms: bench.longTasks === null ? null : r(bench.longTaskMs),
        seconds: r(wall),
      },
      p50: r(pct(sorted, 0.5)),
      p95: r(pct(sorted, 0.95)),
      max: r(sorted[sorted.length - 1] || 0),
      frames: sorted.length,
      ...describe(),
      parts: Object.fromEntries(Object.entries(bench.parts).map(([k, xs]) => [k, part(xs)])),
      all_callbacks: part([...bench.callbacks.values()]),
    };
    window.__benchResult = result;
    const pre = $('bench-result');
    pre.textContent = JSON.stringify(result, null, 2);
    pre.hidden = false;
  }

  return {
    /** Starts measuring after the first frames (layout, fonts) settled. */
    start() {
      setTimeout(() => { bench.until = performance.now() + BENCH_MS; }, 500);
    },
    /** One frame's marks (see the module doc). */
    record(now, [t0, t1, t2, t3, t4, t5, t6]) {
      if (bench.done || !bench.until) return;
      if (!bench.startedAt) bench.startedAt = now;
      else bench.intervals.push(now - bench.lastRaf);
      bench.lastRaf = now;
      bench.frames.push(t6 - t0);
      bench.parts.advance.push(t1 - t0);
      bench.parts.snapshot.push(t2 - t1);
      bench.parts.draw.push(t6 - t2);
      bench.parts.stage.push(t3 - t2);
      bench.parts.panels.push(t4 - t3);
      bench.parts.log.push(t5 - t4);
      bench.parts.charts.push(t6 - t5);
      if (now >= bench.until) finish();
    },
  };
}
