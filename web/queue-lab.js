// <queue-lab>: the playground as a custom element, for docs pages, blog
// posts and courses; the full page (index.html) is this element too, in
// `full` view. One `<script type="module" src=".../queue-lab.js">` and
//
//   <queue-lab preset="go-unbuffered" view="compact" autoplay until="10s"></queue-lab>
//
// Attributes (each may change on the live element):
//   preset | scenario  a preset name, or a scenario: a URL to a JSON file, or
//                      an inline <script type="application/json"> child
//   link               a share fragment ("#v=2&s=..."): that exact run (its
//                      scenario, time, speed and pause), as the full page opens it
//   seed               the world's seed (a whole number up to 2^53 - 1)
//   speed              virtual seconds per wall second (0.1 to 1000; default 1)
//   autoplay           play as soon as it is loaded (else it waits for Play)
//   until              stop playing at this virtual time ("10s", "500ms", "2m")
//   view               full | compact (the stage, Play / Step / Reset and a
//                      one-line status; the default) | stage (the stage only)
//   panels             which panels show, from: charts log inspector
//                      controls admin (comma or space separated; full view
//                      default: all; compact and stage: none)
//   height             the element's height, any CSS length ("420px", "60vh");
//                      what does not fit scrolls inside it
//   theme              light | dark (default: the system's)
// Methods: play(), pause(), step(), seek(t_us), reset(), command(obj),
//   snapshot(); properties ready, status, timeUs.
// Events (bubbling, composed): ql-ready, ql-status {status}, ql-tick
//   {timeUs, status} (at most 4 a second), ql-error {message}.
//
// Cost: the wasm module is fetched and compiled once per page and shared;
// each element has its own world. Nothing is fetched or built until the
// element first comes near the viewport; it stops drawing (and running)
// while off-screen or in a hidden tab, and goes on where it was.
// Styles live in the shadow root (style.css), so the host page's CSS does not
// leak in; they are themable through the custom properties style.css
// declares on `:host`, which the host page may set on the element:
//   queue-lab { --accent: #c0392b; --panel: #fffdf5; }

import { MARKUP } from './lab-markup.js';
import { engine as engineModule, kindOfJson, kindOfPreset } from './engines.js';
import { SPEED_MIN, SPEED_MAX } from './lag-notice.js';

const BASE = new URL('./', import.meta.url);
const VIEWS = ['full', 'compact', 'stage'];
const PANELS = ['charts', 'log', 'inspector', 'controls', 'admin'];
const SEED_MAX = 2 ** 53 - 1;
/** Largest inline or fetched scenario taken (the engine's own bound is the same). */
const SCENARIO_MAX_BYTES = 1024 * 1024;

/**
 * The text of the scenario file at `url` (relative to the page). A fetch that
 * fails (the network) throws a `retryable` error, so the element offers
 * "Try again"; an HTTP error or a file over SCENARIO_MAX_BYTES does not.
 */
