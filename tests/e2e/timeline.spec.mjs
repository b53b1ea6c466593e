// The timeline (web/timeline.js over core's Timeline): seek, step back, fork,
// marks, and opening long or hostile links without freezing the page.
//
// "Seek = straight run" is checked against the engine itself: the page's trace
// hash after a seek (#clock[data-hash]) must equal that of a fresh Playground
// built in the page from the run's own link and run straight to the same
// microsecond (the slider's aria-valuenow).
import { test, expect, openPage, selectPreset, setSpeed, clockUs, pause, play, copyLink, decodeLink } from './helpers.mjs';

const track = (page) => page.locator('.tl-track');
const hashOf = (page) => page.locator('#clock').getAttribute('data-hash');
const nowUs = async (page) => Number(await track(page).getAttribute('aria-valuenow'));

/** The trace hash of the link `url` run straight to `t_us` in a fresh Playground. */
async function straightHash(page, url, t_us) {
  const shared = await decodeLink(page, url);
  return page.evaluate(async ({ json, t }) => {
    const m = await import('/pkg/queuelab_wasm.js');
    await m.default();
    const p = m.Playground.from_json(json);
    p.advance_all(t);
    const h = p.trace_hash;
    p.free();
    return h;
  }, { json: shared.scenarioJson, t: t_us });
}

/** The class of the element a click at (x, y) lands on, inside the page's element. */
const hitAt = (page, x, y) => page.evaluate(({ x, y }) => {
  const e = document.querySelector('queue-lab').shadowRoot.elementFromPoint(x, y);
  return e ? String(e.className || e.tagName) : '';
}, { x, y });

/** Runs the selected preset at `speed` until the clock passes `us`, then pauses. */
async function runTo(page, us, speed = 20) {
  await setSpeed(page, speed);
  await play(page);
  await expect.poll(() => clockUs(page), { timeout: 20_000 }).toBeGreaterThan(us);
  await pause(page);
}

test('clicking and dragging the timeline goes back to exactly the state of a straight run', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'select-timeout');
  await runTo(page, 4_000_000);
  const end = Number(await track(page).getAttribute('aria-valuemax'));
  expect(end).toBeGreaterThan(4_000_000);
  const box = await track(page).boundingBox();
  // Click at 40 %.
  await page.mouse.click(box.x + box.width * 0.4, box.y + box.height / 2);
  await expect.poll(() => nowUs(page)).toBeLessThan(end * 0.5);
  const t1 = await nowUs(page);
  expect(t1).toBeGreaterThan(end * 0.3);
  await expect(page.locator('#timeline')).toHaveAttribute('data-behind', 'true');
  await expect(page.locator('#fork')).toBeEnabled();
  const url = await copyLink(page);
  await expect.poll(() => hashOf(page)).toBe(await straightHash(page, url, t1));
  // Drag from 40 % to 15 %: the present follows, and lands on a straight run too.
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.15, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await expect.poll(() => nowUs(page)).toBeLessThan(end * 0.2);
  const t2 = await nowUs(page);
  await expect.poll(() => hashOf(page)).toBe(await straightHash(page, url, t2));
  // The explored end stays; End goes back there.
  expect(Number(await track(page).getAttribute('aria-valuemax'))).toBe(end);
  await page.keyboard.press('End');
  await expect.poll(() => nowUs(page)).toBe(end);
  await expect(page.locator('#timeline')).toHaveAttribute('data-behind', 'false');
  await page.keyboard.press('Home');
  await expect.poll(() => nowUs(page)).toBe(0);
});

test('playing from an earlier moment replays the same future', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'select-timeout');
  await runTo(page, 3_000_000);
  const end = Number(await track(page).getAttribute('aria-valuemax'));
  await page.keyboard.press('End');
  // The hash at `end` once the seek got there (read before, it is of wherever the page was).
  await expect.poll(() => nowUs(page)).toBe(end);
  const endHash = await hashOf(page);
  await page.keyboard.press('Home');
  await expect.poll(() => nowUs(page)).toBe(0);
  // Play through the explored part, then pause beyond it: the same hash was passed at `end`.
  const url = await copyLink(page);
  expect(await straightHash(page, url, end)).toBe(endHash);
  await runTo(page, end + 200_000);
  const t = await nowUs(page);
  await expect.poll(() => hashOf(page)).toBe(await straightHash(page, url, t));
});

