// The NSQ view: a world with an `nsq` section, drawn as its operators see
// it. Publishing goroutines on the left (the Go view's cards), the nsqd
// nodes in the middle, each holding its topics and each topic's channels
// (the fan-out: one published message becomes a copy per channel), the
// nsqlookupds above them, and the go-nsq consumers on the right, each with
// its connections (RDY and in flight per connection), its backoff state and
// its handler goroutines inside it, each with its message and, from the
// second delivery on, the attempt ("working on p#7 (attempt 2)").
//
// What each mark means (shape, not only colour):
// - a channel row: depth as a bar split into memory (solid) and disk
//   (hatched), then in flight and deferred counts; a pause sign when paused,
//   "#ephemeral" in its name says it has no disk.
// - a node or lookupd that is down: hatched, a dashed red outline and a cross.
// - a consumer: stopped = dashed outline and a pause sign; crashed = hatched
//   with a cross; in backoff = the line "backoff level 2: RDY 0 for 3.1s,
//   then an RDY 1 probe".
// - a link: solid when open, dashed while connecting, dotted when closed,
//   broken with a cross when the network between the two is cut.
// - tokens: a publish (producer -> topic), a delivery (channel -> consumer;
//   a redelivery carries its attempt number), FIN (green, back), REQ ("R",
//   back), a timeout (a clock mark, flying back to the queue), MaxAttempts
//   ("×"); discovery: a lookupd's answer ("L", or a red "×" when it is
//   down and refused the lookup) and the connection it leads to ("+"),
//   along dashed lines.
//
// A scenario that also has Go channels of its own draws them above with
// the Go view (its goroutines stay there; their links run down to nsqd).
//
// createNsqView(S, P) has the Go view's interface (see views/go.js), plus
// hitMessage(x, y) (the label of the message a token there carries), listItems(snap) and
// ariaText(snap) for the accessible list.

import { drawIcon, fmtDuration, cardRing } from '../draw.js';
import { createGoView } from './go.js';
import {
  HEAD_H, TOPIC_H, LINE_H, publishTargets, consumersOf, parts, structureKey, computeLayout,
  channelRow as channelRowIn, topicAnchor as topicAnchorIn, goSnap,
} from './nsq-layout.js';

const TOKEN_MS = 420;
const MAX_TOKENS = 80;

