// Kafka charts (uPlot), shown when the run has Kafka (issue 15):
//
//   1. lag per partition of one consumer group (a picker chooses the group,
//      or a partition consumer): one line per partition
//   2. total lag per group (and per partition consumer): one line each
//   3. throughput: records produced/s and consumed/s (derived from the
//      cumulative counts of successive samples)
//   4. end-to-end latency p50 / p99 in ms of the chosen group (produce call
//      to handler receipt, over each sample interval; a sample in which
//      nothing was received has none, and the line joins its neighbours)
//
// From `Sample.kafka` (`Playground.series_since`); core computes every figure
// (lag = high watermark - committed offset, as kafka-consumer-groups.sh).
// An engine whose samples do not carry `kafka` gets one point per push from
// the snapshot instead (lags and counts; no latency). Same x window as the
// Go charts (the last WINDOW_S of virtual time). At most MAX_LINES lines per
// chart; each chart redraws at most every REDRAW_MS, one chart per frame.
// Each figure has a caption and a visually hidden text summary; text only.
//
// createKafkaCharts(container) -> { reset(), push(samples, snapshot), resize() }

import uPlot from './vendor/uPlot.esm.js';
import { WINDOW_S, MIN_SPAN_S, REDRAW_MS, fmtNum, withAlpha, smallChartOptions } from './charts.js';
import { el } from './dom.js';

const HEIGHT = 140;
const MAX_POINTS = 6000;
const MAX_LINES = 8;
const DASHES = [undefined, [6, 3], [2, 2], [8, 2, 2, 2]];

const SPECS = [
  { key: 'lag-partitions', title: 'Lag per partition', unit: 'records' },
  { key: 'lag-groups', title: 'Total lag per group', unit: 'records' },
  { key: 'throughput', title: 'Kafka throughput', unit: 'records per second' },
  { key: 'e2e', title: 'End-to-end latency', unit: 'ms' },
];

/** The charts about consumers (hidden when there is none). */
const LAGGER_CHARTS = ['lag-partitions', 'lag-groups', 'e2e'];

/** The laggers of a sample: groups, then partition consumers, keyed by kind and name. */
function laggers(k) {
  return [
    ...(k.groups || []).map((g) => ({ ...g, key: `group ${g.name}` })),
    ...(k.consumers || []).map((c) => ({ ...c, key: `consumer ${c.name}` })),
  ];
}

/** `Sample.kafka` made from a snapshot (engines whose samples lack `kafka`). */
function fromSnapshot(kv) {
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const groups = kv.groups.map((g) => {
    const lags = g.rows.map((r) => r.lag).filter((l) => l != null);
    return {
      name: g.name,
      lag: lags.length ? sum(lags) : null,
      consumed: sum(g.members.map((m) => m.consumed)),
      e2e_p50_us: null,
      e2e_p99_us: null,
      partitions: g.rows.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.current_offset, lag: r.lag })),
    };
  });
  const byName = new Map();
  for (const c of kv.consumers) {
    const a = byName.get(c.name) || { name: c.name, lag: null, consumed: 0, e2e_p50_us: null, e2e_p99_us: null, partitions: [] };
    const lag = c.offset == null ? null : c.lag;
    if (lag != null) a.lag = (a.lag ?? 0) + lag;
    a.consumed += c.consumed;
    a.partitions.push({ topic: c.topic, partition: c.partition, offset: c.offset, lag });
    byName.set(c.name, a);
  }
  return {
    produced: kv.guarantees.produced,
    acked: sum(kv.producers.map((p) => p.acked)),
    consumed: kv.guarantees.consumed,
    partitions: kv.partitions.map((p) => ({ topic: p.topic, partition: p.partition, log_start: p.log_start, log_end_offset: p.log_end, high_watermark: p.high_watermark })),
    groups,
    consumers: [...byName.values()],
  };
}

