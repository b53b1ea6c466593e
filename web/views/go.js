// The Go view: goroutine groups and channels laid out as a pipeline, left
// to right. Producers on the left, channels in the middle (a row of buffer
// slots, parked senders queued on their left, parked receivers on their
// right), consumers and stages on the right; a long chain snakes onto the
// next row. Every fact drawn comes from the engine's snapshot and events;
// this module only decides where things go (the look is draw.js's).
//
// createGoView(S, P) -> {
//   prepare(snap, maxH) -> needed height   lay out (when the topology or size changed)
//   draw(snap, now)                        channels, edges, cards, WaitGroups, tokens
//   addTokens(events, snap, now)           messages sent and received, as moving tokens
//   animating()                            tokens still moving (or just wiped)
//   hitGoroutine(x, y), hitChannel(x, y)   what is under a point
//   tooltipLines(x, y, snap)               what the tooltip says there, or null
//   flashRects(target)                     where an event's goroutine and channel are
//   anchor(goroutineId, side)              where a card's edge is (for other views' links)
//   channelText(ch)                        a channel in words (the accessible list)
//   reset()
// }
// S is the stage's surface ({ ctx, theme, width, height, selected,
// reducedMotion, labeler, top }): the view draws from y = S.top down.

import { STATES, drawIcon, cardRing } from '../draw.js';
import { groupEdges, edgesOfGroup, buildTopology, topologyKey } from './go-topology.js';

export { groupEdges, edgesOfGroup };

const TOKEN_MS = 340;
const MAX_TOKENS = 60;
const SEND_KINDS = new Set(['handoff', 'buffered', 'unblocked']);
/** Buffered values named in the accessible list, per channel. */
const LIST_LABELS = 8;

// ---------------------------------------------------------------------------

