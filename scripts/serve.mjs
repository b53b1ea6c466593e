// A small static file server for web/ on node:http: serves .wasm as
// application/wasm, refuses paths outside the root, stops cleanly on Ctrl-C.
//
// Compression: text files and .wasm go out brotli- or gzip-compressed when the
// request's Accept-Encoding allows it (brotli preferred), with
// `Vary: Accept-Encoding`. A file with a precompressed sibling (`x.wasm.br`,
// `x.wasm.gz`, written by scripts/precompress.mjs when `make build` makes the
// engine modules) that is not older than it goes out as that sibling. Any
// other is compressed on the first request (brotli at quality 5, gzip -9),
// then at brotli quality 11 in the background for the requests after. Bodies
// are kept in memory, keyed by the file's path, size and mtime: a rebuilt file
// has a new key, so it is compressed again and never served stale.
//
// Minification: the playground's own .js, .mjs and .css files are sent
// minified by esbuild (scripts/minify.mjs: one file at a time, modules and
// names kept), made on the first request and kept like the compressed
// bodies. --no-minify (or MINIFY=0) sends the sources as they are, for
// reading them in the browser's developer tools. Without esbuild installed
// the sources are sent, with a notice at startup.
//
// Caching: `Cache-Control: no-cache` with a weak ETag (size and mtime) and
// Last-Modified, so a reload revalidates every file (304 when unchanged) and
// picks up a rebuild at once.
//
// /guide/ serves the mdBook guide from book/build/ (`make docs` builds it);
// /guide redirects to /guide/.
//
// Usage: node scripts/serve.mjs [--port 8080] [--host 127.0.0.1] [--root web] [--guide book/build] [--no-minify]
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { brotliCompress, constants as zc, gzip } from 'node:zlib';
import { minifier, shouldMinify } from './minify.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT || '8080' },
    host: { type: 'string', default: process.env.HOST || '127.0.0.1' },
    root: { type: 'string', default: join(repo, 'web') },
    guide: { type: 'string', default: join(repo, 'book', 'build') },
    'no-minify': { type: 'boolean', default: process.env.MINIFY === '0' },
  },
});
const root = resolve(values.root);
const guideRoot = resolve(values.guide);
const port = Number(values.port);
const minify = values['no-minify'] ? null : await minifier();
const minifyNote = values['no-minify'] ? '  (sources not minified)' : minify ? '' : '  (esbuild missing: sources not minified; run make setup)';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.eot': 'application/vnd.ms-fontobject',
};
/** Extensions sent compressed when the client accepts it. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.wasm', '.svg', '.map', '.ts', '.txt']);

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);
/** Brotli at `quality`, told the input's size. */
const brotliAt = (quality) => (buf) =>
  brotli(buf, {
    params: {
      [zc.BROTLI_PARAM_QUALITY]: quality,
      [zc.BROTLI_PARAM_SIZE_HINT]: buf.length,
    },
  });

/**
 * On request: brotli at quality 5, which takes about 1 ms per 30 KB here
 * and is within ~10% of quality 11 (2026-12-07: lab.js minified 16.4 KB
 * against 14.8 KB); 11 takes 25-80 ms for one of the page's scripts and 1.7 s
 * for an engine module, too slow to make a request wait. So 11 is made after
 * the first answer, in the background (`BEST`), and the engine modules come
 * precompressed from the build.
 */
const ENCODERS = {
  br: brotliAt(5),
  gzip: (buf) => gz(buf, { level: 9 }),
};
const BEST = { br: brotliAt(11) };
/** The suffix of a precompressed sibling, by encoding. */
const SIBLING = { br: '.br', gzip: '.gz' };

/**
 * Bodies: path -> { key, body?: Promise<Buffer>, enc: { br?: Promise<Buffer>, gzip?: Promise<Buffer> } }.
 * `body` is what is sent before compression (the file, or it minified); the
 * key is size and mtime; a file whose key changed is read again.
 */
const bodies = new Map();

function entryOf(file, st) {
  const key = `${st.size}:${st.mtimeMs}:${st.ino}`;
  let entry = bodies.get(file);
  if (!entry || entry.key !== key) {
    entry = { key, enc: {} };
    bodies.set(file, entry);
  }
  return entry;
}

/** Drops a failed entry, so the next request tries again. */
function forgetOnError(file, entry, promise) {
  promise.catch(() => {
    if (bodies.get(file) === entry) bodies.delete(file);
  });
  return promise;
}

/** Whether `file` goes out minified (one of the page's scripts or styles). */
function minifies(file) {
  return minify !== null && file.startsWith(root + sep) && shouldMinify(file);
}

/** The body sent for `file` before compression: the file, or it minified (kept). */
function plainBody(file, st) {
  const entry = entryOf(file, st);
  if (entry.body) return entry.body;
  const body = (async () => {
    const raw = await readFile(file);
    const after = await stat(file);
    // Written to while we read it: serve what we read, but do not keep it.
    if (after.size !== st.size || after.mtimeMs !== st.mtimeMs) entry.key = 'stale';
    if (!minifies(file)) return raw;
    try {
      return Buffer.from(await minify(raw.toString('utf8'), extname(file).toLowerCase()));
    } catch (e) {
      // A syntax error: send the source, so the browser reports it where it is.
      console.error(`serve: not minified: ${file}: ${e.message.split('\n')[0]}`);
      return raw;
    }
  })();
  if (minifies(file)) entry.body = forgetOnError(file, entry, body);
  return body;
}

/**
 * The precompressed sibling of `file` for `encoding`, when there is one not
 * older than the file; else null. Never for a minified file: what goes out
 * is the minified text, which no sibling holds.
 */
