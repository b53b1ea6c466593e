// The npm package (issue 16): `node scripts/pack.mjs` builds it from the
// built playground; it is installed from the tarball into a scratch folder,
// which a page there uses the way a docs author would (one module script, one
// element), served on its own port: the element comes alive and runs.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './helpers.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PORT = Number(process.env.E2E_PORT || 8123) + 7;

test('the packed tarball installs into a scratch page and its element runs', async ({ page }) => {
  test.setTimeout(120_000);
  const out = execFileSync('node', ['scripts/pack.mjs'], { cwd: ROOT, encoding: 'utf8' });
  const tarball = /pack: (\S+\.tgz)/.exec(out)[1];
  const dir = mkdtempSync(join(tmpdir(), 'queuelab-pack-'));
  let server;
  try {
    writeFileSync(join(dir, 'package.json'), '{ "name": "scratch", "private": true }\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: dir, encoding: 'utf8' });
    for (const f of ['queue-lab.js', 'queue-lab.d.ts', 'pkg/queuelab_wasm_bg.wasm', 'pkg/go/queuelab_wasm_bg.wasm', 'pkg/nsq/queuelab_wasm_bg.wasm', 'pkg/kafka/queuelab_wasm_bg.wasm', 'pkg/presets.json', 'README.md', 'package.json']) {
      expect(existsSync(join(dir, 'node_modules', 'queuelab', f)), f).toBe(true);
    }
    writeFileSync(join(dir, 'index.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>scratch</title>
<link rel="icon" href="data:,"></head><body>
<script type="module" src="./node_modules/queuelab/queue-lab.js"></script>
<queue-lab id="lab" preset="classic" view="compact" autoplay></queue-lab>
<queue-lab id="nsq" preset="nsq-single" view="compact" autoplay></queue-lab>
</body></html>\n`);
    server = spawn('node', [join(ROOT, 'scripts/serve.mjs'), '--port', String(PORT), '--root', dir], { stdio: 'ignore' });
    await expect.poll(async () => {
      try { return (await fetch(`http://127.0.0.1:${PORT}/`)).status; } catch { return 0; }
    }, { timeout: 10_000 }).toBe(200);
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await expect.poll(() => page.evaluate(() => document.getElementById('lab').ready), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => page.evaluate(() => document.getElementById('lab').timeUs)).toBeGreaterThan(0);
    await expect(page.locator('#lab #stage-list li').first()).toBeAttached();
    // An NSQ element runs in the package's NSQ module.
    await page.locator('#nsq').scrollIntoViewIfNeeded();
    await expect.poll(() => page.evaluate(() => document.getElementById('nsq').ready), { timeout: 20_000 }).toBe(true);
    expect(await page.evaluate(() => Boolean(document.getElementById('nsq').snapshot().nsq))).toBe(true);
  } finally {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
