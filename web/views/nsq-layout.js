// Where the NSQ view puts things: which goroutines and channels are a
// client library's (go-nsq's readers, handlers and incoming channel) and
// which are the scenario's own, and the layout: publishers, nodes (each
// with its topics and channels), lookupds and consumers (with their
// connection rows and handler cards), in columns on a wide stage and in
// bands on a narrow one. Pure functions of the snapshot and the stage's
// size; views/nsq.js draws.

export const CARD_H = 40;
export const TILE = 18;
export const HEAD_H = 26; // a node's or consumer's title bar
export const TOPIC_H = 22;
export const CHAN_H = 40;
export const CONN_H = 17;
export const LINE_H = 16;
export const GAP = 12;

/** The `publish` statements' nodes and topics of one behaviour. */
export function publishTargets(behavior) {
  const out = [];
  const walk = (stmts) => {
    if (!Array.isArray(stmts)) return;
    for (const s of stmts) {
      if (!s || typeof s !== 'object') continue;
      if (s.publish && typeof s.publish === 'object') {
        const nodes = Array.isArray(s.publish.nsqd) ? s.publish.nsqd : [s.publish.nsqd];
        for (const n of nodes) if (typeof n === 'string') out.push({ nsqd: n, topic: String(s.publish.topic ?? '') });
      }
      if (s.repeat) walk(s.repeat.body);
      if (s.forever) walk(s.forever);
      if (s.range) walk(s.range.body);
      if (s.select) {
        for (const c of s.select.cases || []) walk(c.body);
        walk(s.select.default);
        if (s.select.after) walk(s.select.after.body);
      }
    }
  };
  if (behavior && behavior.program) walk(behavior.program);
  return out;
}

/** The consumers as the view draws them (the engine's consumer views). */
export function consumersOf(snap) {
  return snap.nsq.consumers;
}

/** Which goroutines and channels are a client library's, and the consumers. */
export function parts(snap) {
  const consumers = consumersOf(snap);
  const libGroups = new Set();
  for (const c of consumers) libGroups.add(c.handler_group);
  for (const g of snap.groups) if (g.behavior && (g.behavior.nsq_reader || g.behavior.nsq_handler)) libGroups.add(g.name);
  const libChannels = new Set(snap.channels.filter((c) => c.library).map((c) => c.id));
  const userChannels = snap.channels.filter((c) => !libChannels.has(c.id));
  const others = snap.goroutines.filter((g) => !libGroups.has(g.group));
  return { consumers, libGroups, userChannels, others };
}

/** Changes when the layout must be computed again. */
export function structureKey(snap, pt, S) {
  let k = `${S.width}|${S.layoutEpoch}|${pt.userChannels.length}|`;
  for (const g of pt.others) k += `${g.id},`;
  k += '|';
  for (const n of snap.nsq.nodes) {
    k += `${n.name}:`;
    for (const t of n.topics) k += `${t.name}(${t.channels.map((c) => c.name).join(',')})`;
    k += ';';
  }
  for (const l of snap.nsq.lookupd || []) k += `L${l.name};`;
  for (const c of pt.consumers) {
    k += `C${c.name}:${c.connections.length}:${backoffRoom(c, pt)}:`;
    for (const g of snap.goroutines) if (g.group === c.handler_group) k += `${g.id}.`;
  }
  return k;
}

export function nodeHeight(n) {
  let h = HEAD_H + 6;
  for (const t of n.topics) h += TOPIC_H + t.channels.length * CHAN_H + 4;
  if (!n.topics.length) h += LINE_H + 4;
  return h;
}

export function handlerGrid(count, w) {
  const cols = Math.max(1, Math.min(count, Math.floor((w + 6) / 112)));
  const rows = Math.ceil(count / cols);
  if (count <= 8) return { tile: false, cols, h: rows * (CARD_H + 6) - 6 };
  const per = Math.max(1, Math.floor((w + 4) / (TILE + 4)));
  return { tile: true, per, h: Math.ceil(count / per) * (TILE + 4) };
}

/**
 * Whether consumer `c`'s box has its two backoff lines: while it backs off,
 * and from then on (`pt.backoffSeen`, the names the view has seen back
 * off), so the box does not grow and shrink with each backoff.
 */
export function backoffRoom(c, pt) {
  return c.backoff.phase !== 'none' || Boolean(pt && pt.backoffSeen && pt.backoffSeen.has(c.name));
}

export function consumerHeight(c, handlers, w, pt) {
  let h = HEAD_H + LINE_H + 4;
  if (backoffRoom(c, pt)) h += 2 * LINE_H;
  h += Math.max(1, c.connections.length) * CONN_H + 6;
  if (handlers > 0) h += handlerGrid(handlers, w - 16).h + 8;
  return h;
}

