// The Kafka view: a world with a `kafka` section, drawn as its operators
// see it. Below, the Go view draws the goroutines and channels (sarama's
// producer pipeline P.input -> dispatcher -> P.tp -> ... -> P.successes,
// consumers' fetch and handler goroutines, group members' ConsumeClaim
// goroutines, and the scenario's own), so a hang shows where it happens: a
// full buffer with a parked sender. Above it, the cluster: producers on the
// left (kind, acks, sent / acked / failed, and what a goroutine blocked on
// the network waits for), brokers as columns in the middle, consumer
// groups and partition consumers on the right.
//
// What each mark means (shape and words, not only colour):
// - a broker that is down: hatched, dashed red outline and a cross; a broker
//   on a network cut says "cut from" whom, in red.
// - a replica row: the partition's name with its colour chip, its role
//   ("leader", "follower", "out of ISR", "offline"), then its log strip:
//   the part below the log start is deleted (dotted), log start..HW is
//   committed (solid), HW..LEO is written but not committed (striped), and
//   a tick marks the HW; numbers below ("start 0 · HW 12 · LEO 14").
//   The leader's row has an accent bar on its left; a replica out of the
//   ISR has a dashed strip outline.
// - a group member: its partitions as colour chips with their names, the
//   group's committed offset ("c41") and the member's marked one when it is
//   further ("m45"), and what its ConsumeClaim goroutines do; an idle
//   member (no partition) is dashed and says "idle"; a down member is
//   hatched with a cross.
// - a group's partitions no member reads: squares with their numbers on the
//   group's second line, then a word: "not assigned yet" before the first
//   generation, "released" while the group rebalances (eager: every member
//   gave up everything), "unread" in red otherwise (their owner is down and
//   the coordinator does not know yet). A partition changing hands moves there,
//   waits a moment and goes on to its new owner as a square
//   (views/kafka-tokens.js); the chip it lands on is hollow until it
//   arrives.
// - a high watermark that just moved up: a triangle over its tick.
// - records as tokens (views/kafka-tokens.js): produce to the leader,
//   replicate to the followers, fetch by a member; a duplicate in red with
//   "D"; an "L" badge on a newly elected leader.
//
// createKafkaView(S, P) has the Go view's interface (see views/go.js), plus
// listItems(snap) and ariaText(snap) for the accessible list.

import { drawIcon, fmtDuration } from '../draw.js';
import { createGoView } from './go.js';
import { createKafkaTokens } from './kafka-tokens.js';
import {
  HEAD_H, REPLICA_H, STRIP_Y, STRIP_H, LINE_H, MEMBER_H, partKey, partColors, ackWaitLine, structureKey, computeLayout,
} from './kafka-layout.js';

const TITLE = '600 12px system-ui, sans-serif';
const BOLD = '600 11px system-ui, sans-serif';
const SMALL = '11px system-ui, sans-serif';
const TINY = '10px system-ui, sans-serif';
const GO_BAND_MAX = 380;
/** Room left at a replica row's right end for the log-end marker above its strip (px). */
const MARK_ROOM = 7;

/** A replica's role in words. */
export function replicaRole(part, id, brokerUp) {
  // A crashed leader stays the leader until the controller fences it.
  if (!brokerUp) return part.leader === id ? 'offline leader' : 'offline';
  if (part.leader === id) return 'leader';
  // Fenced while it runs, not told: it still acts as leader.
  if (part.zombie === id) return 'zombie leader';
  if (!part.isr.includes(id)) return 'out of ISR';
  return 'follower';
}

/** " · fenced in 1.2s" while the controller has not noticed yet that broker `b` crashed or is cut from it (its session timeout), else "". */
export function fencing(b, simUs) {
  if (b.fenced_at_us == null) return '';
  const left = Math.max(0, b.fenced_at_us - simUs);
  // Under 10 s as "0.4s" (shorter than "400ms": it fits a narrow broker card).
  return ` · fenced in ${left < 10e6 ? `${(left / 1e6).toFixed(1)}s` : fmtDuration(left)}`;
}

/** A broker's state in short words: up, fenced (cut from the controller), down; when the controller fences it. */
export function brokerState(b, simUs) {
  if (!b.up) return `down${fencing(b, simUs)}`;
  return b.fenced ? 'fenced (cut from the controller)' : `up${fencing(b, simUs)}`;
}

/** The partitions broker `b` still leads as a zombie (fenced while it runs, not told). */
export function zombieParts(k, b) {
  return k.partitions.filter((q) => q.zombie === b.id);
}

/** A partition's leader in words, with a zombie leader (a fenced broker that still acts as leader) if any. */
export function leaderWords(p, name) {
  const leader = p.leader == null ? 'none (offline)' : name(p.leader);
  return p.zombie == null ? leader : `${leader}; ${name(p.zombie)} too, a zombie (${p.zombie_records || 0} record(s) taken)`;
}

/** A group member's state in short words. */
export function memberWord(m) {
  if (m.state === 'running' && !m.partitions.length) return 'idle';
  return String(m.state).replace(/\s*\(.*\)$/, '');
}

export function isIdle(m) {
  return m.state === 'idle' || (m.state === 'running' && m.partitions.length === 0);
}

