// The event log: what happened, newest first, in the engine's own words.
//
// # What is shown
// Each row is one engine event (`Playground.take_events`): its virtual time,
// its kind and its plain-words text. Rows are buttons: clicking one (or Enter /
// Space on it) calls `onSelect(event)` so the page can highlight
// `event.goroutine` and `event.channel`; the chosen row is marked
// `aria-current="true"`.
//
// # Bounds and cost
// The log keeps the newest HISTORY events in memory (so changing a filter can
// show older matching events). It draws the newest PAGE matching rows and
// draws PAGE more each time the reader scrolls to the bottom, up to ROWS:
// rows are DOM elements, and laying out hundreds of them every frame costs
// more than the simulation (measured: ~30 ms for 500 rows in headless
// Chromium). New events are drawn at most every FLUSH_MS of wall time, into
// the rows already there where possible (their text changed in place: new
// elements cost the browser more to style and lay out). At high speed every
// redraw replaces all PAGE rows; then the rows the list shows without
// scrolling change at once and the ones below them over the next two or
// three frames (REFILL_ROWS a frame), so no single frame lays out fifty rows.
// Anything that could reveal or use those rows (scrolling, focus, keys, a
// click, filters, the next redraw) first brings them all up to date.
//
// # Reading while it runs
// While the reader has scrolled away from the top, or has focus in the list,
// new rows are not inserted (the rows being read stay still); a "N new events:
// show newest" button appears instead, and scrolling back to the top (or
// leaving the list) shows them.
//
// # Keyboard
// The list is one tab stop (a roving tabindex: the selected row, else the
// newest); ArrowUp / ArrowDown move between rows, Home / End to the first /
// last drawn row, Enter / Space select.
//
// # Filters
// Three selects built inside the container narrow the rows to one goroutine,
// one channel and/or one kind. Their options grow as names appear in
// snapshots (a goroutine that was removed keeps its option until `clear`).
// When events carry `nsq` (where an NSQ event happened), four more selects
// appear: node, topic, NSQ channel and client, with the values seen in events.
// Names come from the scenario, which may come from a shared link: every
// piece of text is set with textContent, never parsed as HTML.
//
// Interface (used by app.js):
//   createEventLog(container, { onSelect(event) }) -> { push(events, snapshot), clear() }

import { setText, injectStyle } from './dom.js';

/** Most rows drawn at once. */
export const ROWS = 500;
/** Rows drawn at first, and added per scroll to the bottom. */
export const PAGE = 50;
/** Most events kept for re-filtering. */
export const HISTORY = 5000;
/** Least wall time between two redraws while events keep arriving. */
export const FLUSH_MS = 100;
/** Rows below the visible part of the list refilled per animation frame after a redraw that replaced them all. */
const REFILL_ROWS = 18;

/** Every event kind the engine emits (core's EventKind, snake_case), in a reading order. */
export const KINDS = [
  'produced', 'handoff', 'buffered', 'received', 'recv_closed',
  'blocked_send', 'blocked_recv', 'blocked_select', 'blocked_wait', 'unblocked', 'select_chose',
  'work_start', 'work_end', 'sleep', 'processed', 'filtered', 'prime', 'dropped',
  'closed', 'panicked', 'deadlock', 'finished',
  'wg_add', 'wg_done', 'spawned', 'removed', 'paused', 'resumed', 'capacity', 'yield',
  'nsq_publish', 'nsq_published', 'nsq_publish_ok', 'nsq_message', 'nsq_finish', 'nsq_timeout', 'nsq_fin_failed',
  'nsq_requeue', 'nsq_req_failed', 'nsq_max_attempts', 'nsq_backoff', 'nsq_backoff_over', 'nsq_node_crash', 'nsq_node_stop', 'nsq_node_restart', 'nsq_conn_closed', 'nsq_connected', 'nsq_consumer_crash', 'nsq_consumer_stop', 'nsq_consumer_start', 'nsq_publish_failed', 'nsq_touch_failed',
  'nsq_register', 'nsq_unregister', 'nsq_lookup', 'nsq_discovered', 'nsq_heartbeat_timeout', 'nsq_lookupd_crash', 'nsq_lookupd_restart',
  'kafka_send', 'kafka_acked', 'kafka_send_failed', 'kafka_fetched', 'kafka_broker_crash', 'kafka_broker_stop', 'kafka_broker_restart', 'kafka_fenced',
  'kafka_election', 'kafka_isr', 'kafka_lost', 'kafka_group', 'kafka_out_of_range', 'kafka_duplicate', 'kafka_read_timeout', 'kafka_metadata', 'kafka_unfenced',
];

