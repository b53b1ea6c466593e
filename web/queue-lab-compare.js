// <queue-lab-compare>: A/B. Two playgrounds side by side, the same scenario
// and seed with one difference, clocks in lock-step (one loop moves both to
// the same virtual time), the charts overlaid (A solid, B dashed) and the
// guarantees side by side, so "p99 with buffer 0 versus 10" or "what acks=1
// loses versus acks=all" reads off one picture.
//
//   <queue-lab-compare preset="backpressure"
//     b='[{"at": "0s", "command": {"op": "set_capacity", "channel": "jobs", "capacity": 20}}]'
//     label-a="buffer 5" label-b="buffer 20" speed="5" until="60s"></queue-lab-compare>
//
// Attributes: preset | scenario (URL) | link (share fragment) for A; b: a
// JSON list of timed commands (a scenario's `commands` form) that B adds to
// A's; label-a, label-b; seed; speed; until; autoplay. B's live controls
// stay open (panel "controls"): change B while both run, or Reset both to
// replay the pair from 0 with B's changes. Data for tests and hosts:
// `data()` -> { a: samples, b: samples } (what the charts draw from) and
// `charts()` -> [{ title, t, a, b }] (what they drew). The charts follow the
// systems in the run (chartSpecs): Go's deliveries, NSQ's channels, Kafka's
// producers and consumers.
//
// The difference is applied through the engine's own command log, so B is
// exactly "A plus these commands": with no commands the two runs are the
// same run (equal trace hashes), which the tests check.
//
// Lazy, as <queue-lab> is: nothing is fetched or built until the pair first
// nears the viewport (200px margin); while it is off-screen its clocks stop
// (a playing pair shows Pause and goes on where it was when scrolled back).
// play() before that marks it playing; it runs once it is built and seen.

import { fetchScenario, loadEngine, parseDuration } from './queue-lab.js';
import { engine, kindOfPreset } from './engines.js';
import uPlot from './vendor/uPlot.esm.js';
import { withAlpha, fmtNum } from './charts.js';
import { KAFKA_FIGURES } from './kafka-panels.js';
import { el } from './dom.js';
import { fmtDuration } from './draw.js';

const BASE = new URL('./', import.meta.url);
const MAX_FRAME_MS = 100;
const MAX_POINTS = 4000;
const REDRAW_MS = 250;

/** The totals and guarantees compared, from a snapshot: [label, value] (numbers or text). */
function figures(snap, playing) {
  const t = snap.totals;
  const ms = (us) => (us < 10e6 ? `${fmtNum(us / 1000)} ms` : fmtDuration(us));
  // A run with NSQ or Kafka ends its messages' journeys in handlers, not
  // in Go sinks: its figures are its goroutines' Go values (as the totals
  // strip says) and its latency is produce to handled ("finished").
  const sys = Boolean(snap.nsq || snap.kafka);
  const lat = sys ? snap.processed_latency : snap.delivery_latency;
  const to = sys ? 'latency to finish' : 'latency';
  const rows = [
    ['virtual time', snap.time],
    // The engine's status; a run that can go on but is not playing is paused.
    ['status', snap.status === 'running' && !playing ? 'paused' : snap.status],
    [sys ? 'produced (Go values)' : 'produced', t.produced],
    sys ? ['finished (Go values)', t.processed] : ['delivered', t.delivered],
    ['dropped', t.dropped],
    [`${to} p50`, lat.count ? ms(lat.p50_us) : '–'],
    [`${to} p99`, lat.count ? ms(lat.p99_us) : '–'],
    ['blocked goroutines', t.blocked],
  ];
  // Kafka's guarantees, labelled as the Kafka panel labels them.
  const k = snap.kafka && snap.kafka.guarantees;
  if (k) for (const [key, label] of KAFKA_FIGURES) if (typeof k[key] === 'number') rows.push([`Kafka: ${label}`, k[key]]);
  // NSQ's, per channel: what it did with its messages.
  for (const g of (snap.nsq && snap.nsq.guarantees) || []) {
    const lost = (g.lost || []).reduce((n, [, c]) => n + c, 0);
    for (const [label, v] of [['published', g.published], ['finished', g.finished], ['handled more than once', g.handled_more_than_once],
      ['lost', lost], ['out of order', g.reordered], ['live', g.live]]) {
      rows.push([`NSQ ${g.topic}/${g.channel}: ${label}`, v]);
    }
  }
  return rows;
}

