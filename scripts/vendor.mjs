// Copies the page's third-party browser files from node_modules into web/vendor/
// (gitignored), so the static server serves them next to the page. Run by
// `make build`; idempotent (a file whose bytes are already there is not rewritten).
//
//   uplot (npm, MIT): dist/uPlot.esm.js -> web/vendor/uPlot.esm.js
//                     dist/uPlot.min.css -> web/vendor/uPlot.min.css
//
// Usage: node scripts/vendor.mjs [--out web/vendor]
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string', default: join(repo, 'web', 'vendor') } } });
const out = resolve(values.out);

const FILES = [
  { pkg: 'uplot', from: 'dist/uPlot.esm.js', to: 'uPlot.esm.js' },
  { pkg: 'uplot', from: 'dist/uPlot.min.css', to: 'uPlot.min.css' },
];

function fail(message) {
  console.error(`vendor: ${message}`);
  process.exit(1);
}

mkdirSync(out, { recursive: true });
for (const { pkg, from, to } of FILES) {
  const src = join(repo, 'node_modules', pkg, from);
  if (!existsSync(src)) fail(`${src} is missing: run \`make setup\` (npm ci installs ${pkg})`);
  const dst = join(out, to);
  const same = existsSync(dst) && readFileSync(dst).equals(readFileSync(src));
  if (!same) copyFileSync(src, dst);
  const { version } = JSON.parse(readFileSync(join(repo, 'node_modules', pkg, 'package.json'), 'utf8'));
  console.log(`vendor: ${pkg}@${version} ${from} -> ${relative(repo, dst) || dst}${same ? ' (unchanged)' : ''}`);
}
