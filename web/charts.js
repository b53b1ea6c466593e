// Four small time-series charts under the stage, drawn with uPlot
// (web/vendor/uPlot.esm.js, copied from npm by scripts/vendor.mjs, and
// fetched when the charts are first on screen: until then, and in an embed
// that never shows them, only their text summaries are kept):
//
//   1. buffer length of each channel (`len`, one line per channel)
//   2. throughput: deliveries per second of virtual time
//   3. delivery latency (produce -> receive by a sink), p50 and p99, in ms
//   4. number of blocked goroutines
//
// The first three read channels: a run without any Go channel of its own (an
// NSQ or Kafka preset, whose client libraries' channels are not in the list)
// shows only the fourth, not three empty frames; a channel added live brings
// them back.
//
// # What is shown
// The x axis is virtual time in seconds. The charts keep and show the last
// 60 s of virtual time (WINDOW_S) and scroll as time advances; before that
// the axis runs from 0 to the current time (at least 10 s, MIN_SPAN_S), so a
// young run fills the chart instead of hugging its left edge. Every value
// comes from the engine's samples (`Playground.series_since`), taken at the
// scenario's sample interval; this module only draws them. A latency sample
// of 0/0 means "no delivery in that interval" and is drawn as a gap, not as 0.
// When virtual time goes backwards (the page reset the run without calling
// `reset`), the charts clear themselves.
//
// # Cost
// A chart redraw (axes, grid, up to 600 points a line, painted in software in
// headless Chromium) costs a few ms, most of it the line strokes. So each
// chart is redrawn at most every REDRAW_MS of wall time while samples keep
// coming, and at most one chart per animation frame (the one waiting
// longest): at high speed the four charts take turns, and no frame pays for
// all four. New samples are always drawn: the last redraws follow within a
// few frames once samples stop (a paused run shows every sample). Each plot
// gets its own copy of the columns, so a chart waiting for its turn shows
// (and its legend reads) one consistent moment. The charts per row (4, 2 or
// 1 by the container's width) are set as an attribute from a ResizeObserver,
// not with a container query: inside a size container every canvas text
// draw needs the page's layout to be up to date, which made each chart's
// redraw force a whole-page layout.
//
// # Accessibility
// Each chart is a <figure> with a visible caption and an aria-label; the
// canvas is hidden from assistive technology and replaced by a visually
// hidden text summary of the latest values (refreshed at most once a second,
// so screen readers are not flooded). All text is set with textContent.
//
// # Theme
// Colours come from the container's CSS: `color` for axes and text, and
// custom properties `--chart-1` ... `--chart-8` for the lines when the page
// defines them (the fallback palette is Okabe–Ito, colour-blind safe, with
// lighter shades in dark mode). The charts redraw when the system theme flips.
//
// Interface (used by app.js):
//   createCharts(container) -> { reset(channelNames), push(samples, snapshot), resize() }
import { injectStyle } from './dom.js';

/** uPlot's module, fetched when charts are first shown (an embed without them never loads it). */
let uPlot = null;
let uPlotLoad = null;
/** Stylesheets that failed to load (they will not load later: not waited for). */
const failedSheets = new WeakSet();

/** Seconds of virtual time kept and shown. */
export const WINDOW_S = 60;
/** The shortest x span shown, at the start of a run. */
export const MIN_SPAN_S = 10;
/** At most this many channel lines (the summary says when more exist). */
export const MAX_CHANNEL_SERIES = 8;
/** Least wall time between two redraws of one chart while samples keep coming (ms). */
export const REDRAW_MS = 100;
/** Least wall time between two chart redraws (ms): at most one chart per animation frame. */
const REDRAW_GAP_MS = 10;
/** The container's content width (px) above which 4 charts share a row, and above which 2 do (else 1). */
const FOUR_PER_ROW_ABOVE = 1040;
const TWO_PER_ROW_ABOVE = 520;
/** Hard cap on points kept per chart, whatever the sample interval. */
const MAX_POINTS = 6000;
const CHART_HEIGHT = 160;
const SUMMARY_EVERY_MS = 1000;

const PALETTE_LIGHT = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#8C6D00', '#444444'];
const PALETTE_DARK = ['#56B4E9', '#E69F00', '#3CCF9E', '#E7A3C9', '#F0E442', '#9BD3F5', '#FF9B6A', '#CCCCCC'];

