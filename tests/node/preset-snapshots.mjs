// Snapshots of the presets, from the built package (`make build`;
// QUEUELAB_PKG points at another): what the stage layout tests lay out.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkgDir = resolve(process.env.QUEUELAB_PKG || `${root}/web/pkg`);

/** The package's module, initialised. */
export async function loadPackage() {
  const m = await import(pathToFileURL(`${pkgDir}/queuelab_wasm.js`).href);
  m.initSync({ module: readFileSync(`${pkgDir}/queuelab_wasm_bg.wasm`) });
  return m;
}

/** [{ preset, snap }] for every preset whose name starts with `prefix`, run `us` virtual microseconds. */
export async function presetSnapshots(prefix, us) {
  const m = await loadPackage();
  return readdirSync(`${root}/presets`).filter((f) => f.startsWith(prefix)).map((f) => {
    const preset = f.replace(/\.json$/, '');
    const p = m.Playground.from_preset(preset);
    p.advance_all(us);
    const snap = p.snapshot();
    p.free();
    return { preset, snap };
  });
}