export function createGoView(S, P) {
  const ctx = S.ctx;
  const { measure, fit, roundRect, arrow, arrowHead, stateColor, drawSlotLabel, drawCard, drawTile, drawGroupLabel, pointAlong } = P;
  let topo = null;
  /** The height last used by prepareBand. */
  let band = null;
  let topoKey = '';
  let layout = null;
  let layoutKey = '';
  let height = 0; // the band this view may use
  let tokens = [];
  let drewTokens = false;

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
    const top = 8 + S.top;
    const cols = topo.columns;
    // Unbuffered channels have no slots to draw: their columns can be narrower.
    const capOf = new Map(snap.channels.map((c) => [c.id, c.cap]));
    const weight = (c) => (c.kind === 'g' ? 1 : c.channels.some((id) => capOf.get(id) > 0) ? WEIGHT_C : WEIGHT_C * 0.7);
    const avail = S.width - pad * 2;
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
    const needHeight = Math.ceil(fixed - S.top + (sumNeed <= 760 ? sumNeed : sumMin));

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
    // The name comes first: if it and "unbuffered" do not both fit, the
    // capacity says "unbuf.", or nothing (the dashed rendezvous pill, the
    // tooltip and the list say it).
    const nameW = measure(ch.name, titleFont);
    const fits = (t) => nameW + 6 + measure(t, capFont) <= room;
    const shortCap = ch.cap !== 0 || fits(capText) ? capText : fits('unbuf.') ? 'unbuf.' : '';
    const nameText = fit(ch.name, titleFont, Math.max(24, room * 0.55, room - 6 - measure(shortCap, capFont)));
    let tx = x;
    ctx.font = titleFont;
    ctx.fillStyle = S.theme['--fg'];
    ctx.fillText(nameText, tx, y + 8);
    tx += measure(nameText, titleFont) + 6;
    const capFit = fit(shortCap, capFont, x + room - tx);
    ctx.font = capFont;
    ctx.fillStyle = S.theme['--muted'];
    ctx.fillText(capFit, tx, y + 8);
    tx += measure(capFit, capFont) + 6;
    if (closedText) {
      ctx.font = closedFont;
      ctx.fillStyle = S.theme['--danger'];
      if (measure(closedText, closedFont) <= x + room - tx) ctx.fillText(closedText, tx, y + 8);
      else ctx.fillText(closedText, x + (ch.cap === 0 ? Math.max(0, (c.w - measure(closedText, closedFont)) / 2) : 0), y + CHAN_H - 6);
    }
    ctx.lineWidth = 1.2;
    if (ch.cap === 0) {
      // A rendezvous point: nothing is ever stored here.
      const pw = Math.min(w, 56);
      const px = x + (w - pw) / 2;
      roundRect(px, slotY, pw, slotH, 12);
      ctx.fillStyle = S.theme['--slot'];
      ctx.fill();
      ctx.setLineDash([4, 3]);
      ctx.strokeStyle = S.theme['--muted'];
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
          ctx.fillStyle = filled ? S.theme['--slot-fill'] : S.theme['--slot'];
          ctx.fill();
          ctx.strokeStyle = S.theme['--line'];
          ctx.stroke();
          if (filled && slotW >= 16) {
            const item = ch.buffer[n - 1 - i];
            if (item) {
              ctx.fillStyle = S.theme['--slot-text'];
              drawSlotLabel(item.label, sx + slotW / 2, slotY + slotH / 2, slotW - 4, slotH);
            }
          }
        }
      } else {
        // Too many slots to draw: a fill bar plus the first few values at the head.
        ctx.beginPath();
        ctx.rect(x, slotY, w, slotH);
        ctx.fillStyle = S.theme['--slot'];
        ctx.fill();
        const frac = Math.min(1, ch.len / n);
        ctx.beginPath();
        ctx.rect(x + w * (1 - frac), slotY, w * frac, slotH);
        ctx.fillStyle = S.theme['--slot-fill'];
        ctx.fill();
        ctx.beginPath();
        ctx.rect(x, slotY, w, slotH);
        ctx.strokeStyle = S.theme['--line'];
        ctx.stroke();
        // Boxes as wide as the longest of the first few labels (they grow with the values).
        const heads = ch.buffer.slice(0, 4).map((m) => S.labeler.short(m.label));
        const boxW = Math.min(64, Math.max(30, ...heads.map((t) => measure(t, font) + 8)));
        const fitBoxes = Math.floor((w * Math.max(frac, 0.3)) / (boxW + 4));
        const show = Math.min(heads.length, Math.max(w >= boxW + 12 ? 1 : 0, fitBoxes));
        ctx.font = font;
        ctx.textAlign = 'center';
        for (let i = 0; i < show; i++) {
          const bx = x + w - (i + 1) * (boxW + 4);
          ctx.beginPath();
          ctx.rect(bx + 2, slotY + 3, boxW, slotH - 6);
          ctx.fillStyle = S.theme['--slot'];
          ctx.fill();
          ctx.fillStyle = S.theme['--slot-text'];
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
    const color = S.theme[side === 'send' ? '--st-send' : '--st-recv'];
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
        ctx.strokeStyle = S.theme['--fg'];
        ctx.lineWidth = 1.2;
        ctx.setLineDash([2, 2]);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      if (S.selected !== null && w.goroutine === S.selected) {
        roundRect(cx - 2, cy - chip / 2 - 2, chip + 4, chip + 4, 5);
        ctx.strokeStyle = S.theme['--accent'];
        ctx.lineWidth = 2;
        ctx.stroke();
      }
    }
    if (more) {
      const off = 4 + shown * (chip + gap);
      ctx.font = font10;
      ctx.fillStyle = S.theme['--muted'];
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
        ctx.fillStyle = S.theme['--panel'];
        ctx.fill();
        ctx.fillStyle = S.theme['--muted'];
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
   * stage reading and writing one channel). One going on rightwards runs a
   * little lower than one wrapping back leftwards, so the two do not merge
   * into one line where they overlap.
   */
  function gapBelow(r1, r2, y1, forward) {
    return Math.min((layout.rowBottom[Math.min(r1, r2)] ?? y1) + ROW_GAP / 2 + (forward ? 4 : -3), height - 6);
  }

  /** The points a token follows: straight within a row, around the row gap otherwise. */
  function tokenPath(x1, y1, r1, x2, y2, r2) {
    if (r1 === r2 && x1 < x2 - 8) return [[x1, y1], [x2, y2]];
    const gapY = gapBelow(r1, r2, y1, x2 > x1);
    const xa = Math.min(x1 + 12, S.width - 4);
    const xb = Math.max(x2 - 16, 4);
    return [[x1, y1], [xa, y1], [xa, gapY], [xb, gapY], [xb, y2], [x2, y2]];
  }

  /** An arrow that leaves rightwards, runs along the gap below a row and enters from the left. */
  function wrapArrow(x1, y1, x2, y2, gapY, color, lineW, dashed) {
    ctx.save();
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = lineW;
    if (dashed) ctx.setLineDash([4, 4]);
    const r = 8;
    const xa = Math.min(x1 + 12, S.width - 4);
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
      wrapArrow(x1, y1, x2, y2, gapBelow(r1, r2, y1, x2 > x1), color, lineW, dashed);
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
            const color = blockedHere ? stateColor(m) : S.theme['--line'];
            const lw = blockedHere ? 2 : 1.2;
            const py = p.y + (p.tile ? p.h / 2 : Math.min(p.h / 2, 20));
            if (dir === 'recv') {
              link((c.recvEnd ?? c.headX) + 2, c.midY, c.row, p.x - 2, py, p.row, color, lw, false);
            } else {
              const toX = (c.sendEnd ?? c.tailX) - 2;
              link(p.x + p.w + 2, py, p.row, toX, c.midY, c.row, color, lw, dir === 'close');
              if (dir === 'close' && (!m || m === members[0])) {
                ctx.font = '10px system-ui, sans-serif';
                ctx.fillStyle = S.theme['--muted'];
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
      if (!lines.length || (lines[lines.length - 1].length && x + w > S.width - 12)) { lines.push([]); x = 12; }
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
        const tw = S.width - 12 - (x + 15);
        if (tw < 30) continue;
        drawIcon(ctx, 'hourglass', x + 6, y, 5, S.theme[waiters.length ? '--st-wait' : '--muted']);
        ctx.fillStyle = S.theme['--muted'];
        ctx.fillText(fit(text, WG_FONT, tw), x + 15, y);
      }
    });
  }

  // --- tokens --------------------------------------------------------------

  function addTokens(events, snap, now) {
    if (S.reducedMotion || !layout) return;
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

  function tooltipLines(x, y, snap) {
    const gid = hitGoroutine(x, y);
    if (gid !== null) {
      const g = snap.goroutines.find((q) => q.id === gid);
      return g ? [g.name, g.state_text] : null;
    }
    const cid = hitChannel(x, y);
    const ch = cid !== null && snap.channels.find((c) => c.id === cid);
    if (!ch) return null;
    const lines = [`${ch.name}: ${ch.cap === 0 ? 'unbuffered' : `${ch.len}/${ch.cap} buffered`}${ch.closed ? ', closed' : ''}`,
      `${ch.sendq_len} waiting to send, ${ch.recvq_len} waiting to receive; ${ch.sent} sent, ${ch.received} received`];
    if (ch.buffer.length) lines.push(`head → ${ch.buffer.slice(0, 6).map((m) => m.label).join(', ')}${ch.len > 6 ? ', …' : ''}`);
    return lines;
  }

  function flashRects(target) {
    const out = [];
    if (!layout) return out;
    if (target.goroutine != null) {
      const p = layout.pos.get(target.goroutine);
      if (p) out.push(cardRing(p));
    }
    if (target.channel != null) {
      const c = layout.chanPos.get(target.channel);
      if (c) out.push({ x: c.x - 6, y: c.y - 4, w: c.w + 12, h: c.h - 4, r: 8 });
    }
    return out;
  }

  return {
    prepare(snap, maxH) {
      const key = topologyKey(snap);
      if (key !== topoKey || !topo) {
        topo = buildTopology(snap);
        topoKey = key;
        layout = null;
        S.labeler.learn(snap.goroutines.map((g) => g.name));
      }
      const lk = `${S.width}|${maxH}|${S.top}|${S.layoutEpoch}`;
      if (!layout || lk !== layoutKey) {
        height = S.top + maxH;
        layout = computeLayout(snap);
        layoutKey = lk;
      }
      return layout.needHeight;
    },
    /** As a band inside another view (from S.top): laid out in exactly the
     * height it needs, at most `maxH`, so its rows are not stretched past
     * what the host view reserved. Returns that height. */
    prepareBand(snap, maxH) {
      const need = Math.min(this.prepare(snap, band ?? maxH), maxH);
      if (need !== band) {
        band = need;
        this.prepare(snap, band);
      }
      return band;
    },
    draw(snap, now) {
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
        if (p.tile) drawTile(g, p, g.id === S.selected); else drawCard(g, p, g.id === S.selected);
      }
      drawWaitGroups(snap);
      drewTokens = tokens.length > 0;
      tokens = P.drawTokens(tokens, now);
    },
    addTokens(events, snap, now) { if (layout) addTokens(events, snap, now); },
    animating() { return tokens.length > 0 || drewTokens; },
    hitGoroutine,
    hitChannel,
    tooltipLines,
    flashRects,
    anchor: anchorOf,
    channelText,
    get layout() { return layout; },
    reset() {
      tokens = [];
      topo = null;
      topoKey = '';
      layout = null;
      band = null;
    },
    clearTokens() { tokens = []; },
  };
}
