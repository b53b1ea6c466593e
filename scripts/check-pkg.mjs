// Loads the built wasm package in Node and drives it once, so a package that
// would fail in the browser (e.g. a wasm-opt that breaks wasm-bindgen's
// externref table) fails the build instead of the page.
// A module's systems follow its folder (scripts/build-wasm.sh): web/pkg/go has
// Go only, web/pkg/nsq Go and NSQ, web/pkg/kafka Go and Kafka, web/pkg all
// three. Its presets must be those systems' and a scenario of a system it
// lacks must be refused, by name.
// Usage: node scripts/check-pkg.mjs [web/pkg]
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = resolve(process.argv[2] || 'web/pkg');
const wasmPath = `${dir}/queuelab_wasm_bg.wasm`;
try {
  const pkg = await import(pathToFileURL(`${dir}/queuelab_wasm.js`).href);
  pkg.initSync({ module: readFileSync(wasmPath) });
  // The classic program: ten values over an unbuffered channel; main returns at 2 s.
  const pg = pkg.Playground.from_preset('classic');
  pg.advance(5_000_000);
  const snap = pg.snapshot();
  if (snap.status !== 'main_returned' || snap.totals.delivered !== 10) {
    throw new Error(`classic ended ${snap.status} with ${snap.totals.delivered} delivered, want main_returned with 10`);
  }
  pg.free();
  const only = { go: [], nsq: ['nsq'], kafka: ['kafka'] }[basename(dir)] ?? ['nsq', 'kafka'];
  const systems = [...new Set(pkg.Playground.presets().map((p) => p.system))].sort().join(',');
  const want = ['go', ...only].sort().join(',');
  if (systems !== want) throw new Error(`its presets are of ${systems}, want ${want}`);
  for (const [sys, name] of [['nsq', 'NSQ'], ['kafka', 'Kafka']]) {
    if (only.includes(sys)) continue;
    let refused = '';
    try {
      pkg.Playground.from_json(`{"${sys}": {}}`).free();
    } catch (e) {
      refused = String(e.message);
    }
    if (!refused.includes(`no ${name} engine`)) throw new Error(`a scenario with a ${sys} section was not refused as needing ${name}: ${refused || 'it loaded'}`);
  }
  // The full module lists every preset for the page's picker (web/engines.js),
  // which should not need the full module to show them.
  if (only.length === 2) writeFileSync(`${dir}/presets.json`, JSON.stringify(pkg.Playground.presets()));
} catch (e) {
  console.error(`check-pkg: ${dir} does not load and run: ${e.message}`);
  process.exit(1);
}
const kib = Math.round(statSync(wasmPath).size / 1024);
console.log(`built ${wasmPath.slice(process.cwd().length + 1)} (${kib} KiB), loads and runs; systems as its folder says`);
