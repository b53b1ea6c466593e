// Engine speed in the browser (wasm) against native, run by tests/bench/frames.mjs
// after the frame times (a measurement, not a test).
//
// Natively: `cargo run --release -p queuelab --example native_speed -- <runs> --json`
// (core/examples/native_speed.rs). In the browser: the built package
// (web/pkg/queuelab_wasm.js, as the page loads it) on a blank page of the
// same origin, running the same two things:
// - reference: core/benches/reference.json through Playground.from_json, then
//   advance_all(one hour) (advance_all is clamped to one hour of virtual time
//   per call) until the snapshot's status is no longer "running";
// - large: Playground.from_preset('large') for LARGE_SECONDS of virtual time.
// Each is run once untimed (V8 tiers the wasm up), then RUNS times, timed with
// performance.now() (world construction not timed); medians. Both sides must
// agree on delivered messages and kernel events (the engine is deterministic,
// natively and in wasm). Prints delivered msgs/s for each and wasm / native.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUNS = Number(process.env.ENGINE_BENCH_RUNS || 5);
/** Virtual seconds of the large preset (as core/examples/native_speed.rs). */
export const LARGE_SECONDS = 60;

/** Runs core/examples/native_speed.rs (building it if needed); returns its figures. */
export function nativeSpeed(repo) {
  const args = ['run', '--release', '-q', '-p', 'queuelab', '--example', 'native_speed', '--', String(RUNS), '--json'];
  return new Promise((resolve, reject) => {
    const child = spawn('cargo', args, { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', (e) => reject(new Error(`cargo ${args.join(' ')}: ${e.message}`)));
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`cargo ${args.join(' ')} exited with ${code}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (e) {
        reject(new Error(`native_speed printed no JSON line (${e.message}): ${out}`));
      }
    });
  });
}

/** The same two runs in the page; `browser` is a launched Playwright browser. */
export async function wasmSpeed(browser, base, repo) {
  const referenceJson = readFileSync(join(repo, 'core', 'benches', 'reference.json'), 'utf8');
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // A blank page of the server's origin, so the package and its .wasm load as the page loads them.
  const url = `${base}/__engine_bench.html`;
  await page.route(url, (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: '<!doctype html><meta charset="utf-8"><title>engine bench</title>',
  }));
  await page.goto(url);
  try {
    const out = await page.evaluate(async ({ referenceJson, runs, largeSeconds }) => {
      const m = await import('/pkg/queuelab_wasm.js');
      await m.default();
      const { Playground } = m;
      const HOUR_US = 3600e6;
      const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      function reference() {
        const p = Playground.from_json(referenceJson);
        const t0 = performance.now();
        let status = 'running';
        for (let calls = 0; status === 'running'; calls++) {
          if (calls >= 1000) throw new Error('the reference run did not end within 1000 hours');
          p.advance_all(HOUR_US);
          status = p.snapshot().status;
        }
        const ms = performance.now() - t0;
        const r = { ms, delivered: p.snapshot().totals.delivered, steps: p.steps, virtual_s: p.time_us / 1e6, status };
        p.free();
        return r;
      }
      function large() {
        const p = Playground.from_preset('large');
        const target = largeSeconds * 1e6;
        const t0 = performance.now();
        // One call gets there unless the program ends (then the clock stops).
        for (let before = -1; p.time_us < target && p.time_us > before;) {
          before = p.time_us;
          p.advance_all(target - before);
        }
        const ms = performance.now() - t0;
        const snap = p.snapshot();
        const r = { ms, delivered: snap.totals.delivered, steps: p.steps, virtual_s: p.time_us / 1e6, status: snap.status };
        p.free();
        return r;
      }
      const result = {};
      for (const [name, f] of [['reference', reference], ['large', large]]) {
        f(); // warm-up: V8 tiers the wasm up
        const ms = [];
        let last;
        for (let i = 0; i < runs; i++) {
          last = f();
          ms.push(last.ms);
        }
        result[name] = { ...last, ms: median(ms), runs };
      }
      return result;
    }, { referenceJson, runs: RUNS, largeSeconds: LARGE_SECONDS });
    if (errors.length) throw new Error(`the page reported errors:\n  ${errors.join('\n  ')}`);
    return out;
  } finally {
    await page.close();
  }
}

const rate = (f) => f.delivered / (f.ms / 1e3);
const mps = (f) => `${(rate(f) / 1e6).toFixed(2)} M msgs/s (${f.ms.toFixed(1)} ms)`;

/** Prints the comparison; returns a list of problems (empty if the two sides agree). */
export function report(native, wasm) {
  const problems = [];
  console.log(`engine speed, delivered msgs/s, wasm in headless Chromium against native (median of ${RUNS} runs after one untimed; construction not timed):`);
  const what = {
    reference: 'reference (4 -> jobs(16) -> 4, run to its end)',
    large: `large (50 -> jobs(1000) -> 50, ${LARGE_SECONDS} s virtual)`,
  };
  for (const name of ['reference', 'large']) {
    const n = native[name];
    const w = wasm[name];
    console.log(
      `  ${what[name]}: ${w.delivered} msgs, ${w.steps} kernel events, ${w.virtual_s.toFixed(3)} s virtual, ${w.status}`,
    );
    console.log(`    wasm ${mps(w)}, native ${mps(n)}: wasm / native = ${(rate(w) / rate(n)).toFixed(2)}x`);
    if (n.delivered !== w.delivered || n.steps !== w.steps) {
      problems.push(`${name}: native delivered ${n.delivered} in ${n.steps} events, wasm ${w.delivered} in ${w.steps}`);
    }
  }
  if (native.reference.status !== 'finished' || wasm.reference.status !== 'finished') {
    problems.push(`the reference run must finish (native ${native.reference.status}, wasm ${wasm.reference.status})`);
  }
  return problems;
}
