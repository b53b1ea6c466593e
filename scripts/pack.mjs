// Builds the npm package from the built playground (run `make build` first):
// web/ (the element, its modules, the wasm package, uPlot, the full page,
// the iframe page, the examples) plus npm/README.md and npm/queue-lab.d.ts
// and a package.json, staged in target/npm/queuelab/ (scripts and styles
// minified, scripts/minify.mjs), then `npm pack`.
// Prints the tarball's path. Usage: node scripts/pack.mjs
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, extname, join } from 'node:path';
import { minifier, shouldMinify } from './minify.mjs';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
if (!existsSync(join(web, 'pkg', 'queuelab_wasm_bg.wasm'))) {
  console.error('pack: web/pkg is not built: run make build first');
  process.exit(1);
}
const out = join(root, 'target', 'npm');
const stage = join(out, 'queuelab');
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
// Not the .br / .gz siblings of the modules (scripts/precompress.mjs): a host compresses as it does.
cpSync(web, stage, { recursive: true, filter: (src) => !/(\.gitignore|\.wasm\.br|\.wasm\.gz)$/.test(src) });
// The page's own scripts and styles, minified as `make play` serves them.
const minify = await minifier();
if (!minify) {
  console.error('pack: esbuild is missing: run make setup');
  process.exit(1);
}
let before = 0;
let after = 0;
for (const rel of readdirSync(stage, { recursive: true })) {
  const file = join(stage, rel);
  if (!shouldMinify(rel) || !statSync(file).isFile()) continue;
  const text = readFileSync(file, 'utf8');
  const code = await minify(text, extname(file).toLowerCase());
  writeFileSync(file, code);
  before += Buffer.byteLength(text);
  after += Buffer.byteLength(code);
}
cpSync(join(root, 'npm', 'README.md'), join(stage, 'README.md'));
cpSync(join(root, 'npm', 'queue-lab.d.ts'), join(stage, 'queue-lab.d.ts'));

const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8');
const version = /^version\s*=\s*"([^"]+)"/m.exec(cargo)[1];
const pkg = {
  name: 'queuelab',
  version,
  description: 'Go channels, NSQ and Kafka, simulated exactly: a <queue-lab> custom element over a WebAssembly engine.',
  license: 'MIT OR Apache-2.0',
  type: 'module',
  main: './queue-lab.js',
  types: './queue-lab.d.ts',
  exports: {
    '.': { types: './queue-lab.d.ts', default: './queue-lab.js' },
    './compare': './queue-lab-compare.js',
    './*': './*',
  },
  sideEffects: true,
  keywords: ['go', 'channels', 'nsq', 'kafka', 'simulation', 'webassembly', 'custom-element'],
};
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
const json = execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: stage, encoding: 'utf8' });
const [info] = JSON.parse(json);
const tarball = join(out, info.filename);
console.log(`pack: ${tarball} (${info.entryCount} files, ${(info.size / 1024).toFixed(0)} KB packed, ${(info.unpackedSize / 1024).toFixed(0)} KB unpacked; scripts and styles minified ${(before / 1024).toFixed(0)} -> ${(after / 1024).toFixed(0)} KB)`);
