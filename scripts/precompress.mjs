// Writes `<file>.br` (brotli quality 11) and `<file>.gz` (gzip -9) next to
// each file named on the command line. `make build` runs it on the four
// engine modules' .wasm (scripts/build-wasm.sh); scripts/serve.mjs sends a
// sibling in place of compressing the file itself, as long as the sibling is
// not older than the file (a rebuilt module without one is compressed on
// request, as before).
//
// Why only the .wasm: it is most of what an embed loads, and quality 11 takes
// about 1.7 s on it here (2026-12-07, the NSQ module: 285 KB against 327 KB at
// the quality 5 the server can afford per request). The page's scripts are
// sent minified, which the server does on request, so their compressed form
// is made there too (at quality 5 first, then 11 in the background).
//
// Usage: node scripts/precompress.mjs <file>...
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { brotliCompressSync, constants as zc, gzipSync } from 'node:zlib';

/** The encodings written, by file suffix. */
const SIBLINGS = {
  br: (buf) =>
    brotliCompressSync(buf, {
      params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }),
  gz: (buf) => gzipSync(buf, { level: 9 }),
};

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/precompress.mjs <file>...');
  process.exit(2);
}
for (const file of files) {
  const raw = readFileSync(file);
  const sizes = [];
  for (const [suffix, encode] of Object.entries(SIBLINGS)) {
    const out = encode(raw);
    writeFileSync(`${file}.${suffix}`, out);
    sizes.push(`${suffix} ${(out.length / 1024).toFixed(1)} KB`);
  }
  console.log(`precompress: ${basename(file)} ${(raw.length / 1024).toFixed(1)} KB -> ${sizes.join(', ')}`);
}