const STYLE_ID = 'ql-eventlog-style';
const CSS = `
.ql-eventlog { display: flex; flex-direction: column; gap: calc(0.4 * var(--ql-rem, 1rem)); min-height: 0; }
.ql-eventlog-filters { display: flex; flex-wrap: wrap; gap: calc(0.4 * var(--ql-rem, 1rem)) calc(0.75 * var(--ql-rem, 1rem)); align-items: center; font-size: calc(0.85 * var(--ql-rem, 1rem)); }
.ql-eventlog-nsq { display: contents; }
.ql-eventlog-nsq[hidden] { display: none; }
.ql-eventlog-filters label { display: inline-flex; gap: calc(0.3 * var(--ql-rem, 1rem)); align-items: center; }
.ql-eventlog-filters select { max-width: calc(11 * var(--ql-rem, 1rem)); }
.ql-eventlog-count { font-size: calc(0.8 * var(--ql-rem, 1rem)); opacity: 0.8; margin: 0; }
.ql-eventlog-rows { list-style: none; margin: 0; padding: 0; overflow-y: auto; max-height: var(--eventlog-height, calc(18 * var(--ql-rem, 1rem)));
  font: calc(0.8 * var(--ql-rem, 1rem))/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.ql-eventlog-rows button { all: unset; box-sizing: border-box; display: grid; grid-template-columns: 6.5em 8.5em 1fr;
  gap: 0.5em; width: 100%; padding: calc(0.1 * var(--ql-rem, 1rem)) calc(0.3 * var(--ql-rem, 1rem)); cursor: pointer; border-left: 3px solid transparent; }
.ql-eventlog-rows button:hover { background: color-mix(in srgb, currentColor 8%, transparent); }
.ql-eventlog-rows button:focus-visible { outline: 2px solid Highlight; outline-offset: -2px; }
.ql-eventlog-rows button[aria-current="true"] { background: color-mix(in srgb, currentColor 14%, transparent); }
.ql-eventlog-rows .ql-ev-time { text-align: right; opacity: 0.75; font-variant-numeric: tabular-nums; }
/* A long kind ("nsq heartbeat timeout") wraps at its spaces rather than being cut. */
.ql-eventlog-rows .ql-ev-kind { opacity: 0.9; overflow-wrap: anywhere; }
.ql-eventlog-rows .ql-ev-text { overflow-wrap: anywhere; }
.ql-eventlog-rows button[data-class="block"] { border-left-color: #D55E00; }
.ql-eventlog-rows button[data-class="flow"] { border-left-color: #0072B2; }
.ql-eventlog-rows button[data-class="bad"] { border-left-color: #CC0000; }
.ql-eventlog-rows button[data-class="bad"] .ql-ev-kind { font-weight: 700; }
.ql-eventlog-empty { font-size: calc(0.85 * var(--ql-rem, 1rem)); opacity: 0.8; padding: calc(0.3 * var(--ql-rem, 1rem)); }
.ql-eventlog-new { align-self: flex-start; font-size: calc(0.8 * var(--ql-rem, 1rem)); }
@media (max-width: 520px) {
  .ql-eventlog-rows button { grid-template-columns: 5.5em 1fr; }
  .ql-eventlog-rows .ql-ev-kind { display: none; }
}
`;