const STYLE_ID = 'ql-charts-style';
const CSS = `
.ql-charts { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: calc(0.75 * var(--ql-rem, 1rem)); contain: layout inline-size; }
.ql-charts[data-per-row="2"] > .ql-chart { grid-column: span 2; }
.ql-charts[data-per-row="1"] > .ql-chart { grid-column: span 4; }
.ql-chart { margin: 0; min-width: 0; }
.ql-chart > figcaption { font-size: calc(0.85 * var(--ql-rem, 1rem)); font-weight: 600; margin: 0 0 calc(0.25 * var(--ql-rem, 1rem)); }
.ql-chart .u-legend { font-size: calc(0.75 * var(--ql-rem, 1rem)); text-align: left; }
.ql-chart .u-legend .u-marker { width: 0.8em; height: 0.8em; }
.ql-visually-hidden { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0; }
`;

/**
 * Builds the four charts inside `container` (its previous content is replaced).
 * @param {HTMLElement} container
 */
export function createCharts(container) {
  if (!(container instanceof HTMLElement)) throw new TypeError('createCharts: container must be an HTMLElement');
  injectStyles(container);
  container.classList.add('ql-charts');
  container.replaceChildren();

  /** Column data in seconds / plain units, oldest first. */
  const data = { t: [], lens: [], throughput: [], p50: [], p99: [], blocked: [] };
  let channelNames = [];
  let lastT = -Infinity;
  let lastSummaryAt = -Infinity;
  let lastSnapshot = null;

  const specs = [
    {
      key: 'lens',
      title: 'Channel buffer length',
      goTitle: 'Go channel buffer length',
      yLabel: 'messages',
      series: () => channelNames.slice(0, MAX_CHANNEL_SERIES).map((name) => ({ label: name })),
      columns: () => channelNames.slice(0, MAX_CHANNEL_SERIES).map((_, i) => data.lens[i] || []),
      fmt: (v) => fmtCount(v),
    },
    {
      key: 'throughput',
      title: 'Throughput',
      goTitle: 'Go channel throughput',
      yLabel: 'per second',
      series: () => [{ label: 'deliveries/s' }],
      columns: () => [data.throughput],
      fmt: (v) => `${fmtNum(v)}/s`,
    },
    {
      key: 'latency',
      // Over each sample interval, not the run: with few deliveries in one,
      // p50 and p99 meet (the header's figures are the whole run's).
      title: 'Delivery latency per interval',
      goTitle: 'Go channel latency per interval',
      hint: 'p50 and p99 of the deliveries in each sample interval (the scenario\'s sample_interval, 100 ms by default); the header\'s latency is over the whole run. With one delivery in an interval the two are the same.',
      yLabel: 'ms',
      series: () => [{ label: 'p50' }, { label: 'p99', dash: [6, 3] }],
      columns: () => [data.p50, data.p99],
      fmt: (v) => `${fmtNum(v)} ms`,
      spanGaps: true,
    },
    {
      key: 'blocked',
      title: 'Blocked goroutines',
      yLabel: 'goroutines',
      series: () => [{ label: 'blocked', stepped: true }],
      columns: () => [data.blocked],
      fmt: (v) => fmtCount(v),
    },
  ];

  const charts = specs.map((spec) => {
    const figure = el(container.ownerDocument, 'figure', 'ql-chart');
    figure.dataset.chart = spec.key;
    const caption = el(container.ownerDocument, 'figcaption');
    if (spec.hint) caption.title = spec.hint;
    const plotHost = el(container.ownerDocument, 'div', 'ql-chart-plot');
    plotHost.setAttribute('aria-hidden', 'true');
    const summary = el(container.ownerDocument, 'p', 'ql-visually-hidden ql-chart-summary');
    summary.textContent = 'No samples yet.';
    figure.append(caption, plotHost, summary);
    container.append(figure);
    // stale: samples arrived since the last redraw; drawnAt: performance.now() of that redraw.
    return { spec, figure, caption, plotHost, summary, plot: null, stale: false, drawnAt: -Infinity };
  });

  /** Captions and labels: beside NSQ's or Kafka's own charts (`asGo`), the Go ones say they are Go's. */
  function nameCharts(asGo) {
    for (const c of charts) {
      const title = asGo && c.spec.goTitle ? c.spec.goTitle : c.spec.title;
      if (c.caption.textContent === title) continue;
      c.caption.textContent = title;
      c.figure.setAttribute('aria-label', `${title} (${c.spec.yLabel}) over virtual time`);
    }
  }
  nameCharts(false);

  /** Charts per row for a container `width` px wide (content box), as the attribute the CSS reads. */
  function fitRow(width) {
    const perRow = width > FOUR_PER_ROW_ABOVE ? '4' : width > TWO_PER_ROW_ABOVE ? '2' : '1';
    if (container.dataset.perRow !== perRow) container.dataset.perRow = perRow;
  }

  function contentWidth(node) {
    const cs = getComputedStyle(node);
    const edges = ['paddingLeft', 'paddingRight', 'borderLeftWidth', 'borderRightWidth'].reduce((n, k) => n + (parseFloat(cs[k]) || 0), 0);
    return node.getBoundingClientRect().width - edges;
  }
  fitRow(contentWidth(container));

  // The window grows from [0, MIN_SPAN_S] with the run, then scrolls at WINDOW_S.
  const xRange = () => {
    const hi = Number.isFinite(lastT) ? Math.max(lastT, MIN_SPAN_S) : MIN_SPAN_S;
    return [Math.max(0, hi - WINDOW_S), hi];
  };

  function theme() {
    const cs = getComputedStyle(container);
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    const fallback = dark ? PALETTE_DARK : PALETTE_LIGHT;
    const palette = fallback.map((c, i) => cs.getPropertyValue(`--chart-${i + 1}`).trim() || c);
    const fg = cs.color || (dark ? '#ddd' : '#222');
    return { palette, fg, grid: withAlpha(fg, 0.15) };
  }

  /**
   * Fetches uPlot if the charts are on screen and it is not here yet; every
   * chart is built once it arrives. Hidden charts (an embed's compact view, a
   * folded panel) wait: `push` and `resize` ask again.
   */
  let plotsPending = false;
  let sheetsWait = false;
  function needPlots() {
    if (uPlot || plotsPending || sheetsWait || !container.isConnected) return;
    // Whether they are shown is known once the stylesheets are in (before,
    // a compact embed's hidden charts would look shown): ask again then.
    const root = container.getRootNode();
    const pending = [...root.querySelectorAll('link[rel="stylesheet"]')].filter((l) => !l.sheet && !failedSheets.has(l));
    if (pending.length) {
      sheetsWait = true;
      const settled = (l) => new Promise((done) => {
        l.addEventListener('load', done, { once: true });
        l.addEventListener('error', () => { failedSheets.add(l); done(); }, { once: true });
      });
      Promise.all(pending.map(settled)).then(() => {
        sheetsWait = false;
        needPlots();
      });
      return;
    }
    if (container.getClientRects().length === 0) return;
    plotsPending = true;
    // uPlot and its stylesheet come only when charts are shown (a compact
    // embed never loads them); the plots are built once both are in.
    uPlotLoad ||= Promise.all([import('./vendor/uPlot.esm.js'), uPlotSheet(container)]).then(([m]) => { uPlot = m.default; });
    uPlotLoad.then(() => {
      plotsPending = false;
      rebuildAll();
      redraw();
    }, () => {
      plotsPending = false;
      uPlotLoad = null; // asked again at the next push
    });
  }

  function build(chart) {
    if (!uPlot) {
      needPlots();
      return;
    }
    const { spec } = chart;
    const { palette, fg, grid } = theme();
    const seriesDefs = spec.series();
    const axis = (label, values, size) => ({
      label,
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1, size: 4 },
      size,
      gap: 3,
      labelSize: 14,
      labelGap: 0,
      labelFont: '11px system-ui, sans-serif',
      font: '11px system-ui, sans-serif',
      values,
    });
    const opts = {
      width: widthOf(chart.plotHost),
      height: CHART_HEIGHT,
      pxAlign: 0,
      cursor: { drag: { x: false, y: false }, points: { size: 5 } },
      legend: { show: true, live: true },
      hooks: {
        // While the pointer is not over the chart, the legend shows the newest values.
        draw: [(u) => {
          const n = u.data[0].length;
          if (n > 0 && !(u.cursor.left >= 0)) u.setLegend({ idx: n - 1 }, false);
        }],
        setCursor: [(u) => {
          const n = u.data[0].length;
          if (n > 0 && u.cursor.idx == null) u.setLegend({ idx: n - 1 }, false);
        }],
      },
      scales: {
        x: { time: false, range: () => xRange() },
        y: { range: (_u, _min, max) => [0, niceMax(max)] },
      },
      axes: [
        axis('virtual time (s)', (_u, splits) => splits.map((v) => `${fmtNum(v)}s`), 22),
        axis(spec.yLabel, (_u, splits) => splits.map((v) => fmtNum(v)), 40),
      ],
      series: [
        { label: 'time', value: (_u, v) => (v == null ? '--' : `${v.toFixed(2)}s`) },
        ...seriesDefs.map((s, i) => ({
          label: s.label,
          stroke: palette[i % palette.length],
          width: 1.5,
          dash: s.dash,
          spanGaps: Boolean(spec.spanGaps),
          paths: s.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
          points: { show: false },
          value: (_u, v) => (v == null ? '--' : spec.fmt(v)),
        })),
      ],
    };
    if (chart.plot) chart.plot.destroy();
    chart.plotHost.replaceChildren();
    chart.plot = new uPlot(opts, columnsOf(chart), chart.plotHost);
    chart.stale = false;
    chart.drawnAt = -Infinity; // the next samples are drawn without waiting REDRAW_MS
  }

  /** A copy of the chart's columns (x first): the plot keeps it until its next redraw. */
  function columnsOf(chart) {
    return [data.t.slice(), ...chart.spec.columns().map((col) => col.slice())];
  }

  let lastDrawAt = -Infinity;
  let pumpQueued = false;

  /** New samples: every chart is redrawn, in turns (see "Cost" above). */
  function redraw() {
    if (!uPlot) needPlots();
    for (const chart of charts) chart.stale = Boolean(chart.plot) && !chart.figure.hidden;
    pump();
  }

  /**
   * Redraws the stale chart that was drawn longest ago, if it is due and no
   * chart was redrawn in this frame; comes back next frame while any is stale.
   */
  function pump() {
    const now = performance.now();
    if (now - lastDrawAt >= REDRAW_GAP_MS) {
      let next = null;
      for (const chart of charts) if (chart.stale && (!next || chart.drawnAt < next.drawnAt)) next = chart;
      if (next && now - next.drawnAt >= REDRAW_MS) {
        next.stale = false;
        next.drawnAt = now;
        lastDrawAt = now;
        // Drawn now rather than in uPlot's microtask, with its hooks (the
        // legend's text) deferred until after the canvas work.
        next.plot.batch((u) => u.setData(columnsOf(next)), true);
      }
    }
    if (!pumpQueued && charts.some((chart) => chart.stale)) {
      pumpQueued = true;
      requestAnimationFrame(() => {
        pumpQueued = false;
        pump();
      });
    }
  }

  /** Charts that read channels; hidden (not drawn) while the run has none. */
  const needsChannels = (chart) => chart.spec.key !== 'blocked';

  function rebuildAll() {
    for (const chart of charts) chart.figure.hidden = needsChannels(chart) && channelNames.length === 0;
    for (const chart of charts) build(chart);
  }

  function clearData() {
    data.t = [];
    data.lens = channelNames.map(() => []);
    data.throughput = [];
    data.p50 = [];
    data.p99 = [];
    data.blocked = [];
    lastT = -Infinity;
    lastSummaryAt = -Infinity;
  }

  function trim() {
    const from = lastT - WINDOW_S;
    let drop = 0;
    while (drop < data.t.length && data.t[drop] < from) drop += 1;
    drop = Math.max(drop, data.t.length - MAX_POINTS);
    if (drop <= 0) return;
    data.t.splice(0, drop);
    for (const col of data.lens) col.splice(0, drop);
    for (const key of ['throughput', 'p50', 'p99', 'blocked']) data[key].splice(0, drop);
  }

  // Text summaries: at most once a second, with a trailing update so a paused run's text is current.
  let summaryTimer = null;
  function summarize(force) {
    const now = performance.now();
    const wait = SUMMARY_EVERY_MS - (now - lastSummaryAt);
    if (!force && wait > 0) {
      if (summaryTimer === null) {
        summaryTimer = setTimeout(() => {
          summaryTimer = null;
          summarize(true);
        }, wait);
      }
      return;
    }
    if (summaryTimer !== null) {
      clearTimeout(summaryTimer);
      summaryTimer = null;
    }
    lastSummaryAt = now;
    const n = data.t.length;
    if (n === 0) {
      for (const c of charts) c.summary.textContent = 'No samples yet.';
      return;
    }
    const [from, to] = xRange();
    const view = `Showing ${fmtNum(Math.max(0, from))} s to ${fmtNum(to)} s of virtual time.`;
    const now_s = `at ${fmtNum(data.t[n - 1])} s`;
    const peak = (col) => col.reduce((m, v) => (v != null && v > m ? v : m), 0);
    const caps = new Map((lastSnapshot?.channels || []).map((c) => [c.name, c.cap]));
    for (const c of charts) {
      c.figure.dataset.fromS = String(Math.max(0, from));
      c.figure.dataset.toS = String(to);
      let text;
      switch (c.spec.key) {
        case 'lens': {
          if (channelNames.length === 0) {
            text = 'This scenario has no channels.';
            break;
          }
          const parts = channelNames.slice(0, MAX_CHANNEL_SERIES).map((name, i) => {
            const col = data.lens[i] || [];
            const cap = caps.has(name) ? ` of ${caps.get(name)}` : '';
            return `${name} ${fmtCount(col[n - 1])}${cap} (peak ${fmtCount(peak(col))})`;
          });
          const more = channelNames.length > MAX_CHANNEL_SERIES
            ? ` Only the first ${MAX_CHANNEL_SERIES} of ${channelNames.length} channels are drawn.` : '';
          text = `${view} Buffered messages ${now_s}: ${parts.join('; ')}.${more}`;
          break;
        }
        case 'throughput':
          text = `${view} Throughput ${now_s}: ${fmtNum(data.throughput[n - 1])} deliveries per second (peak ${fmtNum(peak(data.throughput))}).`;
          break;
        case 'latency': {
          const p50 = data.p50[n - 1];
          const p99 = data.p99[n - 1];
          text = p50 == null
            ? `${view} No delivery in the sample interval ending ${now_s}.`
            : `${view} Delivery latency ${now_s}: p50 ${fmtNum(p50)} ms, p99 ${fmtNum(p99)} ms.`;
          break;
        }
        default:
          text = `${view} Blocked goroutines ${now_s}: ${fmtCount(data.blocked[n - 1])} (peak ${fmtCount(peak(data.blocked))}).`;
      }
      c.summary.textContent = text;
    }
  }

  function namesOf(snapshot) {
    return Array.isArray(snapshot?.channels) ? snapshot.channels.map((c) => String(c.name)) : null;
  }

  function sameNames(a, b) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }

  const api = {
    /** Re-reads the colours (the theme changed). */
    refreshTheme() {
      rebuildAll();
    },

    /** Beside NSQ's or Kafka's charts (`on`), the captions say "Go channel ..."; alone, just "Channel ...". */
    nameAsGo(on) {
      nameCharts(Boolean(on));
    },

    /** Forgets all samples and starts over with these channels (in the engine's channel order). */
    reset(names) {
      channelNames = Array.isArray(names) ? names.map(String) : [];
      lastSnapshot = null;
      clearData();
      rebuildAll();
      summarize(true);
    },

    /**
     * Appends samples (oldest first, as `series_since` returns them) and redraws.
     * @param {Array<{t_us:number, lens:number[], throughput:number, p50_us:number, p99_us:number, blocked:number}>} samples
     * @param {object} snapshot the current snapshot (channel names and capacities)
     */
    push(samples, snapshot) {
      if (snapshot) lastSnapshot = snapshot;
      const names = namesOf(snapshot);
      if (names && !sameNames(names, channelNames)) {
        channelNames = names;
        clearData();
        rebuildAll();
      }
      const list = Array.isArray(samples) ? samples : [];
      if (list.length === 0) {
        summarize(false);
        return;
      }
      const firstT = Number(list[0].t_us) / 1e6;
      if (firstT < lastT) clearData(); // time went backwards: a reset the page did not announce
      // After a long jump only the newest window matters.
      const newest = Number(list[list.length - 1].t_us) / 1e6;
      for (const s of list) {
        const t = Number(s.t_us) / 1e6;
        if (!Number.isFinite(t) || t <= lastT || t < newest - WINDOW_S) continue;
        data.t.push(t);
        for (let i = 0; i < data.lens.length; i += 1) {
          const v = Array.isArray(s.lens) ? s.lens[i] : undefined;
          data.lens[i].push(Number.isFinite(v) ? v : null);
        }
        data.throughput.push(finiteOrNull(s.throughput));
        const none = !(s.p50_us > 0 || s.p99_us > 0);
        data.p50.push(none ? null : s.p50_us / 1000);
        data.p99.push(none ? null : s.p99_us / 1000);
        data.blocked.push(finiteOrNull(s.blocked));
        lastT = t;
      }
      trim();
      redraw();
      summarize(false);
    },

    /** Fits the charts to their container's current width. */
    resize() {
      if (!uPlot) needPlots();
      fitRow(contentWidth(container));
      for (const c of charts) {
        if (c.plot) c.plot.setSize({ width: widthOf(c.plotHost), height: CHART_HEIGHT });
      }
    },
  };

  api.reset([]);

  // Follow layout and theme changes by themselves as well.
  if (typeof ResizeObserver === 'function') {
    let pending = false;
    new ResizeObserver((entries) => {
      // Charts per row follow at once (this frame's layout runs again); sizes next frame.
      fitRow(entries[entries.length - 1].contentRect.width);
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        api.resize();
      });
    }).observe(container);
  }
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    rebuildAll();
  });

  return api;
}

