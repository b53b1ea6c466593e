// The dev server (scripts/serve.mjs) on a throwaway root: content negotiation
// (brotli, gzip, identity; Vary), revalidation (ETag, Last-Modified, 304), a
// rewritten file served fresh at once (the compressed cache is keyed by size
// and mtime), path traversal refused, directories redirected to their slash,
// and the /guide/ route (redirect, 404 while the guide is not built, the book
// once it is).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir;
let server;
let base;

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
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [
    join(repo, 'scripts', 'serve.mjs'), '--port', String(port),
    '--root', join(dir, 'web'), '--guide', join(dir, 'book', 'build'),
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((ok, fail) => {
    server.stdout.on('data', (d) => String(d).includes('http://') && ok());
    server.on('exit', (code) => fail(new Error(`serve.mjs exited with ${code}`)));
  });
});

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
  assert.match(brotliDecompressSync(br.body).toString(), /^export const v = 1;/);
  assert.ok(br.body.length < 200, `brotli body is ${br.body.length} bytes`);

  const gz = await get('/app.js', { 'accept-encoding': 'gzip, br;q=0' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.match(gunzipSync(gz.body).toString(), /^export const v = 1;/);

  const plain = await get('/app.js');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.match(plain.body.toString(), /^export const v = 1;/);

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
  assert.equal(brotliDecompressSync(fresh.body).toString(), 'export const v = 2;');
  // Same size, new mtime.
  writeFileSync(file, 'export const v = 3;');
  const t = new Date(Date.now() + 5000);
  utimesSync(file, t, t);
  const gz = await get('/app.js', { 'accept-encoding': 'gzip' });
  assert.equal(gunzipSync(gz.body).toString(), 'export const v = 3;');
  const br = await get('/app.js', { 'accept-encoding': 'br' });
  assert.equal(brotliDecompressSync(br.body).toString(), 'export const v = 3;');
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
