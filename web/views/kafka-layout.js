// Where the Kafka view puts things: producers on the left, the brokers as
// columns in the middle (each holding one log strip per partition replica
// it stores), consumer groups and partition consumers on the right; in
// bands (brokers stacked, a replica's numbers on its label's line) on a
// narrow stage. The Go parts (sarama's
// goroutines and channels and the scenario's own) are drawn below by the Go
// view. Pure functions of the snapshot and the stage's size; views/kafka.js
// draws.

export const HEAD_H = 26; // a box's title bar
export const REPLICA_H = 46; // one replica row in a broker: label, strip, numbers
// Stacked brokers (full width): the numbers share the label's line, so a
// phone reaches the consumers a third sooner.
export const REPLICA_LINE_H = 32;
export const STRIP_Y = 18; // a replica's log strip: its top in the row
export const STRIP_H = 9; // and its height
export const LINE_H = 16;
export const MEMBER_H = 50; // a member: name and state, its partitions with offsets, its ConsumeClaim goroutines
export const GAP = 12;

/** Categorical colours for partitions (each is also labelled in words). */
export const PART_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#c9a227', '#b07aa1', '#ff7f9f', '#9c755f', '#7f7f7f'];

/** "topic-p", the way sarama and kafka-consumer-groups.sh name a partition. */
export const partKey = (topic, p) => `${topic}-${p}`;

/**
 * A producer card's line for an acks=all record waiting for in-sync
 * replicas: "waits for broker-3 · events-0@41", the longest form that
 * `fits`; the offset, then the partition, go first (the broker is the
 * point). "HW about to pass events-0@41" when nobody is missing.
 */
export function ackWaitLine(w, fits) {
  const part = partKey(w.topic, w.partition);
  const at = `${part}@${w.offset}`;
  if (!w.missing.length) return `HW about to pass ${at}`;
  const head = `waits for ${w.missing.map((b) => `broker-${b}`).join(', ')}`;
  return [`${head} · ${at}`, `${head} · ${part}`].find(fits) || head;
}

/** Partition key -> colour, in the order the engine lists partitions. */
export function partColors(k) {
  const m = new Map();
  k.partitions.forEach((p, i) => m.set(partKey(p.topic, p.partition), PART_COLORS[i % PART_COLORS.length]));
  return m;
}

/** The replicas each broker stores: broker id -> [{ part, idx }] (idx into part.replicas). */
export function replicasByBroker(k) {
  const m = new Map(k.brokers.map((b) => [b.id, []]));
  for (const part of k.partitions) {
    part.replicas.forEach((id, idx) => {
      if (!m.has(id)) m.set(id, []);
      m.get(id).push({ part, idx });
    });
  }
  return m;
}

export function producerHeight(p) {
  // Kind and acks, the counts, what it waits for.
  return HEAD_H + 3 * LINE_H + 8;
}

export function groupHeight(g) {
  return HEAD_H + 2 * LINE_H + Math.max(1, g.members.length) * MEMBER_H + 6;
}

export const CONSUMER_H = HEAD_H + 2 * LINE_H + 6;

/** Changes when the layout must be computed again. */
export function structureKey(snap, S) {
  const k = snap.kafka;
  let s = `${S.width}|${S.layoutEpoch}|${S.top}|`;
  for (const b of k.brokers) s += `${b.id},`;
  s += '|';
  for (const p of k.partitions) s += `${p.topic}/${p.partition}:${p.replicas.join('.')};`;
  for (const p of k.producers) s += `P${p.name};`;
  for (const g of k.groups) s += `G${g.name}:${g.members.length};`;
  for (const c of k.consumers) s += `C${c.name}/${c.partition};`;
  return s;
}

export function computeLayout(snap, S) {
  const k = snap.kafka;
  const W = S.width;
  const wide = W >= 680; // three columns: producers 160, brokers 170, consumers 240
  // Stacked, records travel down the margins (kafka-tokens.js): wide
  // enough for a token clear of the captions and the stage's edge.
  const pad = wide ? 10 : 16;
  const gutter = wide ? 5 : 8;
  const top = S.top + 8;
  const byBroker = replicasByBroker(k);
  const prodBox = new Map();
  const brokerBox = new Map(); // id -> { x, y, w, h, rows: [{ part, idx, y }] }
  const groupBox = new Map();
  const consBox = new Map();
  let px; let pw; let bx; let bw; let cx; let cw;
  const hasRight = k.groups.length + k.consumers.length > 0;
  if (wide) {
    pw = k.producers.length ? Math.min(200, Math.max(160, W * 0.17)) : 0;
    cw = hasRight ? Math.min(300, Math.max(240, W * 0.3)) : 0;
    px = pad;
    cx = W - pad - cw;
    bx = px + pw + (pw ? 24 : 0);
    // With nothing on the right, records still go down the margin there.
    bw = Math.max(160, (hasRight ? cx - 24 : W - 2 * pad) - bx);
  } else {
    px = pad; pw = W - pad * 2;
    bx = pad; bw = W - pad * 2;
    cx = pad; cw = W - pad * 2;
  }
  const label = 16; // a column's caption
  let y = top;
  // Producers.
  let prodBottom = top;
  if (k.producers.length) {
    let py = top + label;
    for (const p of k.producers) {
      const h = producerHeight(p);
      prodBox.set(p.name, { x: px, y: py, w: pw, h });
      py += h + GAP;
    }
    prodBottom = py - GAP;
  }
  if (!wide) y = k.producers.length ? prodBottom + 18 : top;
  // Brokers: side by side when each gets 190 px (a replica's row then
  // reads whole: "events-0", "leader · epoch 1"), else stacked.
  const n = Math.max(1, k.brokers.length);
  const side = wide && (bw - (n - 1) * 10) / n >= 190;
  const colW = side ? (bw - (n - 1) * 10) / n : bw;
  let by = y + label;
  let brokBottom = by;
  k.brokers.forEach((b, i) => {
    const reps = byBroker.get(b.id) || [];
    const rowH = side ? REPLICA_H : REPLICA_LINE_H;
    const h = HEAD_H + Math.max(1, reps.length) * rowH + 6;
    const x = side ? bx + i * (colW + 10) : bx;
    const box = { x, y: by, w: colW, h, rowH, rows: [] };
    reps.forEach((r, j) => box.rows.push({ ...r, y: by + HEAD_H + j * rowH }));
    brokerBox.set(b.id, box);
    if (side) brokBottom = Math.max(brokBottom, by + h);
    else { by += h + GAP; brokBottom = by - GAP; }
  });
  // Groups and partition consumers.
  let cy = wide ? top + label : brokBottom + 18 + label;
  for (const g of k.groups) {
    const h = groupHeight(g);
    groupBox.set(g.name, { x: cx, y: cy, w: cw, h });
    cy += h + GAP;
  }
  for (const c of k.consumers) {
    const key = `${c.name}/${c.topic}/${c.partition}`;
    consBox.set(key, { x: cx, y: cy, w: cw, h: CONSUMER_H });
    cy += CONSUMER_H + GAP;
  }
  const bottom = Math.max(prodBottom, brokBottom, cy - GAP);
  return { wide, gutter, prodBox, brokerBox, groupBox, consBox, cols: { px, bx, cx, brokersTop: y }, needHeight: Math.ceil(bottom - S.top + 10) };
}