export function computeLayout(snap, pt, S, goBand) {
  const W = S.width;
  const nodes = snap.nsq.nodes;
  const lookupds = snap.nsq.lookupd || [];
  const wide = W >= 620;
  // Stacked, deliveries run down the left margin (nsq.js: linkPathSide):
  // wide enough for a message's dot on the stage.
  const pad = wide ? 10 : 16;
  const top = S.top + 8;
  const pos = new Map(); // goroutine id -> card box
  const nodeBox = new Map(); // node name -> { x, y, w, h, topics: Map(topic -> { y, channels: Map(channel -> row) }) }
  const lookBox = new Map();
  const consBox = new Map(); // consumer name -> { x, y, w, h, conns: [y], handlers }
  const pubs = goBand ? [] : pt.others;
  // Columns (wide) or bands (narrow).
  let px; let pw; let nx; let nw; let cx; let cw;
  if (wide) {
    pw = pubs.length ? Math.min(170, Math.max(110, W * 0.2)) : 0;
    cw = Math.min(270, Math.max(180, W * 0.3));
    px = pad;
    cx = W - pad - cw;
    nx = px + pw + (pw ? 44 : 0);
    nw = Math.max(160, cx - 44 - nx);
  } else {
    px = pad; pw = W - pad * 2;
    nx = pad; nw = W - pad * 2;
    cx = pad; cw = W - pad * 2;
  }
  let y = top;
  // Publishers.
  let pubBottom = top;
  if (pubs.length) {
    const cols = wide ? 1 : Math.max(1, Math.min(pubs.length, Math.floor((pw + 8) / 130)));
    const w = wide ? pw : (pw - (cols - 1) * 8) / cols;
    pubs.forEach((g, i) => {
      const r = Math.floor(i / cols);
      const c = i % cols;
      pos.set(g.id, { x: px + c * (w + 8), y: top + 16 + r * (CARD_H + 8), w, h: CARD_H, tile: false });
    });
    pubBottom = top + 16 + Math.ceil(pubs.length / cols) * (CARD_H + 8);
  }
  if (!wide) y = pubs.length ? pubBottom + 26 : top;
  // lookupds: a row above the nodes.
  if (lookupds.length) {
    const lw = Math.min(150, (nw - (lookupds.length - 1) * 8) / lookupds.length);
    lookupds.forEach((l, i) => {
      lookBox.set(l.name, { x: nx + i * (lw + 8), y, w: lw, h: 36 });
    });
    y += 36 + 26;
  }
  // Nodes, stacked.
  const nodesTop = y;
  for (const n of nodes) {
    const h = nodeHeight(n);
    const box = { x: nx, y, w: nw, h, topics: new Map() };
    let ty = y + HEAD_H + 4;
    for (const t of n.topics) {
      const tb = { y: ty, channels: new Map() };
      ty += TOPIC_H;
      for (const c of t.channels) { tb.channels.set(c.name, { y: ty, h: CHAN_H }); ty += CHAN_H; }
      ty += 4;
      box.topics.set(t.name, tb);
    }
    nodeBox.set(n.name, box);
    y += h + GAP;
  }
  const nodesBottom = y - GAP;
  // Consumers.
  let cy = wide ? (lookupds.length ? nodesTop : top) : nodesBottom + 30;
  const handlersOf = new Map();
  for (const g of snap.goroutines) {
    if (!handlersOf.has(g.group)) handlersOf.set(g.group, []);
    handlersOf.get(g.group).push(g);
  }
  for (const c of pt.consumers) {
    const hs = handlersOf.get(c.handler_group) || [];
    const h = consumerHeight(c, hs.length, cw, pt);
    const box = { x: cx, y: cy, w: cw, h, conns: [], handlers: hs };
    let ry = cy + HEAD_H + LINE_H + 4 + (backoffRoom(c, pt) ? 2 * LINE_H : 0);
    for (let i = 0; i < Math.max(1, c.connections.length); i++) { box.conns.push(ry + CONN_H / 2); ry += CONN_H; }
    ry += 6;
    const grid = handlerGrid(hs.length, cw - 16);
    if (!grid.tile) {
      const w = (cw - 16 - (grid.cols - 1) * 6) / grid.cols;
      hs.forEach((g, i) => {
        pos.set(g.id, { x: cx + 8 + (i % grid.cols) * (w + 6), y: ry + Math.floor(i / grid.cols) * (CARD_H + 6), w, h: CARD_H, tile: false });
      });
    } else {
      hs.forEach((g, i) => {
        pos.set(g.id, { x: cx + 8 + (i % grid.per) * (TILE + 4), y: ry + Math.floor(i / grid.per) * (TILE + 4), w: TILE, h: TILE, tile: true });
      });
    }
    consBox.set(c.name, box);
    cy += h + GAP;
  }
  const bottom = Math.max(pubBottom, nodesBottom, cy - GAP);
  // The left margin's x, where stacked deliveries run down (8 px out of the boxes).
  return { pos, nodeBox, lookBox, consBox, wide, margin: pad - 8, needHeight: Math.ceil(bottom - S.top + 10) };
}

export function channelRow(layout, nodeName, topic, channel) {
  const b = layout.nodeBox.get(nodeName);
  const t = b && b.topics.get(topic);
  const r = t && t.channels.get(channel);
  if (!r) return null;
  return { b, y: r.y + 13 };
}

export function topicAnchor(layout, nodeName, topic) {
  const b = layout.nodeBox.get(nodeName);
  if (!b) return null;
  const t = b.topics.get(topic);
  return { x: b.x, y: t ? t.y + TOPIC_H / 2 : b.y + HEAD_H / 2, b };
}

/** The part of the snapshot the Go view draws above: the scenario's own goroutines and channels. */
export function goSnap(snap, pt) {
  const keep = new Set(pt.others.map((g) => g.group));
  return { ...snap, goroutines: pt.others, channels: pt.userChannels, groups: snap.groups.filter((g) => keep.has(g.name)) };
}