async function siblingBody(file, st, encoding) {
  if (minifies(file)) return null;
  const path = file + SIBLING[encoding];
  const s = await stat(path).catch(() => null);
  if (!s?.isFile() || s.mtimeMs < st.mtimeMs) return null;
  return readFile(path);
}

function compressedBody(file, st, encoding) {
  const entry = entryOf(file, st);
  if (!entry.enc[encoding]) {
    const body = (async () => {
      const sibling = await siblingBody(file, st, encoding);
      if (sibling) return sibling;
      const plain = await plainBody(file, st);
      const quick = await ENCODERS[encoding](plain);
      if (BEST[encoding]) improve(file, entry, encoding, plain, quick.length);
      return quick;
    })();
    entry.enc[encoding] = forgetOnError(file, entry, body);
  }
  return entry.enc[encoding];
}

/**
 * Compresses `plain` again at the best quality, in the background; the
 * requests after it get that when it is smaller (on a few hundred bytes,
 * quality 11 can come out larger than 5).
 */
function improve(file, entry, encoding, plain, quickLength) {
  BEST[encoding](plain).then(
    (best) => {
      if (bodies.get(file) === entry && best.length < quickLength) entry.enc[encoding] = Promise.resolve(best);
    },
    () => {}, // the quick body stays
  );
}

/** The best encoding the request accepts: 'br', 'gzip' or null (identity). */
function negotiate(header) {
  if (!header) return null;
  const q = {};
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = p.trim().match(/^q=([0-9.]+)$/);
      if (m) weight = Number(m[1]);
    }
    q[name] = weight;
  }
  const accepts = (name) => (name in q ? q[name] > 0 : '*' in q && q['*'] > 0);
  if (accepts('br')) return 'br';
  if (accepts('gzip')) return 'gzip';
  return null;
}

/**
 * Maps a URL path under a root to a file. Returns { file, st }, { redirect }
 * (a directory asked for without its trailing slash) or null.
 */
async function resolveFile(base, rel, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const full = normalize(join(base, decoded));
  if (full !== base && !full.startsWith(base + sep)) return null;
  try {
    const s = await stat(full);
    if (s.isDirectory()) {
      if (!urlPath.endsWith('/')) return { redirect: `${urlPath}/` };
      const index = join(full, 'index.html');
      const si = await stat(index);
      return si.isFile() ? { file: index, st: si } : null;
    }
    return s.isFile() ? { file: full, st: s } : null;
  } catch {
    return null;
  }
}

function notFound(res, text = 'not found') {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' }).end(`${text}\n`);
}

function redirect(res, location) {
  res.writeHead(301, { Location: location, 'Content-Type': 'text/plain; charset=utf-8' }).end(`see ${location}\n`);
}

/** True when the request's validators match the file (answer 304). */
function notModified(req, etag, st) {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    return inm
      .split(',')
      .map((t) => t.trim().replace(/^W\//, ''))
      .some((t) => t === '*' || t === etag.replace(/^W\//, ''));
  }
  const ims = Date.parse(req.headers['if-modified-since'] || '');
  return Number.isFinite(ims) && Math.floor(st.mtimeMs / 1000) * 1000 <= ims;
}

async function handle(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  let url;
  try {
    url = new URL(req.url, 'http://x');
  } catch {
    return notFound(res);
  }
  const path = url.pathname;
  let found;
  if (path === '/guide') {
    return redirect(res, `/guide/${url.search}`);
  } else if (path.startsWith('/guide/')) {
    const built = await stat(join(guideRoot, 'index.html')).catch(() => null);
    if (!built) return notFound(res, 'The guide is not built: run make docs');
    found = await resolveFile(guideRoot, path.slice('/guide'.length), path);
  } else {
    found = await resolveFile(root, path, path);
  }
  if (found?.redirect) return redirect(res, found.redirect + url.search);
  if (!found) return notFound(res);
  const { file, st } = found;
  const ext = extname(file).toLowerCase();
  const minified = minifies(file);
  const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}${minified ? '-m' : ''}"`;
  const headers = {
    'Content-Type': TYPES[ext] || 'application/octet-stream',
    'Cache-Control': 'no-cache',
    ETag: etag,
    'Last-Modified': new Date(st.mtimeMs).toUTCString(),
    'X-Content-Type-Options': 'nosniff',
  };
  const compressible = COMPRESSIBLE.has(ext);
  if (compressible) headers.Vary = 'Accept-Encoding';
  if (notModified(req, etag, st)) {
    res.writeHead(304, headers).end();
    return;
  }
  const encoding = compressible ? negotiate(req.headers['accept-encoding']) : null;
  if (encoding) {
    const body = await compressedBody(file, st, encoding);
    headers['Content-Encoding'] = encoding;
    headers['Content-Length'] = body.length;
    res.writeHead(200, headers);
    return res.end(req.method === 'HEAD' ? undefined : body);
  }
  if (minified) {
    const body = await plainBody(file, st);
    headers['Content-Length'] = body.length;
    res.writeHead(200, headers);
    return res.end(req.method === 'HEAD' ? undefined : body);
  }
  // No Content-Length on a streamed body: the file may be rewritten mid-stream.
  if (req.method === 'HEAD') return res.writeHead(200, { ...headers, 'Content-Length': st.size }).end();
  res.writeHead(200, headers);
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

const server = createServer((req, res) => {
  handle(req, res).catch((e) => {
    console.error(`serve: ${req.url}: ${e.message}`);
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('server error\n');
  });
});

server.on('error', (e) => {
  console.error(`serve: ${e.code === 'EADDRINUSE' ? `port ${port} is in use (try PORT=8081)` : e.message}`);
  process.exit(1);
});
server.listen(port, values.host, () => {
  console.log(`queuelab playground: http://${values.host}:${port}/  (guide: /guide/)  (Ctrl-C to stop)${minifyNote}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
