// Shared pieces of the page specs: a `test` whose pages fail on page errors,
// console errors, failed requests and dialogs; readers for what the page
// shows (clock, stage list, totals); and small actions (pick a preset, pause).
// Everything is read from the page's contract (ids, roles, data attributes),
// never from the page's internals.
import { test as base, expect } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Repo-level test-results/ (screenshots land here, whatever the cwd). */
export const RESULTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));
mkdirSync(RESULTS_DIR, { recursive: true });

export const DEFAULT_PRESET = 'backpressure';

/**
 * axe-core's violations on the page as it is now (axe injected once):
 * [{ id, impact, help, nodes: ['selector: why'] }].
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE_PATH });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`),
    }));
  });
}

/**
 * `test` with a `problems` list filled by every page of the test's context;
 * the test fails at the end if it is not empty. `allowConsoleErrors: true`
 * (via test.use) keeps console errors out of it, for tests that expect the
 * page to report a refused input; page errors and dialogs always count.
 */
export const test = base.extend({
  allowConsoleErrors: [false, { option: true }],
  problems: async ({ context, allowConsoleErrors }, use) => {
    const problems = [];
    const watch = (page) => {
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !allowConsoleErrors) problems.push(`console error: ${m.text()}`);
      });
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
      });
      page.on('dialog', (d) => {
        problems.push(`dialog (${d.type()}): ${d.message()}`);
        d.dismiss().catch(() => {});
      });
    };
    context.pages().forEach(watch);
    context.on('page', watch);
    await use(problems);
    expect(problems, 'page errors, console errors, failed requests or dialogs').toEqual([]);
  },
  // Every test gets the watcher even if it does not name `problems`.
  page: async ({ page, problems }, use) => {
    void problems;
    await use(page);
  },
});
export { expect };

/** Parses the engine's human durations ("0s", "150ms", "1.25s", "1m30.5s", "2h0m1s", "12µs") to microseconds. */
export function parseDuration(text) {
  const s = String(text).trim();
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)/g;
  const unit = { h: 3.6e9, m: 6e7, s: 1e6, ms: 1e3, µs: 1, us: 1, ns: 1e-3 };
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== s.replace(/\s+/g, '').length) {
    throw new Error(`not a duration: ${JSON.stringify(text)}`);
  }
  return Math.round(total);
}

/** Virtual time shown in #clock, in microseconds. */
export async function clockUs(page) {
  return parseDuration(await page.locator('#clock').textContent());
}

/** Opens the page (optionally with a path or fragment) and waits until the engine has drawn. */
export async function openPage(page, path = '/') {
  await page.goto(path);
  await expect(page.locator('#stage-list li').first()).toBeAttached({ timeout: 15_000 });
  await expect(page.locator('#preset option').first()).toBeAttached();
}

/** Opens the page on `scenario` (an object) through a share link, paused at 0s, and waits for its stage list. */
export async function openScenario(page, scenario) {
  await openPage(page);
  const hash = await page.evaluate(async (json) => {
    const { encodeShare } = await import('/share.js');
    return encodeShare({ scenarioJson: json, speed: 1, t_us: 0, paused: true });
  }, JSON.stringify(scenario));
  await page.goto('/' + hash);
  await expect(page.locator('#stage-list li').first()).toBeAttached({ timeout: 15_000 });
}

/** A preset's scenario as an object, made in the page by the engine itself (to edit, then open with openScenario). */
export async function presetScenario(page, preset) {
  return page.evaluate(async (name) => {
    const m = await import('/pkg/queuelab_wasm.js');
    await m.default();
    const p = m.Playground.from_preset(name);
    const s = JSON.parse(p.scenario_json());
    p.free();
    return s;
  }, preset);
}

/**
 * The share fragment (`#v=2&s=...`) of a preset, built in the page by the
 * engine and share.js themselves. `view` is `{ speed, t_us, paused }`.
 */
export async function presetShareHash(page, preset, view) {
  return page.evaluate(async ({ preset, view }) => {
    const m = await import('/pkg/queuelab_wasm.js');
    await m.default();
    const p = m.Playground.from_preset(preset);
    const { encodeShare } = await import('/share.js');
    const hash = await encodeShare({ scenarioJson: p.scenario_json(), ...view });
    p.free();
    return hash;
  }, { preset, view });
}

/** Chooses a scenario in the #preset picker and waits until the stage shows it. */
export async function selectPreset(page, name) {
  await page.locator('#preset').selectOption(name);
  await expect(page.locator('#preset')).toHaveValue(name);
  // Loaded, not just picked: the preset's engine module may still be coming (web/engines.js).
  await expect(page.locator('#preset')).toHaveAttribute('data-loaded', name, { timeout: 15_000 });
  await expect(page.locator('#stage-list li').first()).toBeAttached();
}

export async function isPlaying(page) {
  return (await page.locator('#play').getAttribute('aria-pressed')) === 'true';
}

export async function pause(page) {
  if (await isPlaying(page)) await page.locator('#play').click();
  await expect(page.locator('#play')).toHaveText('Play');
  await expect(page.locator('#play')).toHaveAttribute('aria-pressed', 'false');
}