/** `f` of each sample as a rate per second of virtual time over the trailing second (since the first sample, before one has passed). */
function perSecond(f) {
  return (xs) => {
    let j = 0;
    return xs.map((x, i) => {
      while (j + 1 < i && x.t_us - xs[j + 1].t_us >= 1e6) j += 1;
      const dt = (x.t_us - xs[j].t_us) / 1e6;
      return i > j && dt > 0 ? (f(x) - f(xs[j])) / dt : null;
    });
  };
}

const sum = (xs, f) => xs.reduce((n, x) => n + (f(x) ?? 0), 0);
/** The largest of the values there are, in ms; none when there are none. */
function worstMs(xs, f) {
  const v = xs.map(f).filter((x) => x != null);
  return v.length ? Math.max(...v) / 1000 : null;
}
const each = (f) => (xs) => xs.map(f);
const kafkaLaggers = (x) => [...x.kafka.groups, ...x.kafka.consumers];
const nsqChannels = (x) => x.nsq || [];

/**
 * The overlaid charts for the systems a run has: { title, unit, values(samples) }.
 * Go's delivered-per-second and delivery latency mean nothing where
 * handlers, not Go sinks, end the messages' journeys: NSQ and Kafka runs get
 * their own figures (the same ones their panels chart), summed over
 * channels or groups, and the worst latency.
 */
function chartSpecs(snap) {
  const specs = [];
  if (snap.kafka) {
    specs.push({ title: 'Kafka: acked per second', unit: 'per second', values: perSecond((x) => x.kafka?.acked ?? 0) });
    if (snap.kafka.groups.length || snap.kafka.consumers.length) {
      specs.push(
        { title: 'Kafka: consumed per second', unit: 'per second', values: perSecond((x) => x.kafka?.consumed ?? 0) },
        { title: 'Kafka: total lag', unit: 'records', values: each((x) => (x.kafka ? sum(kafkaLaggers(x), (l) => l.lag) : null)) },
        { title: 'Kafka: end-to-end latency p99 (worst group)', unit: 'ms', values: each((x) => (x.kafka ? worstMs(kafkaLaggers(x), (l) => l.e2e_p99_us) : null)) },
      );
    }
  }
  if (snap.nsq) {
    specs.push(
      { title: 'NSQ: finished per second', unit: 'per second', values: perSecond((x) => sum(nsqChannels(x), (c) => c.finish_count)) },
      { title: 'NSQ: depth (memory and disk)', unit: 'messages', values: each((x) => sum(nsqChannels(x), (c) => c.memory_depth + c.backend_depth)) },
      { title: 'NSQ: in flight', unit: 'messages', values: each((x) => sum(nsqChannels(x), (c) => c.in_flight)) },
      { title: 'NSQ: requeued and timed out per second', unit: 'per second', values: perSecond((x) => sum(nsqChannels(x), (c) => c.requeue_count + c.timeout_count)) },
      { title: 'NSQ: E2E latency p99 (worst channel)', unit: 'ms', values: each((x) => worstMs(nsqChannels(x), (c) => c.e2e_p99_us)) },
    );
  }
  if (!snap.kafka && !snap.nsq) {
    specs.push(
      { title: 'Delivered per second', unit: 'per second', values: each((x) => x.throughput) },
      { title: 'Delivery latency p99 per interval', unit: 'ms', values: each((x) => (x.p99_us > 0 ? x.p99_us / 1000 : null)) },
    );
  }
  specs.push({ title: 'Blocked goroutines', unit: 'goroutines', values: each((x) => x.blocked) });
  return specs;
}