// Colour class (backed by a border, never by colour alone: the kind is written out).
const CLASS_OF = {
  blocked_send: 'block', blocked_recv: 'block', blocked_select: 'block', blocked_wait: 'block',
  handoff: 'flow', buffered: 'flow', received: 'flow', produced: 'flow', processed: 'flow',
  nsq_publish: 'flow', nsq_published: 'flow', nsq_message: 'flow', nsq_finish: 'flow',
  nsq_timeout: 'bad', nsq_fin_failed: 'bad', nsq_req_failed: 'bad', nsq_requeue: 'bad', nsq_max_attempts: 'bad',
  nsq_node_crash: 'bad', nsq_conn_closed: 'bad', nsq_consumer_crash: 'bad', nsq_publish_failed: 'bad', nsq_touch_failed: 'bad',
  nsq_backoff: 'block',
  nsq_discovered: 'flow', nsq_unregister: 'bad', nsq_heartbeat_timeout: 'bad', nsq_lookupd_crash: 'bad',
  kafka_send: 'flow', kafka_acked: 'flow', kafka_fetched: 'flow',
  kafka_send_failed: 'bad', kafka_broker_crash: 'bad', kafka_lost: 'bad', kafka_out_of_range: 'bad', kafka_duplicate: 'bad', kafka_read_timeout: 'bad',
  panicked: 'bad', deadlock: 'bad', dropped: 'bad',
};

/**
 * Builds the log inside `container` (its previous content is replaced).
 * @param {HTMLElement} container
 * @param {{ onSelect?: (event: object) => void }} [options]
 */