export async function play(page) {
  if (!(await isPlaying(page))) await page.locator('#play').click();
  await expect(page.locator('#play')).toHaveText('Pause');
  await expect(page.locator('#play')).toHaveAttribute('aria-pressed', 'true');
}

/** Sets the speed slider to `x` (0.1 .. 1000) through its own scale. */
export async function setSpeed(page, x) {
  const slider = page.locator('#speed');
  const [min, max] = await slider.evaluate((el) => [Number(el.min), Number(el.max)]);
  // The slider is logarithmic: its value is log10(speed) when its range is -1..3, else a 0..N scale.
  const value = min === -1 && max === 3 ? Math.log10(x) : min + ((Math.log10(x) + 1) / 4) * (max - min);
  await slider.evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}

export function goroutineItem(page, name) {
  return page.locator(`#stage-list li[data-goroutine="${name}"]`);
}

/**
 * Selects a goroutine the way a keyboard or screen-reader user does: through its
 * button in the (visually hidden) stage list.
 */
export async function selectGoroutine(page, name) {
  const button = goroutineItem(page, name).locator('button');
  await button.focus();
  await button.press('Enter');
  await expect(page.locator('#inspector')).toContainText(name);
}

export function channelItem(page, name) {
  return page.locator(`#stage-list li[data-channel="${name}"]`);
}

/** Every line of the stage list, in order. */
export async function stageListTexts(page) {
  return page.locator('#stage-list li').allTextContents();
}

/**
 * A number from the #totals panel, found by its label (a `dt` matching `label`),
 * e.g. totalOf(page, /deliver/i).
 */
export async function totalOf(page, label) {
  const pairs = await page.locator('#totals').evaluate((dl) =>
    [...dl.querySelectorAll('dt')].map((dt) => {
      let dd = dt.nextElementSibling;
      while (dd && dd.tagName !== 'DD') dd = dd.nextElementSibling;
      return [dt.textContent.trim(), dd ? dd.textContent.trim() : ''];
    }),
  );
  const hit = pairs.find(([dt]) => label.test(dt));
  if (!hit) throw new Error(`no total labelled ${label} in #totals (have: ${pairs.map((p) => p[0]).join(', ')})`);
  const n = Number(hit[1].replace(/[^\d.]/g, ''));
  if (!Number.isFinite(n)) throw new Error(`total ${hit[0]} is not a number: ${hit[1]}`);
  return n;
}

export const delivered = (page) => totalOf(page, /deliver/i);

/** The share link currently in #share-url after clicking #share. */
export async function copyLink(page) {
  await page.locator('#share').click();
  await expect(page.locator('#share-url')).toHaveValue(/#v=2&s=[A-Za-z0-9_-]+/);
  return page.locator('#share-url').inputValue();
}

/** Decodes a share link's fragment with the page's own share.js (in page context). */
export async function decodeLink(page, url) {
  return page.evaluate(async (hash) => {
    const { decodeShare } = await import('/share.js');
    return decodeShare(hash);
  }, new URL(url).hash);
}

/** The event log's rows (newest first) as {seq, kind, text}. */
export async function logRows(page) {
  return page.locator('#eventlog ol button[data-seq]').evaluateAll((bs) =>
    bs.map((b) => ({ seq: Number(b.dataset.seq), kind: b.dataset.kind, text: b.querySelector('.ql-ev-text').textContent })),
  );
}

/** Waits until `fn()` returns the same value twice `ms` apart, and returns it. */
export async function settled(fn, ms = 300, timeout = 10_000) {
  const until = Date.now() + timeout;
  let prev = JSON.stringify(await fn());
  for (;;) {
    await new Promise((r) => setTimeout(r, ms));
    const cur = await fn();
    const s = JSON.stringify(cur);
    if (s === prev) return cur;
    if (Date.now() > until) throw new Error(`did not settle within ${timeout} ms (last: ${s.slice(0, 200)})`);
    prev = s;
  }
}

/** Plays at `speed` until virtual time `us` exactly (or the run ends), then
 * waits for the last frame, the panels and the 250 ms list refresh.
 *
 * The stop is the element's own `until`, so it lands on `us` itself however
 * slow the machine: a test reads the state at `us`, not wherever a poll
 * happened to catch the clock. */
export async function runUntil(page, us, speed, timeout) {
  await setSpeed(page, speed);
  const lab = page.locator('queue-lab').first();
  // In one task of the page, so no frame runs in between: a preset that
  // plays on its own cannot reach `until` (and stop) before Play is pressed.
  await lab.evaluate((el, at) => {
    el.pause();
    el.setAttribute('until', `${at}us`);
    const s = el.snapshot();
    if (s && s.status === 'running' && s.time_us < at) el.play();
  }, us);
  await expect
    .poll(async () => {
      const t = await lab.evaluate((el) => el.snapshot()?.time_us ?? 0);
      // Early only when the run itself is over (deadlock, panic, ended): "paused"
      // may still be showing for a frame after Play was clicked.
      const status = await page.locator('#status').getAttribute('data-status');
      return (t >= us && !(await isPlaying(page))) || !/^(running|paused)?$/.test(status || '');
    }, { timeout, intervals: [50] })
    .toBe(true);
  await lab.evaluate((el) => el.removeAttribute('until'));
  await pause(page);
  await page.waitForTimeout(350);
}