export function createKafkaCharts(container) {
  container.replaceChildren();
  // Columns, all aligned with `t`: throughput, and per lagger its total
  // lag, latency and per-partition lags (null where a sample lacks them).
  let data;
  let lastT = -Infinity;
  let queued = false;
  let chosen = null; // the lagger key charts 1 and 4 show
  const picker = el('select', { id: 'kafka-charts-group', class: 'kafka-charts-group' });
  const pickerLabel = el('label', { for: 'kafka-charts-group', text: 'Lag and latency of ' });
  const head = el('p', { class: 'kafka-charts-head', hidden: true }, pickerLabel, picker);
  const grid = el('div', { class: 'nsq-charts-grid kafka-charts-grid' });
  const more = el('p', { class: 'hint', hidden: true });
  const charts = SPECS.map((spec) => {
    const summary = el('p', { class: 'visually-hidden', text: 'No samples yet.' });
    const host = el('div', { 'aria-hidden': 'true' });
    const caption = el('figcaption', { text: spec.title });
    // Why a lag chart has no line yet (shown only then).
    const note = el('p', { class: 'hint chart-note', hidden: true });
    const figure = el('figure', { class: 'ql-chart', 'data-chart': `kafka-${spec.key}`, 'aria-label': `${spec.title} (${spec.unit}) over virtual time` },
      caption, note, host, summary);
    grid.append(figure);
    return { spec, host, summary, caption, note, figure, plot: null, lines: [], stale: false, drawnAt: -Infinity };
  });
  const byKey = Object.fromEntries(charts.map((c) => [c.spec.key, c]));

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

  function emptyData() {
    return { t: [], prod: [], cons: [], laggers: new Map(), prev: null };
  }

  /** A new lagger's columns, filled with nulls up to now. */
  function lagger(key) {
    let l = data.laggers.get(key);
    if (!l) {
      const n = data.t.length;
      l = { lag: Array(n).fill(null), p50: Array(n).fill(null), p99: Array(n).fill(null), parts: new Map() };
      data.laggers.set(key, l);
    }
    return l;
  }

  /** The lines of a chart: [label, column] pairs, at most MAX_LINES. */
  function lines(c) {
    const l = chosen && data.laggers.get(chosen);
    switch (c.spec.key) {
      case 'lag-partitions':
        return l ? [...l.parts.entries()].slice(0, MAX_LINES) : [];
      case 'lag-groups':
        return [...data.laggers.entries()].slice(0, MAX_LINES).map(([k, v]) => [k, v.lag]);
      case 'throughput':
        return [['produced/s', data.prod], ['consumed/s', data.cons]];
      default:
        return l ? [['p50', l.p50], ['p99', l.p99]] : [];
    }
  }

  function build(c) {
    const { palette, fg, grid } = theme();
    c.lines = lines(c).map(([label]) => label);
    const opts = smallChartOptions({
      width: Math.max(160, Math.floor(c.host.clientWidth || 240)), height: HEIGHT, fg, grid, xRange,
      unit: c.spec.unit === 'records per second' ? 'per second' : c.spec.unit,
      series: c.lines.map((label, i) => ({ label, stroke: palette[i % palette.length], width: 1.5, dash: DASHES[Math.floor(i / palette.length) % DASHES.length],
        spanGaps: c.spec.key === 'e2e', points: { show: false }, value: (_u, v) => (v == null ? '--' : c.spec.unit === 'ms' ? `${fmtNum(v)} ms` : fmtNum(v)) })),
    });
    if (c.plot) c.plot.destroy();
    c.host.replaceChildren();
    c.plot = new uPlot(opts, cols(c), c.host);
  }

  function cols(c) {
    return [data.t.slice(), ...lines(c).map(([, col]) => col.slice())];
  }

  const last = (col) => (col.length ? col[col.length - 1] : null);

  function summarize(c) {
    const n = data.t.length;
    if (!n) return;
    const at = `At ${fmtNum(data.t[n - 1])} s`;
    const ls = lines(c);
    const l = chosen && data.laggers.get(chosen);
    let text;
    switch (c.spec.key) {
      case 'lag-partitions': {
        const total = l ? last(l.lag) : null;
        text = l
          ? `${at}, ${chosen}: total lag ${total == null ? 'none yet (nothing committed)' : fmtNum(total)} records; per partition ${ls.map(([k, col]) => `${k} ${fmtNum(last(col))}`).join(', ')}.`
          : `${at}: no consumer group.`;
        break;
      }
      case 'lag-groups':
        text = ls.length ? `${at}: lag ${ls.map(([k, col]) => `${k} ${fmtNum(last(col))}`).join(', ')} (records).` : `${at}: no consumer group.`;
        break;
      case 'throughput':
        text = `${at}: produced ${fmtNum(last(data.prod))} and consumed ${fmtNum(last(data.cons))} records per second.`;
        break;
      default:
        text = l ? `${at}, ${chosen}: end-to-end latency p50 ${fmtNum(last(l.p50))} ms, p99 ${fmtNum(last(l.p99))} ms over the last sample interval.` : `${at}: no consumer.`;
    }
    c.summary.textContent = text;
  }

  /** Redraws the stale chart drawn longest ago, one per frame, each at most every REDRAW_MS. */
  function pump() {
    queued = false;
    const now = performance.now();
    let next = null;
    for (const c of charts) if (c.stale && (!next || c.drawnAt < next.drawnAt)) next = c;
    if (!next) return;
    if (now - next.drawnAt >= REDRAW_MS) {
      next.stale = false;
      next.drawnAt = now;
      const labels = lines(next).map(([label]) => label);
      if (labels.join('\n') !== next.lines.join('\n')) build(next);
      else next.plot.setData(cols(next));
      summarize(next);
    }
    queued = true;
    requestAnimationFrame(pump);
  }

  function schedule() {
    for (const c of charts) c.stale = true;
    if (!queued) {
      queued = true;
      requestAnimationFrame(pump);
    }
  }

  function add(t, k) {
    const d = data;
    const dt = d.prev ? t - d.prev.t : 0;
    const rate = (cum, prev) => (dt > 0 ? Math.max(0, cum - prev) / dt : null);
    d.t.push(t);
    d.prod.push(d.prev ? rate(k.produced, d.prev.produced) : null);
    d.cons.push(d.prev ? rate(k.consumed, d.prev.consumed) : null);
    d.prev = { t, produced: k.produced, consumed: k.consumed };
    const n = d.t.length;
    for (const g of laggers(k)) {
      const l = lagger(g.key);
      l.lag.push(g.lag ?? null);
      l.p50.push(g.e2e_p50_us == null ? null : g.e2e_p50_us / 1000);
      l.p99.push(g.e2e_p99_us == null ? null : g.e2e_p99_us / 1000);
      for (const p of g.partitions) {
        const name = `${p.topic}-${p.partition}`;
        let col = l.parts.get(name);
        if (!col) {
          col = Array(n - 1).fill(null);
          l.parts.set(name, col);
        }
        col.push(p.lag ?? null);
      }
    }
    // Columns of laggers or partitions this sample lacks get a gap.
    for (const l of d.laggers.values()) {
      for (const col of [l.lag, l.p50, l.p99, ...l.parts.values()]) while (col.length < n) col.push(null);
    }
    syncPicker();
  }

  function syncPicker() {
    const keys = [...data.laggers.keys()];
    if (!keys.length) return;
    if (!chosen || !data.laggers.has(chosen)) chosen = keys[0];
    const have = [...picker.options].map((o) => o.value);
    if (have.join('\n') !== keys.join('\n')) {
      picker.replaceChildren(...keys.map((k) => el('option', { value: k, text: k })));
      picker.value = chosen;
    }
    head.hidden = keys.length < 2;
    const l = data.laggers.get(chosen);
    const nparts = l ? l.parts.size : 0;
    const many = nparts > MAX_LINES || data.laggers.size > MAX_LINES;
    more.hidden = !many;
    if (many) more.textContent = `At most ${MAX_LINES} lines per chart: the first ${MAX_LINES} partitions and groups are charted.`;
    byKey['lag-partitions'].caption.textContent = `Lag per partition: ${chosen}`;
    byKey.e2e.caption.textContent = `End-to-end latency: ${chosen}`;
    // Lag is the high watermark minus the committed offset: before a
    // group's first commit there is none (kafka-consumer-groups.sh prints -).
    const NONE = 'No offset committed yet: lag counts from the first commit (kafka-consumer-groups.sh shows - until then).';
    const uncommitted = (x) => x && last(x.lag) == null;
    setNote(byKey['lag-partitions'], uncommitted(l) && chosen.startsWith('group ') ? NONE : '');
    setNote(byKey['lag-groups'], [...data.laggers.values()].every(uncommitted) ? NONE : '');
  }

  function setNote(c, text) {
    if (c.note.textContent !== text) c.note.textContent = text;
    c.note.hidden = !text;
  }

  function trim() {
    const d = data;
    let drop = 0;
    while (drop < d.t.length && d.t[drop] < lastT - WINDOW_S) drop += 1;
    drop = Math.max(drop, d.t.length - MAX_POINTS);
    if (drop <= 0) return;
    for (const col of [d.t, d.prod, d.cons]) col.splice(0, drop);
    for (const l of d.laggers.values()) for (const col of [l.lag, l.p50, l.p99, ...l.parts.values()]) col.splice(0, drop);
  }

  picker.addEventListener('change', () => {
    chosen = picker.value;
    syncPicker();
    schedule();
  });

  const api = {
    reset() {
      for (const c of charts) {
        c.plot?.destroy();
        c.plot = null;
        c.lines = [];
        c.stale = false;
        c.summary.textContent = 'No samples yet.';
      }
      data = emptyData();
      chosen = null;
      picker.replaceChildren();
      for (const c of charts) {
        c.caption.textContent = c.spec.title;
        setNote(c, '');
      }
      head.hidden = true;
      more.hidden = true;
      container.replaceChildren(head, grid, more);
      lastT = -Infinity;
      for (const c of charts) build(c);
    },
    push(samples, snap) {
      if (!snap || !snap.kafka) return;
      // Lag and latency charts only where something consumes (a group or a
      // partition consumer): no empty charts next to "No consumer group".
      const consumes = snap.kafka.groups.length + snap.kafka.consumers.length > 0;
      for (const key of LAGGER_CHARTS) {
        const c = byKey[key];
        if (c.figure.hidden === consumes) {
          c.figure.hidden = !consumes;
          if (consumes) build(c);
        }
      }
      const list = Array.isArray(samples) ? samples : [];
      if (!list.length) return;
      if (list[0].t_us / 1e6 < lastT) api.reset(); // time went backwards
      const withKafka = list.filter((s) => s.kafka && typeof s.kafka === 'object');
      if (withKafka.length) {
        for (const s of withKafka) {
          const t = s.t_us / 1e6;
          if (t <= lastT) continue;
          add(t, s.kafka);
          lastT = t;
        }
      } else {
        const t = list[list.length - 1].t_us / 1e6;
        if (t > lastT) {
          add(t, fromSnapshot(snap.kafka));
          lastT = t;
        }
      }
      trim();
      schedule();
    },
    resize() {
      for (const c of charts) if (c.plot) c.plot.setSize({ width: Math.max(160, Math.floor(c.host.clientWidth || 240)), height: HEIGHT });
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
