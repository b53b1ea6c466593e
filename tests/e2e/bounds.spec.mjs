// Nothing is drawn outside the stage (issue 10, item 3): every point the stage
// canvas is asked to draw (path points, arc extents, rectangles, sprites), taken
// through the context's current transform, lies on the canvas. The case that
// once broke it is an arrow that wraps round: a stage reading and writing one
// channel on the last row sent its arrow and its tokens below the canvas.
import { test, expect, openPage, openScenario, selectPreset, pause, play, isPlaying, setSpeed } from './helpers.mjs';

/**
 * Installed before the page's scripts: wraps the 2D context's drawing calls
 * and, for the canvas with id "stage", records the furthest device pixel each
 * call reaches and every call that reaches outside the canvas.
 */
function recordStageBounds() {
  const P = CanvasRenderingContext2D.prototype;
  const out = { calls: 0, outside: [], minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  window.__stageBounds = out;
  const SLACK = 1.5; // anti-aliasing of a line on the last pixel
  // Points drawn under a clip (a card's hatching) are cut by the clip, whose
  // own path was checked: they are skipped until the matching restore().
  const clipped = new WeakMap();
  const stacks = new WeakMap();
  const origSave = P.save, origRestore = P.restore, origClip = P.clip;
  P.save = function () { (stacks.get(this) ?? stacks.set(this, []).get(this)).push(clipped.get(this) ?? false); return origSave.call(this); };
  P.restore = function () { const s = stacks.get(this); if (s && s.length) clipped.set(this, s.pop()); return origRestore.call(this); };
  P.clip = function (...a) { clipped.set(this, true); return origClip.apply(this, a); };
  function check(ctx, name, pts) {
    const c = ctx.canvas;
    if (!c || c.id !== 'stage' || clipped.get(ctx)) return;
    const m = ctx.getTransform();
    const pad = (ctx.lineWidth || 1) / 2 * Math.abs(m.a);
    out.calls++;
    for (const [x, y] of pts) {
      const X = m.a * x + m.c * y + m.e;
      const Y = m.b * x + m.d * y + m.f;
      out.minX = Math.min(out.minX, X); out.maxX = Math.max(out.maxX, X);
      out.minY = Math.min(out.minY, Y); out.maxY = Math.max(out.maxY, Y);
      const lim = name.startsWith('fill') || name === 'drawImage' ? SLACK : pad + SLACK;
      if (X < -lim || Y < -lim || X > c.width + lim || Y > c.height + lim) {
        if (out.outside.length < 20) out.outside.push({ name, x: Math.round(X), y: Math.round(Y), w: c.width, h: c.height });
      }
    }
  }
  const wrap = (name, points) => {
    const orig = P[name];
    P[name] = function (...a) {
      try { check(this, name, points(a)); } catch (_) { /* never break the page */ }
      return orig.apply(this, a);
    };
  };
  wrap('moveTo', (a) => [[a[0], a[1]]]);
  wrap('lineTo', (a) => [[a[0], a[1]]]);
  wrap('arcTo', (a) => [[a[0], a[1]], [a[2], a[3]]]);
  wrap('quadraticCurveTo', (a) => [[a[0], a[1]], [a[2], a[3]]]);
  wrap('bezierCurveTo', (a) => [[a[0], a[1]], [a[2], a[3]], [a[4], a[5]]]);
  wrap('arc', (a) => [[a[0] - a[2], a[1] - a[2]], [a[0] + a[2], a[1] + a[2]]]);
  wrap('ellipse', (a) => [[a[0] - a[2], a[1] - a[3]], [a[0] + a[2], a[1] + a[3]]]);
  for (const r of ['rect', 'fillRect', 'strokeRect', 'roundRect']) {
    wrap(r, (a) => [[a[0], a[1]], [a[0] + a[2], a[1] + a[3]]]);
  }
  wrap('drawImage', (a) => {
    if (a.length >= 9) return [[a[5], a[6]], [a[5] + a[7], a[6] + a[8]]];
    const w = a.length >= 5 ? a[3] : a[0].width;
    const h = a.length >= 5 ? a[4] : a[0].height;
    return [[a[1], a[2]], [a[1] + w, a[2] + h]];
  });
}

async function bounds(page) {
  return page.evaluate(() => {
    const b = window.__stageBounds;
    const c = document.querySelector('queue-lab').shadowRoot.getElementById('stage');
    return { ...b, outside: [...b.outside], width: c.width, height: c.height };
  });
}

async function resetBounds(page) {
  await page.evaluate(() => {
    const b = window.__stageBounds;
    Object.assign(b, { calls: 0, outside: [], minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity });
  });
}

/** A producer feeding a stage that reads and writes one channel: its arrow wraps round on the last row. */
// Three values circulate through a buffer of 4: the recyclers never all block, so the run never ends (a
// deadlock could end it before the tokens were seen, on a slow machine).
const LOOP = {
  name: 'loop',
  seed: 7,
  channels: [{ name: 'jobs', capacity: 4 }],
  goroutines: [
    { name: 'producer', behavior: { producer: { to: 'jobs', interval: 'exp(20ms)', count: 3 } } },
    { name: 'recycler', count: 2, behavior: { stage: { from: 'jobs', to: 'jobs', work: 'exp(15ms)' } } },
  ],
};

test.beforeEach(async ({ page }) => {
  await page.addInitScript(recordStageBounds);
});

test('a stage that reads and writes one channel: its wrap-around arrow and tokens stay on the canvas', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openScenario(page, LOOP);
  await expect(page.locator('#stage-list')).toContainText('recycler');
  await resetBounds(page);
  await setSpeed(page, 1);
  await play(page);
  // Long enough for tokens to travel the loop several times.
  await expect.poll(async () => (await bounds(page)).calls, { timeout: 10_000 }).toBeGreaterThan(2000);
  await page.waitForTimeout(1500);
  await pause(page);
  const b = await bounds(page);
  expect(b.outside, `drawn outside the ${b.width}x${b.height} stage`).toEqual([]);
  // The loop does reach the bottom edge region: the check saw the wrap-around, not only the cards.
  expect(b.maxY).toBeGreaterThan(b.height * 0.6);
});

