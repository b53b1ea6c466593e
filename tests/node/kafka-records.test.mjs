// The page's Kafka figures (web/kafka-panels.js) and which of them list
// records (web/kafka-records.js `LISTED`) against the engine's
// `Playground.kafka_records`: a figure the page offers a list for has one
// in core (as long as the figure, for a figure of record states), and a
// figure it does not is refused by core. The two sides cannot drift apart.
// Needs the built package (`make build`); QUEUELAB_PKG points at another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPackage } from './preset-snapshots.mjs';
import { KAFKA_FIGURES } from '../../web/kafka-panels.js';
import { LISTED } from '../../web/kafka-records.js';

/** Figures that count records in one state: their list is exactly as long. */
const STATES = ['produced', 'sending', 'acked', 'failed', 'lost_after_ack', 'lost_unclean', 'lost_unacked', 'lost_unwritten'];

test('every figure the page lists has a list in core, as long as the figure; the others are refused', async () => {
  const m = await loadPackage();
  const p = m.Playground.from_preset('kafka-acks1-loss');
  p.advance_all(8e6);
  const counts = p.snapshot().kafka.guarantees;
  assert.ok(counts.lost_after_ack > 0, 'the preset loses acked records by 8 s');
  for (const [key] of KAFKA_FIGURES) {
    if (LISTED[key]) {
      const list = p.kafka_records(key, 1e6);
      assert.equal(list.records.length, list.total, key);
      if (STATES.includes(key)) assert.equal(list.total, counts[key], key);
      else assert.ok(list.total <= counts[key], key); // consumed, duplicates: records, where the figure counts reads
    } else {
      assert.throws(() => p.kafka_records(key, 10), /figure must be one of/, key);
    }
  }
  assert.deepEqual(Object.keys(LISTED).filter((k) => !KAFKA_FIGURES.some(([f]) => f === k)), [], 'LISTED names only real figures');
  // A world without Kafka has no list.
  const go = m.Playground.from_preset('classic');
  assert.equal(go.kafka_records('acked', 10), undefined);
  p.free();
  go.free();
});
