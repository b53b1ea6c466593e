// Copies the page's third-party browser files from node_modules into web/vendor/
// (gitignored), so the static server serves them next to the page. Run by
// `make build`; idempotent (a file whose bytes are already there is not rewritten).
//
//   uplot (npm, MIT): dist/uPlot.esm.js -> web/vendor/uPlot.esm.js, minified
//                     dist/uPlot.min.css -> web/vendor/uPlot.min.css
//
// uPlot ships its ES module build unminified (145 KB; only the IIFE build has a
// .min.js), so the ES module is minified here with esbuild (npm, pinned exactly
// in package.json): whitespace, syntax and identifiers, ES module kept. Its
// copyright and license header (a plain /** */ comment, which esbuild would
// drop) is carried over as a banner. The page imports it under the same name.
//
// Usage: node scripts/vendor.mjs [--out web/vendor]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string', default: join(repo, 'web', 'vendor') } } });
const out = resolve(values.out);

function fail(message) {
  console.error(`vendor: ${message}`);
  process.exit(1);
}

async function minifyEsm(src) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    fail(`esbuild is missing (${e.message}): run \`make setup\` (npm ci installs it)`);
  }
  const text = src.toString('utf8');
  const header = text.match(/^\s*(\/\*[\s\S]*?\*\/)/);
  const { code } = await esbuild.transform(text, {
    loader: 'js',
    format: 'esm',
    minify: true,
    legalComments: 'inline',
    target: 'es2020',
    banner: header ? header[1] : '',
  });
  return Buffer.from(code);
}

const FILES = [
  { pkg: 'uplot', from: 'dist/uPlot.esm.js', to: 'uPlot.esm.js', transform: minifyEsm, note: 'minified' },
  { pkg: 'uplot', from: 'dist/uPlot.min.css', to: 'uPlot.min.css' },
];

mkdirSync(out, { recursive: true });
for (const { pkg, from, to, transform, note } of FILES) {
  const src = join(repo, 'node_modules', pkg, from);
  if (!existsSync(src)) fail(`${src} is missing: run \`make setup\` (npm ci installs ${pkg})`);
  const raw = readFileSync(src);
  const bytes = transform ? await transform(raw) : raw;
  const dst = join(out, to);
  const same = existsSync(dst) && readFileSync(dst).equals(bytes);
  if (!same) writeFileSync(dst, bytes);
  const { version } = JSON.parse(readFileSync(join(repo, 'node_modules', pkg, 'package.json'), 'utf8'));
  const how = note ? `, ${note}: ${raw.length} -> ${bytes.length} bytes` : '';
  console.log(`vendor: ${pkg}@${version} ${from} -> ${relative(repo, dst) || dst}${how}${same ? ' (unchanged)' : ''}`);
}
