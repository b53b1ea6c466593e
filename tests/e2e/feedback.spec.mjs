// What the page tells the user about itself: the error box (dismissable with
// the mouse and the keyboard, cleared when a new scenario loads) and the
// "engine can't keep up" notice next to the speed when a frame cannot run
// all the events the chosen speed asks for.
import { test, expect, openPage, selectPreset, setSpeed, clockUs, pause, play, presetShareHash, DEFAULT_PRESET } from './helpers.mjs';

const BAD_LINK = '/#v=2&s=!!!';

test('the error box has a Dismiss button that works from the keyboard', async ({ page }) => {
  await page.goto(BAD_LINK);
  const error = page.locator('#error');
  await expect(error).toBeVisible({ timeout: 15_000 });
  await expect(error).toContainText(/not base64url/);
  await expect(page.locator('#preset')).toHaveValue(DEFAULT_PRESET);
  const dismiss = error.getByRole('button', { name: /dismiss/i });
  await expect(dismiss).toBeVisible();
  // Keyboard: focus the button, press Enter; focus moves on to a control that still exists.
  await dismiss.focus();
  await page.keyboard.press('Enter');
  await expect(error).toBeHidden();
  expect(await page.evaluate(() => (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement) && (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement).id)).toBe('play');
  // The simulation went on meanwhile.
  const t0 = await clockUs(page);
  await expect.poll(() => clockUs(page), { timeout: 10_000 }).toBeGreaterThan(t0);
});

test('Escape dismisses the error; a mouse click on Dismiss does too', async ({ page }) => {
  await page.goto(BAD_LINK);
  const error = page.locator('#error');
  await expect(error).toBeVisible({ timeout: 15_000 });
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Escape');
  await expect(error).toBeHidden();
  // A second broken link (typed into the address bar) shows the box again.
  await page.evaluate(() => { location.hash = '#v=2&s=AAAAAAAAAAAA'; });
  await expect(error).toBeVisible();
  await expect(error).toContainText(/damaged/);
  await error.getByRole('button', { name: /dismiss/i }).click();
  await expect(error).toBeHidden();
});

test('a link from an older version of queuelab says so instead of replaying another run', async ({ page }) => {
  const good = await (async () => {
    await openPage(page);
    return presetShareHash(page, 'buffered', { speed: 1, t_us: 0, paused: false });
  })();
  // The same link, as the previous format version wrote it.
  await page.goto(`/${good.replace('#v=2&', '#v=1&')}`);
  const error = page.locator('#error');
  await expect(error).toBeVisible({ timeout: 15_000 });
  await expect(error).toContainText('made by an older version of queuelab');
  await expect(error).toContainText('ask for a new link');
  await expect(page.locator('#preset')).toHaveValue(DEFAULT_PRESET);
});

test('the error clears when another scenario loads', async ({ page }) => {
  await page.goto(BAD_LINK);
  const error = page.locator('#error');
  await expect(error).toBeVisible({ timeout: 15_000 });
  await selectPreset(page, 'classic');
  await expect(error).toBeHidden();

  // The same after a good link replaces a broken one.
  await page.evaluate(() => { location.hash = '#v=2&s=!!!'; });
  await expect(error).toBeVisible();
  const good = await presetShareHash(page, 'buffered', { speed: 1, t_us: 0, paused: false });
  await page.evaluate((h) => { location.hash = h; }, good);
  await expect(error).toBeHidden();
  await expect(page.locator('#stage-list li[data-goroutine="producer"]')).toBeAttached();
});

