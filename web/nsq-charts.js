// NSQ charts (uPlot), shown above the Go charts when the run has NSQ: per
// NSQ channel (topic / channel, summed over nodes) four small charts:
//
//   1. depth: memory and disk queue
//   2. in flight and deferred
//   3. requeues and timeouts per second (derived from the cumulative counters)
//   4. E2E latency p50 / p99 in ms (the worst node's, over nsqd's 5 to 10 min window)
//
// From `Sample.nsq` (`Playground.series_since`). An engine whose samples do
// not carry `nsq` yet gets one point per push from the snapshot instead (the
// same counters, at the snapshot's time). Same x window as the Go charts
// (the last WINDOW_S of virtual time). At most MAX_GROUPS channels are drawn;
// each chart redraws at most every REDRAW_MS, one chart per frame.
// Each figure has a caption and a visually hidden text summary; text only.
//
// createNsqCharts(container) -> { reset(), push(samples, snapshot), resize() }

import uPlot from './vendor/uPlot.esm.js';
import { WINDOW_S, MIN_SPAN_S, REDRAW_MS, fmtNum, withAlpha, smallChartOptions } from './charts.js';
import { el } from './dom.js';
import { E2E_WINDOW } from './nsq-table.js';

const MAX_GROUPS = 4;
const HEIGHT = 130;
const MAX_POINTS = 6000;

const SPECS = [
  { key: 'depth', title: 'Depth', unit: 'messages', series: [['memory', 'mem'], ['disk', 'disk']] },
  { key: 'inflight', title: 'In flight', unit: 'messages', series: [['in flight', 'inflight'], ['deferred', 'deferred']] },
  { key: 'rates', title: 'Requeues and timeouts', unit: 'per second', series: [['requeued/s', 'req'], ['timed out/s', 'tmo']] },
  { key: 'e2e', title: 'E2E latency', unit: 'ms', series: [['p50', 'p50'], ['p99', 'p99']], gaps: true,
    hint: `Publish to FIN, p50 and p99, the worst node's, ${E2E_WINDOW}` },
];

/** Per-channel rows of one sample (`Sample.nsq`) summed over nodes. */
function byChannel(rows) {
  const out = new Map();
  for (const r of rows) {
    const k = `${r.topic} / ${r.channel}`;
    const a = out.get(k) || { mem: 0, disk: 0, inflight: 0, deferred: 0, reqCum: 0, tmoCum: 0, p50: null, p99: null };
    a.mem += r.memory_depth;
    a.disk += r.backend_depth;
    a.inflight += r.in_flight;
    a.deferred += r.deferred;
    a.reqCum += r.requeue_count;
    a.tmoCum += r.timeout_count;
    if (r.e2e_p50_us != null) a.p50 = Math.max(a.p50 ?? 0, r.e2e_p50_us / 1000);
    if (r.e2e_p99_us != null) a.p99 = Math.max(a.p99 ?? 0, r.e2e_p99_us / 1000);
    out.set(k, a);
  }
  return out;
}

/** `Sample.nsq` rows made from a snapshot (engines whose samples lack `nsq`). */
function rowsFromSnapshot(snap) {
  const rows = [];
  for (const n of snap.nsq.nodes) {
    for (const t of n.topics) {
      for (const c of t.channels) {
        rows.push({ nsqd: n.name, topic: t.name, channel: c.name, memory_depth: c.memory_depth, backend_depth: c.backend_depth,
          in_flight: c.in_flight, deferred: c.deferred, requeue_count: c.requeue_count, timeout_count: c.timeout_count,
          e2e_p50_us: c.e2e_p50_us, e2e_p99_us: c.e2e_p99_us });
      }
    }
  }
  return rows;
}