/**
 * uPlot options of one small over-time chart (the NSQ and Kafka charts): x is
 * virtual seconds over `xRange()`, y from 0 to a round maximum in `unit`;
 * while the pointer is not over it, the legend shows the newest values.
 * `series` are uPlot series after the time one.
 */
export function smallChartOptions({ width, height, fg, grid, xRange, unit, series }) {
  const axis = (label, fmt, size) => ({ label, stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1, size: 4 },
    size, gap: 3, labelSize: 14, labelGap: 0, labelFont: '11px system-ui, sans-serif', font: '11px system-ui, sans-serif',
    values: (_u, splits) => splits.map(fmt) });
  return {
    width,
    height,
    pxAlign: 0,
    cursor: { drag: { x: false, y: false }, points: { size: 5 } },
    legend: { show: true, live: true },
    hooks: {
      draw: [(u) => { const n = u.data[0].length; if (n > 0 && !(u.cursor.left >= 0)) u.setLegend({ idx: n - 1 }, false); }],
      setCursor: [(u) => { const n = u.data[0].length; if (n > 0 && u.cursor.idx == null) u.setLegend({ idx: n - 1 }, false); }],
    },
    scales: { x: { time: false, range: () => xRange() }, y: { range: (_u, _min, max) => [0, niceMax(max)] } },
    axes: [axis('virtual time (s)', (v) => `${fmtNum(v)}s`, 22), axis(unit, (v) => fmtNum(v), 40)],
    series: [{ label: 'time', value: (_u, v) => (v == null ? '--' : `${v.toFixed(2)}s`) }, ...series],
  };
}