export function createKafkaView(S, P) {
  const ctx = S.ctx;
  const { measure, fit, roundRect, hatch, drawBox } = P;
  const goView = createGoView(S, P);
  const tokens = createKafkaTokens(P);
  let layout = null;
  let layoutKey = '';
  let goBand = false;
  let clusterH = 0;
  let colors = new Map();
  let lastSnap = null;
  let lastK = null;

  /** The Go parts drawn below the cluster: all but the group members' ConsumeClaim goroutines. */
  let goCache = { snap: null, out: null };
  function goSnap(snap) {
    if (goCache.snap === snap) return goCache.out;
    const claims = new Set();
    for (const g of snap.kafka.groups) for (const m of g.members) claims.add(`${m.id}.claim`);
    const isClaim = (name) => { const i = name.lastIndexOf('.claim'); return i > 0 && claims.has(name.slice(0, i + 6)); };
    const goroutines = snap.goroutines.filter((g) => !isClaim(g.name));
    const keep = new Set(goroutines.map((g) => g.group));
    const out = goroutines.length === snap.goroutines.length ? snap : { ...snap, goroutines, groups: snap.groups.filter((g) => keep.has(g.name)) };
    goCache = { snap, out };
    return out;
  }

  function text(str, x, y, font, color, maxW) {
    ctx.font = font;
    ctx.fillStyle = S.theme[color] || color;
    ctx.fillText(maxW ? fit(String(str), font, Math.max(0, maxW)) : String(str), x, y);
  }


  function chip(x, y, color) {
    ctx.beginPath();
    ctx.rect(x, y - 5, 10, 10);
    ctx.fillStyle = color;
    ctx.fill();
  }

  /** A chip's outline: where a partition handed over is about to land. */
  function hollowChip(x, y, color) {
    ctx.beginPath();
    ctx.rect(x + 0.5, y - 4.5, 9, 9);
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([2, 2]);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  // --- brokers ------------------------------------------------------------------

  function drawStrip(x, y, w, h, part, leo, outOfIsr, hwMoved) {
    const max = Math.max(1, part.log_end, ...part.replica_leo);
    const sx = (o) => x + (w * Math.max(0, Math.min(o, max))) / max;
    ctx.beginPath();
    ctx.rect(x, y, w, h);
    ctx.fillStyle = S.theme['--slot'];
    ctx.fill();
    // Deleted (below the log start): dotted.
    if (part.log_start > 0) {
      ctx.save();
      ctx.fillStyle = S.theme['--muted'];
      for (let dx = x + 2; dx < sx(part.log_start); dx += 4) { ctx.fillRect(dx, y + h / 2 - 0.5, 1.5, 1.5); }
      ctx.restore();
    }
    const start = sx(part.log_start);
    const hw = sx(Math.min(part.high_watermark, leo));
    const end = sx(leo);
    if (hw > start) {
      ctx.beginPath();
      ctx.rect(start, y, hw - start, h);
      ctx.fillStyle = S.theme['--slot-fill'];
      ctx.fill();
    }
    if (end > hw) {
      // Written, not committed: stripes.
      ctx.save();
      ctx.beginPath();
      ctx.rect(hw, y, end - hw, h);
      ctx.clip();
      ctx.fillStyle = S.theme['--slot'];
      ctx.fill();
      ctx.strokeStyle = S.theme['--st-send'];
      ctx.lineWidth = 2;
      ctx.beginPath();
      for (let d = -h; d < end - hw; d += 5) { ctx.moveTo(hw + d, y + h); ctx.lineTo(hw + d + h, y); }
      ctx.stroke();
      ctx.restore();
    }
    ctx.beginPath();
    ctx.rect(x, y, w, h);
    ctx.strokeStyle = S.theme[outOfIsr ? '--danger' : '--line'];
    ctx.lineWidth = 1;
    if (outOfIsr) ctx.setLineDash([3, 2]);
    ctx.stroke();
    ctx.setLineDash([]);
    // The HW tick; a moment after it moved up, a triangle above it (the HW advanced).
    const t = sx(part.high_watermark);
    ctx.beginPath();
    ctx.moveTo(t, y - 3);
    ctx.lineTo(t, y + h + 3);
    ctx.strokeStyle = S.theme['--fg'];
    ctx.lineWidth = 1.5;
    ctx.stroke();
    if (hwMoved) {
      ctx.beginPath();
      ctx.moveTo(t - 4, y - 8);
      ctx.lineTo(t + 4, y - 8);
      ctx.lineTo(t, y - 3);
      ctx.closePath();
      ctx.fillStyle = S.theme['--accent'];
      ctx.fill();
    }
  }

  function drawBroker(b, k, now, simUs) {
    const box = layout.brokerBox.get(b.id);
    if (!box) return;
    const down = !b.up;
    drawBox(box, { down });
    ctx.textBaseline = 'middle';
    let x = box.x + 10;
    if (down) { drawIcon(ctx, 'cross', x + 4, box.y + 13, 6, S.theme['--danger']); x += 16; }
    text(b.name, x, box.y + 13, TITLE, '--fg', box.w * 0.5);
    x += Math.min(measure(b.name, TITLE), box.w * 0.5) + 8;
    const cutFrom = (k.cuts || []).filter((c) => c.includes(b.name)).map((c) => (c[0] === b.name ? c[1] : c[0]));
    const cuts = cutFrom.length ? ` · cut from ${cutFrom.join(', ')}` : '';
    const zombieOf = zombieParts(k, b).length;
    const state = down ? `down${fencing(b, simUs)}` : b.fenced ? `fenced${zombieOf ? ` · zombie${zombieOf > 1 ? ` ×${zombieOf}` : ''}` : ''}${cuts}` : `leads ${b.leads}${cuts}${fencing(b, simUs)}`;
    text(state, x, box.y + 13, SMALL, down || b.fenced || cutFrom.length ? '--danger' : '--muted', box.x + box.w - 8 - x);
    if (!box.rows.length) text('no replicas', box.x + 10, box.y + HEAD_H + 10, SMALL, '--muted');
    const cur = new Map(k.partitions.map((q) => [partKey(q.topic, q.partition), q]));
    for (const r of box.rows) {
      const part = cur.get(partKey(r.part.topic, r.part.partition)) || r.part; // the layout's rows are from an older snapshot
      const key = partKey(part.topic, part.partition);
      const role = replicaRole(part, b.id, b.up);
      const leo = part.replica_leo[r.idx] ?? part.log_end;
      const rx = box.x + 10;
      const rw = box.w - 20;
      const oneLine = box.rowH < REPLICA_H;
      if (role === 'leader') {
        ctx.fillStyle = S.theme['--accent'];
        ctx.fillRect(box.x + 3, r.y + 2, 3, box.rowH - 6);
      }
      chip(rx, r.y + 9, colors.get(key) || '#888');
      const nameW = Math.min(measure(key, BOLD), rw * 0.6 - 14);
      text(key, rx + 14, r.y + 9, BOLD, '--fg', rw * 0.6 - 14);
      const roleColor = role === 'leader' ? '--accent' : role === 'follower' ? '--muted' : '--danger';
      const narrow = rw < 190;
      // The high watermark is the leader's; another replica shows its own
      // log end and how far it is behind the leader's.
      const start = (narrow || oneLine) && !part.log_start ? '' : `start ${part.log_start} · `;
      const behind = part.leader != null && part.log_end > leo ? ` · ${part.log_end - leo} behind` : '';
      const nums = role === 'leader' ? `${start}HW ${part.high_watermark} · LEO ${leo}` : `${start}LEO ${leo}${behind}`;
      const roleFont = role === 'leader' ? BOLD : TINY;
      // A leader's epoch, where it fits (on one line: beside the numbers).
      const epoch = `leader · epoch ${part.leader_epoch}`;
      const epochFits = oneLine ? 14 + nameW + 16 + measure(nums, TINY) + measure(epoch, BOLD) + MARK_ROOM <= rw : !narrow;
      const roleText = role === 'leader' ? (epochFits ? epoch : 'leader')
        : role === 'zombie leader' ? `zombie · ${part.zombie_records || 0} taken` : role;
      ctx.textAlign = 'right';
      // The role gets what the partition's name (and, on one line, its
      // numbers) leave, at least 40 % without numbers. It ends short of the
      // strip's end, where the log-end marker rises.
      const numsW = oneLine ? measure(nums, TINY) + 8 : 0;
      const roleW = oneLine ? Math.max(measure(roleText, roleFont), rw - 24 - nameW - numsW) - MARK_ROOM
        : Math.max(rw * 0.4, rw - 24 - nameW) - MARK_ROOM;
      text(roleText, rx + rw - MARK_ROOM, r.y + 9, roleFont, roleColor, roleW);
      ctx.textAlign = 'left';
      drawStrip(rx, r.y + STRIP_Y, rw, STRIP_H, part, leo, role === 'out of ISR', tokens.hwMoved(key, now));
      if (oneLine) {
        // Between the name and the role, what room is left.
        const roomLeft = rw - MARK_ROOM - Math.min(measure(roleText, roleFont), roleW) - 8 - (14 + nameW + 8);
        text(nums, rx + 14 + nameW + 8, r.y + 9, TINY, '--muted', Math.max(1, roomLeft));
      } else {
        text(nums, rx, r.y + 36, TINY, '--muted', rw);
      }
    }
  }

  // --- producers ----------------------------------------------------------------

  /** The goroutine of producer `p` blocked on the network, if any (core lists who produces through it). */
  function waiter(p, snap) {
    return snap.goroutines.find((q) => q.state === 'blocked_net' && (p.goroutines || []).includes(q.id));
  }

  /** The producer's goroutine waiting on the network (its ack wait's, else a blocked_net one), if any. */
  function waitingGoroutine(p, snap) {
    const w = (snap.kafka.ack_waits || []).find((a) => a.producer === p.name);
    return w ? snap.goroutines.find((q) => q.id === w.goroutine) : waiter(p, snap);
  }

  /** What a producer's goroutines wait for on the network (a blocked_net state text), if any. */
  function waiting(p, snap) {
    return waitingGoroutine(p, snap)?.state_text ?? '';
  }

  /**
   * The card's short line for it, in at most `room` px (ackWaitLine), else
   * the state text, or the engine's short form of it when it does not fit.
   */
  function waitingShort(p, snap, room) {
    const fits = (t) => measure(t, TINY) <= room;
    const w = (snap.kafka.ack_waits || []).find((a) => a.producer === p.name);
    if (w) return ackWaitLine(w, fits);
    const g = waitingGoroutine(p, snap);
    const text = g?.state_text ?? '';
    return g?.state_short && !fits(text) ? g.state_short : text;
  }

  function drawProducer(p, snap) {
    const b = layout.prodBox.get(p.name);
    if (!b) return;
    drawBox(b);
    ctx.textBaseline = 'middle';
    // The name has the header to itself; kind and acks, then the counts, then what it waits for.
    text(p.name, b.x + 10, b.y + 13, TITLE, '--fg', b.w - 20);
    text(`${p.kind} producer · acks ${acksWord(p.acks)}`, b.x + 10, b.y + HEAD_H + 6, TINY, '--muted', b.w - 20);
    // "failed 0" is left out (the producers table has it): the line fits a narrow column.
    // With failures, "sent" goes first when the line does not fit: the failed count is what matters then.
    const full = `sent ${p.sent} · acked ${p.acked}${p.failed ? ` · failed ${p.failed}` : ''}`;
    const counts = p.failed && measure(full, TINY) > b.w - 20 ? `acked ${p.acked} · failed ${p.failed}` : full;
    text(counts, b.x + 10, b.y + HEAD_H + 6 + LINE_H, TINY, p.failed ? '--danger' : '--fg', b.w - 20);
    const w = waitingShort(p, snap, b.w - 30);
    if (w) {
      drawIcon(ctx, 'net', b.x + 14, b.y + HEAD_H + 6 + 2 * LINE_H, 4.5, S.theme['--st-send']);
      text(w, b.x + 22, b.y + HEAD_H + 6 + 2 * LINE_H, TINY, '--st-send', b.w - 30);
    }
  }

  // --- consumers ----------------------------------------------------------------

  /** Where a member's row is drawn: the `i`-th of group box `b`. */
  function memberBox(b, i) {
    return { x: b.x + 8, y: b.y + HEAD_H + 2 * LINE_H + i * MEMBER_H + 2, w: b.w - 16, h: MEMBER_H - 6 };
  }

  /**
   * Where group `g`'s partition chips go in box `b`: each member's on its
   * row (as many as fit), the partitions nobody reads on the released line.
   * [{ key, owner (member id, '' = released), x, y (the chip's left end and
   * middle), w }].
   */
  function chipsOf(g, b) {
    const out = [];
    g.members.forEach((m, i) => {
      const mb = memberBox(b, i);
      let px = mb.x + 8;
      for (const key of m.partitions) {
        const label = chipLabel(g, m, key);
        const w = Math.min(measure(label, TINY) + 18, mb.x + mb.w - 6 - px);
        if (w < 16) break;
        out.push({ key, label, owner: m.id, x: px, y: mb.y + 22, w });
        px += w + 4;
      }
    });
    const slots = poolSlots(g, b);
    for (const key of unread(g)) {
      const at = slots.get(key);
      if (at) out.push({ key, owner: '', x: at.x, y: at.y, w: 12, slot: at });
    }
    for (const c of out) c.slot = slots.get(c.key);
    return out;
  }

  /**
   * Where each partition of `g` sits on the released line, in the panel's
   * order (one square each, the same place whoever had it; as many as fit
   * in two thirds of the line): key -> { x, y } (the square's left end and
   * middle).
   */
  function poolSlots(g, b) {
    const slots = new Map();
    let px = b.x + 10;
    for (const r of g.rows || []) {
      if (px + 14 > b.x + b.w * 0.66) break;
      slots.set(partKey(r.topic, r.partition), { x: px, y: b.y + HEAD_H + 4 + LINE_H });
      px += 16;
    }
    return slots;
  }

  /** A released partition: a square in its colour with its number. */
  function poolChip(c, group, now) {
    const color = colors.get(c.key) || '#888';
    if (tokens.arriving(`${group}|${c.key}`, now)) { hollowChip(c.x + 1, c.y, color); return; }
    ctx.fillStyle = color;
    ctx.fillRect(c.x, c.y - 6, 12, 12);
    ctx.font = '700 8px system-ui, sans-serif';
    ctx.fillStyle = '#fff';
    ctx.textAlign = 'center';
    ctx.fillText(partNumber(c.key), c.x + 6, c.y + 0.5);
    ctx.textAlign = 'left';
  }

  /** The chips of every group, where they are in this snapshot (for the hand-over squares). */
  function allChips() {
    const out = new Map();
    for (const g of lastK.groups) {
      const b = layout.groupBox.get(g.name);
      if (!b) continue;
      for (const c of chipsOf(g, b)) {
        const n = partNumber(c.key);
        out.set(`${g.name}|${c.key}`, {
          x: c.x + (c.owner ? 5 : 6), y: c.y, group: g.name, owner: c.owner, gen: g.generation, color: colors.get(c.key) || '#888', mark: n.length <= 2 ? n : '',
          via: c.slot ? { x: c.slot.x + 6, y: c.slot.y } : null,
        });
      }
    }
    return out;
  }

  function drawGroup(g, snap, now) {
    const b = layout.groupBox.get(g.name);
    if (!b) return;
    const rebalancing = isRebalancing(g);
    drawBox(b, { dashed: rebalancing });
    ctx.textBaseline = 'middle';
    // Name and state in the header; generation and rebalances, then assignor and coordinator.
    text(`group ${g.name}`, b.x + 10, b.y + 13, TITLE, '--fg', b.w * 0.6);
    const x = b.x + 14 + Math.min(measure(`group ${g.name}`, TITLE), b.w * 0.6);
    // (The tables say CoordinatorNotAvailable, as kafka-consumer-groups.sh does; the header has no room for it.)
    const noCoordinator = g.state === 'CoordinatorNotAvailable';
    text(noCoordinator ? 'no coordinator' : g.state, x, b.y + 13, SMALL, rebalancing || noCoordinator ? '--st-send' : '--muted', b.x + b.w - 8 - x);
    text(`generation ${g.generation} · rebalances ${g.rebalances}`, b.x + 10, b.y + HEAD_H + 4, TINY, rebalancing ? '--st-send' : '--fg', b.w - 20);
    const chips = chipsOf(g, b);
    const nUnread = unread(g).length;
    if (nUnread || tokens.busy(g.name, now)) {
      // Partitions nobody reads now (released by a rebalance, not assigned
      // yet, or their owner is down), or on their way through: a square
      // each in its place, then what they are, then the assignor.
      const y0 = b.y + HEAD_H + 4 + LINE_H;
      const slots = poolSlots(g, b);
      for (const at of slots.values()) {
        ctx.strokeStyle = S.theme['--line'];
        ctx.lineWidth = 1;
        ctx.strokeRect(at.x + 0.5, at.y - 5.5, 11, 11);
      }
      for (const c of chips) if (c.owner === '') poolChip(c, g.name, now);
      const word = poolWord(g, rebalancing, nUnread);
      let x = b.x + 10 + 16 * slots.size + (slots.size ? 2 : 0);
      text(word, x, y0, TINY, !g.generation ? '--muted' : word === 'unread' ? '--danger' : '--st-send', b.x + b.w - 8 - x);
      x += measure(word, TINY) + 4;
      // Whole or not at all ("assignor r…" tells nothing; the group tables name it).
      const assignor = `· assignor ${g.assignor}`;
      if (measure(assignor, TINY) <= b.x + b.w - 8 - x) text(assignor, x, y0, TINY, '--muted', b.x + b.w - 8 - x);
    } else {
      text(`assignor ${g.assignor} · ${g.coordinator ? `coordinator broker-${g.coordinator}` : 'no coordinator'}`, b.x + 10, b.y + HEAD_H + 4 + LINE_H, TINY, '--muted', b.w - 20);
    }
    let y = b.y + HEAD_H + 2 * LINE_H;
    for (const [i, m] of g.members.entries()) {
      const mb = memberBox(b, i);
      const idle = isIdle(m);
      const down = m.state === 'down';
      // Removed by the coordinator while cut from it, it reads on: its partitions are read twice.
      const zombie = String(m.state).startsWith('zombie');
      roundRect(mb.x, mb.y, mb.w, mb.h, 5);
      ctx.fillStyle = S.theme['--panel'];
      ctx.fill();
      if (down) hatch(mb.x, mb.y, mb.w, mb.h, S.theme['--danger']);
      roundRect(mb.x, mb.y, mb.w, mb.h, 5);
      ctx.strokeStyle = S.theme[down || zombie ? '--danger' : idle ? '--muted' : '--line'];
      ctx.lineWidth = 1;
      if (idle || down || m.state !== 'running') ctx.setLineDash([4, 3]);
      ctx.stroke();
      ctx.setLineDash([]);
      let mx = mb.x + 8;
      if (down) { drawIcon(ctx, 'cross', mx + 4, mb.y + 9, 5, S.theme['--danger']); mx += 14; } else if (idle) { drawIcon(ctx, 'pause', mx + 4, mb.y + 9, 5, S.theme['--muted']); mx += 14; }
      const name = String(m.id);
      text(name, mx, mb.y + 9, BOLD, '--fg', mb.w * 0.45);
      mx += Math.min(measure(name, BOLD), mb.w * 0.45) + 6;
      const word = idle ? 'idle: no partition' : zombie ? 'zombie: removed' : memberWord(m);
      text(`${word} · consumed ${m.consumed}${m.work ? ` · work ${m.work}` : ''}`, mx, mb.y + 9, TINY, down || zombie ? '--danger' : '--muted', mb.x + mb.w - 6 - mx);
      // Partitions owned: chips with names (hollow while the square handing one over is on its way).
      for (const c of chips) {
        if (c.owner !== m.id) continue;
        if (tokens.arriving(`${g.name}|${c.key}`, now)) hollowChip(c.x, c.y, colors.get(c.key) || '#888');
        else chip(c.x, c.y, colors.get(c.key) || '#888');
        text(c.label, c.x + 13, c.y, TINY, '--fg', c.w - 16);
      }
      if (!m.partitions.length && !down) text(idle ? 'more members than partitions' : 'no partition now', mb.x + 8, mb.y + 22, TINY, '--muted', mb.w - 16);
      // Its ConsumeClaim goroutines: what each works on.
      const claims = claimsText(m, snap);
      if (claims) text(claims, mb.x + 8, mb.y + 36, TINY, '--muted', mb.w - 16);
      y += MEMBER_H;
    }
    if (!g.members.length) text('no members', b.x + 10, y + 10, TINY, '--muted');
  }

  function drawConsumer(c) {
    const b = layout.consBox.get(`${c.name}/${c.topic}/${c.partition}`);
    if (!b) return;
    drawBox(b, { dashed: c.stopped });
    ctx.textBaseline = 'middle';
    let x = b.x + 10;
    if (c.stopped) { drawIcon(ctx, 'pause', x + 4, b.y + 13, 5, S.theme['--muted']); x += 14; }
    text(c.name, x, b.y + 13, TITLE, '--fg', b.w * 0.45);
    x += Math.min(measure(c.name, TITLE), b.w * 0.45) + 8;
    const key = partKey(c.topic, c.partition);
    chip(x, b.y + 13, colors.get(key) || '#888');
    text(`${key}${c.stopped ? ' · stopped' : ''}`, x + 14, b.y + 13, SMALL, '--muted', b.x + b.w - 8 - x - 14);
    text(`offset ${c.offset} · HW ${c.high_watermark} · lag ${c.lag}`, b.x + 10, b.y + HEAD_H + 4, TINY, c.lag > 0 ? '--st-send' : '--fg', b.w - 20);
    text(`consumed ${c.consumed}`, b.x + 10, b.y + HEAD_H + 4 + LINE_H, TINY, '--muted', b.w - 20);
  }

  // --- hit tests, tooltip, list ---------------------------------------------------

  function inBox(b, x, y) { return b && x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h; }

  function tooltipLines(x, y, snap) {
    if (!layout) return null;
    const k = snap.kafka;
    for (const b of k.brokers) {
      const box = layout.brokerBox.get(b.id);
      if (!inBox(box, x, y)) continue;
      for (const r of box.rows) {
        const part = k.partitions.find((q) => q.topic === r.part.topic && q.partition === r.part.partition) || r.part;
        if (y >= r.y && y < r.y + box.rowH) return replicaLines(part, r.idx, b);
      }
      if (b.fenced) {
        const zombie = zombieParts(k, b).map((q) => partKey(q.topic, q.partition));
        return [`${b.name} (fenced: cut from the controller)`,
          zombie.length ? `nobody told it: it still acts as leader of ${zombie.join(', ')} for the producers that reach it (a zombie); what it takes is lost when it registers again` : 'it leads nothing and follows nothing',
          'it registers again when its link to the controller heals'];
      }
      const noticed = b.up ? 'the controller hears no heartbeat from it' : 'the controller has not noticed yet';
      return [`${b.name}${b.up ? '' : ' (down)'}`, `leader of ${b.leads} partition(s)`,
        ...(fencing(b, snap.time_us) ? [`${noticed}: it fences ${b.name} when its session times out${fencing(b, snap.time_us).replace(' · fenced', ',')}, then its partitions elect new leaders`] : [])];
    }
    for (const p of k.producers) {
      if (inBox(layout.prodBox.get(p.name), x, y)) {
        const w = waiting(p, snap);
        return [`producer ${p.name} (${p.kind}, acks ${acksWord(p.acks)})`, `sent ${p.sent}, acked ${p.acked}, failed ${p.failed}`, ...(w ? [w] : [])];
      }
    }
    for (const g of k.groups) {
      if (inBox(layout.groupBox.get(g.name), x, y)) {
        const pool = unread(g);
        return [groupText(g), ...(pool.length ? [`${poolWord(g, isRebalancing(g), pool.length)}: ${pool.join(', ')}`] : []), ...g.members.map(memberText)];
      }
    }
    for (const c of k.consumers) {
      if (inBox(layout.consBox.get(`${c.name}/${c.topic}/${c.partition}`), x, y)) return [consumerText(c)];
    }
    return goBand ? goView.tooltipLines(x, y, snap) : null;
  }

  function replicaLines(part, idx, b) {
    const id = part.replicas[idx];
    const leo = part.replica_leo[idx] ?? part.log_end;
    if (part.zombie === id) {
      return [`${partKey(part.topic, part.partition)} on ${b.name}: zombie leader`,
        `fenced while it runs, it was not told: it took ${part.zombie_records || 0} record(s) as leader (acks=1 ones acknowledged), lost when it registers again`,
        `the real leader is ${part.leader == null ? 'none' : `broker-${part.leader}`}, epoch ${part.leader_epoch}`];
    }
    return [`${partKey(part.topic, part.partition)} on ${b.name}: ${replicaRole(part, id, b.up)}`,
      part.leader === id
        ? `log start ${part.log_start}, high watermark ${part.high_watermark}, log end ${leo}`
        : `log start ${part.log_start}, log end ${leo}${part.leader != null && part.log_end > leo ? `, ${part.log_end - leo} behind the leader's` : ''} (the partition's high watermark, ${part.high_watermark}, is the leader's)`,
      `leader ${part.leader == null ? 'none' : `broker-${part.leader}`}, ISR [${part.isr.map((i) => `broker-${i}`).join(', ')}], epoch ${part.leader_epoch}`];
  }

  function listItems(snap) {
    const k = snap.kafka;
    const out = [];
    const name = new Map(k.brokers.map((b) => [b.id, b.name]));
    const brokerWords = (b) => (!b.up ? `down${fencing(b, snap.time_us)}, still leader of ${b.leads} partition(s)`
      : b.fenced ? `up but fenced (cut from the controller), zombie leader of ${zombieParts(k, b).length} partition(s)`
        : `up, leader of ${b.leads} partition(s)${fencing(b, snap.time_us)}`);
    for (const b of k.brokers) out.push({ key: `b:${b.id}`, text: `broker ${b.name}: ${brokerWords(b)}` });
    for (const p of k.partitions) {
      const reps = p.replicas.map((id, i) => `${name.get(id) || id} LEO ${p.replica_leo[i]}${p.isr.includes(id) ? '' : ' (out of ISR)'}`).join(', ');
      out.push({ key: `p:${p.topic}/${p.partition}`,
        text: `partition ${partKey(p.topic, p.partition)}: leader ${leaderWords(p, (id) => name.get(id) || id)}, epoch ${p.leader_epoch}; `
          + `log start ${p.log_start}, high watermark ${p.high_watermark}, log end ${p.log_end}; replicas ${reps}; ISR [${p.isr.map((id) => name.get(id) || id).join(', ')}]` });
    }
    for (const p of k.producers) {
      const w = waiting(p, snap);
      out.push({ key: `pr:${p.name}`, text: `producer ${p.name} (${p.kind}, acks ${acksWord(p.acks)}): sent ${p.sent}, acked ${p.acked}, failed ${p.failed}${w ? `; ${w}` : ''}` });
    }
    for (const g of k.groups) {
      out.push({ key: `g:${g.name}`, text: groupText(g) });
      const pool = unread(g);
      if (pool.length) {
        const why = !g.generation ? 'not assigned yet (no generation has started)' : isRebalancing(g) ? 'released by the rebalance, waiting for the next assignment' : 'read by no member now';
        out.push({ key: `u:${g.name}`, text: `group ${g.name}: ${why}: ${pool.join(', ')}` });
      }
      for (const m of g.members) {
        const claims = claimsText(m, snap);
        out.push({ key: `m:${g.name}/${m.id}`, text: `group ${g.name} member ${memberText(m)}${claims ? `; ${claims}` : ''}` });
      }
    }
    for (const c of k.consumers) out.push({ key: `c:${c.name}/${c.topic}/${c.partition}`, text: consumerText(c) });
    return out;
  }

  function ariaText(snap) {
    const k = snap.kafka;
    const down = k.brokers.filter((b) => !b.up).map((b) => b.name);
    return `Kafka: ${k.brokers.length} broker(s)${down.length ? ` (${down.join(', ')} down)` : ''}, ${k.partitions.length} partition(s), `
      + `${k.groups.length} consumer group(s), ${k.consumers.length} partition consumer(s). `
      + ((k.cuts || []).length ? `Network cut: ${k.cuts.map((c) => c.join(' – ')).join(', ')}. ` : '');
  }

  return {
    prepare(snap, maxH) {
      // The cluster on top, the Go parts below it (without the members' ConsumeClaim goroutines: a member row says what they do).
      S.top = 0;
      const key = structureKey(snap, S);
      if (!layout || key !== layoutKey) {
        layout = computeLayout(snap, S);
        layoutKey = key;
        colors = partColors(snap.kafka);
      }
      clusterH = layout.needHeight;
      const gs = goSnap(snap);
      goBand = gs.goroutines.length > 0 || gs.channels.length > 0;
      let goH = 0;
      if (goBand) {
        S.top = clusterH + 8;
        // At most GO_BAND_MAX (groups beyond it are drawn as tiles), unless
        // the Go parts cannot fit in it at all (many one-goroutine groups,
        // as sarama's partition producers on a topic of many partitions):
        // then the band takes what they need, so nothing is drawn past it.
        let band = goView.prepareBand(gs, Math.min(maxH, GO_BAND_MAX));
        const need = goView.prepare(gs, band);
        if (need > band) band = goView.prepareBand(gs, need);
        goH = band + 8;
        S.top = 0;
      }
      return clusterH + goH;
    },
    draw(snap, now) {
      const k = snap.kafka;
      if (goBand) goView.draw(goSnap(snap), now);
      ctx.textBaseline = 'middle';
      const goH = 0;
      // A rule between the cluster and the Go parts.
      if (goBand) {
        ctx.beginPath();
        ctx.moveTo(10, clusterH + 4);
        ctx.lineTo(S.width - 10, clusterH + 4);
        ctx.strokeStyle = S.theme['--line'];
        ctx.setLineDash([2, 4]);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      const c = layout.cols;
      if (k.producers.length) text('producers', c.px, goH + 14, TINY, '--muted');
      text(`brokers${k.unclean_leader_election ? ' · unclean leader election on' : ''}`, c.bx, c.brokersTop + 6, TINY, k.unclean_leader_election ? '--danger' : '--muted');
      if (k.groups.length + k.consumers.length) {
        const y = layout.wide ? goH + 14 : Math.min(...[...layout.groupBox.values(), ...layout.consBox.values()].map((b) => b.y)) - 10;
        text('consumers', c.cx, y, TINY, '--muted');
      }
      if (snap !== lastSnap) {
        // What changed since the last snapshot: partitions handed over, high watermarks moved up.
        lastSnap = snap;
        lastK = k;
        tokens.handOver(allChips(), now, S.reducedMotion);
        tokens.hwAdvance(k, now);
      }
      for (const b of k.brokers) drawBroker(b, k, now, snap.time_us);
      for (const p of k.producers) drawProducer(p, snap);
      for (const g of k.groups) drawGroup(g, snap, now);
      for (const cn of k.consumers) drawConsumer(cn);
      tokens.draw(now);
    },
    addTokens(events, snap) {
      tokens.add(events, snap, layout, S.reducedMotion);
      if (goBand) goView.addTokens(events, goSnap(snap), performance.now());
    },
    animating(now) { return tokens.active() || (goBand && goView.animating(now)); },
    /** Record tokens started by kind since the last reset (the stage shows them to tests). */
    get tokenCounts() { return tokens.counts; },
    hitGoroutine: (x, y) => (goBand ? goView.hitGoroutine(x, y) : null),
    hitChannel: (x, y) => (goBand ? goView.hitChannel(x, y) : null),
    tooltipLines,
    flashRects: (target) => (goBand ? goView.flashRects(target) : []),
    listItems,
    ariaText,
    get layout() { return layout; },
    reset() {
      layout = null;
      layoutKey = '';
      lastSnap = null;
      tokens.clear();
      goView.reset();
    },
    clearTokens() { tokens.clear(); goView.clearTokens(); },
  };
}

/** Whether group `g` is between generations (core says so). */
export function isRebalancing(g) {
  return Boolean(g.rebalancing);
}

/** The partitions of `g`'s topics no member reads now ("topic-p", in the panel's order). */
export function unread(g) {
  const owned = new Set(g.members.flatMap((m) => m.partitions));
  return (g.rows || []).map((r) => partKey(r.topic, r.partition)).filter((key) => !owned.has(key));
}

/** What the partitions no member reads are called: not assigned yet (before the first generation), released (by a rebalance, or on their way through to a new owner), or unread (their owner is down and the coordinator does not know yet). */
export function poolWord(g, rebalancing, nUnread) {
  if (!g.generation) return 'not assigned yet';
  return rebalancing || !nUnread ? 'released' : 'unread';
}

/**
 * A member's chip: the partition, its committed offset (the group's, "c")
 * and, when the member has marked past it, the offset it marked ("m"):
 * what a crash now would make the next owner read again.
 */
export function chipLabel(g, m, key) {
  const row = (g.rows || []).find((r) => partKey(r.topic, r.partition) === key);
  const committed = row && row.current_offset != null ? row.current_offset : null;
  const mark = (m.marked || []).find(([p]) => p === key);
  const marked = mark ? mark[1] : null;
  return `${key}${committed != null ? ` c${committed}` : ''}${marked != null && marked !== committed ? ` m${marked}` : ''}`;
}

/**
 * What a member's ConsumeClaim goroutines do, in one line: "claim0 working
 * on main#42 · claim1 fetching". A generation fills a member's claim slots
 * in order, so its first claims (as many as it has partitions) are the
 * ones running; the others wait for a partition and are left out.
 */
export function claimsText(m, snap) {
  const prefix = `${m.id}.`;
  return snap.goroutines
    .filter((q) => q.name.startsWith(prefix) && /^claim\d+$/.test(q.name.slice(prefix.length)) && q.state !== 'finished')
    .filter((q) => Number(q.name.slice(prefix.length + 5)) < m.partitions.length)
    .map((q) => `${q.name.slice(prefix.length)} ${q.state === 'blocked_net' ? 'fetching' : String(q.state_text || q.state).replace(/\s*\(.*$/, '')}`)
    .join(' · ');
}

/** "events-12" -> "12". */
export function partNumber(key) {
  return key.slice(key.lastIndexOf('-') + 1);
}

/** sarama's RequiredAcks in Kafka's words. */
export function acksWord(a) {
  const s = String(a);
  if (/all/i.test(s) || s === '-1') return 'all';
  if (/local|one/i.test(s) || s === '1') return '1';
  if (/no|none/i.test(s) || s === '0') return '0';
  return s;
}

export function groupText(g) {
  return `group ${g.name}: generation ${g.generation}, ${g.state}, ${g.rebalances} rebalance(s), ${g.members.length} member(s), assignor ${g.assignor}`;
}

export function memberText(m) {
  const idle = isIdle(m);
  return `${m.id} (${idle ? 'idle' : m.state}): ${m.partitions.length ? `owns ${m.partitions.join(', ')}` : 'no partition'}`
    + `${m.marked && m.marked.length ? `; marked ${m.marked.map(([p, o]) => `${p}@${o}`).join(', ')}` : ''}; consumed ${m.consumed}`
    + `${m.work ? `; its handlers take ${m.work} per record` : ''}`;
}

export function consumerText(c) {
  return `partition consumer ${c.name} on ${partKey(c.topic, c.partition)}${c.stopped ? ' (stopped)' : ''}: offset ${c.offset}, high watermark ${c.high_watermark}, lag ${c.lag}, consumed ${c.consumed}`;
}
