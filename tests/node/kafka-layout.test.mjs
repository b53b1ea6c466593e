// The Kafka view's layout (web/views/kafka-layout.js) on real snapshots of
// every Kafka preset, at every stage width from a phone's to a desktop's:
// the margins a record token runs down (kafka-tokens.js: `gutters`, `lane`)
// keep a whole token on the stage and clear of the "brokers" caption, and
// the boxes are wide enough for their lines: a member's name and offsets,
// a replica's partition and role, a producer's counts.
// Needs the built package (`make build`); QUEUELAB_PKG points at another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TOKEN_R } from '../../web/draw.js';
import { presetSnapshots } from './preset-snapshots.mjs';
import { computeLayout, ackWaitLine } from '../../web/views/kafka-layout.js';

test('record tokens in the margins stay on the stage and off the captions, at every width', async () => {
  const presets = await presetSnapshots('kafka-', 8e6);
  assert.ok(presets.length >= 10, 'the Kafka presets are found');
  const faults = [];
  for (const { preset, snap } of presets) {
    for (let width = 300; width <= 1400; width += 20) {
      const L = computeLayout(snap, { width, top: 0 });
      for (const [id, box] of L.brokerBox) {
        const left = box.x - L.gutter;
        const right = box.x + box.w + L.gutter;
        if (left - TOKEN_R < 1 || right + TOKEN_R > width - 1) faults.push(`${preset} at ${width}px: broker-${id}'s margins ${left}..${right} put a token off the stage`);
        // The caption sits above the first broker at the column's x; a
        // token in the left margin passes it.
        if (!L.wide && left + TOKEN_R > L.cols.bx - 2) faults.push(`${preset} at ${width}px: a token at x=${left} touches the "brokers" caption at x=${L.cols.bx}`);
      }
      for (const [id, box] of L.brokerBox) {
        // A replica's row ("events-0 … leader · epoch 1") reads whole.
        if (L.wide && box.w < 170) faults.push(`${preset} at ${width}px: broker-${id}'s box is ${box.w}px wide, too narrow for a replica's row`);
      }
      for (const [name, box] of L.prodBox) {
        // "sent 15100 · acked 15080".
        if (L.wide && box.w < 160) faults.push(`${preset} at ${width}px: producer ${name}'s box is ${box.w}px wide`);
      }
      for (const [name, g] of L.groupBox) {
        if (L.wide && g.w < 240) faults.push(`${preset} at ${width}px: group ${name}'s box is ${g.w}px wide, too narrow for a member's line`);
      }
    }
  }
  assert.deepEqual(faults.slice(0, 10), [], `${faults.length} layout faults`);
});

test("a producer card's acks=all wait line drops the offset, then the partition, before the broker", () => {
  const w = { topic: 'events', partition: 2, offset: 526, missing: [3] };
  const upTo = (n) => (t) => t.length <= n;
  assert.equal(ackWaitLine(w, upTo(99)), 'waits for broker-3 · events-2@526');
  assert.equal(ackWaitLine(w, upTo(30)), 'waits for broker-3 · events-2');
  assert.equal(ackWaitLine(w, upTo(20)), 'waits for broker-3');
  assert.equal(ackWaitLine(w, upTo(5)), 'waits for broker-3', 'the broker stays (the canvas cuts it then)');
  assert.equal(ackWaitLine({ ...w, missing: [2, 3] }, upTo(99)), 'waits for broker-2, broker-3 · events-2@526');
  assert.equal(ackWaitLine({ ...w, missing: [] }, upTo(5)), 'HW about to pass events-2@526');
});
