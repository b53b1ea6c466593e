// The release package (opt-level "s", wasm-opt -O3: what the page loads) runs
// every preset exactly as the native engine does: trace hash, event count,
// time and status after the fixture's virtual seconds equal
// wasm/tests/fixtures/hashes.json, which `cargo test -p queuelab-wasm --test
// native_hashes` checks natively. (wasm/tests/web.rs checks the same in
// Chromium, but on wasm-pack's test build, not on this optimised one.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkgDir = resolve(process.env.QUEUELAB_PKG || `${root}/web/pkg`);
const fixture = JSON.parse(readFileSync(`${root}/wasm/tests/fixtures/hashes.json`, 'utf8'));

test('the release package reproduces the native fixture on every preset', async () => {
  const m = await import(pathToFileURL(`${pkgDir}/queuelab_wasm.js`).href);
  m.initSync({ module: readFileSync(`${pkgDir}/queuelab_wasm_bg.wasm`) });
  assert.ok(fixture.runs.length >= 38, 'the fixture covers the presets');
  const diffs = [];
  for (const run of fixture.runs) {
    const p = m.Playground.from_preset(run.preset);
    p.advance_all(fixture.virtual_seconds * 1e6);
    const s = p.snapshot();
    const got = { events_total: s.events_total, preset: run.preset, status: s.status, time_us: s.time_us, trace_hash: s.trace_hash };
    if (JSON.stringify(got) !== JSON.stringify(run)) diffs.push(`  native ${JSON.stringify(run)}\n  wasm   ${JSON.stringify(got)}`);
    p.free();
  }
  assert.deepEqual(diffs, [], `the release package differs from the native fixture:\n${diffs.join('\n')}`);
});