const CSS = `
:host { display: block; }
.cmp { container: cmp / inline-size; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg, #1b1f24); }
.bar { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; padding: 0.4rem 0; }
.bar button, .failure button { font: inherit; padding: 0.3rem 0.8rem; border: 1px solid #c3c9d2; border-radius: 6px; background: #fff; color: #1b1f24; cursor: pointer; }
.bar button.primary { background: #3451c6; border-color: #3451c6; color: #fff; font-weight: 600; min-width: 5.2rem; }
.bar .clock { font: 600 1rem ui-monospace, monospace; }
.bar .time { display: inline-flex; gap: 0.5rem; align-items: baseline; white-space: nowrap; } /* the label and its clock on one line */
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 0.6rem; }
@container cmp (max-width: 700px) { .pair { grid-template-columns: 1fr; } }
.side h3 { margin: 0.2rem 0; font-size: 0.95rem; }
.side h3 .tag { display: inline-block; min-width: 1.4em; text-align: center; border-radius: 4px; color: #fff; margin-right: 0.4rem; }
.a .tag { background: #0072b2; } .b .tag { background: #d55e00; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 0.8rem; margin-top: 0.8rem; }
.charts figure { margin: 0; }
.charts figcaption { font-weight: 600; font-size: 0.9rem; }
.charts .empty { margin: 0.4rem 0; color: var(--muted, #57606a); font-size: 0.85rem; }
.charts .empty[hidden] { display: none; }
table { border-collapse: collapse; margin-top: 0.8rem; font-size: 0.88rem; min-width: 60%; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
th, td { padding: 0.2rem 0.6rem; border-bottom: 1px solid #c3c9d2; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr[data-differs="true"] td { font-weight: 700; }
.error { color: #c0392b; white-space: pre-line; }
.failure { display: flex; flex-wrap: wrap; gap: 0.4rem 1rem; align-items: center; }
.failure .error { margin: 0.4rem 0; }
.note { max-width: 46rem; margin: 0.5rem 0 0; color: var(--muted, #57606a); font-size: 0.85rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;

export class QueueLabCompare extends HTMLElement {
  static get observedAttributes() { return ['speed', 'until']; }

  constructor() {
    super();
    const shadow = this.attachShadow({ mode: 'open' });
    const uplotCss = el('link', { rel: 'stylesheet', href: new URL('vendor/uPlot.min.css', BASE).href });
    this._play = el('button', { type: 'button', class: 'primary', text: 'Play', 'aria-pressed': 'false' });
    this._reset = el('button', { type: 'button', text: 'Reset both', title: 'Both from 0s, B with its changes, in lock-step' });
    this._clock = el('span', { class: 'clock', text: '0.000s', 'aria-live': 'off' });
    this._err = el('p', { class: 'error', role: 'alert', hidden: true });
    // Offered when the failure may pass (an engine module that did not come: web/engines.js).
    this._retry = el('button', { type: 'button', text: 'Try again', hidden: true });
    this._a = el('queue-lab', { view: 'stage' });
    this._b = el('queue-lab', { view: 'stage' });
    // Each side builds one world, the pair's, when _boot() loads it: not
    // its own default first (a wasted build, and a frame of the wrong scenario).
    this._a._awaitLoad = true;
    this._b._awaitLoad = true;
    this._a.setAttribute('view', 'stage');
    this._b.setAttribute('view', 'stage');
    this._b.setAttribute('panels', 'controls');
    this._labelA = el('span');
    this._labelB = el('span');
    const side = (cls, tag, label, lab) => el('section', { class: `side ${cls}` },
      el('h3', {}, el('span', { class: 'tag', text: tag, 'aria-hidden': 'true' }), label), lab);
    this._charts = el('div', { class: 'charts' });
    this._table = el('table');
    this._summary = el('p', { class: 'visually-hidden', 'aria-live': 'polite' });
    // Where the model simplifies, the view says so: each run has one random
    // stream (DESIGN: one seeded RNG per world, drawn in event order).
    this._draws = el('p', { class: 'note', text: 'Each run draws its random numbers (sleeps, work, '
      + 'latencies) from one stream, in the order its events happen. Once B\'s difference changes '
      + 'that order, B\'s later draws differ from A\'s, so even figures the difference does not '
      + 'touch, such as what a producer sends, can differ a little.' });
    shadow.append(uplotCss, el('style', { text: CSS }), el('div', { class: 'cmp' },
      el('div', { class: 'bar', role: 'group', 'aria-label': 'Both runs' }, this._play, this._reset,
        el('span', { class: 'time' }, el('span', { text: 'virtual time' }), this._clock)),
      el('div', { class: 'failure' }, this._err, this._retry),
      el('div', { class: 'pair' }, side('a', 'A', this._labelA, this._a), side('b', 'B', this._labelB, this._b)),
      this._charts, this._table, this._draws, this._summary));
    this._playing = false;
    this._visible = false;
    this._samples = { a: [], b: [] };
    this._sampleT = { a: -1, b: -1 };
    this._plots = [];
    this._raf = 0;
    this._redrawAt = 0;
    this._play.addEventListener('click', () => this._setPlaying(!this._playing));
    this._reset.addEventListener('click', () => this.reset());
    this._retry.addEventListener('click', () => {
      this._err.hidden = true;
      this._retry.hidden = true;
      for (const side of [this._a, this._b]) side._markLoadFailed?.(false);
      this._started = null; // built again now if on screen, else when it nears the viewport
      if (this._visible) this._started = this._boot().catch((err) => this._fail(err));
    });
  }

  connectedCallback() {
    this._labelA.textContent = this.getAttribute('label-a') || 'as loaded';
    this._labelB.textContent = this.getAttribute('label-b') || 'with the difference';
    this._observer = new IntersectionObserver((entries) => {
      this._visible = entries[entries.length - 1].isIntersecting;
      if (this._visible && !this._started) this._started = this._boot().catch((err) => this._fail(err));
      this._syncLoop();
    }, { rootMargin: '200px 0px' });
    this._observer.observe(this);
  }

  disconnectedCallback() {
    this._observer?.disconnect();
    this._observer = null;
    this._visible = false;
    this._syncLoop();
    // Removed for good (not just moved): its two elements free their worlds
    // (as any <queue-lab> does); put back, the pair builds afresh from its
    // attributes when it nears the viewport again.
    setTimeout(() => {
      if (this.isConnected || !this.ready) return;
      this._started = null;
      this.ready = false;
      this._samples = { a: [], b: [] };
      this._sampleT = { a: -1, b: -1 };
      this._chartsResize?.disconnect();
      for (const { plot } of this._plots) plot.destroy();
      this._plots = [];
      this._drawn = [];
      this._charts.replaceChildren();
      this._table.replaceChildren();
      this._clock.textContent = '0.000s';
    }, 0);
  }

  /** The frame loop runs while the pair plays, is built and is on screen. */
  _syncLoop() {
    const run = this._playing && this._visible && this.ready;
    if (run && !this._raf) {
      this._last = performance.now();
      this._raf = requestAnimationFrame((t) => this._frame(t));
    } else if (!run && this._raf) {
      cancelAnimationFrame(this._raf);
      this._raf = 0;
    }
  }

  attributeChangedCallback() { /* speed and until are read every frame */ }

  _fail(err) {
    this._err.textContent = err && err.message ? err.message : String(err);
    this._err.hidden = false;
    this._retry.hidden = !(err && err.retryable);
    // Sides still waiting for the pair's load say so, not "Loads when it scrolls into view".
    for (const side of [this._a, this._b]) side._markLoadFailed?.(true);
    this.dispatchEvent(new CustomEvent('ql-error', { detail: { message: this._err.textContent }, bubbles: true, composed: true }));
  }

  /** A's scenario (JSON text) from the attributes. */
  async _scenarioA() {
    const link = this.getAttribute('link');
    if (link) {
      const { decodeShare } = await import('./share.js');
      const shared = await decodeShare(link);
      if (!shared) throw new Error('The link holds no scenario');
      return shared.scenarioJson;
    }
    const url = this.getAttribute('scenario');
    if (url) {
      return fetchScenario(url);
    }
    const name = this.getAttribute('preset') || (await engine('go')).default_preset();
    return (await engine(kindOfPreset(name))).preset_json(name);
  }

  /** B: A's scenario with the `b` commands merged into its command log (in time order). */
  _scenarioB(jsonA) {
    const raw = this.getAttribute('b');
    if (!raw) return jsonA;
    let extra;
    try {
      extra = JSON.parse(raw);
    } catch (err) {
      throw new Error(`b must be a JSON list of timed commands: ${err.message}`);
    }
    if (!Array.isArray(extra)) throw new Error('b must be a JSON list of timed commands, like [{"at": "0s", "command": {...}}]');
    const s = JSON.parse(jsonA);
    const at = (c) => {
      const us = parseDuration(c && c.at);
      return typeof us === 'number' ? us : 0;
    };
    // Stable: A's own commands keep their order, B's go in by time.
    s.commands = [...(s.commands || []), ...extra].map((c, i) => [c, i]).sort((x, y) => at(x[0]) - at(y[0]) || x[1] - y[1]).map(([c]) => c);
    return JSON.stringify(s);
  }

  async _boot() {
    const [jsonA] = await Promise.all([this._scenarioA(), loadEngine()]);
    const jsonB = this._scenarioB(jsonA);
    await Promise.all([this._a.load({ scenario: jsonA }), this._b.load({ scenario: jsonB })]);
    const seed = this.getAttribute('seed');
    for (const lab of [this._a, this._b]) {
      lab.lab.setDriven(true);
      lab.lab.play(); // drawn as running; time moves only by this element's loop
      if (seed !== null && /^\d+$/.test(seed)) lab.lab.setSeed(Number(seed));
    }
    this._buildCharts();
    this.ready = true;
    this.dispatchEvent(new CustomEvent('ql-ready', { bubbles: true, composed: true }));
    this._draw(true);
    if (this.hasAttribute('autoplay') || this._playing) this._setPlaying(true);
  }

  _setPlaying(on) {
    this._playing = on;
    this._play.textContent = on ? 'Pause' : 'Play';
    this._play.setAttribute('aria-pressed', String(on));
    this._syncLoop();
    if (!on && this.ready) this._draw(true); // the table says paused
  }

  play() { this._setPlaying(true); }

  pause() { this._setPlaying(false); }

  reset() {
    for (const lab of [this._a, this._b]) lab.lab?.reset();
    this._samples = { a: [], b: [] };
    this._sampleT = { a: -1, b: -1 };
    this._draw(true);
  }

  /** What the charts drew from: { a: samples, b: samples } (series_since's samples). */
  data() { return { a: this._samples.a.slice(), b: this._samples.b.slice() }; }

  /** What the charts drew, last time: [{ title, t (virtual seconds), a, b }]. */
  charts() { return (this._drawn || []).map((c) => ({ ...c })); }

  _frame(now) {
    this._raf = 0;
    if (!this._playing || !this._visible || !this.ready) return;
    const dt = Math.min(MAX_FRAME_MS, Math.max(0, now - this._last));
    this._last = now;
    const speed = Number(this.getAttribute('speed')) || 1;
    const until = parseDuration(this.getAttribute('until'));
    const a = this._a.lab;
    const b = this._b.lab;
    // Lock-step: both go to the same target from the one that is behind.
    let target = Math.min(a.timeUs, b.timeUs) + dt * 1000 * Math.min(1000, Math.max(0.1, speed));
    if (typeof until === 'number') target = Math.min(target, until);
    a.advanceTo(target);
    b.advanceTo(target);
    const done = (typeof until === 'number' && a.timeUs >= until && b.timeUs >= until)
      || (a.status === 'ended' && b.status === 'ended');
    if (done) {
      this._setPlaying(false); // draws the last frame (and collects the last samples)
    } else {
      this._draw(false);
      this._raf = requestAnimationFrame((t) => this._frame(t));
    }
  }

  _collect() {
    for (const k of ['a', 'b']) {
      const lab = (k === 'a' ? this._a : this._b).lab;
      const s = lab.seriesSince(this._sampleT[k]);
      if (s.length) {
        this._sampleT[k] = s[s.length - 1].t_us;
        this._samples[k].push(...s);
        if (this._samples[k].length > MAX_POINTS) this._samples[k].splice(0, this._samples[k].length - MAX_POINTS);
      }
    }
  }

  _buildCharts() {
    const cs = getComputedStyle(this);
    const fg = cs.color || '#1b1f24';
    const specs = chartSpecs(this._a.lab.snapshot());
    this._charts.replaceChildren();
    this._plots = specs.map((spec) => {
      // Until both runs have a sample, a line says what will be drawn here.
      const empty = el('p', { class: 'empty', text: 'Play to draw A and B here, over virtual time.' });
      const fig = el('figure', {}, el('figcaption', { text: `${spec.title}: A solid blue, B dashed orange` }), empty);
      this._charts.append(fig);
      const width = Math.max(240, Math.floor(fig.getBoundingClientRect().width || 300));
      const plot = new uPlot({
        width, height: 170,
        scales: { x: { time: false } },
        legend: { show: false }, // the caption says which line is which
        axes: [{ stroke: fg, grid: { stroke: withAlpha(fg, 0.12) }, label: 'virtual seconds' },
          { stroke: fg, grid: { stroke: withAlpha(fg, 0.12) }, label: spec.unit }],
        series: [{}, { label: `A: ${this._labelA.textContent}`, stroke: '#0072b2', width: 2, spanGaps: true },
          { label: `B: ${this._labelB.textContent}`, stroke: '#d55e00', width: 2, dash: [6, 4], spanGaps: true }],
      }, [[], [], []], fig);
      return { spec, plot, fig, empty };
    });
    this._chartsResize?.disconnect();
    this._chartsResize = new ResizeObserver(() => {
      for (const { plot, fig } of this._plots) plot.setSize({ width: Math.max(240, Math.floor(fig.getBoundingClientRect().width)), height: 170 });
    });
    this._chartsResize.observe(this._charts);
  }

  /** The overlaid charts (A and B on one x axis: the samples' virtual times) and the side-by-side table. */
  _draw(force) {
    const now = performance.now();
    if (!force && now - this._redrawAt < REDRAW_MS) return;
    this._redrawAt = now;
    if (!this.ready) return;
    const a = this._a.lab;
    const b = this._b.lab;
    this._collect();
    this._clock.textContent = `${(a.timeUs / 1e6).toFixed(3)}s`;
    // Both sample on the same clock (same scenario): join on t_us.
    const byT = new Map(this._samples.b.map((x) => [x.t_us, x]));
    const rows = this._samples.a.filter((x) => byT.has(x.t_us));
    const rowsB = rows.map((x) => byT.get(x.t_us));
    const t = rows.map((x) => x.t_us / 1e6);
    this._drawn = [];
    for (const { spec, plot, empty } of this._plots) {
      empty.hidden = rows.length > 0;
      const va = spec.values(rows);
      const vb = spec.values(rowsB);
      this._drawn.push({ title: spec.title, t, a: va, b: vb });
      plot.setData([t, va, vb]);
    }
    const fa = figures(a.snapshot(), this._playing);
    const fb = new Map(figures(b.snapshot(), this._playing));
    const body = el('tbody');
    let differ = 0;
    for (const [label, va] of fa) {
      const vb = fb.has(label) ? fb.get(label) : '–';
      const d = String(va) !== String(vb);
      if (d && label !== 'virtual time') differ += 1;
      body.append(el('tr', { 'data-differs': String(d) }, el('th', { scope: 'row', text: label }),
        el('td', { class: 'num', text: String(va) }), el('td', { class: 'num', text: String(vb) })));
    }
    this._table.replaceChildren(el('caption', { text: 'Side by side' }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, el('span', { class: 'visually-hidden', text: 'Figure' })), el('th', { scope: 'col', text: `A: ${this._labelA.textContent}` }),
        el('th', { scope: 'col', text: `B: ${this._labelB.textContent}` }))), body);
    this._summary.textContent = `${differ} figures differ between A and B at ${this._clock.textContent}.`;
  }
}

if (!customElements.get('queue-lab-compare')) customElements.define('queue-lab-compare', QueueLabCompare);
