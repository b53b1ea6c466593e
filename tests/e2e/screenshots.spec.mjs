// Screenshots for people to look at: every preset at 1280x720 after a few
// seconds of virtual time, and the page at 400 px wide. Saved as
// test-results/preset-<name>.png and test-results/narrow-400.png. Each shot
// also checks the page does not scroll sideways (nothing wider than the window).
import { test, expect, RESULTS_DIR, openPage, selectPreset, setSpeed, clockUs, pause } from './helpers.mjs';

test.describe.configure({ timeout: 120_000 });

async function noSidewaysScroll(page) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(scroll, 'the page is wider than the window').toBeLessThanOrEqual(client);
}

test('a screenshot of every preset at 1280x720', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openPage(page);
  const names = await page.locator('#preset option').evaluateAll((os) => os.map((o) => o.value));
  expect(names.length).toBeGreaterThanOrEqual(9);
  for (const name of names) {
    await selectPreset(page, name);
    await setSpeed(page, 2);
    // Run a little: until 3 s of virtual time or the program ends (the clock stops).
    await expect
      .poll(async () => {
        const t = await clockUs(page);
        const status = await page.locator('#status').textContent();
        return t >= 3_000_000 || !/running/i.test(status || 'running');
      }, { timeout: 20_000 })
      .toBe(true);
    await pause(page);
    await page.waitForTimeout(400); // let the last frame and the 250 ms list refresh land
    await noSidewaysScroll(page);
    await page.screenshot({ path: `${RESULTS_DIR}preset-${name}.png` });
    await page.locator('#play').click();
  }
});

test('a screenshot at 400 px wide', async ({ page }) => {
  await page.setViewportSize({ width: 400, height: 860 });
  await openPage(page);
  await expect.poll(() => clockUs(page), { timeout: 10_000 }).toBeGreaterThan(1_000_000);
  await pause(page);
  await page.waitForTimeout(400);
  await noSidewaysScroll(page);
  // Every control stays reachable.
  for (const id of ['#preset', '#play', '#step', '#speed', '#reset', '#share']) {
    await page.locator(id).scrollIntoViewIfNeeded();
    await expect(page.locator(id)).toBeVisible();
  }
  await page.screenshot({ path: `${RESULTS_DIR}narrow-400.png`, fullPage: true });
  await page.screenshot({ path: `${RESULTS_DIR}narrow-400-top.png` });
});
