// Loads the built wasm package in Node and drives it once, so a package that
// would fail in the browser (e.g. a wasm-opt that breaks wasm-bindgen's
// externref table) fails the build instead of the page.
// Usage: node scripts/check-pkg.mjs [web/pkg]
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
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
} catch (e) {
  console.error(`check-pkg: ${dir} does not load and run: ${e.message}`);
  process.exit(1);
}
const kib = Math.round(statSync(wasmPath).size / 1024);
console.log(`built ${wasmPath.slice(process.cwd().length + 1)} (${kib} KiB), loads and runs`);
