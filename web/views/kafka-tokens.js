// Records as tokens in the Kafka view: what each Kafka event moves, drawn
// as a dot travelling over the cluster for a moment (the painter's
// drawTokens). Everything comes from the events' `kafka` place (topic,
// partition, offset, broker, from core) and the current layout; nothing is
// inferred from the event text.
//
//   kafka_acked      producer card -> the partition's leader replica (the
//                    record is in the log), then leader -> each in-sync
//                    follower a moment later (replication; acks=all waited
//                    for exactly these)
//   kafka_fetched    leader replica -> the member (or partition consumer)
//                    whose goroutine took it
//   kafka_duplicate  the same path in red, marked "D": a record its group had
//                    read before (reprocessed, counted in the guarantees)
//   kafka_election   an "L" badge that stays on the new leader's replica row
//                    while the election is news
//
// A record's dot keeps off the text: it runs along its partition's log
// strip (the lane) and turns only in the gutters between boxes: produced
// records come down the gutter left of the brokers and along the lane to
// the leader, replicas go along the lane to each follower, and fetches go
// along the lane to the gutter right of the brokers and over to the reader.
// In the narrow (stacked) layout the gutters are the left and right
// margins.
//
// Two more follow the state from one snapshot to the next rather than an
// event:
//   hand-over        a partition whose owner changed: a square in its colour,
//                    marked with its number, moves from where its chip was to
//                    where it is now: from a member's row to the group's
//                    "released" line when a rebalance (or a crash) takes it
//                    away, waits there a moment, then goes on to the member
//                    the new generation gives it to (the same way when both
//                    happened between two frames, or it stays with the same
//                    member: eager rebalancing takes everything back); the
//                    chip it lands on is drawn hollow until it arrives
//   HW advance       a partition's high watermark moved up: its tick on each
//                    replica's strip is marked for a moment
//
// createKafkaTokens(P) -> { add(events, snap, layout, reducedMotion),
//   handOver(chips, now, reducedMotion), arriving(key, now),
//   hwAdvance(k, now), hwMoved(key, now), draw(now), clear(), active(),
//   counts } where counts tallies the tokens started by kind since the last
//   clear (the stage puts them on the canvas for tests).

import { partKey, HEAD_H, LINE_H, MEMBER_H, STRIP_Y, STRIP_H } from './kafka-layout.js';

const MAX_TOKENS = 80;
const TOKEN_MS = 650;
const REPLICATE_DELAY_MS = 300;
const BADGE_MS = 1500;
const HANDOVER_MS = 900;
const HOLD_MS = 400;
const HW_MS = 450;