export async function fetchScenario(url) {
  let res;
  try {
    res = await fetch(new URL(url, document.baseURI));
  } catch (err) {
    const e = new Error(`Could not fetch the scenario ${url} (${err && err.message ? err.message : err}). Check the connection, then try again.`);
    e.retryable = true;
    throw e;
  }
  if (!res.ok) throw new Error(`Could not fetch the scenario ${url}: HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > SCENARIO_MAX_BYTES) throw new Error(`The scenario ${url} is larger than ${SCENARIO_MAX_BYTES} bytes`);
  return text;
}

/**
 * The lab code, shared by every element. The engine (wasm) module a world
 * needs is fetched by the lab when it loads one (web/engines.js: one module
 * per system, each fetched and compiled once per page).
 */
export function loadEngine() {
  return import('./lab.js');
}

/** The engine module a source ({ preset } | { json } | { hash }) needs, when known without decoding it. */
function kindOfSource(source) {
  if (!source || source.hash) return null;
  if (source.json !== undefined) return kindOfJson(source.json);
  return kindOfPreset(source.preset); // no preset: the default, a Go one
}

/** "10s", "500ms", "2m", "1.5s", "250us" -> µs; null for empty; Error otherwise. */
export function parseDuration(text) {
  const t = String(text ?? '').trim();
  if (!t) return null;
  const m = /^(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)$/.exec(t);
  if (!m) return new Error(`until must be a duration like 10s, 500ms or 2m, got "${t.slice(0, 40)}"`);
  const scale = { us: 1, 'µs': 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 }[m[2]];
  const us = Math.round(Number(m[1]) * scale);
  if (!Number.isSafeInteger(us)) return new Error(`until is too large: "${t.slice(0, 40)}"`);
  return us;
}

function panelsFor(view, attr) {
  if (attr === null) return view === 'full' ? PANELS : [];
  return attr.split(/[\s,]+/).filter((p) => PANELS.includes(p));
}

export class QueueLab extends HTMLElement {
  static get observedAttributes() {
    return ['preset', 'scenario', 'link', 'seed', 'speed', 'autoplay', 'until', 'view', 'panels', 'height', 'theme'];
  }

  constructor() {
    super();
    this.lab = null;
    this.ready = false;
    this._starting = null;
    this._visible = false;
    this._observer = null;
    this._override = null; // a source given to load(), until an attribute names another
    // Set by a parent that loads this element itself (compare mode): nearing
    // the viewport does not start it; its first load() does, with that source.
    this._awaitLoad = false;
    this._bootRethrow = false;
    this._bootError = null;
    this.attachShadow({ mode: 'open' });
    this._stamp();
    this._onVisibility = () => this._syncActive();
  }

  /** The shadow root's content, fresh: the stylesheet and the playground's markup. */
  _stamp() {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    // The stage reads its colours from the stylesheet's custom properties
    // when it is built: it waits for the sheet (an element loaded at once,
    // as compare mode's are, drew grey cards before).
    this._cssReady = new Promise((resolve) => {
      css.addEventListener('load', resolve, { once: true });
      css.addEventListener('error', resolve, { once: true });
    });
    css.href = new URL('style.css', BASE).href;
    const tpl = document.createElement('template');
    tpl.innerHTML = MARKUP; // a constant: no data from the page or the engine
    this.shadowRoot.replaceChildren(css, tpl.content.cloneNode(true));
    this._shell = this.shadowRoot.querySelector('.ql');
  }

  connectedCallback() {
    this._applyLayout();
    if (this._page) {
      this._keepClearOfToolbar();
      this._start();
      return;
    }
    if (!this.hasAttribute('tabindex')) this.tabIndex = -1; // focusable by script; its controls are in the tab order
    if (!this.lab) this._showNotLoaded();
    // Lazy: build when the element first nears the viewport; run only while visible.
    this._observer = new IntersectionObserver((entries) => {
      this._visible = entries[entries.length - 1].isIntersecting;
      if (this._visible && !this._awaitLoad) this._start();
      this._syncActive();
    }, { rootMargin: '200px 0px' });
    this._observer.observe(this);
    document.addEventListener('visibilitychange', this._onVisibility);
  }

  disconnectedCallback() {
    this._observer?.disconnect();
    this._observer = null;
    document.removeEventListener('visibilitychange', this._onVisibility);
    this.lab?.setActive(false);
    // Removed for good (not just moved): free the world. Put back later, it
    // starts afresh from its attributes.
    setTimeout(() => {
      if (this.isConnected || !this.lab) return;
      this.lab.destroy();
      this.lab = null;
      this.ready = false;
      this._starting = null;
      this._stamp(); // new nodes: the old ones carry the old playground's listeners
      this._applyLayout();
    }, 0);
  }

  /**
   * Before the element first nears the viewport nothing is loaded: its
   * toolbar says so (the markup is the full page's, which plays at once).
   */
  _showNotLoaded() {
    const q = (id) => this.shadowRoot.getElementById(id);
    q('play').textContent = 'Play';
    q('play').setAttribute('aria-pressed', 'false');
    q('status').textContent = 'not loaded';
    q('status').dataset.status = 'paused';
    q('status').title = 'It loads when it scrolls into view';
    this._shell.dataset.loaded = 'false'; // the stage says so too (a stage-only view has no toolbar)
  }

  /**
   * For `<queue-lab-compare>`, which loads its two sides itself: while this
   * element has no engine yet, its stage says "Not loaded" when the pair's
   * load failed (`failed`), else again that it loads when scrolled into view.
   */
  _markLoadFailed(failed) {
    if (this.lab || !this._shell.dataset.loaded) return; // running: its own error box speaks
    this._shell.dataset.loaded = failed ? 'failed' : 'false';
    this.shadowRoot.getElementById('status').title = failed ? 'It could not load (see the message above)' : 'It loads when it scrolls into view';
  }

  /**
   * The full page's toolbar sticks to the top of the window, so an element
   * scrolled into view (a focused control, the timeline) would land under it:
   * the document's scroll padding follows the toolbar's height.
   */
  _keepClearOfToolbar() {
    const bar = this.shadowRoot.querySelector('.toolbar');
    if (!bar || this._toolbarObserver || typeof ResizeObserver !== 'function') return;
    this._toolbarObserver = new ResizeObserver(() => {
      document.documentElement.style.scrollPaddingTop = `${Math.ceil(bar.getBoundingClientRect().height) + 8}px`;
    });
    this._toolbarObserver.observe(bar);
  }

  /** True for the full page (index.html): it owns the address bar and the document's keys. */
  get _page() {
    return this.hasAttribute('page');
  }

  attributeChangedCallback(name, old, value) {
    if (old === value) return;
    if (name === 'view' || name === 'panels' || name === 'height') {
      this._applyLayout();
      return;
    }
    if (!this.lab) return; // read at start
    if (name === 'theme') this.lab.setTheme(value);
    else if (name === 'speed') this._applySpeed();
    else if (name === 'until') this._applyUntil();
    else if (name === 'autoplay') { if (value !== null) this.lab.play(); }
    else if (name === 'seed') this._applySeed();
    else if (name === 'preset' || name === 'scenario' || name === 'link') {
      this._override = null;
      this._load();
    }
  }

  _applyLayout() {
    this._applyLandmarks();
    const raw = (this.getAttribute('view') || (this._page ? 'full' : 'compact')).trim();
    const view = VIEWS.includes(raw) ? raw : 'compact';
    this._shell.dataset.view = view;
    this._shell.dataset.panels = panelsFor(view, this.getAttribute('panels')).join(' ');
    const h = this.getAttribute('height');
    // A CSS length only (no url(), no expressions): anything else is ignored.
    const ok = h && /^\d+(\.\d+)?(px|em|rem|vh|%)$/.test(h.trim());
    this.style.height = ok ? h.trim() : '';
    this._shell.dataset.fixedHeight = String(Boolean(ok));
    this.lab?.layoutChanged(); // panels now shown are fetched then
  }

  /**
   * Landmarks belong to the page. The full page has its header, navigation,
   * main and regions; an embed is part of its host's page, where they would
   * add a second main and repeat the same regions once per embed: there its
   * containers are plain groups (the labelled ones) or nothing.
   */
  _applyLandmarks() {
    const page = this._page;
    for (const [sel, pageRole, embedRole] of [
      [':scope > header, .layout > aside', null, 'none'],
      [':scope > .toolbar', 'navigation', 'group'],
      [':scope > .layout', 'main', 'none'],
      ['section[aria-label], section[aria-labelledby]', null, 'group'],
    ]) {
      const role = page ? pageRole : embedRole;
      for (const n of this._shell.querySelectorAll(sel)) {
        if (role) n.setAttribute('role', role);
        else n.removeAttribute('role');
      }
    }
  }

  _syncActive() {
    if (!this.lab) return;
    this.lab.setActive(this._page || (this._visible && document.visibilityState === 'visible'));
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  _error(message) {
    this._emit('ql-error', { message });
  }

  _start() {
    if (!this._starting) this._starting = this._boot();
    return this._starting;
  }

  async _boot() {
    let lab;
    let first = null;
    try {
      // A view that shows the panels has them from its first frame: they
      // are fetched while the wasm compiles.
      const panels = import('./lab.js').then((m) => (m.showsPanels(this._shell) ? m.loadPanels() : null));
      // The scenario, and the engine module it needs, while the lab code loads.
      first = this._page ? Promise.resolve(location.hash ? null : {}) : this._source();
      first.then((src) => {
        const kind = kindOfSource(src);
        if (kind) engineModule(kind).catch(() => {}); // a failure is the load's to report
      }, () => {});
      const [mod] = await Promise.all([loadEngine(), panels, this._cssReady]);
      lab = mod.createLab(this.shadowRoot, {
        page: this._page,
        keyTarget: this._page ? document : this,
        onStatus: (status) => this._emit('ql-status', { status }),
        onTick: () => this._emit('ql-tick', { timeUs: this.lab.timeUs, status: this.lab.status }),
        onError: (message) => this._error(message),
      });
    } catch (err) {
      const message = `Could not start the engine: ${err && err.message ? err.message : err}`;
      const box = this.shadowRoot.getElementById('error');
      this.shadowRoot.getElementById('error-text').textContent = message;
      box.hidden = false;
      this._error(message);
      return;
    }
    this.lab = lab;
    delete this._shell.dataset.loaded;
    const theme = this.getAttribute('theme');
    if (theme) lab.setTheme(theme);
    this._wireOpenFull();
    if (this._page) await this._startPage();
    else {
      try {
        await this._load({ rethrow: this._bootRethrow, first });
      } catch (err) {
        this._bootError = err; // load() started this boot: it rejects with it
      }
    }
    this._syncActive();
    this.ready = true;
    performance.mark('ql-first-frame-requested');
    requestAnimationFrame(() => {
      performance.mark('ql-first-frame');
      this._emit('ql-ready', {});
    });
  }

  /** The scenario source the attributes name: { hash }, { json } or { preset }. */
  async _source() {
    if (this._override) return this._override;
    const link = this.getAttribute('link');
    if (link) return { hash: link };
    const inline = this.querySelector('script[type="application/json"]');
    const url = this.getAttribute('scenario');
    if (url) {
      return { json: await fetchScenario(url) };
    }
    if (inline) {
      const text = inline.textContent;
      if (text.length > SCENARIO_MAX_BYTES) throw new Error(`The inline scenario is larger than ${SCENARIO_MAX_BYTES} bytes`);
      return { json: text };
    }
    return { preset: this.getAttribute('preset') || undefined };
  }

  /** The full page's start; an engine that did not come is shown with "Try again". */
  async _startPage() {
    try {
      await this.lab.startPage();
    } catch (err) {
      this.lab.showFailure(err, () => this._startPage());
    }
  }

  /** Loads what the attributes (or load()) name; `rethrow` for the API (the error is shown too). */
  async _load({ rethrow = false, first = null } = {}) {
    const lab = this.lab;
    let source;
    try {
      source = await (first ?? this._source());
      await lab.load(source);
    } catch (err) {
      const message = err && err.message ? err.message : String(err);
      // "Try again" when it may pass (an engine module or a scenario file that did not come).
      const retry = err && err.retryable ? () => this._load() : null;
      if (lab.pg) {
        lab.showError(message, retry); // the world already there stays
      } else {
        try {
          await lab.load({}); // something to show: the default scenario
          lab.pause();
          lab.showError(`${message}\nLoaded the default scenario instead.`, retry);
        } catch {
          lab.showError(message, retry); // its engine did not come either
        }
      }
      if (rethrow) throw err;
      return;
    }
    if (!source.hash) this._applySeed(); // a link's run has its own seed, time and speed
    if (!source.hash || this.hasAttribute('speed')) this._applySpeed();
    this._applyUntil();
    if (this.hasAttribute('autoplay')) lab.play();
    else if (!source.hash) lab.pause();
  }

  _applySeed() {
    const raw = this.getAttribute('seed');
    if (raw === null || raw.trim() === '') return;
    const n = Number(raw.trim());
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n > SEED_MAX) {
      this.lab.showError(`seed must be a whole number from 0 to ${SEED_MAX}, got "${raw.slice(0, 40)}"`);
      return;
    }
    this.lab.setSeed(n);
  }

  _applySpeed() {
    const raw = this.getAttribute('speed');
    if (raw === null) return;
    const s = Number(raw);
    if (!Number.isFinite(s) || s < SPEED_MIN || s > SPEED_MAX) {
      this.lab.showError(`speed must be a number from ${SPEED_MIN} to ${SPEED_MAX}, got "${raw.slice(0, 40)}"`);
      return;
    }
    this.lab.setSpeed(s);
  }

  _applyUntil() {
    const us = parseDuration(this.getAttribute('until'));
    if (us instanceof Error) {
      this.lab.showError(us.message);
      return;
    }
    this.lab.setUntil(us);
  }

  /** "Open in the full playground": its address carries this exact run, made just before it is used. */
  _wireOpenFull() {
    for (const [id, page] of [['open-full', 'index.html'], ['compare-link', 'compare.html']]) {
      const a = this.shadowRoot.getElementById(id);
      const refresh = async () => {
        try {
          a.href = await this.lab.playgroundLink(page);
        } catch { /* too large to share: the link opens the page as it is */ }
      };
      for (const type of ['pointerenter', 'focus', 'touchstart']) a.addEventListener(type, refresh, { passive: true });
    }
  }

  // --- the API --------------------------------------------------------------

  get status() { return this.lab ? this.lab.status : 'loading'; }

  get timeUs() { return this.lab ? this.lab.timeUs : 0; }

  play() { this.lab?.play(); }

  pause() { this.lab?.pause(); }

  step() { this.lab?.step(); }

  seek(tUs) {
    const t = Number(tUs);
    if (!Number.isFinite(t) || t < 0) throw new RangeError(`seek: a time in µs from 0 up, got ${String(tUs).slice(0, 40)}`);
    this.lab?.seek(t);
  }

  reset() { this.lab?.reset(); }

  /** A live command (as in a scenario's `commands`); throws the engine's refusal. */
  command(obj) {
    if (!this.lab) throw new Error('queue-lab: not ready yet (wait for ql-ready)');
    return this.lab.command(obj);
  }

  snapshot() { return this.lab ? this.lab.snapshot() : null; }

  /**
   * Loads another run: { preset: name } | { scenario: JSON text } | { link: '#v=2&...' }.
   * Rejects with the engine's or the link's message (also shown in the element).
   */
  async load(source) {
    const src = source || {};
    let next;
    if (typeof src.link === 'string') next = { hash: src.link };
    else if (typeof src.scenario === 'string') next = { json: src.scenario };
    else if (typeof src.preset === 'string') next = { preset: src.preset };
    else throw new TypeError('load: give { preset }, { scenario } or { link }');
    if (next.json !== undefined && next.json.length > SCENARIO_MAX_BYTES) throw new RangeError(`load: the scenario is larger than ${SCENARIO_MAX_BYTES} bytes`);
    this._override = next;
    if (!this._starting) {
      // Not started yet: the boot loads this source as its first world (no
      // default scenario built, or drawn, before it).
      this._bootRethrow = true;
      await this._start();
      this._bootRethrow = false;
      if (!this.lab) throw new Error('queue-lab: the engine did not start');
      const err = this._bootError;
      this._bootError = null;
      if (err) throw err;
      return;
    }
    await this._start();
    if (!this.lab) throw new Error('queue-lab: the engine did not start');
    await this._load({ rethrow: true });
  }
}

if (!customElements.get('queue-lab')) customElements.define('queue-lab', QueueLab);