export function createEventLog(container, { onSelect } = {}) {
  if (!(container instanceof HTMLElement)) throw new TypeError('createEventLog: container must be an HTMLElement');
  const doc = container.ownerDocument;
  injectStyle(container, STYLE_ID, CSS);
  container.classList.add('ql-eventlog');
  container.replaceChildren();

  // ---- DOM -------------------------------------------------------------
  const filters = el(doc, 'div', 'ql-eventlog-filters');
  filters.setAttribute('role', 'group');
  filters.setAttribute('aria-label', 'Event log filters');
  const gSelect = makeSelect(doc, filters, 'Goroutine', 'eventlog-goroutine', 'all goroutines');
  const cSelect = makeSelect(doc, filters, 'Channel', 'eventlog-channel', 'all channels');
  const kSelect = makeSelect(doc, filters, 'Kind', 'eventlog-kind', 'all kinds');
  for (const kind of KINDS) addOption(kSelect, kind, kindWords(kind));
  // NSQ filters: made when the first event says where in NSQ it happened
  // (a Go run has none), hidden again by clear().
  const nsqFilters = el(doc, 'span', 'ql-eventlog-nsq');
  nsqFilters.hidden = true;
  filters.append(nsqFilters);
  const NSQ_KEYS = [['nsqd', 'Node', 'all nodes'], ['topic', 'Topic', 'all topics'], ['channel', 'NSQ channel', 'all NSQ channels'], ['client', 'Client', 'all clients']];
  // Only runs whose events name an nsqlookupd get this one.
  const LOOKUPD_KEY = ['lookupd', 'nsqlookupd', 'all nsqlookupds'];
  const nsqSelects = new Map();
  const nsqSeen = new Map([...NSQ_KEYS, LOOKUPD_KEY].map(([key]) => [key, new Set()]));

  const count = el(doc, 'p', 'ql-eventlog-count');
  const list = el(doc, 'ol', 'ql-eventlog-rows');
  list.setAttribute('aria-label', 'Events, newest first');
  list.reversed = true;
  const empty = el(doc, 'p', 'ql-eventlog-empty');
  empty.textContent = 'No events yet.';
  const newer = el(doc, 'button', 'ql-eventlog-new');
  newer.type = 'button';
  newer.hidden = true;
  container.append(filters, count, newer, list, empty);

  // ---- state -----------------------------------------------------------
  let history = []; // oldest first, at most HISTORY
  let seenTotal = 0; // events ever pushed since clear()
  let shown = 0; // rows in the list
  let target = PAGE; // rows wanted in the list
  let pending = []; // pushed, not yet drawn (oldest first)
  let atTop = true; // the reader has not scrolled down
  let held = 0; // matching events not drawn because the reader scrolled down
  let lastFlush = -Infinity;
  let timer = null;
  let selectedSeq = null;
  let visibleRows = 16; // rows the list shows without scrolling, and one more (kept up to date below)
  let refill = null; // { rows, evs, next, end }: rows still to show newer events (below the visible ones)
  let refillFrame = 0;
  const goroutineNames = new Map(); // id -> name
  const channelNames = new Map();

  const filter = { goroutine: '', channel: '', kind: '' };
  const nsqFilter = { nsqd: '', topic: '', channel: '', client: '', lookupd: '' };
  const nsqMatches = (e) => {
    for (const key in nsqFilter) if (nsqFilter[key] !== '' && !(e.nsq && e.nsq[key] === nsqFilter[key])) return false;
    return true;
  };
  const matches = (e) =>
    (filter.goroutine === '' || String(e.goroutine) === filter.goroutine) &&
    (filter.channel === '' || String(e.channel) === filter.channel) &&
    (filter.kind === '' || e.kind === filter.kind) &&
    nsqMatches(e);
  const anyNsqFilter = () => Object.values(nsqFilter).some((v) => v !== '');

  function onFilter(select, into, key) {
    select.addEventListener('change', () => {
      into[key] = select.value;
      target = PAGE;
      list.scrollTop = 0;
      atTop = true;
      flush(true);
      rerenderAll();
    });
  }
  onFilter(gSelect, filter, 'goroutine');
  onFilter(cSelect, filter, 'channel');
  onFilter(kSelect, filter, 'kind');

  /** The NSQ select for `key`: the four NSQ_KEYS ones are made together, the lookupd one when first needed. */
  function nsqSelect(key) {
    const make = ([k, label, all]) => {
      const select = makeSelect(doc, nsqFilters, label, `eventlog-nsq-${k}`, all);
      nsqSelects.set(k, select);
      onFilter(select, nsqFilter, k);
    };
    if (!nsqSelects.has('nsqd')) NSQ_KEYS.forEach(make);
    if (!nsqSelects.has(key)) make(LOOKUPD_KEY);
    return nsqSelects.get(key);
  }

  list.addEventListener('click', (ev) => {
    const button = ev.target instanceof Element ? ev.target.closest('button[data-seq]') : null;
    if (!button || !list.contains(button)) return;
    const seq = Number(button.dataset.seq); // the row as it was clicked
    finishRefill();
    const event = findEvent(seq);
    if (!event) return;
    markSelected(seq);
    if (typeof onSelect === 'function') onSelect(event);
  });

  let focusInside = false;
  list.addEventListener('focusin', () => {
    finishRefill();
    focusInside = true;
  });
  list.addEventListener('focusout', (ev) => {
    if (ev.relatedTarget instanceof Node && list.contains(ev.relatedTarget)) return;
    focusInside = false;
    if (atTop && held > 0) {
      flush(true);
      rerenderAll();
    }
  });
  list.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    finishRefill();
    const buttons = [...list.querySelectorAll('button[data-seq]')];
    if (!buttons.length) return;
    const i = buttons.indexOf(list.getRootNode().activeElement);
    let next = -1;
    if (ev.key === 'ArrowDown') next = Math.min(buttons.length - 1, i + 1);
    else if (ev.key === 'ArrowUp') next = Math.max(0, i - 1);
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = buttons.length - 1;
    else return;
    ev.preventDefault();
    ev.stopPropagation(); // not the page's Home / End (timeline)
    if (ev.key === 'ArrowDown' && i === buttons.length - 1) loadMore();
    setRoving(buttons[next]);
    buttons[next].focus();
  });

  /** Makes `button` the list's one tab stop. */
  function setRoving(button) {
    for (const b of list.querySelectorAll('button[tabindex="0"]')) if (b !== button) b.tabIndex = -1;
    if (button) button.tabIndex = 0;
  }

  /** After a redraw: exactly one row is the tab stop (the focused, the selected, else the newest). */
  function fixRoving() {
    const active = list.getRootNode().activeElement; // the document's, or a <queue-lab>'s shadow root's
    const focused = list.contains(active) ? active.closest('button[data-seq]') : null;
    setRoving(focused || list.querySelector('button[aria-current="true"]') || list.querySelector('button[data-seq]'));
  }

  list.addEventListener('scroll', () => {
    finishRefill();
    atTop = list.scrollTop <= 2;
    if (atTop && held > 0) {
      flush(true);
      rerenderAll();
    } else if (list.scrollTop + list.clientHeight >= list.scrollHeight - 24) {
      loadMore();
    }
  }, { passive: true });

  newer.addEventListener('click', () => {
    list.scrollTop = 0;
    atTop = true;
    flush(true);
    rerenderAll();
  });

  function findEvent(seq) {
    // history is sorted by seq; binary search.
    let lo = 0;
    let hi = history.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = history[mid].seq;
      if (s === seq) return history[mid];
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }

  function markSelected(seq) {
    selectedSeq = seq;
    for (const b of list.querySelectorAll('button[aria-current]')) b.removeAttribute('aria-current');
    const b = list.querySelector(`button[data-seq="${seq}"]`);
    if (b) b.setAttribute('aria-current', 'true');
    if (b) setRoving(b);
  }

  function row(e) {
    const li = doc.createElement('li');
    const button = doc.createElement('button');
    button.type = 'button';
    const time = doc.createElement('span');
    time.className = 'ql-ev-time';
    const kind = doc.createElement('span');
    kind.className = 'ql-ev-kind';
    const text = doc.createElement('span');
    text.className = 'ql-ev-text';
    button.append(time, kind, text);
    li.append(button);
    return fill(li, e);
  }

  /**
   * Makes the row `li` (made by row()) show event `e`. Rows are reused for
   * newer events: changing a row's text costs the browser much less than
   * making, styling and laying out a new one (at high speed every redraw
   * replaces all PAGE rows).
   */
  function fill(li, e) {
    const button = li.firstElementChild;
    const [time, kind, text] = button.children;
    if (button.tabIndex !== -1) button.tabIndex = -1;
    const d = button.dataset;
    d.seq = String(e.seq);
    d.kind = String(e.kind);
    // A FIN or REQ that nsqd never gets is a loss, not a flow.
    setData(d, 'class', e.nsq && e.nsq.lost ? 'bad' : CLASS_OF[e.kind]);
    setData(d, 'goroutine', e.goroutine != null ? String(e.goroutine) : null);
    setData(d, 'channel', e.channel != null ? String(e.channel) : null);
    if (e.seq === selectedSeq) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
    setText(time, fmtTime(e.t_us));
    time.title = `${e.t_us} µs, event #${e.seq}`;
    setText(kind, kindWords(e.kind));
    setText(text, e.text == null ? '' : String(e.text));
    return li;
  }

  function updateCount() {
    fixRoving();
    const filtered = filter.goroutine !== '' || filter.channel !== '' || filter.kind !== '' || anyNsqFilter();
    count.textContent = filtered
      ? `${shown} matching rows shown (searching the last ${history.length} events)`
      : `${shown} newest of ${seenTotal} events shown`;
    empty.hidden = shown !== 0;
    if (shown === 0) empty.textContent = seenTotal === 0 ? 'No events yet.' : 'No event matches these filters.';
    newer.hidden = held === 0;
    if (held > 0) newer.textContent = `${held} new event${held === 1 ? '' : 's'}: show newest`;
  }

  // Draws the newest `target` matching rows from history.
  function rerenderAll() {
    finishRefill();
    held = 0;
    const frag = doc.createDocumentFragment();
    let n = 0;
    for (let i = history.length - 1; i >= 0 && n < target; i -= 1) {
      if (matches(history[i])) {
        frag.append(row(history[i]));
        n += 1;
      }
    }
    list.replaceChildren(frag);
    shown = n;
    updateCount();
  }

  // Appends the next PAGE older matching rows (the reader reached the bottom).
  function loadMore() {
    finishRefill();
    if (shown < target || target >= ROWS) return; // nothing older left, or at the bound
    const last = list.lastElementChild && Number(list.lastElementChild.firstElementChild.dataset.seq);
    target = Math.min(ROWS, target + PAGE);
    let i = history.length - 1;
    while (i >= 0 && history[i].seq >= last) i -= 1;
    const frag = doc.createDocumentFragment();
    for (; i >= 0 && shown < target; i -= 1) {
      if (matches(history[i])) {
        frag.append(row(history[i]));
        shown += 1;
      }
    }
    list.append(frag);
    updateCount();
  }

  // Draws pending events on top of the list, or counts them while the reader is scrolled down.
  function flush(force) {
    finishRefill();
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    lastFlush = performance.now();
    const fresh = pending;
    pending = [];
    if (force) return; // the caller redraws everything
    if (!atTop || focusInside) {
      for (const e of fresh) if (matches(e)) held += 1;
      updateCount();
      return;
    }
    const evs = []; // newest first
    for (let i = fresh.length - 1; i >= 0 && evs.length < target; i -= 1) {
      if (matches(fresh[i])) evs.push(fresh[i]);
    }
    if (evs.length >= target) {
      // Every row changes: the rows drawn become the newest (reused in place,
      // the visible ones now, the others in the next frames), extra ones go.
      const old = [...list.children];
      const now = Math.min(visibleRows, evs.length);
      const rows = evs.map((e, k) => (k >= old.length ? row(e) : k < now ? fill(old[k], e) : old[k]));
      for (let k = rows.length; k < old.length; k += 1) old[k].remove();
      for (let k = old.length; k < rows.length; k += 1) list.append(rows[k]);
      shown = rows.length;
      const end = Math.min(old.length, rows.length);
      if (end > now) {
        refill = { rows, evs, next: now, end };
        refillFrame = requestAnimationFrame(refillStep);
      }
    } else if (evs.length > 0) {
      // New rows on top; the oldest ones beyond `target` drop off the bottom (and are reused on top).
      const spare = [];
      while (shown + evs.length - spare.length > target && list.lastElementChild) {
        spare.push(list.lastElementChild);
        list.lastElementChild.remove();
      }
      list.prepend(...evs.map((e) => (spare.length ? fill(spare.pop(), e) : row(e))));
      shown = list.children.length;
    }
    updateCount();
  }

  /** Refills the next REFILL_ROWS rows left by a redraw; again next frame until none is left. */
  function refillStep() {
    const r = refill;
    if (!r) return;
    const end = Math.min(r.end, r.next + REFILL_ROWS);
    for (let k = r.next; k < end; k += 1) fill(r.rows[k], r.evs[k]);
    r.next = end;
    if (end < r.end) {
      refillFrame = requestAnimationFrame(refillStep);
    } else {
      refill = null;
      fixRoving();
    }
  }

  /** Brings every row up to date at once (before anything reads or reveals them). */
  function finishRefill() {
    if (!refill) return;
    cancelAnimationFrame(refillFrame);
    const r = refill;
    refill = null;
    for (let k = r.next; k < r.end; k += 1) fill(r.rows[k], r.evs[k]);
    fixRoving();
  }

  // How many rows the list shows without scrolling: at least its height over one line.
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => {
      const line = parseFloat(getComputedStyle(list).lineHeight);
      if (line > 0) visibleRows = Math.max(1, Math.ceil(list.clientHeight / line) + 1);
    }).observe(list);
  }

  function learnNames(snapshot) {
    if (!snapshot) return;
    for (const g of snapshot.goroutines || []) {
      if (!goroutineNames.has(g.id)) {
        goroutineNames.set(g.id, String(g.name));
        addOption(gSelect, String(g.id), String(g.name));
      }
    }
    for (const c of snapshot.channels || []) {
      if (!channelNames.has(c.id)) {
        channelNames.set(c.id, String(c.name));
        addOption(cSelect, String(c.id), String(c.name));
      }
    }
  }

  /** Beside the NSQ channel filter, the Go one says it is Go's. */
  function nameGoChannel(besideNsq) {
    cSelect.previousElementSibling.textContent = besideNsq ? 'Go channel' : 'Channel';
    cSelect.options[0].textContent = besideNsq ? 'all Go channels' : 'all channels';
  }

  /** Adds the NSQ places events name to the NSQ selects (shown from the first one). */
  function learnNsq(events) {
    for (const e of events) {
      const n = e.nsq;
      if (!n || typeof n !== 'object') continue;
      for (const [key, seen] of nsqSeen) {
        const v = n[key];
        if (typeof v !== 'string' || seen.has(v)) continue;
        seen.add(v);
        addOption(nsqSelect(key), v, v);
        if (nsqFilters.hidden) {
          nsqFilters.hidden = false;
          nameGoChannel(true);
        }
      }
    }
  }

  updateCount();

  return {
    /**
     * Adds events (oldest first, as `take_events` returns them).
     * @param {Array<{seq:number, t_us:number, kind:string, goroutine:number|null, channel:number|null, text:string}>} events
     * @param {object} [snapshot] the current snapshot, for the filter menus' names
     */
    push(events, snapshot) {
      learnNames(snapshot);
      if (!Array.isArray(events) || events.length === 0) return;
      const last = history.length ? history[history.length - 1].seq : -Infinity;
      // An event older than what we hold means the run restarted without clear().
      if (Number(events[0].seq) <= last) {
        if (refill) cancelAnimationFrame(refillFrame);
        refill = null;
        history = [];
        pending = [];
        list.replaceChildren();
        shown = 0;
        held = 0;
        target = PAGE;
        seenTotal = 0;
      }
      learnNsq(events);
      seenTotal += events.length;
      const keep = events.length > HISTORY ? events.slice(events.length - HISTORY) : events;
      history.push(...keep);
      if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
      pending.push(...keep);
      // Only the newest `target` can be drawn; while held, all are counted.
      if (atTop && pending.length > ROWS) pending.splice(0, pending.length - ROWS);
      const wait = FLUSH_MS - (performance.now() - lastFlush);
      if (wait <= 0) flush(false);
      else if (timer === null) timer = setTimeout(() => flush(false), wait);
    },

    /** Forgets every event and name (for a new run). */
    clear() {
      if (refill) cancelAnimationFrame(refillFrame);
      refill = null;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      history = [];
      pending = [];
      seenTotal = 0;
      shown = 0;
      held = 0;
      target = PAGE;
      selectedSeq = null;
      lastFlush = -Infinity;
      goroutineNames.clear();
      channelNames.clear();
      for (const [select, key] of [[gSelect, 'goroutine'], [cSelect, 'channel']]) {
        select.replaceChildren(select.options[0]);
        filter[key] = '';
      }
      // The NSQ selects go with the run (a Go run that follows has none).
      for (const key of Object.keys(nsqFilter)) {
        nsqFilter[key] = '';
        nsqSeen.get(key).clear();
      }
      nsqSelects.clear();
      nsqFilters.replaceChildren();
      nsqFilters.hidden = true;
      nameGoChannel(false);
      list.replaceChildren();
      list.scrollTop = 0;
      atTop = true;
      updateCount();
    },
  };
}

// ---- helpers ---------------------------------------------------------------

function el(doc, tag, className) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  return node;
}

function makeSelect(doc, parent, labelText, id, allText) {
  const label = doc.createElement('label');
  const span = doc.createElement('span');
  span.textContent = labelText;
  const select = doc.createElement('select');
  select.id = id;
  select.name = id;
  addOption(select, '', allText);
  label.append(span, select);
  parent.append(label);
  return select;
}

function addOption(select, value, text) {
  const option = select.ownerDocument.createElement('option');
  option.value = value;
  option.textContent = text;
  select.append(option);
}

/** Sets (a string) or removes (null / undefined) one data-* attribute. */
function setData(dataset, key, value) {
  if (value == null) delete dataset[key];
  else if (dataset[key] !== value) dataset[key] = value;
}

function kindWords(kind) {
  return String(kind).replace(/_/g, ' ');
}

function fmtTime(t_us) {
  const t = Number(t_us);
  if (!Number.isFinite(t)) return '?';
  return `${(t / 1e6).toFixed(3)}s`;
}
