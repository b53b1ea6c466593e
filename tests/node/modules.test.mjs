// The four engine modules (scripts/build-wasm.sh) each parse the live
// commands of the systems they have, and refuse those of the others with a
// message naming the system: a module without NSQ or Kafka carries no code
// to read their commands (core/src/command.rs, `missing_system`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { root } from './preset-snapshots.mjs';

const pkg = process.env.QUEUELAB_PKG || `${root}/web/pkg`;
const MODULES = { full: pkg, go: `${pkg}/go`, nsq: `${pkg}/nsq`, kafka: `${pkg}/kafka` };

async function load(dir) {
  // Each module is its own copy of the glue: a query keeps them apart.
  const m = await import(`${pathToFileURL(`${dir}/queuelab_wasm.js`).href}?m=${encodeURIComponent(dir)}`);
  m.initSync({ module: readFileSync(`${dir}/queuelab_wasm_bg.wasm`) });
  return m;
}

/** The message of what `f` throws ('' when it returns). */
function thrown(f) {
  try {
    f();
    return '';
  } catch (e) {
    return String(e && e.message);
  }
}

test('each module parses its systems\' commands and refuses the others\' by name', async () => {
  for (const [kind, dir] of Object.entries(MODULES)) {
    const m = await load(dir);
    const pg = m.Playground.from_preset('backpressure');
    const nsq = thrown(() => pg.command({ op: 'nsqd_crash', nsqd: 'nsqd-1' }));
    const kafka = thrown(() => pg.command({ op: 'kafka_broker_crash', broker: 1 }));
    const hasNsq = kind === 'full' || kind === 'nsq';
    const hasKafka = kind === 'full' || kind === 'kafka';
    // With the system, the command is read and refused by the world (a Go
    // world has no nsqd, no broker); without it, by the parser, naming it.
    assert.equal(nsq.includes('has no NSQ engine'), !hasNsq, `${kind}: ${nsq}`);
    assert.equal(kafka.includes('has no Kafka engine'), !hasKafka, `${kind}: ${kafka}`);
    assert.ok(nsq !== '' && kafka !== '', `${kind}: both refused`);
    // A Go command applies in every module.
    pg.command({ op: 'set_capacity', channel: 'jobs', capacity: 9 });
    assert.equal(pg.snapshot().channels.find((c) => c.name === 'jobs').cap, 9, kind);
    pg.free();
  }
});