test('a stage that reads and writes one channel at 400 px stays on the canvas too', async ({ page }) => {
  await page.setViewportSize({ width: 400, height: 800 });
  await openScenario(page, LOOP);
  await resetBounds(page);
  await setSpeed(page, 1);
  await play(page);
  await expect.poll(async () => (await bounds(page)).calls, { timeout: 10_000 }).toBeGreaterThan(2000);
  await page.waitForTimeout(1000);
  await pause(page);
  const b = await bounds(page);
  expect(b.outside, `drawn outside the ${b.width}x${b.height} stage`).toEqual([]);
});

test('every preset draws on the stage only', async ({ page }) => {
  test.setTimeout(180_000); // 38 presets, each played for 0.7 s: minutes on a loaded 2-core machine
  await page.setViewportSize({ width: 1280, height: 720 });
  await openPage(page);
  const names = await page.locator('#preset option').evaluateAll((os) => os.map((o) => o.value));
  expect(names.length).toBeGreaterThan(5);
  for (const name of names) {
    await selectPreset(page, name);
    await resetBounds(page);
    await setSpeed(page, 10);
    // A preset may already be playing, or end (deadlock, panic) within the wait.
    if (!(await isPlaying(page))) await page.locator('#play').click();
    await page.waitForTimeout(700);
    if (await isPlaying(page)) await pause(page);
    const b = await bounds(page);
    expect(b.calls, name).toBeGreaterThan(0);
    expect(b.outside, `${name}: drawn outside the ${b.width}x${b.height} stage`).toEqual([]);
  }
});
