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
//
// In the narrow (stacked) layout produce and replicate tokens run down the
// left margin and fetches down the right one, instead of across the cards.
//   kafka_fetched    leader replica -> the member (or partition consumer)
//                    whose goroutine took it
//   kafka_duplicate  the same path in red, marked "D": a record its group had
//                    read before (reprocessed, counted in the guarantees)
//   kafka_election   an "L" badge that stays on the new leader's replica row
//                    while the election is news
//
// createKafkaTokens(P) -> { add(events, snap, layout, reducedMotion), draw(now),
//   clear(), active(), counts } where counts tallies the tokens started by
//   kind since the last clear (the stage puts them on the canvas for tests).

import { partKey, HEAD_H, LINE_H, MEMBER_H, REPLICA_H } from './kafka-layout.js';

const MAX_TOKENS = 80;
const TOKEN_MS = 650;
const REPLICATE_DELAY_MS = 300;
const BADGE_MS = 1500;

export function createKafkaTokens(P) {
  let tokens = [];
  // Election badges apart: a busy producer's tokens must not push them out.
  let badges = [];
  let drewLast = false;
  const counts = { produce: 0, replicate: 0, fetch: 0, duplicate: 0, election: 0 };

  function push(t) {
    if (tokens.length >= MAX_TOKENS) tokens.shift();
    tokens.push(t);
  }

  /** The point on `brokerId`'s row of partition `key`: its strip's left or right end. */
  function rowPoint(layout, brokerId, key, side) {
    const box = layout.brokerBox.get(brokerId);
    const row = box && box.rows.find((r) => partKey(r.part.topic, r.part.partition) === key);
    if (!row) return null;
    return [side === 'right' ? box.x + box.w - 10 : box.x + 10, row.y + REPLICA_H / 2];
  }

  /** The producer whose goroutine `name` is (its own name, or one of its sarama goroutines). */
  function producerOf(k, name) {
    return k.producers.find((p) => name === p.name || name.startsWith(`${p.name}.`))
      || (k.producers.length === 1 ? k.producers[0] : null);
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
          const p = producerOf(k, who);
          const pb = p && layout.prodBox.get(p.name);
          const to = rowPoint(layout, part.leader, key, 'left');
          if (!pb || !to) break;
          push({ pts: [producerPoint(layout, pb), to], t0: now, t1: now + TOKEN_MS });
          counts.produce += 1;
          // Wide: brokers side by side, leader's right end to a follower's left. Narrow: down the left margin.
          const from = rowPoint(layout, part.leader, key, layout.wide ? 'right' : 'left');
          for (const id of part.isr) {
            if (id === part.leader) continue;
            const f = rowPoint(layout, id, key, 'left');
            if (!from || !f) continue;
            push({ pts: [from, f], t0: now + REPLICATE_DELAY_MS, t1: now + REPLICATE_DELAY_MS + TOKEN_MS, color: '--muted', r: 3.5 });
            counts.replicate += 1;
          }
          break;
        }
        case 'kafka_fetched':
        case 'kafka_duplicate': {
          const from = rowPoint(layout, part.leader, key, 'right');
          const to = readerPoint(k, layout, who, place);
          if (!from || !to) break;
          if (e.kind === 'kafka_fetched') {
            push({ pts: [from, to], t0: now, t1: now + TOKEN_MS, color: '--st-run' });
            counts.fetch += 1;
          } else {
            push({ pts: [from, to], t0: now, t1: now + 2 * TOKEN_MS, color: '--danger', mark: 'D', r: 6 });
            counts.duplicate += 1;
          }
          break;
        }
        case 'kafka_election': {
          if (place.broker == null) break;
          const at = rowPoint(layout, place.broker, key, 'left');
          if (!at) break;
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

  return {
    add,
    draw(now) {
      drewLast = tokens.length + badges.length > 0;
      tokens = P.drawTokens(tokens, now);
      badges = P.drawTokens(badges, now);
    },
    /** Tokens to move, or a last frame that still shows some. */
    active() { return tokens.length + badges.length > 0 || drewLast; },
    clear() {
      tokens = [];
      badges = [];
      for (const key of Object.keys(counts)) counts[key] = 0;
    },
    counts,
  };
}