test('ArrowLeft steps back before the last visible change and ArrowRight replays it, described in one line', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'classic');
  await pause(page);
  await page.keyboard.press('Home');
  const notes = [];
  const hashes = [];
  for (let i = 0; i < 6; i++) {
    hashes.push(await hashOf(page));
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => hashOf(page)).not.toBe(hashes[i]);
    notes.push(await page.locator('#timeline-note').textContent());
  }
  // Every step did one visible thing and says what, in words.
  for (const n of notes) expect(n).toMatch(/^\d+\.\d{3}s: .*(sent|received|blocked|produced|started|finished|sleeps|unblocked|spawned|work)/);
  const after = await hashOf(page);
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => hashOf(page)).toBe(hashes[5]);
  await expect(page.locator('#timeline-note')).toContainText('just before the last change');
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => hashOf(page)).toBe(hashes[4]);
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => hashOf(page)).toBe(hashes[5]);
  await expect(page.locator('#timeline-note')).toHaveText(notes[4]);
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => hashOf(page)).toBe(after);
  // Back and back: at the very start (before the events of time 0) there is nothing to go back to.
  await page.keyboard.press('Home');
  for (let i = 0; i < 40 && !(await page.locator('#timeline-note').textContent()).includes('This is the start'); i++) {
    await page.keyboard.press('ArrowLeft');
  }
  await expect(page.locator('#timeline-note')).toContainText('This is the start');
  await expect.poll(() => clockUs(page)).toBe(0);
});

test('fork drops the future; a change made in the past forks and says so; the link replays the fork', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'select-timeout');
  await runTo(page, 3_000_000);
  const box = await track(page).boundingBox();
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height / 2);
  await expect(page.locator('#fork')).toBeEnabled();
  const t = await nowUs(page);
  await page.locator('#fork').click();
  await expect(page.locator('#fork')).toBeDisabled();
  await expect(page.locator('#timeline-note')).toContainText('Forked at');
  await expect.poll(async () => Number(await track(page).getAttribute('aria-valuemax'))).toBe(t);

  // Go back again and change the capacity there: that forks too.
  await runTo(page, t + 1_000_000);
  await page.keyboard.press('Home');
  const cap = page.locator('#channels input[type="number"]').first();
  await cap.fill('9');
  await cap.press('Enter');
  await expect(page.locator('#timeline-note')).toContainText('forked the run at');
  await expect(page.locator('#timeline')).toHaveAttribute('data-behind', 'false');
  await expect(page.locator('.tl-mark-command').first()).toBeAttached();
  // The fork's link replays the fork.
  await runTo(page, 1_500_000);
  const now = await nowUs(page);
  const url = await copyLink(page);
  await expect.poll(() => hashOf(page)).toBe(await straightHash(page, url, now));
});

test('marks show the first block and the deadlock; clicking one goes there', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'forgotten-close');
  await setSpeed(page, 50);
  await expect(page.locator('#status')).toHaveText('deadlock', { timeout: 20_000 });
  const first = page.locator('.tl-mark-first_block');
  await expect(first).toHaveCount(1);
  await expect(page.locator('.tl-mark-ended')).toHaveCount(1);
  await expect(page.locator('.tl-mark-ended')).toHaveAttribute('aria-label', /deadlock/);
  const label = await first.getAttribute('aria-label');
  expect(label).toMatch(/first block at .*blocked first/);
  await first.click();
  await expect(page.locator('#status')).not.toHaveText('deadlock');
  // PageDown from the slider jumps to the next mark.
  await track(page).focus();
  await page.keyboard.press('PageDown');
  await page.keyboard.press('PageDown');
  await expect(page.locator('#status')).toHaveText('deadlock');
});

