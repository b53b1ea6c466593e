// The stage: draws the snapshot on a canvas. Producers on the left, channels
// in the middle (a row of buffer slots, parked senders queued on their left,
// parked receivers on their right), consumers and stages on the right;
// pipelines run left to right. Every fact drawn comes from the engine's
// snapshot and events; this module only decides where things go.
//
// The canvas is as tall as its content needs (at least STAGE_MIN_H), so a
// small scenario leaves the charts on screen. Message labels are the
// engine's (`producer-1#3`) where they fit and a compact form that stays
// unique (`p1#3`, see createLabeler) where they do not. Tokens (messages in
// flight) always run to their end, and the frame after the last one wipes
// them, so none stays frozen when the run ends or pauses.
//
// createStage(canvas, list, { onSelect }) -> {
//   render(snapshot, events, nowMs)   draw one frame (events: EventView[] since the last frame)
//   animating(nowMs)                  whether to draw again though the world did not change
//   select(goroutineId | null)        outline the selected goroutine
//   flash({ goroutine, channel })     highlight the actors of an event for a moment
//   reset()                           forget tokens, layout, labels and highlights (new world)
//   setReducedMotion(bool)            no token animation, state still drawn
//   refreshTheme()                    re-read the colours (system theme changed)
// }

import { setText } from './dom.js';

/** How each goroutine state is shown: a word, a colour (CSS variable) and an icon shape. */
export const STATES = {
  runnable: { word: 'running', short: 'running', color: '--st-run', icon: 'play', blocked: false },
  working: { word: 'working', short: 'working', color: '--st-work', icon: 'gear', blocked: false },
  sleeping: { word: 'sleeping', short: 'sleeping', color: '--st-sleep', icon: 'moon', blocked: false },
  blocked_send: { word: 'blocked on send', short: 'send blocked', color: '--st-send', icon: 'send', blocked: true },
  blocked_recv: { word: 'blocked on receive', short: 'recv blocked', color: '--st-recv', icon: 'recv', blocked: true },
  blocked_select: { word: 'blocked in select', short: 'select blocked', color: '--st-select', icon: 'select', blocked: true },
  blocked_wait: { word: 'waiting on a WaitGroup', short: 'wg.Wait', color: '--st-wait', icon: 'hourglass', blocked: true },
  // Waiting for a server's response (go-nsq's Publish): not stuck, the network will answer.
  blocked_net: { word: 'waiting for the network', short: 'net wait', color: '--st-sleep', icon: 'hourglass', blocked: false },
  done: { word: 'done', short: 'done', color: '--st-done', icon: 'check', blocked: false },
  panicked: { word: 'panicked', short: 'panicked', color: '--st-panic', icon: 'cross', blocked: false },
  removed: { word: 'removed', short: 'removed', color: '--st-done', icon: 'cross', blocked: false },
};

/** The word shown for a goroutine's role ("custom" is the engine's name for a hand-written program). */
export function roleWord(role) {
  return role === 'custom' ? 'program' : String(role);
}

/** Legend order. */
export const LEGEND = ['runnable', 'working', 'sleeping', 'blocked_send', 'blocked_recv', 'blocked_select', 'blocked_wait', 'done', 'panicked'];

const TOKEN_MS = 340;
/**
 * While playing, the accessible list is refreshed once over every LIST_MS of
 * wall time, a slice of it each frame (so its text is never older than that,
 * and no frame pays for laying out a hundred changed lines at once); while
 * it has focus (and so is shown), all of it at once every LIST_MS.
 */
const LIST_MS = 250;
/** Buffered values named in the accessible list, per channel. */
const LIST_LABELS = 8;
/** The stage is never shorter than this (CSS pixels)... */
const STAGE_MIN_H = 260;
/** ...and gets this much more than its content needs. */
const STAGE_AIR = 48;
const STUCK_WORD = { blocked_send: 'send', blocked_recv: 'receive', blocked_select: 'select', blocked_wait: 'wg.Wait' };
const MAX_TOKENS = 60;
const FLASH_MS = 1600;
const SEND_KINDS = new Set(['handoff', 'buffered', 'unblocked']);

/** "1.2s", "350ms", "2m05s" for a duration in microseconds (display only). */
export function fmtDuration(us) {
  if (!Number.isFinite(us) || us < 0) return '';
  if (Math.round(us) === 0) return '0s'; // as the engine prints it ("for 0s"), whatever the unit
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1e6) return `${Math.round(us / 1000)}ms`;
  if (us < 60e6) return `${(us / 1e6).toFixed(us < 10e6 ? 1 : 0)}s`;
  const m = Math.floor(us / 60e6);
  const s = Math.floor((us % 60e6) / 1e6);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

/** Splits an engine label `producer#value` at its last '#': [producer, '#value'] (['', label] without one). */
export function splitLabel(label) {
  const s = String(label);
  const i = s.lastIndexOf('#');
  return i > 0 ? [s.slice(0, i), s.slice(i)] : ['', s];
}

/** Short forms of a name, shortest first, ending with the name itself: "producer-1" -> p1, pr1, pro1, ..., producer1, producer-1. */
function abbreviations(name) {
  const words = name.match(/[A-Za-z]+/g) || [];
  const digits = (name.match(/[0-9]+/g) || []).join('');
  const out = [];
  if (words.length) {
    out.push(words.map((w) => w[0]).join('').toLowerCase() + digits);
    const first = words[0].toLowerCase();
    const rest = words.slice(1).map((w) => w[0].toLowerCase()).join('');
    for (let n = 2; n <= first.length; n++) out.push(first.slice(0, n) + rest + digits);
  }
  out.push(name);
  return out;
}

/**
 * Compact message labels for narrow places, for display only: the engine's
 * `producer-1#3` becomes `p1#3`. Every producer name gets the shortest of its
 * abbreviations (initials + digits, then longer prefixes, then the name
 * itself) that no earlier name took and that is not another goroutine's
 * real name, so two different messages never read the same. Names keep
 * their short form once given, unless a later name is exactly that form
 * (then the forms are dealt again, in the order the names were learned).
 *
 * createLabeler() -> { learn(names), short(label), clear() }
 */
export function createLabeler() {
  const order = []; // names, in the order they were learned
  const known = new Set();
  const short = new Map(); // name -> short form
  let taken = new Set(); // short forms in use

  function deal() {
    short.clear();
    taken = new Set();
    for (const name of order) {
      const pick = abbreviations(name).find((a) => a === name || (!taken.has(a) && !known.has(a))) ?? name;
      short.set(name, pick);
      taken.add(pick);
    }
  }

  function learn(names) {
    let again = false;
    for (const name of names) {
      if (known.has(name)) continue;
      known.add(name);
      order.push(name);
      if (taken.has(name)) again = true; // an earlier name's short form is this real name
      else {
        const pick = abbreviations(name).find((a) => a === name || (!taken.has(a) && !known.has(a))) ?? name;
        short.set(name, pick);
        taken.add(pick);
      }
    }
    if (again) deal();
  }

  return {
    learn,
    /** `p1#3` for `producer-1#3` (learning the producer's name if it is new). */
    short(label) {
      const [name, rest] = splitLabel(label);
      if (!name) return String(label);
      if (!known.has(name)) learn([name]);
      return short.get(name) + rest;
    },
    clear() {
      order.length = 0;
      known.clear();
      short.clear();
      taken = new Set();
    },
  };
}

/** Colours from CSS custom properties, so the canvas follows the theme. */
export function readTheme() {
  const cs = getComputedStyle(document.documentElement);
  const v = (name) => cs.getPropertyValue(name).trim() || '#888';
  const theme = {};
  for (const name of ['--bg', '--panel', '--fg', '--muted', '--line', '--accent', '--slot', '--slot-fill', '--slot-text', '--danger',
    '--st-run', '--st-work', '--st-sleep', '--st-send', '--st-recv', '--st-select', '--st-wait', '--st-done', '--st-panic', '--card', '--card-done']) {
    theme[name] = v(name);
  }
  return theme;
}

/**
 * Draws a state icon centred on (cx, cy) with radius r. Shapes differ per
 * state so colour is never the only cue.
 */