export function createKafkaTokens(P) {
  let tokens = [];
  // Election badges apart: a busy producer's tokens must not push them out.
  let badges = [];
  // Partition hand-overs apart too, and what they need: where each chip was
  // in the last snapshot ("group|topic-p" -> { x, y, owner }), and until
  // when the chip a square flies to is drawn hollow.
  let moves = [];
  let chipsBefore = null;
  const landing = new Map();
  // Each partition's high watermark in the last snapshot, and until when its tick is marked.
  let hwBefore = null;
  const hwUntil = new Map();
  let drewLast = false;
  const counts = { produce: 0, replicate: 0, fetch: 0, duplicate: 0, election: 0, release: 0, assign: 0, hw: 0 };

  function push(t) {
    if (tokens.length >= MAX_TOKENS) tokens.shift();
    tokens.push(t);
  }

  /** Partition `key`'s lane on broker `brokerId`: its log strip's ends and middle, and the gutters either side of its box. */
  function lane(layout, brokerId, key) {
    const box = layout.brokerBox.get(brokerId);
    const row = box && box.rows.find((r) => partKey(r.part.topic, r.part.partition) === key);
    if (!row) return null;
    return { x0: box.x + 10, x1: box.x + box.w - 10, y: row.y + STRIP_Y + STRIP_H / 2, left: box.x - layout.gutter, right: box.x + box.w + layout.gutter };
  }

  /** The gutters left and right of all the brokers. */
  function gutters(layout) {
    let left = Infinity;
    let right = -Infinity;
    for (const b of layout.brokerBox.values()) {
      left = Math.min(left, b.x - layout.gutter);
      right = Math.max(right, b.x + b.w + layout.gutter);
    }
    return { left, right };
  }

  /** From lane `a` to lane `b` (another broker's): out of `a`'s end facing `b`, over at `b`'s gutter, into `b`'s near end. */
  function laneToLane(a, b) {
    if (b.x0 > a.x1) return [[a.x1, a.y], [b.left, a.y], [b.left, b.y], [b.x0, b.y]];
    if (b.x1 < a.x0) return [[a.x0, a.y], [b.right, a.y], [b.right, b.y], [b.x1, b.y]];
    // Stacked: down the left margin.
    return [[a.x0, a.y], [a.left, a.y], [a.left, b.y], [b.x0, b.y]];
  }

  /** The producer goroutine `g` produces through (core lists each producer's goroutines). */
  function producerOf(k, g) {
    return k.producers.find((p) => (p.goroutines || []).includes(g)) || null;
  }

  /**
   * Where the goroutine `name` that read from `place` is drawn: its group
   * member's row, or its partition consumer's box; its left end (the wide
   * layout: consumers are a column right of the brokers) or its right end
   * (the narrow one: everything is stacked, and fetches run down the right
   * margin).
   */
  function readerPoint(k, layout, name, place) {
    const right = !layout.wide;
    for (const g of k.groups) {
      const i = g.members.findIndex((m) => name === m.id || name.startsWith(`${m.id}.`));
      const b = i >= 0 && layout.groupBox.get(g.name);
      if (b) return [right ? b.x + b.w - 8 : b.x + 8, b.y + HEAD_H + 2 * LINE_H + i * MEMBER_H + MEMBER_H / 2];
    }
    const c = k.consumers.find((x) => x.topic === place.topic && x.partition === place.partition && (name === x.name || name.startsWith(`${x.name}.`)))
      || k.consumers.find((x) => x.topic === place.topic && x.partition === place.partition);
    const b = c && layout.consBox.get(`${c.name}/${c.topic}/${c.partition}`);
    return b ? [right ? b.x + b.w : b.x, b.y + HEAD_H / 2] : null;
  }

  /** Where a produced record leaves its producer's card: its right edge beside the brokers, or its bottom-left corner above them (narrow). */
  function producerPoint(layout, pb) {
    return layout.wide ? [pb.x + pb.w, pb.y + HEAD_H / 2] : [pb.x + 10, pb.y + pb.h];
  }

  function add(events, snap, layout, reducedMotion) {
    if (reducedMotion || !layout || !snap.kafka) return;
    const k = snap.kafka;
    const now = performance.now();
    const parts = new Map(k.partitions.map((p) => [partKey(p.topic, p.partition), p]));
    const names = new Map(snap.goroutines.map((g) => [g.id, g.name]));
    const start = Math.max(0, events.length - 3 * MAX_TOKENS);
    for (let i = start; i < events.length; i++) {
      const e = events[i];
      const place = e.kafka;
      if (!place) continue;
      const key = partKey(place.topic, place.partition);
      const part = parts.get(key);
      if (!part) continue;
      const who = e.goroutine != null ? names.get(e.goroutine) || '' : '';
      switch (e.kind) {
        case 'kafka_acked': {
          if (place.offset == null) break; // acks=0: no answer, nothing known of where it went
          const p = producerOf(k, e.goroutine);
          const pb = p && layout.prodBox.get(p.name);
          const to = lane(layout, part.leader, key);
          if (!pb || !to) break;
          const [px, py] = producerPoint(layout, pb);
          const g = gutters(layout).left;
          push({ pts: [[px, py], [g, py], [g, to.y], [to.x0, to.y]], t0: now, t1: now + TOKEN_MS });
          counts.produce += 1;
          for (const id of part.isr) {
            if (id === part.leader) continue;
            const f = lane(layout, id, key);
            if (!f) continue;
            push({ pts: laneToLane(to, f), t0: now + REPLICATE_DELAY_MS, t1: now + REPLICATE_DELAY_MS + TOKEN_MS, color: '--muted', r: 3.5 });
            counts.replicate += 1;
          }
          break;
        }
        case 'kafka_fetched':
        case 'kafka_duplicate': {
          const from = lane(layout, part.leader, key);
          const to = readerPoint(k, layout, who, place);
          if (!from || !to) break;
          const g = gutters(layout).right;
          const pts = [[from.x1, from.y], [g, from.y], [g, to[1]], to];
          if (e.kind === 'kafka_fetched') {
            push({ pts, t0: now, t1: now + TOKEN_MS, color: '--st-run' });
            counts.fetch += 1;
          } else {
            push({ pts, t0: now, t1: now + 2 * TOKEN_MS, color: '--danger', mark: 'D', r: 6 });
            counts.duplicate += 1;
          }
          break;
        }
        case 'kafka_election': {
          if (place.broker == null) break;
          const l = lane(layout, place.broker, key);
          if (!l) break;
          const at = [l.x0, l.y];
          badges = badges.filter((b) => b.key !== key).slice(-(MAX_TOKENS - 1));
          badges.push({ key, pts: [at, at], t0: now, t1: now + BADGE_MS, color: '--accent', mark: 'L', r: 7 });
          counts.election += 1;
          break;
        }
        default:
          break;
      }
    }
  }

  function move(t) {
    if (moves.length >= MAX_TOKENS) moves.shift();
    moves.push(t);
  }

  /**
   * Partition `key`'s square from `a` to `b` (points), in colour `c`. If it
   * is still on its way somewhere (released a moment ago), it waits there a
   * little and then goes on, so a rebalance reads as two steps.
   */
  function step(key, a, b, c, now) {
    const busy = landing.get(key) ?? 0;
    const t0 = busy > now && busy < now + 3 * HANDOVER_MS ? busy + HOLD_MS : now;
    const look = { color: c.color, square: true, r: 6, mark: c.mark };
    if (t0 > now) move({ pts: [[a.x, a.y], [a.x, a.y]], t0: busy, t1: t0, ...look });
    move({ pts: [[a.x, a.y], [b.x, b.y]], t0, t1: t0 + HANDOVER_MS, ...look });
    landing.set(key, t0 + HANDOVER_MS);
  }

  /**
   * Partitions that changed hands since the last snapshot. `chips` maps
   * "group|topic-p" to where its chip is drawn now: { x, y, group, owner (a
   * member id, or '' for the group's released line), gen (the group's
   * generation), color, mark, via (its square on the released line, if
   * drawn) }.
   */
  function handOver(chips, now, reducedMotion) {
    const before = chipsBefore;
    chipsBefore = chips;
    if (!before || reducedMotion) return;
    for (const [key, c] of chips) {
      const p = before.get(key);
      if (!p) continue;
      if (p.owner && c.owner && p.gen !== c.gen) {
        // A new generation, and the snapshots in between were not drawn: an
        // eager rebalance took every partition away and gave it out again
        // (to the same member or not), so it goes by its released square.
        const at = c.via;
        if (at) {
          step(key, p, at, c, now);
          counts.release += 1;
          step(key, at, c, c, now);
          counts.assign += 1;
        }
        continue;
      }
      if (p.owner === c.owner) continue;
      step(key, p, c, c, now);
      if (c.owner === '') counts.release += 1; else counts.assign += 1;
    }
  }

  /** High watermarks that moved up since the last snapshot (`k`: the snapshot's kafka part). */
  function hwAdvance(k, now) {
    const before = hwBefore;
    hwBefore = new Map(k.partitions.map((p) => [partKey(p.topic, p.partition), p.high_watermark]));
    if (!before) return;
    for (const [key, hw] of hwBefore) {
      if (hw > (before.get(key) ?? hw)) {
        hwUntil.set(key, now + HW_MS);
        counts.hw += 1;
      }
    }
  }

  function pending(map, now) {
    for (const [key, t] of map) if (now >= t) map.delete(key);
    return map.size > 0;
  }

  return {
    add,
    handOver,
    /** Whether a square is still flying to the chip "group|topic-p". */
    arriving: (key, now) => (landing.get(key) ?? 0) > now,
    /** Whether squares of `group`'s partitions are on their way. */
    busy(group, now) {
      for (const [key, t] of landing) if (t > now && key.startsWith(`${group}|`)) return true;
      return false;
    },
    hwAdvance,
    /** Whether partition `key`'s high watermark moved up a moment ago. */
    hwMoved: (key, now) => (hwUntil.get(key) ?? 0) > now,
    draw(now) {
      drewLast = tokens.length + badges.length + moves.length > 0 || pending(landing, now) || pending(hwUntil, now);
      tokens = P.drawTokens(tokens, now);
      badges = P.drawTokens(badges, now);
      moves = P.drawTokens(moves, now);
    },
    /** Tokens to move, marks to take off, or a last frame that still shows some. */
    active() { return tokens.length + badges.length + moves.length > 0 || landing.size > 0 || hwUntil.size > 0 || drewLast; },
    clear() {
      tokens = [];
      badges = [];
      moves = [];
      chipsBefore = null;
      hwBefore = null;
      landing.clear();
      hwUntil.clear();
      for (const key of Object.keys(counts)) counts[key] = 0;
    },
    counts,
  };
}
