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
  const toy = new pkg.Toy(3, 10_000, 30_000);
  toy.advance(1_000_000);
  const snap = toy.snapshot();
  if (snap.time_us !== 1_000_000) throw new Error(`snapshot.time_us is ${snap.time_us}, want 1000000`);
  toy.free();
} catch (e) {
  console.error(`check-pkg: ${dir} does not load and run: ${e.message}`);
  process.exit(1);
}
const kib = Math.round(statSync(wasmPath).size / 1024);
console.log(`built ${wasmPath.slice(process.cwd().length + 1)} (${kib} KiB), loads and runs`);
