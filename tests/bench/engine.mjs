// Engine speed in the browser (wasm) against native, run by tests/bench/frames.mjs
// after the frame times (a measurement, not a test).
//
// Two models:
// - reference: core/benches/reference.json run to its end: in the page
//   Playground.from_json, then advance_all(one hour) (advance_all is clamped to
//   one hour of virtual time per call) until the snapshot's status is no longer
//   "running";
// - large: the `large` preset (Playground.from_preset('large')) for LARGE_SECONDS
//   of virtual time.
// In the browser they run through the built package (web/pkg/queuelab_wasm.js,
// as the page loads it) on a blank page of the server's origin, timed with
// performance.now(); natively through core/examples/native_speed.rs (cargo run
// --release, built here if needed), timed with Instant. World construction is
// not timed on either side.
//
// V8 runs wasm first on its baseline compiler (Liftoff) and compiles hot
// functions again with TurboFan in the background; new code is used from the
// next call on (no on-stack replacement for wasm), and the engine's event loop
// is one big function. So the page first runs each model for WARMUP_MS of
// wall time, then pauses. Then ROUNDS rounds, each `RUNS` timed runs of both
// models natively and then `RUNS` in the page; a round's figure is the median
// of its runs, its ratio wasm / native compares two measurements seconds
// apart, and the printed ratio is the median over the rounds (so load that
// comes and goes on the machine hits both sides). Both sides must agree on
// delivered messages and kernel events (the engine is deterministic, natively
// and in wasm).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUNS = Number(process.env.ENGINE_BENCH_RUNS || 5);
export const ROUNDS = Number(process.env.ENGINE_BENCH_ROUNDS || 3);
/** Wall time of untimed runs of each model in the page before the timed ones. */
export const WARMUP_MS = Number(process.env.ENGINE_BENCH_WARMUP_MS || 2000);
/** Virtual seconds of the large preset (as core/examples/native_speed.rs). */
export const LARGE_SECONDS = 60;
const MODELS = ['reference', 'large'];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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

/** Loads the package in a blank page and defines `window.__engineBench`; warms up. */
async function openBenchPage(browser, base, repo) {
  const referenceJson = readFileSync(join(repo, 'core', 'benches', 'reference.json'), 'utf8');
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const url = `${base}/__engine_bench.html`;
  await page.route(url, (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: '<!doctype html><meta charset="utf-8"><title>engine bench</title>',
  }));
  await page.goto(url);
  const warmup = await page.evaluate(async ({ referenceJson, largeSeconds, warmupMs }) => {
    const m = await import('/pkg/queuelab_wasm.js');
    await m.default();
    const { Playground } = m;
    const HOUR_US = 3600e6;
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const pause = (ms) => new Promise((r) => setTimeout(r, ms));
    const models = {
      reference() {
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
      },
      large() {
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
      },
    };
    window.__engineBench = {
      /** `runs` timed runs of each model: the median time and the last run's outcome. */
      measure(runs) {
        const out = {};
        for (const [name, f] of Object.entries(models)) {
          const ms = [];
          let last;
          for (let i = 0; i < runs; i++) {
            last = f();
            ms.push(last.ms);
          }
          out[name] = { ...last, ms: median(ms), runs };
        }
        return out;
      },
    };
    const warm = {};
    for (const [name, f] of Object.entries(models)) {
      const times = [];
      for (const t0 = performance.now(); performance.now() - t0 < warmupMs || times.length < 2;) {
        times.push(f().ms);
        await pause(0);
      }
      warm[name] = { first: times[0], last: times[times.length - 1], runs: times.length };
    }
    await pause(250);
    return warm;
  }, { referenceJson, largeSeconds: LARGE_SECONDS, warmupMs: WARMUP_MS });
  return { page, errors, warmup };
}

/**
 * Measures both sides in ROUNDS interleaved rounds (see the top of this file).
 * Returns { warmup, rounds: [{ native, wasm }] }.
 */
export async function compare(browser, base, repo) {
  // Build the native example before anything is timed.
  await nativeSpeed(repo);
  const { page, errors, warmup } = await openBenchPage(browser, base, repo);
  try {
    const rounds = [];
    for (let i = 0; i < ROUNDS; i++) {
      const native = await nativeSpeed(repo);
      const wasm = await page.evaluate((runs) => window.__engineBench.measure(runs), RUNS);
      rounds.push({ native, wasm });
    }
    if (errors.length) throw new Error(`the page reported errors:\n  ${errors.join('\n  ')}`);
    return { warmup, rounds };
  } finally {
    await page.close();
  }
}

const rate = (f) => f.delivered / (f.ms / 1e3);
const mps = (r) => `${(r / 1e6).toFixed(2)} M msgs/s`;

/** Prints the comparison; returns a list of problems (empty if the two sides agree). */
export function report({ warmup, rounds }) {
  const problems = [];
  console.log(
    `engine speed, delivered msgs/s: wasm in headless Chromium against native, ${ROUNDS} rounds of ${RUNS} runs`
      + ' on each side (medians; world construction not timed):',
  );
  const what = {
    reference: 'reference (4 -> jobs(16) -> 4, run to its end)',
    large: `large (50 -> jobs(1000) -> 50, ${LARGE_SECONDS} s virtual)`,
  };
  for (const name of MODELS) {
    const w0 = rounds[0].wasm[name];
    console.log(`  ${what[name]}: ${w0.delivered} msgs, ${w0.steps} kernel events, ${w0.virtual_s.toFixed(3)} s virtual, ${w0.status}`);
    const ratios = rounds.map((r) => rate(r.wasm[name]) / rate(r.native[name]));
    const wasmRate = median(rounds.map((r) => rate(r.wasm[name])));
    const nativeRate = median(rounds.map((r) => rate(r.native[name])));
    console.log(
      `    wasm ${mps(wasmRate)}, native ${mps(nativeRate)}: wasm / native = ${median(ratios).toFixed(2)}x`
        + ` (rounds: ${ratios.map((x) => `${x.toFixed(2)}x`).join(', ')})`,
    );
    const warm = warmup[name];
    console.log(
      `    wasm warm-up: first run ${warm.first.toFixed(1)} ms, run ${warm.runs} ${warm.last.toFixed(1)} ms;`
        + ` timed median ${median(rounds.map((r) => r.wasm[name].ms)).toFixed(1)} ms`,
    );
    for (const [i, r] of rounds.entries()) {
      const n = r.native[name];
      const w = r.wasm[name];
      if (n.delivered !== w.delivered || n.steps !== w.steps) {
        problems.push(`${name}, round ${i + 1}: native delivered ${n.delivered} in ${n.steps} events, wasm ${w.delivered} in ${w.steps}`);
      }
    }
  }
  for (const r of rounds) {
    if (r.native.reference.status !== 'finished' || r.wasm.reference.status !== 'finished') {
      problems.push(`the reference run must finish (native ${r.native.reference.status}, wasm ${r.wasm.reference.status})`);
      break;
    }
  }
  return problems;
}