export function createNsqCharts(container) {
  container.replaceChildren();
  const groups = new Map(); // channel key -> { data, charts[], section }
  const more = el('p', { class: 'hint', hidden: true });
  let lastT = -Infinity;
  let queued = false;

  const xRange = () => {
    const hi = Number.isFinite(lastT) ? Math.max(lastT, MIN_SPAN_S) : MIN_SPAN_S;
    return [Math.max(0, hi - WINDOW_S), hi];
  };

  function theme() {
    const cs = getComputedStyle(container);
    const palette = [1, 2, 3, 4].map((i) => cs.getPropertyValue(`--chart-${i}`).trim() || '#0072B2');
    const fg = cs.color || '#222';
    return { palette, fg, grid: withAlpha(fg, 0.15) };
  }

  function makeGroup(key) {
    const data = { t: [], mem: [], disk: [], inflight: [], deferred: [], req: [], tmo: [], p50: [], p99: [], prev: null };
    const grid = el('div', { class: 'nsq-charts-grid' });
    const section = el('section', { class: 'nsq-chart-group', 'data-nsq-chart': key }, el('h3', { text: key }), grid);
    const charts = SPECS.map((spec) => {
      const summary = el('p', { class: 'visually-hidden', text: 'No samples yet.' });
      const host = el('div', { 'aria-hidden': 'true' });
      const figure = el('figure', { class: 'ql-chart', 'data-chart': `nsq-${spec.key}`, 'aria-label': `${spec.title} of ${key} (${spec.unit}) over virtual time` },
        el('figcaption', { text: spec.title, ...(spec.hint ? { title: spec.hint } : {}) }), host, summary);
      grid.append(figure);
      return { spec, host, summary, plot: null, stale: false, drawnAt: -Infinity };
    });
    container.insertBefore(section, more);
    const g = { data, charts, section };
    for (const c of charts) build(g, c);
    return g;
  }

  function cols(g, c) {
    return [g.data.t.slice(), ...c.spec.series.map(([, k]) => g.data[k].slice())];
  }

  function build(g, c) {
    const { palette, fg, grid } = theme();
    const opts = smallChartOptions({
      width: Math.max(160, Math.floor(c.host.clientWidth || 240)), height: HEIGHT, fg, grid, xRange, unit: c.spec.unit,
      series: c.spec.series.map(([label], i) => ({ label, stroke: palette[i], width: 1.5, dash: i ? [6, 3] : undefined,
        spanGaps: Boolean(c.spec.gaps), points: { show: false }, value: (_u, v) => (v == null ? '--' : c.spec.unit === 'ms' ? `${fmtNum(v)} ms` : fmtNum(v)) })),
    });
    if (c.plot) c.plot.destroy();
    c.host.replaceChildren();
    c.plot = new uPlot(opts, cols(g, c), c.host);
  }

  /** Redraws the stale chart drawn longest ago, one per frame, each at most every REDRAW_MS. */
  function pump() {
    queued = false;
    const now = performance.now();
    let next = null;
    let g0 = null;
    for (const g of groups.values()) {
      for (const c of g.charts) if (c.stale && (!next || c.drawnAt < next.drawnAt)) { next = c; g0 = g; }
    }
    if (!next) return;
    if (now - next.drawnAt >= REDRAW_MS) {
      next.stale = false;
      next.drawnAt = now;
      next.plot.setData(cols(g0, next));
      summarize(g0, next);
    }
    queued = true;
    requestAnimationFrame(pump);
  }

  function summarize(g, c) {
    const n = g.data.t.length;
    if (!n) return;
    const parts = c.spec.series.map(([label, k]) => `${label} ${fmtNum(g.data[k][n - 1])}`);
    c.summary.textContent = `At ${fmtNum(g.data.t[n - 1])} s: ${parts.join(', ')} (${c.spec.unit}).`;
  }

  function add(t, rows) {
    const now = byChannel(rows);
    let shown = 0;
    for (const [key, a] of now) {
      if (!groups.has(key)) {
        if (groups.size >= MAX_GROUPS) continue;
        groups.set(key, makeGroup(key));
      }
      const g = groups.get(key);
      const d = g.data;
      const dt = d.prev ? t - d.prev.t : 0;
      const rate = (cum, prev) => (dt > 0 ? Math.max(0, cum - prev) / dt : null);
      d.t.push(t);
      d.mem.push(a.mem);
      d.disk.push(a.disk);
      d.inflight.push(a.inflight);
      d.deferred.push(a.deferred);
      d.req.push(d.prev ? rate(a.reqCum, d.prev.req) : null);
      d.tmo.push(d.prev ? rate(a.tmoCum, d.prev.tmo) : null);
      d.p50.push(a.p50);
      d.p99.push(a.p99);
      d.prev = { t, req: a.reqCum, tmo: a.tmoCum };
      shown += 1;
    }
    more.hidden = now.size <= MAX_GROUPS;
    if (!more.hidden) more.textContent = `Only the first ${MAX_GROUPS} of ${now.size} NSQ channels are charted.`;
    return shown;
  }

  function trim() {
    for (const g of groups.values()) {
      const d = g.data;
      let drop = 0;
      while (drop < d.t.length && d.t[drop] < lastT - WINDOW_S) drop += 1;
      drop = Math.max(drop, d.t.length - MAX_POINTS);
      if (drop > 0) for (const k of ['t', 'mem', 'disk', 'inflight', 'deferred', 'req', 'tmo', 'p50', 'p99']) d[k].splice(0, drop);
    }
  }

  const api = {
    reset() {
      for (const g of groups.values()) for (const c of g.charts) c.plot?.destroy();
      groups.clear();
      container.replaceChildren(more);
      more.hidden = true;
      lastT = -Infinity;
    },
    push(samples, snap) {
      if (!snap || !snap.nsq) return;
      const list = Array.isArray(samples) ? samples : [];
      if (!list.length) return;
      if (list[0].t_us / 1e6 < lastT) api.reset(); // time went backwards
      const withNsq = list.filter((s) => Array.isArray(s.nsq));
      if (withNsq.length) {
        for (const s of withNsq) {
          const t = s.t_us / 1e6;
          if (t <= lastT) continue;
          add(t, s.nsq);
          lastT = t;
        }
      } else {
        const t = list[list.length - 1].t_us / 1e6;
        if (t > lastT) {
          add(t, rowsFromSnapshot(snap));
          lastT = t;
        }
      }
      trim();
      for (const g of groups.values()) for (const c of g.charts) c.stale = true;
      if (!queued) {
        queued = true;
        requestAnimationFrame(pump);
      }
    },
    resize() {
      for (const g of groups.values()) {
        for (const c of g.charts) if (c.plot) c.plot.setSize({ width: Math.max(160, Math.floor(c.host.clientWidth || 240)), height: HEIGHT });
      }
    },
  };
  api.reset();
  if (typeof ResizeObserver === 'function') {
    let pending = false;
    new ResizeObserver(() => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; api.resize(); });
    }).observe(container);
  }
  return api;
}