export function drawIcon(ctx, icon, cx, cy, r, color, hole = null) {
  ctx.save();
  ctx.fillStyle = color;
  ctx.strokeStyle = color;
  ctx.lineWidth = Math.max(1.2, r * 0.28);
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  switch (icon) {
    case 'play':
      ctx.moveTo(cx - r * 0.55, cy - r * 0.8);
      ctx.lineTo(cx + r * 0.85, cy);
      ctx.lineTo(cx - r * 0.55, cy + r * 0.8);
      ctx.closePath();
      ctx.fill();
      break;
    case 'gear': {
      const teeth = 8;
      for (let i = 0; i < teeth * 2; i++) {
        const a = (i / (teeth * 2)) * Math.PI * 2;
        const rr = i % 2 === 0 ? r : r * 0.72;
        const a2 = a + Math.PI / (teeth * 2);
        ctx.lineTo(cx + Math.cos(a) * rr, cy + Math.sin(a) * rr);
        ctx.lineTo(cx + Math.cos(a2) * rr, cy + Math.sin(a2) * rr);
      }
      ctx.closePath();
      ctx.fill();
      // The axle hole: painted in the background colour when known (cheap), else cut out.
      if (hole) ctx.fillStyle = hole;
      else ctx.globalCompositeOperation = 'destination-out';
      ctx.beginPath();
      ctx.arc(cx, cy, r * 0.32, 0, Math.PI * 2);
      ctx.fill();
      break;
    }
    case 'moon':
      ctx.arc(cx, cy, r * 0.85, Math.PI * 0.35, Math.PI * 1.65, false);
      ctx.arc(cx + r * 0.38, cy - r * 0.05, r * 0.62, Math.PI * 1.5, Math.PI * 0.5, true);
      ctx.closePath();
      ctx.fill();
      break;
    case 'send': // an arrow pushing up against a bar: "can't hand it over"
      ctx.moveTo(cx - r * 0.85, cy - r * 0.85);
      ctx.lineTo(cx + r * 0.85, cy - r * 0.85);
      ctx.moveTo(cx, cy + r * 0.9);
      ctx.lineTo(cx, cy - r * 0.35);
      ctx.moveTo(cx - r * 0.5, cy + r * 0.1);
      ctx.lineTo(cx, cy - r * 0.4);
      ctx.lineTo(cx + r * 0.5, cy + r * 0.1);
      ctx.stroke();
      break;
    case 'recv': // an arrow pointing down onto a bar: "nothing to take"
      ctx.moveTo(cx - r * 0.85, cy + r * 0.85);
      ctx.lineTo(cx + r * 0.85, cy + r * 0.85);
      ctx.moveTo(cx, cy - r * 0.9);
      ctx.lineTo(cx, cy + r * 0.35);
      ctx.moveTo(cx - r * 0.5, cy - r * 0.1);
      ctx.lineTo(cx, cy + r * 0.4);
      ctx.lineTo(cx + r * 0.5, cy - r * 0.1);
      ctx.stroke();
      break;
    case 'select': // a diamond with a dot: waiting on several cases
      ctx.moveTo(cx, cy - r);
      ctx.lineTo(cx + r, cy);
      ctx.lineTo(cx, cy + r);
      ctx.lineTo(cx - r, cy);
      ctx.closePath();
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(cx, cy, r * 0.25, 0, Math.PI * 2);
      ctx.fill();
      break;
    case 'hourglass':
      ctx.moveTo(cx - r * 0.7, cy - r * 0.9);
      ctx.lineTo(cx + r * 0.7, cy - r * 0.9);
      ctx.lineTo(cx - r * 0.7, cy + r * 0.9);
      ctx.lineTo(cx + r * 0.7, cy + r * 0.9);
      ctx.closePath();
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(cx - r * 0.35, cy + r * 0.75);
      ctx.lineTo(cx + r * 0.35, cy + r * 0.75);
      ctx.lineTo(cx, cy + r * 0.3);
      ctx.closePath();
      ctx.fill();
      break;
    case 'check':
      ctx.moveTo(cx - r * 0.75, cy);
      ctx.lineTo(cx - r * 0.2, cy + r * 0.6);
      ctx.lineTo(cx + r * 0.8, cy - r * 0.65);
      ctx.stroke();
      break;
    case 'cross':
      ctx.lineWidth = Math.max(1.5, r * 0.36);
      ctx.moveTo(cx - r * 0.7, cy - r * 0.7);
      ctx.lineTo(cx + r * 0.7, cy + r * 0.7);
      ctx.moveTo(cx + r * 0.7, cy - r * 0.7);
      ctx.lineTo(cx - r * 0.7, cy + r * 0.7);
      ctx.stroke();
      break;
    case 'warn':
      ctx.moveTo(cx, cy - r);
      ctx.lineTo(cx + r, cy + r * 0.8);
      ctx.lineTo(cx - r, cy + r * 0.8);
      ctx.closePath();
      ctx.fill();
      ctx.fillStyle = '#fff';
      ctx.fillRect(cx - r * 0.1, cy - r * 0.35, r * 0.2, r * 0.65);
      ctx.fillRect(cx - r * 0.1, cy + r * 0.42, r * 0.2, r * 0.2);
      break;
    case 'pause':
      ctx.fillRect(cx - r * 0.7, cy - r * 0.75, r * 0.45, r * 1.5);
      ctx.fillRect(cx + r * 0.25, cy - r * 0.75, r * 0.45, r * 1.5);
      break;
    default:
      ctx.arc(cx, cy, r * 0.6, 0, Math.PI * 2);
      ctx.fill();
  }
  ctx.restore();
}

/** A small canvas with one state icon, for the legend and the inspector. */
export function iconCanvas(icon, colorVar, size = 16) {
  const c = document.createElement('canvas');
  c.className = 'icon';
  c.setAttribute('aria-hidden', 'true');
  c.dataset.icon = icon;
  c.dataset.color = colorVar;
  paintIconCanvas(c, size);
  return c;
}

/** (Re)paints an icon canvas made by iconCanvas, e.g. after a theme change. */
export function paintIconCanvas(c, size = 16) {
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.round(size * dpr);
  c.height = Math.round(size * dpr);
  c.style.width = `${size}px`;
  c.style.height = `${size}px`;
  const ctx = c.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, size, size);
  const color = getComputedStyle(document.documentElement).getPropertyValue(c.dataset.color).trim() || '#888';
  drawIcon(ctx, c.dataset.icon, size / 2, size / 2, size * 0.38, color);
}

// ---------------------------------------------------------------------------
// Graph: which group sends to / receives from / closes which channel, read
// from each group's behaviour (scenario JSON).

function walkStmts(stmts, acc) {
  if (!Array.isArray(stmts)) return;
  for (const s of stmts) {
    if (!s || typeof s !== 'object') continue;
    if (typeof s.send === 'string') acc.sends.add(s.send);
    if (typeof s.recv === 'string') acc.recvs.add(s.recv);
    if (typeof s.close === 'string') acc.closes.add(s.close);
    if (typeof s.wg_wait === 'string') acc.waits.add(s.wg_wait);
    if (s.repeat) walkStmts(s.repeat.body, acc);
    if (s.forever) walkStmts(s.forever, acc);
    if (s.range) {
      if (typeof s.range.ch === 'string') acc.recvs.add(s.range.ch);
      walkStmts(s.range.body, acc);
    }
    if (s.select) {
      for (const c of s.select.cases || []) {
        if (typeof c.send === 'string') acc.sends.add(c.send);
        if (typeof c.recv === 'string') acc.recvs.add(c.recv);
        walkStmts(c.body, acc);
      }
      walkStmts(s.select.default, acc);
      if (s.select.after) walkStmts(s.select.after.body, acc);
    }
  }
}

/** The channel edges of one group's behaviour. */
export function groupEdges(behavior) {
  const acc = { sends: new Set(), recvs: new Set(), closes: new Set(), waits: new Set() };
  if (!behavior || typeof behavior !== 'object') return acc;
  const [kind] = Object.keys(behavior);
  const b = behavior[kind];
  switch (kind) {
    case 'producer':
      acc.sends.add(b.to);
      if (b.close_when_done) acc.closes.add(b.to);
      break;
    case 'consumer':
    case 'nsq_handler': // a go-nsq handler ranges over the consumer's incoming channel
      acc.recvs.add(b.from);
      break;
    case 'nsq_reader': // go-nsq's connection reader pushes into it
      acc.sends.add(b.to);
      break;
    case 'stage':
    case 'sieve_filter':
      acc.recvs.add(b.from);
      acc.sends.add(b.to);
      if (b.close_when_done || kind === 'sieve_filter') acc.closes.add(b.to);
      break;
    case 'closer':
      acc.closes.add(b.close);
      acc.waits.add(b.wait);
      break;
    case 'program':
      walkStmts(b, acc);
      break;
    default:
      break;
  }
  return acc;
}

/**
 * Columns left to right: even columns hold goroutine groups, odd columns
 * channels. A group sits one column right of the channels it receives from;
 * a channel one column right of the groups that send to it.
 */