test('large at 1000x: the page keeps up or says it cannot, the clock is the engine\'s, and Pause works at once', async ({ page }) => {
  test.setTimeout(60_000);
  await openPage(page);
  await selectPreset(page, 'large');
  const lagNote = page.locator('#speed-lag');
  await expect(lagNote).toBeHidden();
  await setSpeed(page, 1000);
  await expect(page.locator('#speed-value')).toHaveText('1000×');
  await page.waitForTimeout(1500);
  // Over two seconds of wall time: how much virtual time did the engine cover?
  const v0 = await clockUs(page);
  const w0 = Date.now();
  await page.waitForTimeout(2000);
  const v1 = await clockUs(page);
  const w1 = Date.now();
  const reached = (v1 - v0) / 1000 / (w1 - w0); // virtual µs per wall ms / 1000 = speed factor
  const shown = await lagNote.isVisible();
  console.log(`large at 1000x: the engine reached ${reached.toFixed(0)}x; notice ${shown ? 'shown' : 'hidden'}`);
  if (reached < 900) {
    // Behind the chosen speed: the notice must say so, with the speed reached.
    expect(shown, `reached ${reached.toFixed(0)}x of 1000x without a notice`).toBe(true);
    await expect(lagNote).toContainText(/can't keep up/);
    await expect(lagNote).toContainText(/≈\s*[\d.]+×/);
  } else if (reached > 980) {
    expect(shown, `reached ${reached.toFixed(0)}x but says it cannot keep up`).toBe(false);
  }
  // Paused: the notice goes, the clock (the engine's time) stands still.
  await pause(page);
  const clock = await clockUs(page);
  expect(clock).toBeGreaterThanOrEqual(v1);
  await expect(lagNote).toBeHidden();
  await page.waitForTimeout(300);
  expect(await clockUs(page)).toBe(clock);

  // Responsive while busy: a click on Pause takes effect within a second.
  await play(page);
  await page.waitForTimeout(800);
  const t = Date.now();
  await page.locator('#play').click();
  await expect(page.locator('#play')).toHaveText('Play', { timeout: 1000 });
  expect(Date.now() - t).toBeLessThan(1000);
  const stopped = await clockUs(page);
  await page.waitForTimeout(300);
  expect(await clockUs(page)).toBe(stopped);

  // At 1x the same world keeps up, and the notice goes away.
  await setSpeed(page, 1);
  await play(page);
  await expect(lagNote).toBeHidden({ timeout: 3000 });
  const a = await clockUs(page);
  await page.waitForTimeout(1000);
  const b = await clockUs(page);
  expect(b - a).toBeGreaterThan(500_000);
  expect(b - a).toBeLessThan(2_000_000);
});

test('when the run ends by itself the button offers Play, which runs it again from the start', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'classic');
  await setSpeed(page, 10);
  await expect(page.locator('#status')).toContainText('main returned', { timeout: 15_000 });
  await expect(page.locator('#play')).toHaveText('Play');
  await expect(page.locator('#play')).toHaveAttribute('aria-pressed', 'false');
  const end = await clockUs(page);
  expect(end).toBeGreaterThan(1_000_000);
  // Nothing is left to step: Step says so and does nothing.
  await expect(page.locator('#step')).toHaveAttribute('aria-disabled', 'true');
  await page.locator('#step').dispatchEvent('click');
  expect(await clockUs(page)).toBe(end);
  // At 1x the second run takes 2 s, so the checks below see it running
  // (at 10x it could end again before they look, on a loaded machine).
  await setSpeed(page, 1);
  await page.locator('#play').click();
  await expect(page.locator('#play')).toHaveText('Pause');
  await expect(page.locator('#step')).toHaveAttribute('aria-disabled', 'false');
  await expect(page.locator('#status')).toContainText('running');
  expect(await clockUs(page)).toBeLessThan(end);
  // ...and it ends the same way again.
  await expect(page.locator('#play')).toHaveText('Play', { timeout: 15_000 });
  expect(await clockUs(page)).toBe(end);
});

test('the page says where the model departs from Go', async ({ page }) => {
  await openPage(page);
  const about = page.locator('#about-model');
  const summary = about.locator('summary');
  await expect(summary).toHaveText(/where it departs from Go/);
  await expect(about.getByText(/beyond Go/)).toBeHidden();
  await summary.focus();
  await page.keyboard.press('Enter');
  await expect(about.getByText(/beyond Go/)).toBeVisible();
  await expect(about).toContainText('Partial deadlocks');
  await expect(about).toContainText('yields for 1 ms');
});
