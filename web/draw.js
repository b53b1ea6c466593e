// Drawing primitives every system's view shares: goroutine states and
// their icons, durations and message labels in words, and a painter (one
// per canvas) with cards, tiles, buffer-slot labels, arrows, hatching, a
// tooltip box and moving tokens. Views (views/go.js, views/nsq.js) decide
// where things go; this module only knows how a thing looks.
//
// createPainter(S) -> painter, where S is the stage's surface:
//   { ctx, theme, width, height, selected, labeler }, read at each call
//   (the stage updates theme, size and selection in place).

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
  blocked_net: { word: 'waiting for the network', short: 'net wait', color: '--st-sleep', icon: 'net', blocked: false },
  done: { word: 'done', short: 'done', color: '--st-done', icon: 'check', blocked: false },
  panicked: { word: 'panicked', short: 'panicked', color: '--st-panic', icon: 'cross', blocked: false },
  removed: { word: 'removed', short: 'removed', color: '--st-done', icon: 'cross', blocked: false },
};

/** The word shown for a goroutine's role ("custom" is the engine's name for a hand-written program). */

/** An identifier with dots and no spaces: `fit` keeps its last part. */
const DOTTED_NAME = /^[A-Za-z_][\w-]*(\.[\w-]+)+$/;
/** A name ending in "-N" (a partition `payments-0`, an instance `range-4`): `fit` keeps the "-N". */
const NUMBERED_NAME = /^[A-Za-z_][\w-]*-\d+$/;

/** The word for what goroutine `g` is doing (its state's, or "idle" for a slot its library runs nothing in). */
export function stateWord(g) {
  return g.idle ? 'idle (not running)' : (STATES[g.state] || STATES.runnable).word;
}

export function roleWord(role) {
  return role === 'custom' ? 'program' : String(role);
}

/** A goroutine card's name: the first of these it fits in. */
const NAME_FONTS = ['600 12px system-ui, sans-serif', '600 11px system-ui, sans-serif', '600 10px system-ui, sans-serif'];

/** A token's radius unless it says otherwise (a record's or message's dot). */
export const TOKEN_R = 4.5;

/** Legend order. */
export const LEGEND = ['runnable', 'working', 'sleeping', 'blocked_send', 'blocked_recv', 'blocked_select', 'blocked_wait', 'done', 'panicked'];

export const STUCK_WORD = { blocked_send: 'send', blocked_recv: 'receive', blocked_select: 'select', blocked_wait: 'wg.Wait' };

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

/**
 * Colours from CSS custom properties, so the canvas follows the theme. Read
 * from `node` (the canvas: inside a `<queue-lab>` the properties are set on
 * the element's own root, not on the document).
 */
export function readTheme(node = document.documentElement) {
  const cs = getComputedStyle(node);
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
    case 'net': // two opposed arrows: a request out, its answer to come back
      ctx.moveTo(cx - r * 0.85, cy - r * 0.4);
      ctx.lineTo(cx + r * 0.85, cy - r * 0.4);
      ctx.moveTo(cx + r * 0.45, cy - r * 0.8);
      ctx.lineTo(cx + r * 0.85, cy - r * 0.4);
      ctx.lineTo(cx + r * 0.45, cy);
      ctx.moveTo(cx + r * 0.85, cy + r * 0.4);
      ctx.lineTo(cx - r * 0.85, cy + r * 0.4);
      ctx.moveTo(cx - r * 0.45, cy);
      ctx.lineTo(cx - r * 0.85, cy + r * 0.4);
      ctx.lineTo(cx - r * 0.45, cy + r * 0.8);
      ctx.stroke();
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
  // The canvas's own style (the properties are inherited); until it is in the
  // page there is none, and the playground repaints it once it is.
  const style = c.isConnected ? getComputedStyle(c) : null;
  const color = (style && style.getPropertyValue(c.dataset.color).trim()) || '#888';
  drawIcon(ctx, c.dataset.icon, size / 2, size / 2, size * 0.38, color);
}

/** The highlight ring around a card or tile box `p` (the stage's flash). */
export function cardRing(p) {
  return { x: p.x - 5, y: p.y - 5, w: p.w + 10, h: p.h + 10, r: 9 };
}

