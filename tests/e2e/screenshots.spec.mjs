// Screenshots for people to look at: every preset at 1280x720 after a few
// seconds of virtual time, the page at 400 px wide, and the README's picture.
// Saved as test-results/preset-<name>.png, test-results/narrow-400.png and
// test-results/readme.png (copy it to docs/screenshot.png to refresh the README). Each shot
// also checks the page does not scroll sideways (nothing wider than the window).
import { test, expect, RESULTS_DIR, openPage, selectPreset, setSpeed, clockUs, pause } from './helpers.mjs';

// Every preset (41 on 2026-12-07) takes a couple of seconds: the first test
// took 1.8-2.0 minutes on CI, at its old 2-minute limit.
test.describe.configure({ timeout: 300_000 });

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
    await setSpeed(page, 4);
    // Run a little: until 3 s of virtual time or the program ends (the clock stops).
    await expect
      .poll(async () => {
        const t = await clockUs(page);
        const status = await page.locator('#status').getAttribute('data-status');
        return t >= 3_000_000 || !/^(running|paused)?$/.test(status || '');
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

// The README's picture (docs/screenshot.png is a copy of test-results/readme.png):
// wait-group mid-run, paused when a producer is blocked on a full buffer,
// with that producer in the inspector.
test('the README screenshot: wait-group mid-run, a blocked producer explained', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openPage(page);
  await selectPreset(page, 'wait-group');
  await setSpeed(page, 1);
  const blockedProducer = async () => {
    const items = await page.locator('#stage-list li[data-goroutine^="producer-"]').allTextContents();
    const hit = items.find((t) => /blocked on send .*buffer full/.test(t));
    return hit ? hit.split(' ')[0] : null;
  };
  // Mid-run: after 1.5 s of virtual time, step event by event to a moment a producer waits on the full buffer.
  await expect.poll(() => clockUs(page), { timeout: 15_000 }).toBeGreaterThan(1_500_000);
  await pause(page);
  let name = await blockedProducer();
  for (let i = 0; i < 300 && !name; i += 1) {
    await page.locator('#step').click();
    name = await blockedProducer();
  }
  expect(name, 'no producer blocked on a full buffer within 300 events').not.toBeNull();
  await page.locator(`#stage-list li[data-goroutine="${name}"] button`).evaluate((b) => b.click());
  await expect(page.locator('#inspector')).toContainText('buffer full');
  await page.evaluate(() => (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement) && (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement).blur());
  await page.mouse.move(0, 0);
  await page.waitForTimeout(900); // tokens in flight land
  await noSidewaysScroll(page);
  await page.screenshot({ path: `${RESULTS_DIR}readme.png` });
});
