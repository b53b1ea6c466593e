// The stage: draws the snapshot on a canvas, one view per system. A pure Go
// world is drawn by the Go view (views/go.js: goroutines and channels as a
// pipeline); a world with NSQ by the NSQ view (views/nsq.js: publishers,
// nsqd nodes with their topics and channels, consumers with their handler
// goroutines), which draws goroutines with the same cards; a world with
// Kafka by the Kafka view (views/kafka.js: the Go parts above, then
// producers, brokers with their partition logs, consumer groups). The look of
// things (cards, icons, slots, tokens, tooltips) is draw.js's; this module
// owns the canvas: its size, theme, selection, hover, highlight and the
// accessible list that says in words what the canvas shows.
//
// The canvas is as tall as its content needs (at least STAGE_MIN_H), so a
// small scenario leaves the charts on screen. Message labels are the
// engine's (`producer-1#3`) where they fit and a compact form that stays
// unique (`p1#3`, see createLabeler) where they do not. Tokens (messages in
// flight) always run to their end, and the frame after the last one wipes
// them, so none stays frozen when the run ends or pauses.
//
// createStage(canvas, list, { onSelect(goroutineId), onSelectMessage(label),
//   onViewLoaded() (the NSQ or Kafka view's code arrived: draw again) }) -> {
//   render(snapshot, events, nowMs)   draw one frame (events: EventView[] since the last frame)
//   animating(nowMs)                  whether to draw again though the world did not change
//   select(goroutineId | null)        outline the selected goroutine
//   flash({ goroutine, channel })     highlight the actors of an event for a moment
//   reset()                           forget tokens, layout, labels and highlights (new world)
//   setReducedMotion(bool)            no token animation, state still drawn
//   refreshTheme()                    re-read the colours (system theme changed)
// }

import { setText } from './dom.js';
import { createLabeler, readTheme, createPainter, stateWord } from './draw.js';
import { createGoView } from './views/go.js';

export { STATES, roleWord, stateWord, LEGEND, fmtDuration, splitLabel, createLabeler, readTheme, drawIcon, iconCanvas, paintIconCanvas } from './draw.js';
export { groupEdges, edgesOfGroup } from './views/go.js';

/**
 * While playing, the accessible list is refreshed once over every LIST_MS of
 * wall time, a slice of it each frame (so its text is never older than that,
 * and no frame pays for laying out a hundred changed lines at once); while
 * it has focus (and so is shown), all of it at once every LIST_MS.
 */
const LIST_MS = 250;
/** The stage is never shorter than this (CSS pixels)... */
const STAGE_MIN_H = 260;
/** ...and gets this much more than its content needs. */
const STAGE_AIR = 48;
const FLASH_MS = 1600;

