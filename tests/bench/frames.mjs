// Frame-time benchmark of the playground in Chromium (a measurement, not a test).
//
// Serves web/ with scripts/serve.mjs, opens `/?bench` (or `/?bench=<preset>`)
// in Debian's Chromium through Playwright, and waits for the page's bench mode
// to finish: it runs the preset at a fixed speed for about 10 s of wall time,
// times each frame's work (advance + snapshot + draw) with performance.now()
// and publishes `{ p50, p95, max, frames }` (milliseconds) as
// `window.__benchResult` and in `#bench-result`. This script prints
//
//   frame time p50=1.23 ms p95=2.34 ms max=5.67 ms over 600 frames (preset large, 1280x720)
//   whole frame (requestAnimationFrame to requestAnimationFrame: ...): 59.8 fps, p50=16.67 ms ...
//
// "frame time" is the page's own work per frame (JS only); "whole frame" is the
// interval between two animation frames, which includes style, layout and paint,
// with the long tasks (> 50 ms) the browser reported meanwhile.
//
// Then it measures the engine's speed in the browser against native
// (tests/bench/engine.mjs): the reference model run to its end and the large
// preset for 60 s of virtual time, through the wasm package in a blank page and
// natively (cargo run --release --example native_speed, in this same run), in
// interleaved rounds; delivered msgs/s and the ratio wasm / native for each.
//
// Usage: node tests/bench/frames.mjs [preset[@speed] ...]   (make bench-web runs it after make build;
//        default: large@100 kafka-idle-members@1.5 kafka-slow-handler@5 nsq-cluster@10)
// Env:   BENCH_PORT (default 8125), BENCH_SPEED (overrides every speed), CHROMIUM_PATH (default /usr/bin/chromium),
//        ENGINE_BENCH_RUNS (timed runs per round and side, default 5), ENGINE_BENCH_ROUNDS
//        (default 3), ENGINE_BENCH_WARMUP_MS (untimed runs in the page first, default 2000)
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { compare, report } from './engine.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const port = Number(process.env.BENCH_PORT || 8125);
/**
 * Presets timed, each at its speed: Go's largest (the case: large at
 * 100x); the largest Kafka view (kafka-idle-members: 15 members in 3 groups;
 * it stops at 20 s, so 1.5x keeps it running through the ~10 s measured); a
 * busy Kafka run (kafka-slow-handler: 2 groups, rebalances; it stops at 60 s, so 5x); the
 * largest NSQ one at 10x. Arguments `preset[@speed]` replace the list;
 * BENCH_SPEED overrides every speed.
 */
const DEFAULT_RUNS = ['large@100', 'kafka-idle-members@1.5', 'kafka-slow-handler@5', 'nsq-cluster@10'];
const runs = (process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_RUNS).map((arg) => {
  const [name, at] = arg.split('@');
  return { name, speed: Number(process.env.BENCH_SPEED || at || 100) };
});
const base = `http://127.0.0.1:${port}`;
const VIEWPORT = { width: 1280, height: 720 };

function fail(message) {
  console.error(`bench-web: ${message}`);
  process.exitCode = 1;
}

async function waitForServer(url, ms) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`the server at ${url} did not start within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const server = spawn(process.execPath, ['scripts/serve.mjs', '--port', String(port)], {
  cwd: repo,
  stdio: ['ignore', 'ignore', 'pipe'],
});
let serverErr = '';
server.stderr.on('data', (d) => {
  serverErr += d;
});

let browser;
try {
  await waitForServer(`${base}/`, 15_000);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  for (const { name, speed } of runs) await measureFrames(browser, name, speed);

  try {
    for (const problem of report(await compare(browser, base, repo))) fail(problem);
  } catch (e) {
    fail(`engine speed: ${e.message}`);
  }
} catch (e) {
  fail(e.message);
  if (serverErr) console.error(serverErr.trim());
} finally {
  if (browser) await browser.close();
  server.kill('SIGTERM');
}

/** Frame times of the page's bench mode on one preset at one speed, printed. */
async function measureFrames(browser, name, speed) {
  const page = await browser.newPage({ viewport: VIEWPORT });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${base}/?bench=${encodeURIComponent(name)}&speed=${speed}`);
  const handle = await page.waitForFunction(() => window.__benchResult, null, { timeout: 90_000, polling: 250 });
  const r = await handle.jsonValue();
  const ok = r && ['p50', 'p95', 'max', 'frames'].every((k) => Number.isFinite(Number(r[k])));
  if (!ok) throw new Error(`window.__benchResult is not {p50, p95, max, frames}: ${JSON.stringify(r)}`);
  const shown = await page.locator('#bench-result').textContent();
  const ms = (v) => `${Number(v).toFixed(2)} ms`;
  console.log(
    `frame time p50=${ms(r.p50)} p95=${ms(r.p95)} max=${ms(r.max)} over ${r.frames} frames`
      + ` (preset ${name} at ${speed}x, ${VIEWPORT.width}x${VIEWPORT.height}, headless Chromium)`,
  );
  const w = r.whole_frame;
  if (w) {
    console.log(
      `whole frame (requestAnimationFrame to requestAnimationFrame: JS, style, layout, paint): ${w.fps} fps,`
        + ` p50=${ms(w.p50)} p95=${ms(w.p95)} max=${ms(w.max)}, ${w.over_20ms} frames over 20 ms,`
        + ` ${w.long_tasks ?? 'n/a'} long tasks (${w.long_task_ms ?? 'n/a'} ms) in ${w.seconds} s`,
    );
  }
  // Any extra detail the page reports (e.g. a split into advance / snapshot / draw).
  for (const [key, value] of Object.entries(r)) {
    if (!['p50', 'p95', 'max', 'frames', 'whole_frame', 'preset', 'speed'].includes(key)) console.log(`  ${key}: ${JSON.stringify(value)}`);
  }
  if (!shown || !shown.trim()) fail(`${name}: #bench-result is empty`);
  if (errors.length) fail(`${name}: the page reported errors:\n  ${errors.join('\n  ')}`);
  // The page stops drawing before the next preset or the engine is timed.
  await page.close();
  console.log();
}