test.describe('opening a link never freezes the page', () => {
  /** A link whose replay is enormous: two goroutines that each sleep 1µs forever, at t = 1 h. */
  async function spinLink(page) {
    const scenario = {
      name: 'spin', title: 'two goroutines stepping 1µs at a time',
      goroutines: [
        { name: 'a', behavior: { program: [{ forever: [{ sleep: '1us' }] }] } },
        { name: 'b', behavior: { program: [{ forever: [{ sleep: '1us' }] }] } },
      ],
    };
    return page.evaluate(async (json) => {
      const { encodeShare } = await import('/share.js');
      return encodeShare({ scenarioJson: json, speed: 1, t_us: 3_600_000_000, paused: true });
    }, JSON.stringify(scenario));
  }

  test('a huge replay shows progress, the page stays responsive, and Cancel opens the scenario at 0s', async ({ page }) => {
    await openPage(page);
    const hash = await spinLink(page);
    await page.goto('about:blank');
    await page.goto(`/${hash}`);
    await expect(page.locator('#replay')).toBeVisible({ timeout: 10_000 });
    await expect(page.locator('#replay-text')).toContainText('replaying');
    // Responsive: the page answers at once while replaying.
    const t0 = Date.now();
    await page.evaluate(() => 1);
    expect(Date.now() - t0).toBeLessThan(1000);
    const p1 = Number(await page.locator('#replay-progress').getAttribute('value') ?? 0);
    await expect.poll(async () => Number(await page.locator('#replay-progress').evaluate((e) => e.value))).toBeGreaterThan(p1);
    await page.locator('#replay-cancel').click();
    await expect(page.locator('#replay')).toBeHidden();
    await expect(page.locator('#timeline-note')).toContainText('cancelled');
    await expect.poll(() => clockUs(page)).toBe(0);
    await expect(page.locator('#stage-list li[data-goroutine="a"]')).toBeAttached();
  });

  test('a link asking for more work than the bound opens where the bound stopped, and says so', async ({ page }) => {
    await openPage(page);
    const hash = await spinLink(page);
    await page.goto('about:blank');
    await page.goto(`/?link-max-events=300000${hash}`);
    await expect(page.locator('#error-text')).toContainText('takes more than 300,000 events to replay', { timeout: 20_000 });
    await expect(page.locator('#error-text')).toContainText('Press Play to go on');
    const t = await clockUs(page);
    expect(t).toBeGreaterThan(0);
    expect(t).toBeLessThan(3_600_000_000);
    await expect(page.locator('#play')).toHaveText('Play');
  });
});

test('on every preset, a seek lands on the state of a straight run', async ({ page }) => {
  test.setTimeout(240_000);
  await openPage(page);
  const presets = await page.locator('#preset option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  expect(presets.length).toBeGreaterThanOrEqual(9);
  for (const name of presets) {
    await setSpeed(page, 20);
    await selectPreset(page, name); // (it plays at once; the short programs end within the second)
    await page.waitForTimeout(1500);
    // Pause only a run still going: Play on an ended run would start it again.
    if ((await page.locator('#status').textContent()) === 'running') await pause(page);
    await expect(page.locator('#play')).toHaveText('Play');
    const end = Number(await track(page).getAttribute('aria-valuemax'));
    expect(end, name).toBeGreaterThan(0);
    // A tall stage (many goroutines) can push the timeline below the fold,
    // and a panel still laying out can move it after it was measured: click
    // again (the same seek) until the clock went back.
    await expect(async () => {
      await track(page).scrollIntoViewIfNeeded();
      const box = await track(page).boundingBox();
      expect(await hitAt(page, box.x + box.width * 0.55, box.y + box.height / 2), `${name}: what the click lands on`).toMatch(/^tl-/);
      await page.mouse.click(box.x + box.width * 0.55, box.y + box.height / 2);
      await expect.poll(() => nowUs(page), { message: name, timeout: 3000 }).toBeLessThan(end);
    }).toPass({ timeout: 20_000 });
    const t = await nowUs(page);
    // The link field still holds the previous preset's link until the new one
    // is encoded (asynchronously): empty it, so copyLink waits for this one.
    await page.locator('#share-url').evaluate((e) => { e.value = ''; });
    const url = await copyLink(page);
    await expect.poll(() => hashOf(page), { message: name }).toBe(await straightHash(page, url, t));
  }
});

test('a control scrolled into view is not hidden under the sticky toolbar', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 600 });
  await openPage(page);
  await selectPreset(page, 'kafka-rebalance');
  await pause(page);
  // Far down the page, then the timeline is focused (as Tab or a script would).
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await page.evaluate(() => document.querySelector('queue-lab').shadowRoot.querySelector('.tl-track').scrollIntoView());
  const bar = await page.locator('.toolbar').boundingBox();
  const box = await track(page).boundingBox();
  expect(box.y).toBeGreaterThanOrEqual(bar.y + bar.height);
  expect(await hitAt(page, box.x + box.width / 2, box.y + box.height / 2)).toMatch(/^tl-/);
});