export function createStage(canvas, list, { onSelect, onSelectMessage, onViewLoaded } = {}) {
  const ctx = canvas.getContext('2d');
  /** The surface the views draw on (updated in place). */
  const S = { ctx, theme: readTheme(canvas), width: 0, height: 0, selected: null, reducedMotion: false, labeler: createLabeler(), top: 0, layoutEpoch: 0 };
  const P = createPainter(S);
  const goView = createGoView(S, P);
  /**
   * NSQ's and Kafka's views, made when their code has loaded: it is fetched
   * with the first snapshot that needs it (a Go-only embed never loads it).
   * Meanwhile the stage says it is loading.
   */
  const systemViews = { nsq: null, kafka: null };
  const viewLoads = { nsq: null, kafka: null };
  function systemView(kind) {
    if (systemViews[kind]) return systemViews[kind];
    viewLoads[kind] ||= (kind === 'kafka' ? import('./views/kafka.js').then((m) => m.createKafkaView(S, P)) : import('./views/nsq.js').then((m) => m.createNsqView(S, P)))
      .then((v) => {
        systemViews[kind] = v;
        if (S.reducedMotion) v.clearTokens();
        onViewLoaded?.();
      }, () => { viewLoads[kind] = null; }); // tried again at the next frame
    return loadingView(kind);
  }
  /**
   * What the stage draws while the NSQ or Kafka view's code loads (a frame or
   * two on a fast connection): one line saying so, nothing to hit or hover.
   */
  const loadingViews = {};
  function loadingView(kind) {
    const text = `Loading the ${kind === 'kafka' ? 'Kafka' : 'NSQ'} view…`;
    loadingViews[kind] ||= {
      reset() {},
      clearTokens() {},
      prepare() { return 0; },
      draw() {
        ctx.save();
        ctx.fillStyle = S.theme['--muted'];
        ctx.font = '14px system-ui, sans-serif';
        ctx.textBaseline = 'middle';
        ctx.fillText(text, 16, 32);
        ctx.restore();
      },
      animating() { return true; },
      hitGoroutine() { return null; },
      flashRects() { return []; },
      tooltipLines() { return null; },
      ariaText() { return `${text} `; },
    };
    return loadingViews[kind];
  }
  /** The view that draws a snapshot: Kafka's, NSQ's, or Go's. */
  const viewFor = (snap) => (snap.kafka ? systemView('kafka') : snap.nsq ? systemView('nsq') : goView);
  let view = goView; // the view of the last frame
  let hover = null; // { x, y }
  let flashUntil = 0;
  let flashTarget = null;
  let lastSnap = null;
  let listKey = '';
  let listNodes = new Map();
  let listCursor = 0; // the next list item to refresh (goroutines, then channels)
  let listTickAt = 0; // when the list's last slice was refreshed
  let listForce = true; // refresh every item at the next render (the selection changed)
  let lastAria = '';
  let listPending = false; // a pass over the list is under way: paused, the next frame finishes it

  function resize() {
    const rect = canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    S.width = Math.max(1, Math.round(rect.width));
    S.height = Math.max(1, Math.round(rect.height));
    canvas.width = Math.round(S.width * dpr);
    canvas.height = Math.round(S.height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    S.layoutEpoch++;
  }
  new ResizeObserver(() => { resize(); if (lastSnap) draw(lastSnap, performance.now()); }).observe(canvas);
  resize();

  const schemeQuery = window.matchMedia('(prefers-color-scheme: dark)');
  schemeQuery.addEventListener('change', () => { S.theme = readTheme(canvas); P.clearSprites(); });

  // --- highlight, tooltip --------------------------------------------------

  function drawFlash(now) {
    if (!flashTarget || now > flashUntil) return;
    const k = S.reducedMotion ? 1 : 0.5 + 0.5 * Math.abs(Math.sin(((flashUntil - now) / 300) * Math.PI));
    ctx.save();
    ctx.strokeStyle = S.theme['--accent'];
    ctx.lineWidth = 3;
    ctx.globalAlpha = k;
    for (const r of view.flashRects(flashTarget)) {
      P.roundRect(r.x, r.y, r.w, r.h, r.r);
      ctx.stroke();
    }
    ctx.restore();
  }

  function drawTooltip(snap) {
    if (!hover) return;
    const lines = view.tooltipLines(hover.x, hover.y, snap);
    if (lines) P.tooltip(lines, hover);
  }

  // --- the accessible list -------------------------------------------------

  function updateList(snap, now, force) {
    const extra = view.listItems ? view.listItems(snap) : [];
    const key = `${snap.goroutines.map((g) => g.id).join(',')}|${snap.channels.length}|${extra.map((x) => x.key).join(',')}`;
    if (key !== listKey) {
      listKey = key;
      list.replaceChildren();
      listNodes = new Map();
      for (const g of snap.goroutines) {
        const li = document.createElement('li');
        li.dataset.goroutine = g.name;
        const b = document.createElement('button');
        b.type = 'button';
        b.addEventListener('click', () => onSelect && onSelect(g.id));
        li.append(b);
        list.append(li);
        listNodes.set(`g${g.id}`, b);
      }
      for (const ch of snap.channels) {
        const li = document.createElement('li');
        li.dataset.channel = ch.name;
        list.append(li);
        listNodes.set(`c${ch.id}`, li);
      }
      for (const x of extra) {
        const li = document.createElement('li');
        li.dataset.item = x.key;
        list.append(li);
        listNodes.set(`x${x.key}`, li);
      }
      force = true;
    }
    if (listForce) force = true;
    listForce = false;
    const gs = snap.goroutines;
    const nc = snap.channels.length;
    const n = gs.length + nc + extra.length;
    // All of it when forced (paused, new items, selection) or shown (focused, every LIST_MS),
    // else this frame's share of a pass.
    if (!force && list.contains(list.getRootNode().activeElement)) {
      if (now - listTickAt < LIST_MS) return;
      force = true;
    }
    const count = force ? n : Math.min(n, Math.ceil((n * Math.max(0, now - listTickAt)) / LIST_MS));
    if (force) listCursor = 0;
    listTickAt = now;
    for (let k = 0; k < count; k++) {
      const i = (listCursor + k) % n;
      if (i < gs.length) {
        const g = gs[i];
        const b = listNodes.get(`g${g.id}`);
        setText(b, `${g.name} (${stateWord(g)}${g.stuck ? ', stuck' : ''}): ${g.state_text}`);
        const pressed = String(g.id === S.selected);
        if (b.getAttribute('aria-pressed') !== pressed) b.setAttribute('aria-pressed', pressed);
      } else if (i < gs.length + nc) {
        const ch = snap.channels[i - gs.length];
        setText(listNodes.get(`c${ch.id}`), goView.channelText(ch));
      } else {
        const x = extra[i - gs.length - nc];
        setText(listNodes.get(`x${x.key}`), x.text);
      }
    }
    const passDone = force || listCursor + count >= n;
    listCursor = n ? (listCursor + count) % n : 0;
    listPending = !passDone;
    if (!passDone) return;
    // The canvas's own label: once a pass.
    const counts = {};
    for (const g of snap.goroutines) {
      const w = stateWord(g);
      counts[w] = (counts[w] || 0) + 1;
    }
    const aria = `Stage: ${snap.goroutines.length} goroutines (${Object.entries(counts).map(([w, n]) => `${n} ${w}`).join(', ')}); `
      + `${snap.channels.map((c) => `${c.name} ${c.len}/${c.cap}${c.closed ? ' closed' : ''}`).join('; ')}. `
      + `${view.ariaText ? view.ariaText(snap) : ''}${snap.status_text}`;
    if (aria !== lastAria) { lastAria = aria; canvas.setAttribute('aria-label', aria); }
  }

  // --- frame ---------------------------------------------------------------

  function draw(snap, now) {
    const next = viewFor(snap);
    if (next !== view) { view.reset(); view = next; }
    S.top = 0;
    let need = view.prepare(snap, S.height);
    // The canvas is as tall as its content needs (a little air, a sensible
    // minimum), so small scenarios leave room for the charts below. When the
    // content grows, the canvas grows before this frame is drawn (once: the
    // resize observer settles the rest), so nothing is drawn past its edge.
    const h = `${Math.round(Math.max(STAGE_MIN_H, need + STAGE_AIR))}px`;
    if (canvas.style.height !== h) {
      canvas.style.height = h;
      if (need > S.height) {
        resize();
        need = view.prepare(snap, S.height);
      }
    }
    ctx.clearRect(0, 0, S.width, S.height);
    view.draw(snap, now);
    drawFlash(now);
    drawTooltip(snap);
  }

  function hitAt(ev) {
    const r = canvas.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  }

  canvas.addEventListener('click', (ev) => {
    const { x, y } = hitAt(ev);
    const id = view.hitGoroutine(x, y);
    if (id !== null) { if (onSelect) onSelect(id); return; }
    const msg = view.hitMessage ? view.hitMessage(x, y) : null;
    if (msg !== null && onSelectMessage) onSelectMessage(msg);
  });
  canvas.addEventListener('mousemove', (ev) => {
    hover = hitAt(ev);
    const pointer = view.hitGoroutine(hover.x, hover.y) !== null || (view.hitMessage && view.hitMessage(hover.x, hover.y) !== null);
    canvas.style.cursor = pointer ? 'pointer' : 'default';
  });
  canvas.addEventListener('mouseleave', () => { hover = null; });

  return {
    render(snap, events, now, { forceList = false } = {}) {
      lastSnap = snap;
      const next = viewFor(snap);
      if (next !== view) { view.reset(); view = next; }
      // Tokens need a layout: the first frame of a world only lays out.
      if (events && events.length && view.layout) view.addTokens(events, snap, now);
      draw(snap, now);
      // The Kafka view's tallies of tokens (drawing a snapshot starts some), for tests ("produce:3 replicate:6 ...").
      const counts = view.tokenCounts;
      if (counts) canvas.dataset.kafkaTokens = Object.entries(counts).map(([kind, n]) => `${kind}:${n}`).join(' ');
      updateList(snap, now, forceList);
    },
    /**
     * Whether the stage must be drawn again though the world did not change:
     * tokens in flight, a flash, or a last frame that still shows tokens or a
     * flash which have since ended (so nothing stays frozen on the canvas).
     */
    animating(now) {
      if (view.animating(now) || listPending) return true;
      if (flashTarget !== null) {
        if (now <= flashUntil) return true;
        flashTarget = null; // one more frame, without the highlight
        return true;
      }
      return false;
    },
    select(id) {
      S.selected = id;
      listForce = true;
    },
    flash(target) {
      flashTarget = target;
      flashUntil = performance.now() + FLASH_MS;
    },
    reset() {
      goView.reset();
      systemViews.nsq?.reset();
      systemViews.kafka?.reset();
      S.labeler.clear();
      flashTarget = null;
      listKey = '';
    },
    setReducedMotion(on) {
      S.reducedMotion = on;
      if (on) { goView.clearTokens(); systemViews.nsq?.clearTokens(); systemViews.kafka?.clearTokens(); }
    },
    refreshTheme() {
      S.theme = readTheme(canvas);
      P.clearSprites();
    },
  };
}