export function createNsqView(S, P) {
  const ctx = S.ctx;
  const { measure, fit, roundRect, hatch, drawBox, drawCard, drawTile, pointAlong } = P;
  const goView = createGoView(S, P);
  let layout = null;
  let layoutKey = '';
  let tokens = [];
  let drewTokens = false;
  let goBand = false; // the scenario's own Go channels are drawn above
  const attempts = new Map(); // message label -> the attempt of its latest delivery (from nsq_message events)

  // --- geometry helpers -----------------------------------------------------------

  const channelRow = (nodeName, topic, channel) => channelRowIn(layout, nodeName, topic, channel);
  const topicAnchor = (nodeName, topic) => topicAnchorIn(layout, nodeName, topic);

  function cardAnchor(id, side) {
    const p = layout.pos.get(id);
    if (p) return { x: side === 'out' ? p.x + p.w : p.x, y: p.y + Math.min(p.h / 2, 20) };
    if (goBand) {
      const a = goView.anchor(id, side);
      if (a) return { x: a.x, y: a.y, fromAbove: true };
    }
    return null;
  }

  /** A link's path from a to b: a curve right-to-left-facing in columns, down-facing in bands. */
  function linkPath(a, b) {
    if (layout.wide && !a.fromAbove && b.x > a.x + 8) {
      const mx = (a.x + b.x) / 2;
      return { pts: [[a.x, a.y], [b.x, b.y]], curve: [mx, a.y, mx, b.y] };
    }
    // Down then across: leave a's bottom or side, enter b from the left.
    const x1 = a.x;
    const y1 = a.y;
    const ex = b.x - 14;
    return { pts: [[x1, y1], [Math.max(4, Math.min(x1, ex)), y1 + 12], [ex, b.y], [b.x, b.y]], curve: null };
  }

  function strokeLink(path, style) {
    ctx.save();
    ctx.strokeStyle = S.theme[style.color || '--line'];
    ctx.lineWidth = style.width || 1.2;
    if (style.dash) ctx.setLineDash(style.dash);
    ctx.beginPath();
    const [[x0, y0]] = path.pts;
    ctx.moveTo(x0, y0);
    if (path.curve) {
      const [[, ], [x1, y1]] = path.pts;
      ctx.bezierCurveTo(path.curve[0], path.curve[1], path.curve[2], path.curve[3], x1, y1);
    } else {
      for (const [x, y] of path.pts.slice(1)) ctx.lineTo(x, y);
    }
    ctx.stroke();
    ctx.restore();
    if (style.cut) {
      // A cut: a cross at the middle, on a plate.
      const [mx, my] = pointAlong(path.pts, 0.5);
      ctx.save();
      ctx.fillStyle = S.theme['--panel'];
      ctx.beginPath();
      ctx.arc(mx, my, 7, 0, Math.PI * 2);
      ctx.fill();
      drawIcon(ctx, 'cross', mx, my, 5.5, S.theme['--danger']);
      ctx.restore();
    }
  }

  function text(str, x, y, font, color, maxW) {
    ctx.font = font;
    ctx.fillStyle = S.theme[color] || color;
    ctx.fillText(maxW ? fit(str, font, maxW) : str, x, y);
  }

  // --- drawing ------------------------------------------------------------------

  const TITLE = '600 12px system-ui, sans-serif';
  const SMALL = '11px system-ui, sans-serif';
  const TINY = '10px system-ui, sans-serif';


  function depthBar(x, y, w, h, mem, disk) {
    const total = mem + disk;
    ctx.beginPath();
    ctx.rect(x, y, w, h);
    ctx.fillStyle = S.theme['--slot'];
    ctx.fill();
    if (total > 0) {
      // Scale: full at 100 messages or the depth, whichever is more (log beyond).
      const scale = total <= 100 ? 100 : 100 * (1 + Math.log10(total / 100));
      const full = Math.min(1, total / scale);
      const mw = (w * full * mem) / total;
      const dw = (w * full * disk) / total;
      ctx.beginPath();
      ctx.rect(x, y, mw, h);
      ctx.fillStyle = S.theme['--slot-fill'];
      ctx.fill();
      if (dw > 0) {
        ctx.beginPath();
        ctx.rect(x + mw, y, dw, h);
        ctx.fillStyle = S.theme['--slot'];
        ctx.fill();
        ctx.save();
        ctx.beginPath();
        ctx.rect(x + mw, y, dw, h);
        ctx.clip();
        ctx.strokeStyle = S.theme['--slot-fill'];
        ctx.lineWidth = 2;
        ctx.beginPath();
        for (let d = -h; d < dw; d += 5) { ctx.moveTo(x + mw + d, y + h); ctx.lineTo(x + mw + d + h, y); }
        ctx.stroke();
        ctx.restore();
      }
    }
    ctx.beginPath();
    ctx.rect(x, y, w, h);
    ctx.strokeStyle = S.theme['--line'];
    ctx.lineWidth = 1;
    ctx.stroke();
  }

  function drawNode(n) {
    const b = layout.nodeBox.get(n.name);
    if (!b) return;
    drawBox(b, { down: n.down });
    ctx.textBaseline = 'middle';
    let x = b.x + 10;
    if (n.down) { drawIcon(ctx, 'cross', x + 4, b.y + 13, 6, S.theme['--danger']); x += 16; }
    text(n.name, x, b.y + 13, TITLE, '--fg', b.w * 0.5);
    x += Math.min(measure(n.name, TITLE), b.w * 0.5) + 8;
    const marks = [n.down ? 'down' : 'nsqd', n.expiry === 'sampled' ? 'sampled expiry (100ms scan)' : ''].filter(Boolean).join(' · ');
    text(marks, x, b.y + 13, SMALL, n.down ? '--danger' : '--muted', b.x + b.w - 8 - x);
    if (!n.topics.length) text('no topics yet', b.x + 10, b.y + HEAD_H + 10, SMALL, '--muted');
    for (const t of n.topics) {
      const tb = b.topics.get(t.name);
      if (!tb) continue;
      let tx = b.x + 10;
      if (t.paused) { drawIcon(ctx, 'pause', tx + 4, tb.y + TOPIC_H / 2, 5, S.theme['--muted']); tx += 12; }
      text(`topic ${t.name}`, tx, tb.y + TOPIC_H / 2, '600 11px system-ui, sans-serif', '--fg', b.w * 0.45);
      tx += Math.min(measure(`topic ${t.name}`, '600 11px system-ui, sans-serif'), b.w * 0.45) + 8;
      const held = t.depth ? `holds ${t.depth}${t.paused ? ' (paused)' : t.channels.length ? '' : ' (no channel yet)'} · ` : '';
      text(`${held}${t.message_count} msgs`, tx, tb.y + TOPIC_H / 2, TINY, '--muted', b.x + b.w - 8 - tx);
      // Fan-out: a branch from the topic to each channel.
      const rows = [...tb.channels.values()];
      if (rows.length) {
        ctx.strokeStyle = S.theme['--line'];
        ctx.lineWidth = 1.2;
        ctx.beginPath();
        ctx.moveTo(b.x + 14, tb.y + TOPIC_H - 4);
        ctx.lineTo(b.x + 14, rows[rows.length - 1].y + 13);
        for (const r of rows) { ctx.moveTo(b.x + 14, r.y + 13); ctx.lineTo(b.x + 22, r.y + 13); }
        ctx.stroke();
      }
      for (const c of t.channels) {
        const r = tb.channels.get(c.name);
        if (r) drawChannelRow(b, r, c);
      }
    }
  }

  function drawChannelRow(b, r, c) {
    const x = b.x + 26;
    const w = b.w - 36;
    const y = r.y;
    let tx = x;
    if (c.paused) { drawIcon(ctx, 'pause', tx + 4, y + 7, 5, S.theme['--st-send']); tx += 12; }
    text(c.name, tx, y + 7, '600 11px system-ui, sans-serif', '--fg', w * 0.4);
    tx += Math.min(measure(c.name, '600 11px system-ui, sans-serif'), w * 0.4) + 6;
    const parts = [`depth ${c.depth}`];
    if (c.backend_depth) parts.push(`disk ${c.backend_depth}`);
    parts.push(`in flight ${c.in_flight}`);
    if (c.deferred) parts.push(`deferred ${c.deferred}`);
    if (c.paused) parts.push('paused');
    text(parts.join(' · '), tx, y + 7, TINY, '--muted', x + w - tx);
    // Depth bar (memory solid, disk hatched) then in-flight dots.
    const barW = Math.max(40, w * 0.55);
    depthBar(x, y + 17, barW, 10, c.memory_depth, c.backend_depth);
    const dots = Math.min(c.in_flight, Math.floor((w - barW - 12) / 7));
    ctx.fillStyle = S.theme['--st-work'];
    for (let i = 0; i < dots; i++) {
      ctx.beginPath();
      ctx.arc(x + barW + 10 + i * 7, y + 22, 2.6, 0, Math.PI * 2);
      ctx.fill();
    }
    if (c.deferred) {
      const dx = x + barW + 10 + dots * 7 + 4;
      if (dx < x + w - 10) drawIcon(ctx, 'hourglass', dx + 4, y + 22, 4.5, S.theme['--st-sleep']);
    }
  }

  function backoffLines(c, nowUs) {
    const b = c.backoff;
    if (b.phase === 'waiting') {
      const left = b.until_us != null ? Math.max(0, b.until_us - nowUs) : null;
      return [`backoff level ${b.level}: RDY 0${left != null ? ` for ${fmtDuration(left)}` : ''},`, 'then an RDY 1 probe'];
    }
    if (b.phase === 'probing') return [`backoff level ${b.level}: probing,`, 'RDY 1 on one connection'];
    return ['', ''];
  }

  function backoffText(c, nowUs) {
    return backoffLines(c, nowUs).join(' ').trim();
  }


  // Consumers seen backing off: their boxes keep the two backoff lines.
  const backoffSeen = new Set();
  let byIdOf = null;
  let byIdMap = null;
  /** Snapshot `snap`'s goroutines by id (made once per snapshot). */
  function goroutinesById(snap) {
    if (byIdOf !== snap) {
      byIdOf = snap;
      byIdMap = new Map(snap.goroutines.map((g) => [g.id, g]));
    }
    return byIdMap;
  }

  function drawConsumer(c, snap) {
    const b = layout.consBox.get(c.name);
    if (!b) return;
    const crashed = c.state === 'crashed';
    const stopped = c.state === 'stopped' || c.state === 'stopping';
    drawBox(b, { down: crashed, dashed: stopped });
    ctx.textBaseline = 'middle';
    let x = b.x + 10;
    if (crashed) { drawIcon(ctx, 'cross', x + 4, b.y + 13, 6, S.theme['--danger']); x += 16; }
    if (stopped) { drawIcon(ctx, 'pause', x + 4, b.y + 13, 6, S.theme['--muted']); x += 16; }
    text(c.name, x, b.y + 13, TITLE, '--fg', b.w * 0.45);
    x += Math.min(measure(c.name, TITLE), b.w * 0.45) + 8;
    const where = c.topic ? `${c.topic}/${c.channel}` : '';
    const state = c.state === 'running' ? where : `${c.state}${where ? ` · ${where}` : ''}`;
    text(state, x, b.y + 13, SMALL, crashed ? '--danger' : '--muted', b.x + b.w - 8 - x);
    let y = b.y + HEAD_H + LINE_H / 2;
    // The longest wording that fits the card (the stage list says it in full).
    const counts = [
      `max_in_flight ${c.max_in_flight} · in flight ${c.in_flight} · FIN sent ${c.finished} · REQ sent ${c.requeued}`,
      `max_in_flight ${c.max_in_flight} · in flight ${c.in_flight} · FIN ${c.finished} · REQ ${c.requeued}`,
      `in flight ${c.in_flight} of ${c.max_in_flight} · FIN ${c.finished} · REQ ${c.requeued}`,
    ];
    const countsLine = counts.find((t) => measure(t, TINY) <= b.w - 20) || counts[counts.length - 1];
    text(countsLine, b.x + 10, y, TINY, '--muted', b.w - 20);
    y += LINE_H;
    if (c.backoff.phase !== 'none') {
      // Two lines: the state, then what comes next.
      const [now, next] = backoffLines(c, snap.time_us);
      drawIcon(ctx, 'hourglass', b.x + 14, y, 5, S.theme['--st-send']);
      text(now, b.x + 24, y, TINY, '--st-send', b.w - 34);
      if (next) text(next, b.x + 24, y + LINE_H, TINY, '--st-send', b.w - 34);
    } else if (backoffSeen.has(c.name)) {
      // The room stays once it has backed off (the box keeps its size).
      text('backoff over: RDY as usual', b.x + 24, y, TINY, '--muted', b.w - 34);
    }
    if (!c.connections.length) text(c.state === 'running' ? 'no connection yet' : 'no connection', b.x + 10, b.conns[0], TINY, '--muted');
    c.connections.forEach((cn, i) => {
      const cy = b.conns[i];
      if (cy == null) return;
      const mark = cn.cut ? 'cut' : cn.state === 'open' ? '' : cn.state;
      const line = `${cn.nsqd}: RDY ${cn.rdy} · ${cn.in_flight} in flight${mark ? ` · ${mark}` : ''}`;
      ctx.beginPath();
      ctx.arc(b.x + 12, cy, 3, 0, Math.PI * 2);
      ctx.fillStyle = S.theme[cn.cut || cn.state === 'closed' ? '--danger' : cn.rdy > 0 ? '--st-run' : '--muted'];
      ctx.fill();
      text(line, b.x + 20, cy, TINY, cn.cut || cn.state === 'closed' ? '--danger' : '--fg', b.w - 30);
    });
    // Handler goroutines, named inside their consumer without its prefix ("handler-2").
    const prefix = `${c.name}.`;
    // The layout keeps the goroutines of the snapshot it was made from: draw
    // each handler as this snapshot has it (its state, what it holds).
    const now = goroutinesById(snap);
    for (const laid of b.handlers) {
      const g = now.get(laid.id) || laid;
      const p = layout.pos.get(g.id);
      if (!p) continue;
      if (p.tile) drawTile(g, p, g.id === S.selected);
      else {
        const n = g.held ? attempts.get(g.held) : 0;
        const held = n > 1 ? `${g.held} (attempt ${n})` : g.held;
        drawCard({ ...g, name: g.name.startsWith(prefix) ? g.name.slice(prefix.length) : g.name, held }, p, g.id === S.selected);
      }
    }
  }

  function drawLookupds(snap) {
    for (const l of snap.nsq.lookupd || []) {
      const b = layout.lookBox.get(l.name);
      if (!b) continue;
      drawBox(b, { down: l.down });
      ctx.textBaseline = 'middle';
      let x = b.x + 8;
      if (l.down) { drawIcon(ctx, 'cross', x + 4, b.y + 11, 6, S.theme['--danger']); x += 16; }
      text(l.name, x, b.y + 11, '600 11px system-ui, sans-serif', '--fg', b.x + b.w - 8 - x);
      const topics = l.topics.map((t) => `${t.topic}: ${t.producers.length}`).join(', ');
      if (l.down) text('down, refuses lookups', b.x + 8, b.y + 26, TINY, '--danger', b.w - 16);
      else text(`${l.producers.length} nsqd${topics ? ` · ${topics}` : ''}`, b.x + 8, b.y + 26, TINY, '--muted', b.w - 16);
      // Registrations: a dotted line to each registered node.
      for (const name of l.producers) {
        const nb = layout.nodeBox.get(name);
        if (!nb) continue;
        ctx.save();
        ctx.strokeStyle = S.theme['--line'];
        ctx.setLineDash([2, 3]);
        ctx.beginPath();
        ctx.moveTo(b.x + b.w / 2, b.y + b.h);
        ctx.lineTo(nb.x + Math.min(nb.w - 10, 40 + (b.x - nb.x) + b.w / 2), nb.y);
        ctx.stroke();
        ctx.restore();
      }
    }
  }

  function drawLinks(snap, pt) {
    // Publishers -> the topic they publish to.
    const pubConns = new Map();
    for (const p of snap.nsq.publishers || []) pubConns.set(`${p.goroutine}|${p.nsqd}`, p);
    const groupOf = new Map(snap.groups.map((g) => [g.name, g]));
    for (const g of pt.others) {
      const spec = groupOf.get(g.group);
      if (!spec) continue;
      const seen = new Set();
      for (const t of publishTargets(spec.behavior)) {
        const k = `${t.nsqd}|${t.topic}`;
        if (seen.has(k)) continue;
        seen.add(k);
        const a = cardAnchor(g.id, 'out');
        const to = topicAnchor(t.nsqd, t.topic);
        if (!a || !to) continue;
        const conn = pubConns.get(`${g.name}|${t.nsqd}`);
        const waiting = conn ? conn.waiting : g.state === 'blocked_net';
        strokeLink(linkPath(a, to), { color: waiting ? '--st-sleep' : '--line', width: waiting ? 2 : 1.2, cut: conn && conn.cut, dash: conn && conn.cut ? [4, 4] : null });
      }
    }
    // Channels -> consumer connections.
    for (const c of pt.consumers) {
      const b = layout.consBox.get(c.name);
      if (!b) continue;
      c.connections.forEach((cn, i) => {
        const row = channelRow(cn.nsqd, c.topic, c.channel);
        if (!row || b.conns[i] == null) return;
        const a = channelOut(row);
        const to = { x: b.x, y: b.conns[i] };
        const style = cn.cut ? { color: '--danger', dash: [4, 4], cut: true }
          : cn.state === 'closed' ? { color: '--muted', dash: [1, 4] }
            : cn.state === 'connecting' || cn.state === 'closing' ? { color: '--line', dash: [5, 3] }
              : { color: cn.rdy > 0 ? '--st-run' : '--line', width: cn.rdy > 0 ? 1.6 : 1.2 };
        strokeLink(linkPathSide(a, to), style);
      });
    }
  }

  /**
   * Where a channel's deliveries leave its node: the box's right edge in
   * columns (the consumers are to the right), its left edge in bands (they
   * are below, reached down the left margin).
   */
  function channelOut(row) {
    return { x: layout.wide ? row.b.x + row.b.w : row.b.x, y: row.y };
  }

  /** Node right edge -> consumer left edge (or, stacked, node left edge down the left margin). */
  function linkPathSide(a, b) {
    if (layout.wide && b.x > a.x + 8) {
      const mx = (a.x + b.x) / 2;
      return { pts: [[a.x, a.y], [b.x, b.y]], curve: [mx, a.y, mx, b.y] };
    }
    const gx = Math.min(layout.margin, a.x - 8, b.x - 8);
    return { pts: [[a.x, a.y], [gx, a.y], [gx, b.y], [b.x, b.y]], curve: null };
  }

  // --- tokens ----------------------------------------------------------------------

  function consumerOfGroup(group, pt) {
    const name = group.replace(/\.(handler|conn\d+)$/, '');
    return pt.consumers.find((c) => c.name === name) || null;
  }

  /** Notes each message's latest delivery attempt (its handler card says it). */
  function noteAttempts(events) {
    for (const e of events) {
      if (e.kind !== 'nsq_message' || !e.label) continue;
      const n = Number((String(e.text).match(/\(attempt (\d+)\)$/) || [])[1] || 0);
      if (!n) continue;
      if (attempts.size > 4096) attempts.clear();
      attempts.set(e.label, n);
    }
  }

  function addTokens(events, snap) {
    noteAttempts(events);
    if (S.reducedMotion || !layout) return;
    const now = performance.now();
    const pt = parts(snap);
    const byId = new Map(snap.goroutines.map((g) => [g.id, g]));
    const start = Math.max(0, events.length - 3 * MAX_TOKENS);
    for (let i = start; i < events.length; i++) {
      const e = events[i];
      const t = tokenFor(e, snap, pt, byId);
      if (!t) continue;
      if (tokens.length >= MAX_TOKENS) tokens.shift();
      tokens.push({ ...t, label: e.label, t0: now, t1: now + (t.ms || TOKEN_MS) });
    }
  }

  function tokenFor(e, snap, pt, byId) {
    const g = e.goroutine != null ? byId.get(e.goroutine) : null;
    const where = e.nsq || {};
    switch (e.kind) {
      case 'nsq_publish': {
        if (!g) return null;
        const spec = snap.groups.find((q) => q.name === g.group);
        const targets = spec ? publishTargets(spec.behavior) : [];
        const t = targets.find((x) => !where.nsqd || x.nsqd === where.nsqd) || targets[0];
        const a = cardAnchor(g.id, 'out');
        const to = t && topicAnchor(where.nsqd || t.nsqd, where.topic || t.topic);
        if (!a || !to) return null;
        return { pts: linkPath(a, to).pts };
      }
      case 'nsq_message': {
        if (!g) return null;
        const c = consumerOfGroup(g.group, pt);
        if (!c) return null;
        const k = Number((g.group.match(/\.conn(\d+)$/) || [])[1] || 1) - 1;
        const conn = c.connections.find((x) => x.nsqd === where.nsqd) || c.connections[k];
        const b = layout.consBox.get(c.name);
        const row = conn && channelRow(conn.nsqd, c.topic, c.channel);
        if (!row || !b) return null;
        const ci = c.connections.indexOf(conn);
        const attempt = Number((String(e.text).match(/attempt (\d+)/) || [])[1] || 1);
        const pts = linkPathSide(channelOut(row), { x: b.x, y: b.conns[ci] ?? b.conns[0] }).pts;
        return attempt > 1 ? { pts, color: '--st-send', mark: String(Math.min(attempt, 9)), r: 5.5 } : { pts };
      }
      case 'nsq_finish':
      case 'nsq_requeue':
      case 'nsq_max_attempts': {
        if (!g) return null;
        const c = consumerOfGroup(g.group, pt);
        const p = layout.pos.get(g.id);
        if (!c || !p) return null;
        const conn = c.connections.find((x) => x.nsqd === where.nsqd) || c.connections[0];
        const row = conn && channelRow(conn.nsqd, c.topic, c.channel);
        if (!row) return null;
        const pts = [[p.x, p.y + p.h / 2], [channelOut(row).x, row.y]];
        // nsqd had closed the connection: the answer stops half way.
        if (where.lost) return { pts: [pts[0], [(pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2]], color: '--danger', mark: '×', r: 5.5 };
        if (e.kind === 'nsq_finish') return { pts, color: '--st-run', r: 3.5 };
        if (e.kind === 'nsq_requeue') return { pts, color: '--st-send', mark: 'R', r: 5.5 };
        return { pts, color: '--danger', mark: '×', r: 5.5 };
      }
      case 'nsq_timeout': {
        // The copy flies back from its owner (if the event names it) to the queue, with a clock mark.
        const nodeName = where.nsqd;
        let c = where.client ? pt.consumers.find((x) => x.name === where.client) : null;
        if (!c && where.topic) c = pt.consumers.find((x) => x.topic === where.topic && (!where.channel || x.channel === where.channel));
        if (!c) c = pt.consumers.find((x) => x.connections.some((cn) => cn.nsqd === nodeName));
        if (!c) return null;
        const b = layout.consBox.get(c.name);
        const row = channelRow(nodeName || (c.connections[0] || {}).nsqd, where.topic || c.topic, where.channel || c.channel);
        if (!b || !row) return null;
        return { pts: [[b.x, b.y + HEAD_H / 2], [channelOut(row).x, row.y]], color: '--danger', mark: 'clock', r: 6 };
      }
      case 'nsq_lookup': {
        // Discovery: the lookupd's answer comes back to the consumer that polled it.
        const c = where.client ? pt.consumers.find((x) => x.name === where.client) : null;
        const l = where.lookupd && layout.lookBox.get(where.lookupd);
        const b = c && layout.consBox.get(c.name);
        if (!l || !b) return null;
        // Stacked, the way runs down the left margin, not across the node boxes.
        const pts = layout.wide ? [[l.x + l.w / 2, l.y + l.h], [b.x + 10, b.y]]
          : linkPathSide({ x: l.x, y: l.y + l.h / 2 }, { x: b.x, y: b.y + HEAD_H / 2 }).pts;
        // A lookupd that is down refuses it: a red cross comes back instead of an answer.
        if (where.refused) return { pts, color: '--danger', mark: '×', r: 5.5, discovery: true, ms: 1200 };
        return { pts, color: '--muted', mark: 'L', r: 5.5, discovery: true, ms: 1200 };
      }
      case 'nsq_discovered': {
        // It connects to the node the lookup named (SUB goes out).
        const c = where.client ? pt.consumers.find((x) => x.name === where.client) : null;
        const b = c && layout.consBox.get(c.name);
        const nb = where.nsqd && layout.nodeBox.get(where.nsqd);
        if (!b || !nb) return null;
        const pts = layout.wide ? [[b.x, b.y + HEAD_H / 2], [nb.x + nb.w, nb.y + HEAD_H / 2]]
          : linkPathSide({ x: b.x, y: b.y + HEAD_H / 2 }, { x: nb.x, y: nb.y + HEAD_H / 2 }).pts;
        return { pts, color: '--muted', mark: '+', r: 5.5, discovery: true, ms: 1200 };
      }
      default:
        return null;
    }
  }

  /** The path of a discovery token, dashed, while it moves: the poll and the connection it leads to. */
  function drawDiscoveryLines(now) {
    ctx.save();
    ctx.strokeStyle = S.theme['--muted'];
    ctx.setLineDash([3, 3]);
    ctx.lineWidth = 1;
    for (const t of tokens) {
      if (!t.discovery || now >= t.t1) continue;
      ctx.beginPath();
      ctx.moveTo(t.pts[0][0], t.pts[0][1]);
      for (const [x, y] of t.pts.slice(1)) ctx.lineTo(x, y);
      ctx.stroke();
    }
    ctx.restore();
  }

  function drawTokenMarks(now) {
    // Clock marks are drawn as icons over their token (the painter draws letters only).
    for (const t of tokens) {
      if (t.mark !== 'clock' || now < t.t0 || now >= t.t1) continue;
      const [x, y] = pointAlong(t.pts, (now - t.t0) / (t.t1 - t.t0));
      ctx.save();
      ctx.strokeStyle = S.theme['--panel'];
      ctx.lineWidth = 1.3;
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x, y - 3.5);
      ctx.moveTo(x, y);
      ctx.lineTo(x + 2.5, y + 1);
      ctx.stroke();
      ctx.restore();
    }
  }

  // --- hit tests, tooltip, list -----------------------------------------------------------

  function hitGoroutine(x, y) {
    if (!layout) return null;
    for (const [id, p] of layout.pos) {
      if (x >= p.x - 2 && x <= p.x + p.w + 2 && y >= p.y - 2 && y <= p.y + p.h + 2) return id;
    }
    return goBand ? goView.hitGoroutine(x, y) : null;
  }

  function hitMessage(x, y) {
    const now = performance.now();
    for (let i = tokens.length - 1; i >= 0; i--) {
      const t = tokens[i];
      if (t.label == null || now < t.t0 || now >= t.t1) continue;
      const [tx, ty] = pointAlong(t.pts, (now - t.t0) / (t.t1 - t.t0));
      if (Math.hypot(tx - x, ty - y) <= 8) return t.label;
    }
    return null;
  }

  function inBox(b, x, y) { return b && x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h; }

  function tooltipLines(x, y, snap) {
    const gid = hitGoroutine(x, y);
    if (gid !== null) {
      const g = snap.goroutines.find((q) => q.id === gid);
      return g ? [g.name, g.state_text] : null;
    }
    for (const n of snap.nsq.nodes) {
      const b = layout.nodeBox.get(n.name);
      if (!inBox(b, x, y)) continue;
      for (const t of n.topics) {
        for (const c of t.channels) {
          const r = b.topics.get(t.name)?.channels.get(c.name);
          if (r && y >= r.y && y < r.y + r.h) {
            return [`${n.name} · ${t.name}/${c.name}`,
              `depth ${c.depth} (memory ${c.memory_depth} + disk ${c.backend_depth}), in flight ${c.in_flight}, deferred ${c.deferred}`,
              `messages ${c.message_count}, requeued ${c.requeue_count}, timed out ${c.timeout_count}, connections ${c.client_count}${c.paused ? '; paused' : ''}`];
          }
        }
      }
      return [`${n.name}${n.down ? ' (down)' : ''}`, `${n.topics.length} topic(s); expiry ${n.expiry === 'sampled' ? 'at the 100ms scan' : 'exactly on time'}`];
    }
    for (const c of consumersOf(snap)) {
      const b = layout.consBox.get(c.name);
      if (!inBox(b, x, y)) continue;
      const lines = [`consumer ${c.name} (${c.state}) on ${c.topic}/${c.channel}`, `max_in_flight ${c.max_in_flight}, ${c.in_flight} in flight, FIN sent ${c.finished}, REQ sent ${c.requeued}`];
      const bt = backoffText(c, snap.time_us);
      if (bt) lines.push(bt);
      for (const cn of c.connections) lines.push(`${cn.nsqd}: ${cn.state}${cn.cut ? ', cut' : ''}, RDY ${cn.rdy}, ${cn.in_flight} in flight`);
      return lines;
    }
    return goBand ? goView.tooltipLines(x, y, snap) : null;
  }

  function flashRects(target) {
    const out = [];
    if (!layout) return out;
    if (target.goroutine != null) {
      const p = layout.pos.get(target.goroutine);
      if (p) out.push(cardRing(p));
    }
    if (goBand) out.push(...goView.flashRects(target));
    return out;
  }

  function listItems(snap) {
    const out = [];
    for (const n of snap.nsq.nodes) {
      out.push({ key: `n:${n.name}`, text: `nsqd ${n.name}${n.down ? ' (down)' : ''}: ${n.topics.length} topic(s)` });
      for (const t of n.topics) {
        for (const c of t.channels) {
          out.push({ key: `c:${n.name}/${t.name}/${c.name}`,
            text: `channel ${t.name}/${c.name} on ${n.name}: depth ${c.depth} (memory ${c.memory_depth}, disk ${c.backend_depth}), in flight ${c.in_flight}, deferred ${c.deferred}, timed out ${c.timeout_count}, requeued ${c.requeue_count}${c.paused ? ', paused' : ''}, ${c.client_count} connection(s)` });
        }
      }
    }
    for (const l of snap.nsq.lookupd || []) {
      out.push({ key: `l:${l.name}`, text: `nsqlookupd ${l.name}: ${l.down ? 'down' : `${l.producers.length} nsqd connected, ${l.topics.length} topic(s) registered`}` });
    }
    for (const c of consumersOf(snap)) {
      const bt = backoffText(c, snap.time_us);
      // Redelivered messages its handlers work on, with their attempt.
      const again = snap.goroutines
        .filter((g) => g.group === c.handler_group && g.held && attempts.get(g.held) > 1)
        .map((g) => `${g.held} (attempt ${attempts.get(g.held)})`);
      out.push({ key: `k:${c.name}`, text: `consumer ${c.name} (${c.state}): ${c.in_flight} in flight of max_in_flight ${c.max_in_flight}, FIN sent ${c.finished}, REQ sent ${c.requeued}; `
        + `${c.connections.map((cn) => `${cn.nsqd} ${cn.state}${cn.cut ? ' cut' : ''} RDY ${cn.rdy}`).join(', ') || 'no connection'}${bt ? `; ${bt}` : ''}`
        + `${again.length ? `; handling again: ${again.join(', ')}` : ''}` });
    }
    return out;
  }

  function ariaText(snap) {
    const down = [...snap.nsq.nodes, ...(snap.nsq.lookupd || [])].filter((n) => n.down).map((n) => n.name);
    return `NSQ: ${snap.nsq.nodes.length} nsqd${down.length ? ` (${down.join(', ')} down)` : ''}, ${consumersOf(snap).length} consumer(s). `;
  }

  return {
    prepare(snap, maxH) {
      const pt = parts(snap);
      for (const c of pt.consumers) if (c.backoff.phase !== 'none') backoffSeen.add(c.name);
      pt.backoffSeen = backoffSeen;
      goBand = pt.userChannels.length > 0;
      let goH = 0;
      if (goBand) {
        S.top = 0;
        goH = goView.prepareBand(goSnap(snap, pt), Math.min(maxH, 320)) + 8;
      }
      const key = `${structureKey(snap, pt, S)}|${goH}`;
      if (!layout || key !== layoutKey) {
        S.top = goH;
        layout = computeLayout(snap, pt, S, goBand);
        layoutKey = key;
        S.top = 0;
      }
      return goH + layout.needHeight;
    },
    draw(snap, now) {
      const pt = parts(snap);
      if (goBand) goView.draw(goSnap(snap, pt), now);
      drawLookupds(snap);
      drawLinks(snap, pt);
      for (const n of snap.nsq.nodes) drawNode(n);
      ctx.textBaseline = 'middle';
      if (!goBand && pt.others.length) text('publishers', layout.pos.get(pt.others[0].id)?.x ?? 10, S.top + 14, TINY, '--muted');
      for (const g of goBand ? [] : pt.others) {
        const p = layout.pos.get(g.id);
        if (p) drawCard(g, p, g.id === S.selected);
      }
      for (const c of pt.consumers) drawConsumer(c, snap);
      drewTokens = tokens.length > 0;
      drawDiscoveryLines(now);
      tokens = P.drawTokens(tokens, now);
      drawTokenMarks(now);
    },
    addTokens(events, snap) {
      if (goBand) goView.addTokens(events, goSnap(snap, parts(snap)), performance.now());
      addTokens(events, snap);
    },
    animating(now) { return tokens.length > 0 || drewTokens || (goBand && goView.animating(now)); },
    hitGoroutine,
    hitChannel: (x, y) => (goBand ? goView.hitChannel(x, y) : null),
    hitMessage,
    tooltipLines,
    flashRects,
    listItems,
    ariaText,
    get layout() { return layout; },
    reset() {
      tokens = [];
      attempts.clear();
      backoffSeen.clear();
      layout = null;
      layoutKey = '';
      goView.reset();
    },
    clearTokens() { tokens = []; goView.clearTokens(); },
  };
}