function buildTopology(snap) {
  const chanByName = new Map(snap.channels.map((c) => [c.name, c]));
  const groups = snap.groups.map((g) => ({ name: g.name, role: g.role, edges: groupEdges(g.behavior) }));
  for (const g of groups) {
    for (const set of [g.edges.sends, g.edges.recvs, g.edges.closes]) {
      for (const ch of [...set]) if (!chanByName.has(ch)) set.delete(ch);
    }
  }
  const gRank = new Map(groups.map((g) => [g.name, 0]));
  const cRank = new Map(snap.channels.map((c) => [c.name, 1]));
  const n = groups.length + snap.channels.length + 2;
  for (let iter = 0; iter < n; iter++) {
    let changed = false;
    for (const g of groups) {
      let r = 0;
      for (const ch of g.edges.recvs) r = Math.max(r, cRank.get(ch) + 1);
      if (g.edges.recvs.size === 0 && g.edges.sends.size === 0) {
        for (const ch of g.edges.closes) r = Math.max(r, cRank.get(ch) - 1);
      }
      if (r > gRank.get(g.name)) { gRank.set(g.name, r); changed = true; }
    }
    for (const c of snap.channels) {
      let r = 1;
      for (const g of groups) if (g.edges.sends.has(c.name)) r = Math.max(r, gRank.get(g.name) + 1);
      if (r > cRank.get(c.name)) { cRank.set(c.name, r); changed = true; }
    }
    if (!changed) break;
  }
  // Groups that touch no channel (main waiting on a WaitGroup) go last.
  let maxRank = 0;
  for (const r of cRank.values()) maxRank = Math.max(maxRank, r + 1);
  for (const g of groups) {
    const e = g.edges;
    if (e.sends.size + e.recvs.size + e.closes.size > 0) maxRank = Math.max(maxRank, gRank.get(g.name));
  }
  if (maxRank % 2 === 1) maxRank += 1;
  for (const g of groups) {
    const e = g.edges;
    let r = gRank.get(g.name);
    if (e.sends.size + e.recvs.size + e.closes.size === 0) r = maxRank;
    if (r % 2 === 1) r += 1; // a cycle can leave odd ranks; keep groups on even columns
    gRank.set(g.name, Math.min(r, maxRank));
  }
  for (const c of snap.channels) {
    let r = cRank.get(c.name);
    if (r % 2 === 0) r += 1;
    cRank.set(c.name, Math.min(r, maxRank - 1));
  }
  // Drop empty columns (keeping the group/channel alternation readable).
  const used = new Set([...gRank.values(), ...cRank.values()]);
  const order = [...used].sort((a, b) => a - b);
  const colOf = new Map(order.map((r, i) => [r, i]));
  const columns = order.map((r) => ({ kind: r % 2 === 0 ? 'g' : 'c', groups: [], channels: [] }));
  for (const g of groups) columns[colOf.get(gRank.get(g.name))].groups.push(g.name);
  for (const c of snap.channels) columns[colOf.get(cRank.get(c.name))].channels.push(c.id);
  return { groups: new Map(groups.map((g) => [g.name, g])), columns };
}

function topologyKey(snap) {
  let k = `${snap.channels.length}|`;
  for (const g of snap.groups) k += `${g.name}:${g.count};`;
  return k;
}

// ---------------------------------------------------------------------------

