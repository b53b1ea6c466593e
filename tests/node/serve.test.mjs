// The dev server (scripts/serve.mjs) on a throwaway root: content negotiation
// (brotli, gzip, identity; Vary), revalidation (ETag, Last-Modified, 304), a
// rewritten file served fresh at once (the compressed cache is keyed by size
// and mtime), path traversal refused, directories redirected to their slash,
// and the /guide/ route (redirect, 404 while the guide is not built, the book
// once it is), and the page's own scripts and styles sent minified (the
// module's exports unchanged; vendored and guide files as they are;
// --no-minify sends the sources), precompressed siblings (x.wasm.br, .gz)
// sent when not older than their file, and brotli 11 made in the background
// for the requests after the first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants as zc, gunzipSync, gzipSync } from 'node:zlib';
import { minifier } from '../../scripts/minify.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir;
let server;
let base;
let minify;
/** What the server sends for the JavaScript source `src`. */
const sent = (src) => minify(src, '.js');

function freePort() {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** GET (or HEAD) with raw bytes back: { status, headers, body }. No decoding, no redirects. */
function get(path, headers = {}, method = 'GET') {
  return new Promise((ok, fail) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ql-serve-'));
  mkdirSync(join(dir, 'web', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'web', 'index.html'), '<!doctype html><title>root</title>');
  writeFileSync(join(dir, 'web', 'app.js'), `export const v = 1; // ${'padding '.repeat(200)}`);
  writeFileSync(join(dir, 'web', 'sub', 'index.html'), 'sub');
  writeFileSync(join(dir, 'web', 'img.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(join(dir, 'secret.txt'), 'outside the root');
  mkdirSync(join(dir, 'web', 'vendor'), { recursive: true });
  writeFileSync(join(dir, 'web', 'vendor', 'lib.js'), 'export const lib   =   1;');
  writeFileSync(join(dir, 'web', 'style.css'), ':host {  color : red ;  }');
  minify = await minifier();
  assert.ok(minify, 'esbuild is installed (make setup)');
  ({ server, base } = await start([]));
});

/** Starts serve.mjs on the throwaway root with `args`: { server, base }. */
async function start(args) {
  const port = await freePort();
  const child = spawn(process.execPath, [
    join(repo, 'scripts', 'serve.mjs'), '--port', String(port),
    '--root', join(dir, 'web'), '--guide', join(dir, 'book', 'build'), ...args,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((ok, fail) => {
    child.stdout.on('data', (d) => String(d).includes('http://') && ok());
    child.on('exit', (code) => fail(new Error(`serve.mjs exited with ${code}`)));
  });
  return { server: child, base: `http://127.0.0.1:${port}` };
}

after(() => {
  server?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('brotli, gzip or identity as Accept-Encoding allows, with Vary', async () => {
  const br = await get('/app.js', { 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(br.status, 200);
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(br.headers.vary, 'Accept-Encoding');
  assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
  const src = `export const v = 1; // ${'padding '.repeat(200)}`;
  assert.equal(brotliDecompressSync(br.body).toString(), await sent(src));
  assert.ok(br.body.length < 200, `brotli body is ${br.body.length} bytes`);

  const gz = await get('/app.js', { 'accept-encoding': 'gzip, br;q=0' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.body).toString(), await sent(src));

  const plain = await get('/app.js');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body.toString(), await sent(src));
  assert.equal(Number(plain.headers['content-length']), plain.body.length);

  const png = await get('/img.png', { 'accept-encoding': 'br' });
  assert.equal(png.headers['content-encoding'], undefined, 'images are sent as they are');
});

test('no-cache with validators: an unchanged file answers 304', async () => {
  const first = await get('/app.js', { 'accept-encoding': 'br' });
  assert.equal(first.headers['cache-control'], 'no-cache');
  assert.ok(first.headers.etag, 'has an ETag');
  assert.ok(first.headers['last-modified'], 'has Last-Modified');
  const again = await get('/app.js', { 'accept-encoding': 'br', 'if-none-match': first.headers.etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const since = await get('/app.js', { 'if-modified-since': first.headers['last-modified'] });
  assert.equal(since.status, 304);
});

test('a rewritten file is served fresh at once, compressed or not', async () => {
  const file = join(dir, 'web', 'app.js');
  const before = await get('/app.js', { 'accept-encoding': 'br' });
  writeFileSync(file, 'export const v = 2;');
  // New size and mtime; the browser's old ETag no longer matches.
  const fresh = await get('/app.js', { 'accept-encoding': 'br', 'if-none-match': before.headers.etag });
  assert.equal(fresh.status, 200);
  assert.equal(brotliDecompressSync(fresh.body).toString(), await sent('export const v = 2;'));
  // Same size, new mtime.
  writeFileSync(file, 'export const v = 3;');
  const t = new Date(Date.now() + 5000);
  utimesSync(file, t, t);
  const gz = await get('/app.js', { 'accept-encoding': 'gzip' });
  assert.equal(gunzipSync(gz.body).toString(), await sent('export const v = 3;'));
  const br = await get('/app.js', { 'accept-encoding': 'br' });
  assert.equal(brotliDecompressSync(br.body).toString(), await sent('export const v = 3;'));
  const plain = await get('/app.js');
  assert.equal(plain.body.toString(), await sent('export const v = 3;'));
});

test('paths outside the root are refused; a directory redirects to its slash', async () => {
  for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/sub/..%2f..%2fsecret.txt', '/guide/..%2f..%2fsecret.txt', '/%00']) {
    const res = await get(p);
    assert.equal(res.status, 404, p);
    assert.doesNotMatch(res.body.toString(), /outside the root/, p);
  }
  const sub = await get('/sub?x=1');
  assert.equal(sub.status, 301);
  assert.equal(sub.headers.location, '/sub/?x=1');
  assert.equal((await get('/sub/')).body.toString(), 'sub');
  assert.equal((await get('/', {}, 'POST')).status, 405);
});

test('/guide/: redirect, a plain 404 until built, then the book', async () => {
  const bare = await get('/guide');
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.location, '/guide/');
  const missing = await get('/guide/');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.toString().trim(), 'The guide is not built: run make docs');

  mkdirSync(join(dir, 'book', 'build', 'css'), { recursive: true });
  writeFileSync(join(dir, 'book', 'build', 'index.html'), '<h1>guide</h1>');
  writeFileSync(join(dir, 'book', 'build', 'css', 'book.css'), 'h1{color:red}');
  const index = await get('/guide/');
  assert.equal(index.status, 200);
  assert.equal(index.body.toString(), '<h1>guide</h1>');
  const css = await get('/guide/css/book.css', { 'accept-encoding': 'gzip' });
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  assert.equal(gunzipSync(css.body).toString(), 'h1{color:red}');
  assert.equal((await get('/guide/css')).headers.location, '/guide/css/');
  assert.equal((await get('/guide/nope.html')).status, 404);
});

test('the page\'s scripts and styles go out minified, modules intact; vendored files and --no-minify as they are', async () => {
  writeFileSync(join(dir, 'web', 'mod.js'), 'export function add(first, second) {\n  const total = first + second;\n  return total;\n}\n');
  const js = (await get('/mod.js')).body.toString();
  assert.ok(js.length < 60, js);
  const mod = await import(`data:text/javascript,${encodeURIComponent(js)}`);
  assert.equal(mod.add(2, 3), 5);
  assert.equal((await get('/style.css')).body.toString().trim(), ':host{color:red}');
  assert.equal((await get('/vendor/lib.js')).body.toString(), 'export const lib   =   1;');
  const { server: raw, base: rawBase } = await start(['--no-minify']);
  try {
    const res = await fetch(`${rawBase}/mod.js`);
    assert.equal(await res.text(), 'export function add(first, second) {\n  const total = first + second;\n  return total;\n}\n');
  } finally {
    raw.kill('SIGTERM');
  }
});

test('a precompressed sibling not older than its file goes out as it is; an older one is ignored', async () => {
  const web = join(dir, 'web');
  // The siblings decode to text that differs from the file, so the test sees which was sent.
  writeFileSync(join(web, 'engine.wasm'), Buffer.from('the module itself '.repeat(50)));
  const br = brotliCompressSync(Buffer.from('from engine.wasm.br'));
  const gz = gzipSync(Buffer.from('from engine.wasm.gz'));
  writeFileSync(join(web, 'engine.wasm.br'), br);
  writeFileSync(join(web, 'engine.wasm.gz'), gz);
  const later = new Date(Date.now() + 5000);
  utimesSync(join(web, 'engine.wasm.br'), later, later);
  utimesSync(join(web, 'engine.wasm.gz'), later, later);
  const sentBr = await get('/engine.wasm', { 'accept-encoding': 'br' });
  assert.equal(sentBr.headers['content-type'], 'application/wasm');
  assert.equal(sentBr.headers['content-encoding'], 'br');
  assert.deepEqual(sentBr.body, br);
  const sentGz = await get('/engine.wasm', { 'accept-encoding': 'gzip' });
  assert.equal(sentGz.headers['content-encoding'], 'gzip');
  assert.deepEqual(sentGz.body, gz);
  assert.equal((await get('/engine.wasm')).body.toString(), 'the module itself '.repeat(50), 'identity is the file');

  // A sibling older than its file (a rebuild that did not write one) is stale.
  writeFileSync(join(web, 'old.wasm'), Buffer.from('rebuilt '.repeat(50)));
  writeFileSync(join(web, 'old.wasm.br'), brotliCompressSync(Buffer.from('stale')));
  const earlier = new Date(Date.now() - 60_000);
  utimesSync(join(web, 'old.wasm.br'), earlier, earlier);
  const stale = await get('/old.wasm', { 'accept-encoding': 'br' });
  assert.equal(brotliDecompressSync(stale.body).toString(), 'rebuilt '.repeat(50));
});

test('a file compressed on request is brotli 11 for the requests after the first', async () => {
  // A real script of the page: on a few hundred bytes quality 11 can lose to 5 (then 5 stays).
  const src = readFileSync(join(repo, 'web', 'draw.js'), 'utf8');
  writeFileSync(join(dir, 'web', 'words.js'), src);
  const body = Buffer.from(await sent(src));
  const best = brotliCompressSync(body, {
    params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  const first = await get('/words.js', { 'accept-encoding': 'br' });
  assert.equal(brotliDecompressSync(first.body).toString(), body.toString());
  let later = first;
  for (let i = 0; i < 50 && !later.body.equals(best); i++) {
    await new Promise((ok) => setTimeout(ok, 100));
    later = await get('/words.js', { 'accept-encoding': 'br' });
  }
  assert.deepEqual(later.body, best, `quality 11 is ${best.length} bytes; the server still sends ${later.body.length}`);
  assert.ok(best.length < first.body.length, `quality 11 (${best.length}) is smaller than the first answer (${first.body.length})`);
});