/** The painter of one canvas: primitives drawn in the stage's theme. */
export function createPainter(S) {
  const ctx = S.ctx;
  const textWidthCache = new Map();

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

  /**
   * `text` cut to `maxW` px with an ellipsis. A dotted name (`producer.dispatcher`,
   * `workers-1.claim0`) keeps its last part, which is what tells siblings apart:
   * `prod…dispatcher`, not `producer.…` (`…dispatcher` rather than a head of
   * one or two letters; just `dispat…` when even `…dispatcher` does not
   * fit); a numbered one keeps its number (`paym…-0`, so partitions
   * stay apart); other text keeps its start, and a name (no spaces) its
   * trailing number too (`respo…1`, so `responses1` and `responses2` stay
   * apart; a sentence ending in a number does not: "claim1 fetchi…6992"
   * would misread).
   */
  function fit(text, font, maxW) {
    if (measure(text, font) <= maxW) return text;
    // The part kept: after the last dot of a dotted name; a numbered name's "-N".
    let cut = -1;
    let tail = '';
    if (DOTTED_NAME.test(text)) {
      cut = text.lastIndexOf('.');
      tail = text.slice(cut + 1);
    } else if (NUMBERED_NAME.test(text)) {
      cut = text.lastIndexOf('-');
      tail = text.slice(cut);
    }
    if (cut > 0) {
      if (measure(`…${tail}`, font) <= maxW) {
        let lo = 0;
        let hi = cut;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (measure(`${text.slice(0, mid)}…${tail}`, font) <= maxW) lo = mid; else hi = mid - 1;
        }
        // A dotted name's head of one or two letters ("p…dispatcher") says
        // nothing: "…dispatcher". (A numbered one's does: "ra…-12".)
        return lo < 3 && text[cut] === '.' ? `…${tail}` : `${text.slice(0, lo)}…${tail}`;
      }
      return fit(tail, font, maxW);
    }
    // A name (no spaces) keeps its number; a sentence keeps its start only.
    const digits = /^\S+[^\d\s]\d{1,4}$/.test(text) ? text.match(/\d+$/)[0] : '';
    const end = digits && measure(`${text[0]}…${digits}`, font) <= maxW ? digits : '';
    let lo = 0;
    let hi = text.length - end.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (measure(`${text.slice(0, mid)}…${end}`, font) <= maxW) lo = mid; else hi = mid - 1;
    }
    return lo > 0 ? `${text.slice(0, lo)}…${end}` : '';
  }

  function roundRect(x, y, w, h, r) {
    ctx.beginPath();
    ctx.roundRect(x, y, w, h, r);
  }

  /** A system's box (a node, a broker, a group): a card, hatched with a
   * dashed red outline when `down`, dashed when `dashed`. */
  function drawBox(b, { down = false, dashed = false } = {}) {
    roundRect(b.x, b.y, b.w, b.h, 8);
    ctx.fillStyle = S.theme['--card'];
    ctx.fill();
    if (down) hatch(b.x, b.y, b.w, b.h, S.theme['--danger']);
    roundRect(b.x, b.y, b.w, b.h, 8);
    ctx.lineWidth = down ? 2 : 1.2;
    ctx.strokeStyle = S.theme[down ? '--danger' : '--line'];
    if (down || dashed) ctx.setLineDash([5, 3]);
    ctx.stroke();
    ctx.setLineDash([]);
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
    return S.theme[(STATES[g.state] || STATES.runnable).color];
  }

  /** The card's second line: state and how long, or what it works on (full label if it fits, else the compact one). */
  function shortStatus(g, font, maxW) {
    const st = STATES[g.state] || STATES.runnable;
    if (st.blocked) return g.state_for_us > 0 ? `${st.short} ${fmtDuration(g.state_for_us)}` : st.short;
    if (g.state === 'working' && g.held) {
      const full = `working on ${g.held}`;
      return measure(full, font) <= maxW ? full : `working on ${S.labeler.short(g.held)}`;
    }
    return st.short;
  }

  /** A message label that fits `maxW`: the engine's (`producer-1#3`) if it fits, else the compact one (`p1#3`). */
  function fitLabel(label, font, maxW) {
    return measure(label, font) <= maxW ? label : S.labeler.short(label);
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
    ctx.fillStyle = S.theme['--card'];
    ctx.fill();
    if (st.blocked) hatch(p.x, p.y, p.w, p.h, color);
    // State stripe on the left edge.
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.roundRect(p.x, p.y, 5, p.h, [6, 0, 0, 6]);
    ctx.fill();
    roundRect(p.x, p.y, p.w, p.h, 6);
    ctx.lineWidth = g.stuck ? 2 : 1.2;
    ctx.strokeStyle = g.stuck ? S.theme['--danger'] : color;
    if (g.stuck) ctx.setLineDash([5, 3]);
    ctx.stroke();
    ctx.setLineDash([]);
    drawIcon(ctx, st.icon, p.x + 17, p.y + 14, 6.5, color, st.blocked ? null : S.theme['--card']);
    ctx.fillStyle = S.theme['--fg'];
    ctx.textBaseline = 'middle';
    let right = p.x + p.w - 6;
    if (g.paused) { drawIcon(ctx, 'pause', right - 6, p.y + 13, 6, S.theme['--muted']); right -= 15; }
    // A narrow card (a phone, a compare side) takes the name a size or two
    // smaller before it cuts it ("producer-1", not "produ…-1").
    const room = right - (p.x + 28);
    const nameFont = NAME_FONTS.find((f) => measure(g.name, f) <= room) || NAME_FONTS[NAME_FONTS.length - 1];
    ctx.font = nameFont;
    ctx.fillText(fit(g.name, nameFont, room), p.x + 28, p.y + 14);
    // A stuck card's warning sign goes on its state line, which says
    // stuck, so the name keeps the room (a narrow one says "stuck: send",
    // then "stuck"; the legend and the banner say forever).
    const subW = p.w - 16 - (g.stuck ? 16 : 0);
    if (g.stuck) drawIcon(ctx, 'warn', p.x + p.w - 12, p.y + 29, 6.5, S.theme['--danger']);
    const subFont = '11px system-ui, sans-serif';
    ctx.font = subFont;
    ctx.fillStyle = S.theme['--muted'];
    const stuckWord = STUCK_WORD[g.state] || st.short;
    const sub = g.stuck
      ? [`stuck forever: ${stuckWord}`, `stuck: ${stuckWord}`].find((x) => measure(x, subFont) <= subW) || 'stuck'
      : shortStatus(g, subFont, subW);
    // Narrow cards drop the operation word: the icon already says send or receive.
    const subFit = measure(sub, subFont) <= subW || !st.blocked || g.stuck ? sub
      : g.state_for_us > 0 ? `blocked ${fmtDuration(g.state_for_us)}` : 'blocked';
    ctx.font = subFont;
    ctx.fillText(fit(subFit, subFont, subW), p.x + 11, p.y + 30);
    ctx.restore();
    if (isSel) selectionRing(p, 3, 8);
  }

  /** The accent ring around the S.selected goroutine, `gap` px outside its box. */
  function selectionRing(p, gap, radius) {
    ctx.save();
    roundRect(p.x - gap, p.y - gap, p.w + gap * 2, p.h + gap * 2, radius);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = S.theme['--accent'];
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
    c.fillStyle = S.theme['--card'];
    c.fill();
    if (st.blocked) {
      c.globalAlpha *= 0.25;
      c.fillStyle = color;
      c.fill();
      c.globalAlpha = g.state === 'done' ? 0.55 : 1;
    }
    c.lineWidth = g.stuck ? 2 : 1;
    c.strokeStyle = g.stuck ? S.theme['--danger'] : color;
    c.stroke();
    drawIcon(c, st.icon, pad + size / 2, pad + size / 2, size * 0.3, color, st.blocked ? null : S.theme['--card']);
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
    ctx.fillStyle = S.theme['--fg'];
    ctx.textBaseline = 'middle';
    const text = `${name} ×${gs.length}${blocked ? ` · ${blocked} blocked` : ''}`;
    ctx.fillText(fit(text, font, box.w + 40), box.labelX ?? box.x, box.y + 6);
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

  /** A tooltip box near `hover` with `lines` (the first in the text colour, the rest muted), kept on the canvas. */
  function tooltip(lines, hover) {
    const font = '12px system-ui, sans-serif';
    const { width, height } = S;
    const maxW = Math.min(360, width - 16);
    const wrapped = [];
    for (const line of lines) {
      let cur = '';
      for (const word of String(line).split(' ')) {
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
    ctx.fillStyle = S.theme['--panel'];
    ctx.shadowColor = 'rgba(0,0,0,.25)';
    ctx.shadowBlur = 8;
    ctx.fill();
    ctx.shadowBlur = 0;
    ctx.strokeStyle = S.theme['--line'];
    ctx.stroke();
    ctx.font = font;
    ctx.textBaseline = 'top';
    wrapped.forEach((l, i) => {
      ctx.fillStyle = i === 0 ? S.theme['--fg'] : S.theme['--muted'];
      ctx.fillText(l, x + 8, y + 6 + i * 16);
    });
    ctx.restore();
  }

  /**
   * Draws the tokens that are moving at `now` (each `{ pts, t0, t1 }` runs
   * along its points from t0 to t1, `color` optional (a theme variable or a
   * colour), `mark` an optional badge of one or two characters, `r` its
   * radius, `square` for a square) and returns those not yet arrived.
   */
  function drawTokens(tokens, now) {
    const keep = [];
    ctx.save();
    ctx.strokeStyle = S.theme['--panel'];
    ctx.lineWidth = 1.5;
    let style = '';
    for (const t of tokens) {
      if (now >= t.t1) continue;
      keep.push(t);
      if (now < t.t0) continue;
      const k = (now - t.t0) / (t.t1 - t.t0);
      const [x, y] = pointAlong(t.pts, k);
      // A token laid out before the stage changed size can be off it now (a
      // consumer's card went away and the canvas shrank): it is dropped, not drawn.
      const r = t.r || TOKEN_R;
      if (x < r || y < r || x > S.width - r || y > S.height - r) {
        keep.pop();
        continue;
      }
      const want = t.color || '--accent';
      if (want !== style) { style = want; ctx.fillStyle = S.theme[want] || want; }
      ctx.beginPath();
      // A square is a thing handed over (a Kafka partition), a dot a record.
      if (t.square) ctx.rect(x - r, y - r, 2 * r, 2 * r);
      else ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
      if (t.mark && t.mark.length <= 2) {
        ctx.fillStyle = S.theme['--panel'];
        ctx.font = '700 8px system-ui, sans-serif';
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillText(t.mark, x, y + 0.5);
        ctx.textAlign = 'left';
        style = '';
      }
    }
    ctx.restore();
    return keep;
  }

  return { measure, fit, roundRect, hatch, drawBox, arrow, arrowHead, stateColor, shortStatus, fitLabel, drawSlotLabel, drawCard,
    selectionRing, drawTile, clearSprites, drawGroupLabel, pointAlong, tooltip, drawTokens };
}