export function createStage(canvas, list, { onSelect } = {}) {
  const ctx = canvas.getContext('2d');
  let theme = readTheme();
  let reducedMotion = false;
  let topo = null;
  let topoKey = '';
  let layout = null; // positions, recomputed when the topology or size changes
  let layoutDirty = true;
  let width = 0;
  let height = 0;
  let selected = null;
  let hover = null; // { x, y }
  let flashUntil = 0;
  let flashTarget = null;
  let tokens = [];
  let lastSnap = null;
  let listKey = '';
  let listNodes = new Map();
  let listCursor = 0; // the next list item to refresh (goroutines, then channels)
  let listTickAt = 0; // when the list's last slice was refreshed
  let listForce = true; // refresh every item at the next render (the selection changed)
  let lastAria = '';
  let drewTokens = false; // the last frame showed tokens: the next one must wipe them
  const textWidthCache = new Map();
  const labeler = createLabeler();

  function resize() {
    const rect = canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    width = Math.max(1, Math.round(rect.width));
    height = Math.max(1, Math.round(rect.height));
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    layoutDirty = true;
  }
  new ResizeObserver(() => { resize(); if (lastSnap) draw(lastSnap, performance.now()); }).observe(canvas);
  resize();

  const schemeQuery = window.matchMedia('(prefers-color-scheme: dark)');
  schemeQuery.addEventListener('change', () => { theme = readTheme(); textWidthCache.clear(); clearSprites(); });

  function measure(text, font) {
    const key = `${font}|${text}`;
    let w = textWidthCache.get(key);
    if (w === undefined) {
      ctx.font = font;
      w = ctx.measureText(text).width;
      if (textWidthCache.size > 4000) textWidthCache.clear();
      textWidthCache.set(key, w);
    }
    return w;
  }

  function fit(text, font, maxW) {
    if (measure(text, font) <= maxW) return text;
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (measure(`${text.slice(0, mid)}…`, font) <= maxW) lo = mid; else hi = mid - 1;
    }
    return lo > 0 ? `${text.slice(0, lo)}…` : '';
  }

  // --- layout --------------------------------------------------------------

  // Geometry constants (CSS pixels).
  const CARD_H = 40;
  const CARD_GAP = 8;
  const TILE = 18;
  const TILE_GAP = 4;
  const CHAN_H = 58;
  const UNIT_MIN = 104; // narrowest goroutine column before the chain wraps onto another row
  const WEIGHT_C = 1.9; // a channel column is this much wider than a goroutine column
  const ROW_GAP = 26;

  /** What a goroutine column needs: cards if they fit in `h`, tiles for big groups otherwise. */
  function columnBlocks(col, byGroup, inner, h) {
    const members = col.groups.map((name) => byGroup.get(name) || []);
    const total = members.reduce((n, m) => n + m.length, 0);
    const cardsFit = total * (CARD_H + CARD_GAP) - CARD_GAP + Math.max(0, members.length - 1) * 6 <= h;
    const blocks = [];
    col.groups.forEach((name, i) => {
      const gs = members[i];
      if (gs.length === 0) return;
      if (cardsFit || gs.length === 1) {
        blocks.push({ name, gs, tile: false, h: gs.length * (CARD_H + CARD_GAP) - CARD_GAP });
      } else {
        const perRow = Math.max(1, Math.floor((inner + TILE_GAP) / (TILE + TILE_GAP)));
        const rows = Math.ceil(gs.length / perRow);
        blocks.push({ name, gs, tile: true, perRow, h: 16 + rows * (TILE + TILE_GAP) - TILE_GAP });
      }
    });
    const need = blocks.reduce((n, b) => n + b.h, 0) + Math.max(0, blocks.length - 1) * 14;
    return { blocks, need };
  }

  /**
   * Splits the columns into rows (a long chain snakes onto the next row when
   * columns would get narrower than UNIT_MIN), then places cards, tiles and
   * channels. Returns positions and the height the content needs.
   */
  function computeLayout(snap) {
    const pad = 12;
    const wgLines = waitGroupLines(worstWaitGroupTexts(snap));
    const bottom = wgLines.length ? 10 + wgLines.length * WG_LINE : 8;
    const top = 8;
    const cols = topo.columns;
    // Unbuffered channels have no slots to draw: their columns can be narrower.
    const capOf = new Map(snap.channels.map((c) => [c.id, c.cap]));
    const weight = (c) => (c.kind === 'g' ? 1 : c.channels.some((id) => capOf.get(id) > 0) ? WEIGHT_C : WEIGHT_C * 0.7);
    const avail = width - pad * 2;
    const totalW = cols.reduce((n, c) => n + weight(c), 0);
    // Rows: as few as keep every goroutine column at least UNIT_MIN wide,
    // then balanced so the last row is not a lone column.
    const split = (limit) => {
      const out = [];
      let cur = [];
      let w = 0;
      cols.forEach((c, i) => {
        if (cur.length && w + weight(c) > limit + 1e-9) { out.push(cur); cur = []; w = 0; }
        cur.push(i);
        w += weight(c);
      });
      if (cur.length) out.push(cur);
      return out;
    };
    const cap = Math.max(avail / UNIT_MIN, Math.max(...cols.map(weight)));
    let rows = split(cap);
    if (rows.length > 1) {
      for (let lim = totalW / rows.length; lim < cap; lim += 0.05) {
        const r = split(lim);
        if (r.length <= rows.length) { rows = r; break; }
      }
    }
    const maxRowW = Math.max(...rows.map((r) => r.reduce((n, i) => n + weight(cols[i]), 0)));
    const unit = avail / Math.max(1, maxRowW);

    const byGroup = new Map();
    for (const g of snap.goroutines) {
      if (!byGroup.has(g.group)) byGroup.set(g.group, []);
      byGroup.get(g.group).push(g);
    }
    // Heights: each row gets what its tallest column needs, spare space shared out.
    // Rows with fewer columns may use wider ones (up to 1.5x), so lone groups get roomy cards.
    const rowOf = [];
    const rowUnit = rows.map((r, k) => {
      for (const i of r) rowOf[i] = k;
      return Math.min(avail / r.reduce((n, i) => n + weight(cols[i]), 0), unit * 1.5);
    });
    const unitOf = (i) => rowUnit[rowOf[i]];
    const innerOf = (i) => Math.max(30, unitOf(i) * weight(cols[i]) - 10);
    const availH = height - top - bottom - ROW_GAP * (rows.length - 1);
    const rowNeed = rows.map((r) => Math.max(CHAN_H + 20, ...r.map((i) => (cols[i].kind === 'g'
      ? columnBlocks(cols[i], byGroup, innerOf(i), Infinity).need
      : cols[i].channels.length * (CHAN_H + 12)))));
    // If cards do not fit, columns fall back to tiles: measure that too.
    const rowMin = rows.map((r, k) => Math.min(rowNeed[k], Math.max(CHAN_H + 20, ...r.map((i) => (cols[i].kind === 'g'
      ? columnBlocks(cols[i], byGroup, innerOf(i), 0).need
      : cols[i].channels.length * (CHAN_H + 12))))));
    const sumNeed = rowNeed.reduce((a, b) => a + b, 0);
    const sumMin = rowMin.reduce((a, b) => a + b, 0);
    const rowH = rows.map((r, k) => {
      if (sumNeed <= availH) return rowNeed[k] + (availH - sumNeed) / rows.length;
      if (sumMin <= availH) return rowMin[k] + ((availH - sumMin) * (rowNeed[k] - rowMin[k])) / Math.max(1, sumNeed - sumMin);
      return rowMin[k];
    });
    // The canvas grows to show every goroutine as a card when that stays reasonable, else as tiles.
    const fixed = top + bottom + ROW_GAP * (rows.length - 1);
    const needHeight = Math.ceil(fixed + (sumNeed <= 760 ? sumNeed : sumMin));

    const colBox = [];
    let y0 = top;
    rows.forEach((r, k) => {
      const u = rowUnit[k];
      const rowW = r.reduce((n, i) => n + weight(cols[i]), 0) * u;
      let x = pad + (avail - rowW) / 2;
      for (const i of r) {
        colBox[i] = { x, w: u * weight(cols[i]), top: y0, H: rowH[k] };
        x += u * weight(cols[i]);
      }
      y0 += rowH[k] + ROW_GAP;
    });
    const rowBottom = rows.map((r, k) => colBox[r[0]].top + rowH[k]);

    const pos = new Map(); // goroutine id -> { x, y, w, h, tile, row }
    const groupBoxes = new Map(); // group name -> { x, y, w, h, tile, row }
    const chanPos = new Map(); // channel id -> geometry
    cols.forEach((col, ci) => {
      if (col.kind !== 'g') return;
      const { x: cx, w: cw, top: ctop, H } = colBox[ci];
      const inner = innerOf(ci);
      const cardW = Math.min(inner, 168);
      const { blocks, need } = columnBlocks(col, byGroup, inner, H);
      let y = ctop + Math.max(0, (H - need) / 2);
      const left = cx + (cw - cardW) / 2;
      for (const b of blocks) {
        if (!b.tile) {
          b.gs.forEach((g, k) => {
            pos.set(g.id, { x: left, y: y + k * (CARD_H + CARD_GAP), w: cardW, h: CARD_H, tile: false, row: rowOf[ci] });
          });
          groupBoxes.set(b.name, { x: left, y, w: cardW, h: b.h, tile: false, row: rowOf[ci] });
        } else {
          const rowW = Math.min(b.gs.length, b.perRow) * (TILE + TILE_GAP) - TILE_GAP;
          const tx = cx + (cw - rowW) / 2;
          b.gs.forEach((g, k) => {
            const r = Math.floor(k / b.perRow);
            const c = k % b.perRow;
            pos.set(g.id, { x: tx + c * (TILE + TILE_GAP), y: y + 16 + r * (TILE + TILE_GAP), w: TILE, h: TILE, tile: true, row: rowOf[ci] });
          });
          groupBoxes.set(b.name, { x: tx, y, w: rowW, h: b.h, tile: true, labelX: tx, row: rowOf[ci] });
        }
        y += b.h + 14;
      }
    });
    // Channels: centred on the goroutines they connect (in the same row),
    // then pushed apart so none overlap.
    cols.forEach((col, ci) => {
      if (col.kind !== 'c') return;
      const { x: cx, w: cw, top: ctop, H } = colBox[ci];
      const items = col.channels.map((id) => {
        const ch = snap.channels.find((c) => c.id === id);
        const ys = [];
        for (const [name, g] of topo.groups) {
          if (g.edges.sends.has(ch.name) || g.edges.recvs.has(ch.name)) {
            const b = groupBoxes.get(name);
            if (b && b.row === rowOf[ci]) ys.push(b.y + b.h / 2);
          }
        }
        const want = ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : ctop + H / 2;
        return { id, y: want - CHAN_H / 2 };
      });
      items.sort((a, b) => a.y - b.y);
      let minY = ctop;
      for (const it of items) { it.y = Math.max(it.y, minY); minY = it.y + CHAN_H + 12; }
      const overflow = minY - 12 - (ctop + H);
      if (overflow > 0) for (const it of items) it.y = Math.max(ctop, it.y - overflow);
      const qW = Math.min(70, cw * 0.24);
      for (const it of items) {
        chanPos.set(it.id, { x: cx + qW, y: it.y, w: cw - qW * 2, h: CHAN_H, qW, colX: cx, colW: cw, row: rowOf[ci] });
      }
    });
    return { pos, groupBoxes, chanPos, needHeight, rowBottom, wgLines };
  }

  // --- drawing -------------------------------------------------------------

  function roundRect(x, y, w, h, r) {
    ctx.beginPath();
    ctx.roundRect(x, y, w, h, r);
  }

  function hatch(x, y, w, h, color) {
    ctx.save();
    roundRect(x, y, w, h, 6);
    ctx.clip();
    ctx.strokeStyle = color;
    ctx.globalAlpha = 0.16;
    ctx.lineWidth = 3;
    ctx.beginPath();
    for (let d = -h; d < w; d += 9) {
      ctx.moveTo(x + d, y + h);
      ctx.lineTo(x + d + h, y);
    }
    ctx.stroke();
    ctx.restore();
  }

  function arrow(x1, y1, x2, y2, color, lineW, dashed) {
    ctx.save();
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = lineW;
    if (dashed) ctx.setLineDash([4, 4]);
    const mx = (x1 + x2) / 2;
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.bezierCurveTo(mx, y1, mx, y2, x2 - 6, y2);
    ctx.stroke();
    arrowHead(x2, y2);
    ctx.restore();
  }

  /** Solid arrowhead pointing right, its tip at (x, y). */
  function arrowHead(x, y) {
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x - 7, y - 4);
    ctx.lineTo(x - 7, y + 4);
    ctx.closePath();
    ctx.fill();
  }

  function stateColor(g) {
    return theme[(STATES[g.state] || STATES.runnable).color];
  }

  /** The card's second line: state and how long, or what it works on (full label if it fits, else the compact one). */
  function shortStatus(g, font, maxW) {
    const st = STATES[g.state] || STATES.runnable;
    if (st.blocked) return g.state_for_us > 0 ? `${st.short} ${fmtDuration(g.state_for_us)}` : st.short;
    if (g.state === 'working' && g.held) {
      const full = `working on ${g.held}`;
      return measure(full, font) <= maxW ? full : `working on ${labeler.short(g.held)}`;
    }
    return st.short;
  }

  /** A message label that fits `maxW`: the engine's (`producer-1#3`) if it fits, else the compact one (`p1#3`). */
  function fitLabel(label, font, maxW) {
    return measure(label, font) <= maxW ? label : labeler.short(label);
  }

  /**
   * A label inside a buffer slot centred on (cx, cy): on one line if it fits,
   * else split into name and `#value` on two lines, else the compact form cut
   * to fit (only in slots too small for even that).
   */
  function drawSlotLabel(label, cx, cy, maxW, maxH) {
    const font = '10px ui-monospace, monospace';
    const small = '9px ui-monospace, monospace';
    ctx.textAlign = 'center';
    let text = fitLabel(label, font, maxW);
    if (measure(text, font) <= maxW) {
      ctx.font = font;
      ctx.fillText(text, cx, cy + 0.5);
    } else {
      const [name, value] = splitLabel(text);
      if (name && maxH >= 20 && measure(value, small) <= maxW) {
        const top = measure(name, small) <= maxW ? name : fit(name, small, maxW);
        ctx.font = small;
        ctx.fillText(top, cx, cy - 4.5);
        ctx.fillText(value, cx, cy + 5.5);
      } else {
        text = fit(text, small, maxW);
        ctx.font = small;
        ctx.fillText(text, cx, cy + 0.5);
      }
    }
    ctx.textAlign = 'left';
  }

  function drawCard(g, p, isSel) {
    const st = STATES[g.state] || STATES.runnable;
    const color = stateColor(g);
    const over = g.state === 'done' || g.state === 'panicked';
    ctx.save();
    if (over && g.state === 'done') ctx.globalAlpha = 0.62;
    roundRect(p.x, p.y, p.w, p.h, 6);
    ctx.fillStyle = theme['--card'];
    ctx.fill();
    if (st.blocked) hatch(p.x, p.y, p.w, p.h, color);
    // State stripe on the left edge.
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.roundRect(p.x, p.y, 5, p.h, [6, 0, 0, 6]);
    ctx.fill();
    roundRect(p.x, p.y, p.w, p.h, 6);
    ctx.lineWidth = g.stuck ? 2 : 1.2;
    ctx.strokeStyle = g.stuck ? theme['--danger'] : color;
    if (g.stuck) ctx.setLineDash([5, 3]);
    ctx.stroke();
    ctx.setLineDash([]);
    drawIcon(ctx, st.icon, p.x + 17, p.y + 14, 6.5, color, st.blocked ? null : theme['--card']);
    ctx.fillStyle = theme['--fg'];
    const nameFont = '600 12px system-ui, sans-serif';
    ctx.font = nameFont;
    ctx.textBaseline = 'middle';
    let right = p.x + p.w - 6;
    if (g.stuck) { drawIcon(ctx, 'warn', right - 6, p.y + 13, 6.5, theme['--danger']); right -= 16; }
    if (g.paused) { drawIcon(ctx, 'pause', right - 6, p.y + 13, 6, theme['--muted']); right -= 15; }
    ctx.fillText(fit(g.name, nameFont, right - (p.x + 28)), p.x + 28, p.y + 14);
    const subFont = '11px system-ui, sans-serif';
    ctx.font = subFont;
    ctx.fillStyle = theme['--muted'];
    const sub = g.stuck ? `stuck forever: ${STUCK_WORD[g.state] || st.short}` : shortStatus(g, subFont, p.w - 16);
    // Narrow cards drop the operation word: the icon already says send or receive.
    const subFit = measure(sub, subFont) <= p.w - 16 || !st.blocked || g.stuck ? sub
      : g.state_for_us > 0 ? `blocked ${fmtDuration(g.state_for_us)}` : 'blocked';
    ctx.fillText(fit(subFit, subFont, p.w - 16), p.x + 11, p.y + 30);
    ctx.restore();
    if (isSel) selectionRing(p, 3, 8);
  }

  /** The accent ring around the selected goroutine, `gap` px outside its box. */
  function selectionRing(p, gap, radius) {
    ctx.save();
    roundRect(p.x - gap, p.y - gap, p.w + gap * 2, p.h + gap * 2, radius);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = theme['--accent'];
    ctx.stroke();
    ctx.restore();
  }

  // Tiles (big groups) are drawn from small pre-rendered sprites, one per
  // state: a hundred of them cost a hundred drawImage calls, not path work.
  // A sprite is an ImageBitmap where the browser has OffscreenCanvas (drawing
  // a canvas element makes the browser snapshot it at every drawImage).
  const tileSprites = new Map();

  function tileSprite(g, size) {
    const dpr = window.devicePixelRatio || 1;
    const key = `${g.state}|${g.stuck}|${size}|${dpr}`;
    let sprite = tileSprites.get(key);
    if (sprite) return sprite;
    const st = STATES[g.state] || STATES.runnable;
    const color = stateColor(g);
    const pad = 2;
    const side = Math.ceil((size + pad * 2) * dpr);
    let surface;
    if (typeof OffscreenCanvas === 'function') {
      surface = new OffscreenCanvas(side, side);
    } else {
      surface = document.createElement('canvas');
      surface.width = side;
      surface.height = side;
    }
    const c = surface.getContext('2d');
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (g.state === 'done') c.globalAlpha = 0.55;
    c.beginPath();
    c.roundRect(pad, pad, size, size, 4);
    c.fillStyle = theme['--card'];
    c.fill();
    if (st.blocked) {
      c.globalAlpha *= 0.25;
      c.fillStyle = color;
      c.fill();
      c.globalAlpha = g.state === 'done' ? 0.55 : 1;
    }
    c.lineWidth = g.stuck ? 2 : 1;
    c.strokeStyle = g.stuck ? theme['--danger'] : color;
    c.stroke();
    drawIcon(c, st.icon, pad + size / 2, pad + size / 2, size * 0.3, color, st.blocked ? null : theme['--card']);
    sprite = { image: surface.transferToImageBitmap ? surface.transferToImageBitmap() : surface, pad };
    tileSprites.set(key, sprite);
    return sprite;
  }

  function clearSprites() {
    for (const sprite of tileSprites.values()) sprite.image.close?.();
    tileSprites.clear();
  }

  function drawTile(g, p, isSel) {
    const sprite = tileSprite(g, p.w);
    ctx.drawImage(sprite.image, p.x - sprite.pad, p.y - sprite.pad, p.w + sprite.pad * 2, p.h + sprite.pad * 2);
    if (isSel) selectionRing(p, 2.5, 5);
  }

  function drawGroupLabel(name, box, gs) {
    let blocked = 0;
    for (const g of gs) if ((STATES[g.state] || {}).blocked) blocked++;
    const font = '600 12px system-ui, sans-serif';
    ctx.font = font;
    ctx.fillStyle = theme['--fg'];
    ctx.textBaseline = 'middle';
    const text = `${name} ×${gs.length}${blocked ? ` · ${blocked} blocked` : ''}`;
    ctx.fillText(fit(text, font, box.w + 40), box.labelX ?? box.x, box.y + 6);
  }

  function drawChannel(ch, c, snap) {
    const { x, y, w } = c;
    const slotY = y + 20;
    const slotH = 24;
    // Title: name, len/cap, closed.
    ctx.textBaseline = 'middle';
    const titleFont = '600 12px system-ui, sans-serif';
    const capFont = '12px system-ui, sans-serif';
    const capText = ch.cap === 0 ? 'unbuffered' : `${ch.len}/${ch.cap}`;
    const closedText = ch.closed ? 'closed' : '';
    const closedFont = '700 11px system-ui, sans-serif';
    const room = ch.recvq_len ? c.w : c.w + c.qW; // the title may run over an empty receive-queue area
    const nameText = fit(ch.name, titleFont, Math.max(24, room * 0.55));
    let tx = x;
    ctx.font = titleFont;
    ctx.fillStyle = theme['--fg'];
    ctx.fillText(nameText, tx, y + 8);
    tx += measure(nameText, titleFont) + 6;
    const capFit = fit(capText, capFont, x + room - tx);
    ctx.font = capFont;
    ctx.fillStyle = theme['--muted'];
    ctx.fillText(capFit, tx, y + 8);
    tx += measure(capFit, capFont) + 6;
    if (closedText) {
      ctx.font = closedFont;
      ctx.fillStyle = theme['--danger'];
      if (measure(closedText, closedFont) <= x + room - tx) ctx.fillText(closedText, tx, y + 8);
      else ctx.fillText(closedText, x + (ch.cap === 0 ? Math.max(0, (c.w - measure(closedText, closedFont)) / 2) : 0), y + CHAN_H - 6);
    }
    ctx.lineWidth = 1.2;
    if (ch.cap === 0) {
      // A rendezvous point: nothing is ever stored here.
      const pw = Math.min(w, 56);
      const px = x + (w - pw) / 2;
      roundRect(px, slotY, pw, slotH, 12);
      ctx.fillStyle = theme['--slot'];
      ctx.fill();
      ctx.setLineDash([4, 3]);
      ctx.strokeStyle = theme['--muted'];
      ctx.stroke();
      ctx.setLineDash([]);
      c.tailX = px;
      c.headX = px + pw;
    } else {
      const n = ch.cap;
      const slotW = w / n;
      const font = '10px ui-monospace, monospace';
      if (slotW >= 12) {
        // One box per slot, filled from the head (right end).
        const empty = n - ch.len;
        for (let i = 0; i < n; i++) {
          const sx = x + i * slotW;
          const filled = i >= empty;
          ctx.beginPath();
          ctx.rect(sx + 1, slotY, slotW - 2, slotH);
          ctx.fillStyle = filled ? theme['--slot-fill'] : theme['--slot'];
          ctx.fill();
          ctx.strokeStyle = theme['--line'];
          ctx.stroke();
          if (filled && slotW >= 16) {
            const item = ch.buffer[n - 1 - i];
            if (item) {
              ctx.fillStyle = theme['--slot-text'];
              drawSlotLabel(item.label, sx + slotW / 2, slotY + slotH / 2, slotW - 4, slotH);
            }
          }
        }
      } else {
        // Too many slots to draw: a fill bar plus the first few values at the head.
        ctx.beginPath();
        ctx.rect(x, slotY, w, slotH);
        ctx.fillStyle = theme['--slot'];
        ctx.fill();
        const frac = Math.min(1, ch.len / n);
        ctx.beginPath();
        ctx.rect(x + w * (1 - frac), slotY, w * frac, slotH);
        ctx.fillStyle = theme['--slot-fill'];
        ctx.fill();
        ctx.beginPath();
        ctx.rect(x, slotY, w, slotH);
        ctx.strokeStyle = theme['--line'];
        ctx.stroke();
        // Boxes as wide as the longest of the first few labels (they grow with the values).
        const heads = ch.buffer.slice(0, 4).map((m) => labeler.short(m.label));
        const boxW = Math.min(64, Math.max(30, ...heads.map((t) => measure(t, font) + 8)));
        const fitBoxes = Math.floor((w * Math.max(frac, 0.3)) / (boxW + 4));
        const show = Math.min(heads.length, Math.max(w >= boxW + 12 ? 1 : 0, fitBoxes));
        ctx.font = font;
        ctx.textAlign = 'center';
        for (let i = 0; i < show; i++) {
          const bx = x + w - (i + 1) * (boxW + 4);
          ctx.beginPath();
          ctx.rect(bx + 2, slotY + 3, boxW, slotH - 6);
          ctx.fillStyle = theme['--slot'];
          ctx.fill();
          ctx.fillStyle = theme['--slot-text'];
          ctx.fillText(fit(heads[i], font, boxW - 2), bx + 2 + boxW / 2, slotY + slotH / 2 + 0.5);
        }
        ctx.textAlign = 'left';
      }
      c.tailX = x;
      c.headX = x + w;
    }
    c.midY = slotY + slotH / 2;
    c.labels = [];
    // Parked senders (left, head of the queue nearest the channel) and receivers (right).
    drawQueue(ch.sendq, ch.sendq_len, c, 'send');
    drawQueue(ch.recvq, ch.recvq_len, c, 'recv');
  }

  /**
   * Parked goroutines as chips in FIFO order: senders left of the channel
   * (head of the queue nearest it), receivers right of it. Arrows end at the
   * far end of the queue (c.sendEnd / c.recvEnd), so the chips sit on the
   * line into the channel and no arrow crosses them; the count in words goes
   * under the channel, where no arrow runs.
   */
  function drawQueue(waiters, total, c, side) {
    if (side === 'send') c.sendEnd = c.tailX; else c.recvEnd = c.headX;
    if (total === 0) return;
    const chip = 15;
    const gap = 3;
    const chipRoom = c.qW - 6;
    const fits = Math.max(1, Math.floor((chipRoom + gap) / (chip + gap)));
    const shown = Math.min(waiters.length, total > fits ? fits - 1 : fits);
    const color = theme[side === 'send' ? '--st-send' : '--st-recv'];
    const cy = c.midY;
    const font10 = '10px system-ui, sans-serif';
    let end = 4 + shown * (chip + gap) - gap;
    const more = total > shown ? `+${total - shown}` : '';
    if (more) end += gap + measure(more, font10);
    const x0 = side === 'send' ? c.tailX - end - 2 : c.headX + end + 2;
    if (side === 'send') c.sendEnd = x0; else c.recvEnd = x0;
    // The lane the chips wait on.
    ctx.beginPath();
    ctx.moveTo(x0, cy);
    ctx.lineTo(side === 'send' ? c.tailX : c.headX, cy);
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.stroke();
    for (let i = 0; i < shown; i++) {
      const off = 4 + i * (chip + gap);
      const cx = side === 'send' ? c.tailX - off - chip : c.headX + off;
      roundRect(cx, cy - chip / 2, chip, chip, 4);
      ctx.fillStyle = color;
      ctx.fill();
      const w = waiters[i];
      if (w.select) {
        ctx.strokeStyle = theme['--fg'];
        ctx.lineWidth = 1.2;
        ctx.setLineDash([2, 2]);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      if (selected !== null && w.goroutine === selected) {
        roundRect(cx - 2, cy - chip / 2 - 2, chip + 4, chip + 4, 5);
        ctx.strokeStyle = theme['--accent'];
        ctx.lineWidth = 2;
        ctx.stroke();
      }
    }
    if (more) {
      const off = 4 + shown * (chip + gap);
      ctx.font = font10;
      ctx.fillStyle = theme['--muted'];
      ctx.textBaseline = 'middle';
      ctx.fillText(more, side === 'send' ? c.tailX - off - measure(more, font10) : c.headX + off, cy);
    }
    // The count in words, under the channel body: senders' from its tail
    // (left) end, receivers' up to its head (right) end.
    const room = c.w + c.qW - 4;
    let label = side === 'send' ? `${total} waiting to send` : `${total} waiting to receive`;
    if (measure(label, font10) > room) label = `${total} waiting`;
    const lw = Math.min(measure(label, font10), room);
    const ly = c.y + CHAN_H - 12;
    const lx = side === 'send'
      ? Math.min(c.tailX, c.x + c.w + c.qW - 2 - lw)
      : Math.max(c.headX - lw, c.x - c.qW + 2);
    // Drawn after the arrows (see draw), on a small plate.
    c.labels.push({ text: fit(label, font10, room), x: lx, y: ly, w: lw });
    ctx.textBaseline = 'middle';
  }

  function drawQueueLabels() {
    const font = '10px system-ui, sans-serif';
    ctx.save();
    ctx.font = font;
    ctx.textBaseline = 'top';
    for (const c of layout.chanPos.values()) {
      const ls = c.labels || [];
      // Both queues busy at once (selects can do that): the second label goes one line lower.
      if (ls.length === 2 && ls[0].x < ls[1].x + ls[1].w + 6 && ls[1].x < ls[0].x + ls[0].w + 6) ls[1].y += 13;
      for (const l of ls) {
        roundRect(l.x - 3, l.y - 1, l.w + 6, 13, 3);
        ctx.fillStyle = theme['--panel'];
        ctx.fill();
        ctx.fillStyle = theme['--muted'];
        ctx.fillText(l.text, l.x, l.y);
      }
    }
    ctx.restore();
  }

  function anchorOf(id, side) {
    const p = layout.pos.get(id);
    if (!p) return null;
    return { x: side === 'out' ? p.x + p.w : p.x, y: p.y + (p.tile ? p.h / 2 : Math.min(p.h / 2, 20)), row: p.row };
  }

  /**
   * Where an arrow between rows `r1` and `r2` runs: along the gap below the
   * upper row, but never below the canvas (a loop from the last row, e.g. a
   * stage reading and writing one channel).
   */
  function gapBelow(r1, r2, y1) {
    return Math.min((layout.rowBottom[Math.min(r1, r2)] ?? y1) + ROW_GAP / 2, height - 6);
  }

  /** The points a token follows: straight within a row, around the row gap otherwise. */
  function tokenPath(x1, y1, r1, x2, y2, r2) {
    if (r1 === r2 && x1 < x2 - 8) return [[x1, y1], [x2, y2]];
    const gapY = gapBelow(r1, r2, y1);
    const xa = Math.min(x1 + 12, width - 4);
    const xb = Math.max(x2 - 16, 4);
    return [[x1, y1], [xa, y1], [xa, gapY], [xb, gapY], [xb, y2], [x2, y2]];
  }

  function pointAlong(pts, k) {
    let total = 0;
    for (let i = 1; i < pts.length; i++) total += Math.hypot(pts[i][0] - pts[i - 1][0], pts[i][1] - pts[i - 1][1]);
    let d = k * total;
    for (let i = 1; i < pts.length; i++) {
      const seg = Math.hypot(pts[i][0] - pts[i - 1][0], pts[i][1] - pts[i - 1][1]);
      if (d <= seg || i === pts.length - 1) {
        const f = seg ? Math.min(1, d / seg) : 1;
        return [pts[i - 1][0] + (pts[i][0] - pts[i - 1][0]) * f, pts[i - 1][1] + (pts[i][1] - pts[i - 1][1]) * f];
      }
      d -= seg;
    }
    return pts[pts.length - 1];
  }

  /** An arrow that leaves rightwards, runs along the gap below a row and enters from the left. */
  function wrapArrow(x1, y1, x2, y2, gapY, color, lineW, dashed) {
    ctx.save();
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = lineW;
    if (dashed) ctx.setLineDash([4, 4]);
    const r = 8;
    const xa = Math.min(x1 + 12, width - 4);
    const xb = Math.max(x2 - 16, 4);
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.arcTo(xa, y1, xa, gapY, r);
    ctx.arcTo(xa, gapY, xb, gapY, r);
    ctx.arcTo(xb, gapY, xb, y2, r);
    ctx.arcTo(xb, y2, x2, y2, r);
    ctx.lineTo(x2 - 6, y2);
    ctx.stroke();
    arrowHead(x2, y2);
    ctx.restore();
  }

  /** From (x1, y1) on row r1 to (x2, y2) on row r2, entering from the left. */
  function link(x1, y1, r1, x2, y2, r2, color, lineW, dashed) {
    if (r1 === r2 && x1 < x2 - 8) {
      arrow(x1, y1, x2, y2, color, lineW, dashed);
    } else {
      wrapArrow(x1, y1, x2, y2, gapBelow(r1, r2, y1), color, lineW, dashed);
    }
  }

  function drawEdges(snap) {
    const byName = new Map(snap.channels.map((c) => [c.name, c]));
    const byGroup = new Map();
    for (const g of snap.goroutines) {
      if (!byGroup.has(g.group)) byGroup.set(g.group, []);
      byGroup.get(g.group).push(g);
    }
    for (const [name, g] of topo.groups) {
      const box = layout.groupBoxes.get(name);
      if (!box) continue;
      const members = byGroup.get(name) || [];
      const sources = box.tile ? [null] : members;
      for (const [set, dir] of [[g.edges.sends, 'send'], [g.edges.recvs, 'recv'], [g.edges.closes, 'close']]) {
        for (const chName of set) {
          if (dir === 'close' && g.edges.sends.has(chName)) continue;
          const ch = byName.get(chName);
          const c = ch && layout.chanPos.get(ch.id);
          if (!c || c.tailX === undefined) continue;
          for (const m of sources) {
            const p = m ? layout.pos.get(m.id) : box;
            if (!p) continue;
            const blockedHere = m && m.channels.includes(ch.id) && (STATES[m.state] || {}).blocked;
            const color = blockedHere ? stateColor(m) : theme['--line'];
            const lw = blockedHere ? 2 : 1.2;
            const py = p.y + (p.tile ? p.h / 2 : Math.min(p.h / 2, 20));
            if (dir === 'recv') {
              link((c.recvEnd ?? c.headX) + 2, c.midY, c.row, p.x - 2, py, p.row, color, lw, false);
            } else {
              const toX = (c.sendEnd ?? c.tailX) - 2;
              link(p.x + p.w + 2, py, p.row, toX, c.midY, c.row, color, lw, dir === 'close');
              if (dir === 'close' && (!m || m === members[0])) {
                ctx.font = '10px system-ui, sans-serif';
                ctx.fillStyle = theme['--muted'];
                ctx.textBaseline = 'middle';
                ctx.fillText('close()', p.x + p.w + 8, py + 10);
              }
            }
          }
        }
      }
    }
  }

  const WG_FONT = '11px system-ui, sans-serif';
  const WG_LINE = 16;

  function waitGroupText(w, waiters) {
    return `WaitGroup ${w.name}: counter ${w.counter}${waiters.length ? ` · ${waiters.join(', ')} waiting` : ''}`;
  }

  /** Each WaitGroup's line as long as it can get (every goroutine that may wait on it, a 3-digit counter), for layout. */
  function worstWaitGroupTexts(snap) {
    return snap.waitgroups.map((w) => {
      const waiters = [];
      for (const [name, g] of topo.groups) {
        if (g.edges.waits.has(w.name)) for (const x of snap.goroutines) if (x.group === name) waiters.push(x.name);
      }
      return waitGroupText({ name: w.name, counter: Math.max(100, w.counter) }, waiters);
    });
  }

  /** Flows the WaitGroup texts into lines as wide as the canvas: [[{ i, x }, ...], ...]. */
  function waitGroupLines(texts) {
    const lines = [];
    let x = 12;
    texts.forEach((text, i) => {
      const w = 15 + measure(text, WG_FONT);
      if (!lines.length || (lines[lines.length - 1].length && x + w > width - 12)) { lines.push([]); x = 12; }
      lines[lines.length - 1].push({ i, x });
      x += w + 20;
    });
    return lines;
  }

  /** The WaitGroups along the bottom of the canvas, in as many lines as the layout reserved. */
  function drawWaitGroups(snap) {
    if (!snap.waitgroups.length) return;
    const names = new Map(snap.goroutines.map((g) => [g.id, g.name]));
    ctx.font = WG_FONT;
    ctx.textBaseline = 'middle';
    const lines = layout.wgLines;
    const y0 = height - lines.length * WG_LINE - 4;
    lines.forEach((line, k) => {
      const y = y0 + k * WG_LINE + WG_LINE / 2;
      for (const { i, x } of line) {
        const w = snap.waitgroups[i];
        if (!w) continue;
        const waiters = w.waiters.map((id) => names.get(id)).filter(Boolean);
        const text = waitGroupText(w, waiters);
        const tw = width - 12 - (x + 15);
        if (tw < 30) continue;
        drawIcon(ctx, 'hourglass', x + 6, y, 5, theme[waiters.length ? '--st-wait' : '--muted']);
        ctx.fillStyle = theme['--muted'];
        ctx.fillText(fit(text, WG_FONT, tw), x + 15, y);
      }
    });
  }

  // --- tokens --------------------------------------------------------------

  function addTokens(events, snap, now) {
    if (reducedMotion || !layout) return;
    const byMsg = new Map(tokens.filter((t) => t.msg != null).map((t) => [t.msg, t]));
    let budget = MAX_TOKENS - tokens.length;
    // Newest events matter most when there are too many to animate.
    const start = Math.max(0, events.length - 4 * MAX_TOKENS);
    for (let i = start; i < events.length; i++) {
      const e = events[i];
      if (e.channel == null || e.goroutine == null) continue;
      const isSend = SEND_KINDS.has(e.kind) && e.msg != null;
      const isRecv = e.kind === 'received';
      if (!isSend && !isRecv) continue;
      if (budget <= 0) {
        tokens.shift();
        budget++;
      }
      const c = layout.chanPos.get(e.channel);
      if (!c || c.tailX === undefined) continue;
      if (isSend) {
        const a = anchorOf(e.goroutine, 'out');
        if (!a) continue;
        const t = { msg: e.msg, pts: tokenPath(a.x, a.y, a.row, c.tailX, c.midY, c.row), t0: now, t1: now + TOKEN_MS };
        tokens.push(t);
        const prev = byMsg.get(e.msg);
        if (prev && prev.recvOn === e.channel && prev.t0 === now) {
          // A receiver took this value from a parked sender (its event came
          // first): show the value reaching the channel before it leaves.
          prev.t0 = t.t1;
          prev.t1 = prev.t0 + TOKEN_MS;
        } else {
          byMsg.set(e.msg, t);
        }
      } else {
        const a = anchorOf(e.goroutine, 'in');
        if (!a) continue;
        const prev = byMsg.get(e.msg);
        const t0 = prev ? Math.max(now, prev.t1) : now;
        const t = { msg: e.msg, recvOn: e.channel, pts: tokenPath(c.headX, c.midY, c.row, a.x, a.y, a.row), t0, t1: t0 + TOKEN_MS };
        tokens.push(t);
        byMsg.set(e.msg, t);
      }
      budget--;
    }
  }

  function drawTokens(now) {
    drewTokens = false;
    if (!tokens.length) return;
    const keep = [];
    // One style for all (set once: parsing a colour string per token costs more than the token).
    ctx.fillStyle = theme['--accent'];
    ctx.strokeStyle = theme['--panel'];
    ctx.lineWidth = 1.5;
    for (const t of tokens) {
      if (now >= t.t1) continue;
      keep.push(t);
      if (now < t.t0) continue;
      const k = (now - t.t0) / (t.t1 - t.t0);
      const [x, y] = pointAlong(t.pts, k);
      ctx.beginPath();
      ctx.arc(x, y, 4.5, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
      drewTokens = true;
    }
    tokens = keep;
  }

  // --- highlight, tooltip --------------------------------------------------

  function drawFlash(now) {
    if (!flashTarget || now > flashUntil) return;
    const k = reducedMotion ? 1 : 0.5 + 0.5 * Math.abs(Math.sin(((flashUntil - now) / 300) * Math.PI));
    ctx.save();
    ctx.strokeStyle = theme['--accent'];
    ctx.lineWidth = 3;
    ctx.globalAlpha = k;
    if (flashTarget.goroutine != null) {
      const p = layout.pos.get(flashTarget.goroutine);
      if (p) { roundRect(p.x - 5, p.y - 5, p.w + 10, p.h + 10, 9); ctx.stroke(); }
    }
    if (flashTarget.channel != null) {
      const c = layout.chanPos.get(flashTarget.channel);
      if (c) { roundRect(c.x - 6, c.y - 4, c.w + 12, c.h - 4, 8); ctx.stroke(); }
    }
    ctx.restore();
  }

  function hitGoroutine(x, y) {
    if (!layout) return null;
    for (const [id, p] of layout.pos) {
      if (x >= p.x - 2 && x <= p.x + p.w + 2 && y >= p.y - 2 && y <= p.y + p.h + 2) return id;
    }
    return null;
  }

  function hitChannel(x, y) {
    if (!layout) return null;
    for (const [id, c] of layout.chanPos) {
      if (x >= c.colX && x <= c.colX + c.colW && y >= c.y && y <= c.y + c.h) return id;
    }
    return null;
  }

  function drawTooltip(snap) {
    if (!hover) return;
    let lines = null;
    const gid = hitGoroutine(hover.x, hover.y);
    if (gid !== null) {
      const g = snap.goroutines.find((x) => x.id === gid);
      if (g) lines = [g.name, g.state_text];
    } else {
      const cid = hitChannel(hover.x, hover.y);
      const ch = cid !== null && snap.channels.find((c) => c.id === cid);
      if (ch) {
        lines = [`${ch.name}: ${ch.cap === 0 ? 'unbuffered' : `${ch.len}/${ch.cap} buffered`}${ch.closed ? ', closed' : ''}`,
          `${ch.sendq_len} waiting to send, ${ch.recvq_len} waiting to receive; ${ch.sent} sent, ${ch.received} received`];
        if (ch.buffer.length) lines.push(`head → ${ch.buffer.slice(0, 6).map((m) => m.label).join(', ')}${ch.len > 6 ? ', …' : ''}`);
      }
    }
    if (!lines) return;
    const font = '12px system-ui, sans-serif';
    const maxW = Math.min(360, width - 16);
    const wrapped = [];
    for (const line of lines) {
      let cur = '';
      for (const word of line.split(' ')) {
        const next = cur ? `${cur} ${word}` : word;
        if (measure(next, font) > maxW - 16 && cur) { wrapped.push(cur); cur = word; } else cur = next;
      }
      wrapped.push(cur);
    }
    const w = Math.min(maxW, Math.max(...wrapped.map((l) => measure(l, font))) + 16);
    const h = wrapped.length * 16 + 10;
    let x = hover.x + 14;
    let y = hover.y + 14;
    if (x + w > width - 4) x = Math.max(4, hover.x - w - 10);
    if (y + h > height - 4) y = Math.max(4, hover.y - h - 10);
    ctx.save();
    roundRect(x, y, w, h, 6);
    ctx.fillStyle = theme['--panel'];
    ctx.shadowColor = 'rgba(0,0,0,.25)';
    ctx.shadowBlur = 8;
    ctx.fill();
    ctx.shadowBlur = 0;
    ctx.strokeStyle = theme['--line'];
    ctx.stroke();
    ctx.font = font;
    ctx.textBaseline = 'top';
    wrapped.forEach((l, i) => {
      ctx.fillStyle = i === 0 ? theme['--fg'] : theme['--muted'];
      ctx.fillText(l, x + 8, y + 6 + i * 16);
    });
    ctx.restore();
  }

  // --- the accessible list -------------------------------------------------

  function channelText(ch) {
    const parts = [ch.cap === 0 ? `unbuffered, ${ch.len}/${ch.cap}` : `${ch.len}/${ch.cap} buffered`];
    if (ch.closed) parts.push('closed');
    parts.push(`${ch.sendq_len} waiting to send`, `${ch.recvq_len} waiting to receive`);
    let text = `channel ${ch.name}: ${parts.join(', ')}`;
    if (ch.buffer.length) {
      const shown = ch.buffer.slice(0, LIST_LABELS).map((m) => m.label).join(', ');
      text += `; holds ${shown}${ch.len > LIST_LABELS ? `, and ${ch.len - LIST_LABELS} more` : ''} (head first)`;
    }
    return text;
  }

  function updateList(snap, now, force) {
    const key = `${snap.goroutines.map((g) => g.id).join(',')}|${snap.channels.length}`;
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
      force = true;
    }
    if (listForce) force = true;
    listForce = false;
    const gs = snap.goroutines;
    const n = gs.length + snap.channels.length;
    // All of it when forced (paused, new items, selection) or shown (focused, every LIST_MS),
    // else this frame's share of a pass.
    if (!force && list.contains(document.activeElement)) {
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
        const st = STATES[g.state] || STATES.runnable;
        setText(b, `${g.name} (${st.word}${g.stuck ? ', stuck' : ''}): ${g.state_text}`);
        const pressed = String(g.id === selected);
        if (b.getAttribute('aria-pressed') !== pressed) b.setAttribute('aria-pressed', pressed);
      } else {
        const ch = snap.channels[i - gs.length];
        setText(listNodes.get(`c${ch.id}`), channelText(ch));
      }
    }
    const passDone = force || listCursor + count >= n;
    listCursor = n ? (listCursor + count) % n : 0;
    if (!passDone) return;
    // The canvas's own label: once a pass.
    const counts = {};
    for (const g of snap.goroutines) {
      const w = (STATES[g.state] || STATES.runnable).word;
      counts[w] = (counts[w] || 0) + 1;
    }
    const aria = `Stage: ${snap.goroutines.length} goroutines (${Object.entries(counts).map(([w, n]) => `${n} ${w}`).join(', ')}); `
      + `${snap.channels.map((c) => `${c.name} ${c.len}/${c.cap}${c.closed ? ' closed' : ''}`).join('; ')}. ${snap.status_text}`;
    if (aria !== lastAria) { lastAria = aria; canvas.setAttribute('aria-label', aria); }
  }

  // --- frame ---------------------------------------------------------------

  function draw(snap, now) {
    const key = topologyKey(snap);
    if (key !== topoKey || !topo) {
      topo = buildTopology(snap);
      topoKey = key;
      layoutDirty = true;
      labeler.learn(snap.goroutines.map((g) => g.name));
    }
    if (layoutDirty || !layout) {
      layout = computeLayout(snap);
      layoutDirty = false;
      // The canvas is as tall as its content needs (a little air, a sensible
      // minimum), so small scenarios leave room for the charts below.
      const h = `${Math.round(Math.max(STAGE_MIN_H, layout.needHeight + STAGE_AIR))}px`;
      if (canvas.style.height !== h) canvas.style.height = h;
    }
    ctx.clearRect(0, 0, width, height);
    // Channels first (they set the arrow anchors), then edges under the cards.
    const byId = new Map(snap.channels.map((c) => [c.id, c]));
    ctx.save();
    for (const [id, c] of layout.chanPos) {
      const ch = byId.get(id);
      if (ch) drawChannel(ch, c, snap);
    }
    ctx.restore();
    drawEdges(snap);
    drawQueueLabels();
    const byGroup = new Map();
    for (const g of snap.goroutines) {
      if (!byGroup.has(g.group)) byGroup.set(g.group, []);
      byGroup.get(g.group).push(g);
    }
    for (const [name, box] of layout.groupBoxes) {
      if (box.tile) drawGroupLabel(name, box, byGroup.get(name) || []);
    }
    for (const g of snap.goroutines) {
      const p = layout.pos.get(g.id);
      if (!p) continue;
      if (p.tile) drawTile(g, p, g.id === selected); else drawCard(g, p, g.id === selected);
    }
    drawWaitGroups(snap);
    drawTokens(now);
    drawFlash(now);
    drawTooltip(snap);
  }

  canvas.addEventListener('click', (ev) => {
    const r = canvas.getBoundingClientRect();
    const id = hitGoroutine(ev.clientX - r.left, ev.clientY - r.top);
    if (id !== null && onSelect) onSelect(id);
  });
  canvas.addEventListener('mousemove', (ev) => {
    const r = canvas.getBoundingClientRect();
    hover = { x: ev.clientX - r.left, y: ev.clientY - r.top };
    canvas.style.cursor = hitGoroutine(hover.x, hover.y) !== null ? 'pointer' : 'default';
  });
  canvas.addEventListener('mouseleave', () => { hover = null; });

  return {
    render(snap, events, now, { forceList = false } = {}) {
      lastSnap = snap;
      if (layout && events && events.length) addTokens(events, snap, now);
      draw(snap, now);
      if (events && events.length && !layout) addTokens(events, snap, now);
      updateList(snap, now, forceList);
    },
    /**
     * Whether the stage must be drawn again though the world did not change:
     * tokens in flight, a flash, or a last frame that still shows tokens or a
     * flash which have since ended (so nothing stays frozen on the canvas).
     */
    animating(now) {
      if (tokens.length > 0 || drewTokens) return true;
      if (flashTarget !== null) {
        if (now <= flashUntil) return true;
        flashTarget = null; // one more frame, without the highlight
        return true;
      }
      return false;
    },
    select(id) {
      selected = id;
      listForce = true;
    },
    flash(target) {
      flashTarget = target;
      flashUntil = performance.now() + FLASH_MS;
    },
    reset() {
      tokens = [];
      labeler.clear();
      topo = null;
      topoKey = '';
      layout = null;
      flashTarget = null;
      listKey = '';
    },
    setReducedMotion(on) {
      reducedMotion = on;
      if (on) tokens = [];
    },
    refreshTheme() {
      theme = readTheme();
      clearSprites();
    },
  };
}
