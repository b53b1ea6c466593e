// The Go view's graph: which goroutine group sends to, receives from,
// closes or waits on which channel (read from each group's behaviour in the
// scenario JSON), and the columns that graph puts them in, left to right.

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
 * The channel edges of a snapshot group: its behaviour's, plus the sends
 * core read from a client library's compiled program (`sends`: sarama's
 * partition and broker switches name no channel in the behaviour).
 */
export function edgesOfGroup(g) {
  const acc = groupEdges(g.behavior);
  for (const ch of Array.isArray(g.sends) ? g.sends : []) if (typeof ch === 'string') acc.sends.add(ch);
  return acc;
}

/**
 * Columns left to right: even columns hold goroutine groups, odd columns
 * channels. A group sits one column right of the channels it receives from;
 * a channel one column right of the groups that send to it.
 */
export function buildTopology(snap) {
  const chanByName = new Map(snap.channels.map((c) => [c.name, c]));
  const groups = snap.groups.map((g) => ({ name: g.name, role: g.role, edges: edgesOfGroup(g) }));
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

export function topologyKey(snap) {
  let k = `${snap.channels.length}|`;
  for (const g of snap.groups) k += `${g.name}:${g.count};`;
  return k;
}