// ---- helpers ---------------------------------------------------------------

/** Our chart styles, into the container's root (the document, or a `<queue-lab>`'s shadow root). */
function injectStyles(container) {
  injectStyle(container, STYLE_ID, CSS);
}

/** uPlot's stylesheet, into the container's root; resolves once it is loaded (or failed: the charts work without it). */
function uPlotSheet(container) {
  const root = container.getRootNode();
  let link = root.querySelector('link[href$="uPlot.min.css"]');
  if (link && link.sheet) return Promise.resolve();
  if (!link) {
    link = container.ownerDocument.createElement('link');
    link.rel = 'stylesheet';
    link.href = new URL('./vendor/uPlot.min.css', import.meta.url).href;
    (root.head || root).prepend(link);
  }
  return new Promise((done) => {
    link.addEventListener('load', done, { once: true });
    link.addEventListener('error', done, { once: true });
    setTimeout(done, 3000); // one that failed before fires nothing again
  });
}

function el(doc, tag, className) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  return node;
}

function widthOf(node) {
  const w = Math.floor(node.clientWidth || node.parentElement?.clientWidth || 0);
  return w > 50 ? w : 300;
}

export function niceMax(max) {
  if (!Number.isFinite(max) || max <= 0) return 1;
  const padded = max * 1.1;
  const mag = 10 ** Math.floor(Math.log10(padded));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * mag >= padded) return step * mag;
  return 10 * mag;
}

function finiteOrNull(v) {
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function fmtCount(v) {
  return v == null || !Number.isFinite(v) ? '-' : String(Math.round(v));
}

// Short numbers for ticks, legends and summaries: 3 significant digits, no trailing zeros.
export function fmtNum(v) {
  if (v == null || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

// `rgb(r, g, b)` (what getComputedStyle gives) -> `rgba(r, g, b, a)`; other forms pass through.
export function withAlpha(color, alpha) {
  const m = /^rgba?\(\s*(\d+)[,\s]+(\d+)[,\s]+(\d+)/.exec(color);
  return m ? `rgba(${m[1]}, ${m[2]}, ${m[3]}, ${alpha})` : color;
}
