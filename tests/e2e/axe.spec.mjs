// Accessibility: axe-core (the npm package, injected into the page) finds no
// violation on any preset, in the light and the dark colour scheme, in every
// state the status pill shows: running, paused, and each way a run ends
// (deadlock, panicked, main returned / finished). Each violation is printed
// with the elements it names, so a failure says what to fix.
import { test, expect, openPage, selectPreset, setSpeed, pause, play, axeViolations } from './helpers.mjs';

const statusOf = async (page) => page.locator('#status').getAttribute('data-status');

for (const scheme of ['light', 'dark']) {
  test(`axe: no violations on any preset, ${scheme} scheme, running, paused and ended`, async ({ page }) => {
    test.setTimeout(480_000);
    await page.emulateMedia({ colorScheme: scheme });
    await openPage(page);
    const presets = await page.locator('#preset option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    expect(presets.length).toBeGreaterThanOrEqual(9);
    const found = [];
    const seen = new Set();
    const ends = []; // each preset's status after its fast run, for the message below
    const check = async (what) => {
      const status = await statusOf(page);
      seen.add(status);
      for (const v of await axeViolations(page)) found.push({ where: `${what} (status ${status})`, ...v });
    };
    for (const name of presets) {
      await selectPreset(page, name);
      // Running: slowly, so the page changes little while axe reads it.
      await setSpeed(page, 0.1);
      await play(page);
      await expect(page.locator('#status')).toHaveAttribute('data-status', 'running');
      await check(`${name}, running`);
      await pause(page);
      await check(`${name}, paused`);
      // Then as far as it goes in a few seconds of wall time: presets that end show their end.
      await setSpeed(page, 1000);
      await page.locator('#play').click(); // (a short run may end before "Pause" shows)
      // The pill changes on the next frame: until then it still says
      // "paused", which is not an end. Wait for an end, or time out running.
      await expect.poll(() => statusOf(page), { timeout: 4000 }).not.toMatch(/^(running|paused)$/).catch(() => {});
      ends.push(`${name}: ${await statusOf(page)}`);
      if ((await statusOf(page)) !== 'running') {
        await page.waitForTimeout(300); // the banner and panels catch up
        await check(`${name}, ended`);
      } else {
        await pause(page);
      }
    }
    console.log(`axe ${scheme}: ${presets.length} presets, statuses seen: ${[...seen].sort().join(', ')}`);
    expect(found, JSON.stringify(found, null, 2)).toEqual([]);
    expect([...seen], ends.join('\n')).toEqual(expect.arrayContaining(['running', 'paused', 'deadlock', 'panicked', 'main_returned']));
  });
}

test('axe: no violations where the element is embedded: four on one page, A/B pairs, the iframe document', async ({ page }) => {
  test.setTimeout(180_000);
  const found = [];
  // Four embeds: each comes alive as it is scrolled to.
  await page.goto('/examples/embeds.html');
  for (const id of ['go', 'nsq', 'kafka', 'full']) {
    await page.locator(`#${id}`).scrollIntoViewIfNeeded();
    await expect.poll(() => page.evaluate((i) => document.getElementById(i).ready, id), { timeout: 20_000 }).toBe(true);
  }
  for (const v of await axeViolations(page)) found.push({ where: 'embeds.html', ...v });
  // A/B pairs, played a little (their charts and tables filled).
  await page.goto('/examples/compare.html');
  // Each pair builds as it nears the viewport, and runs only on screen.
  for (const id of ['same', 'buffer']) {
    await page.locator(`#${id}`).scrollIntoViewIfNeeded();
    await expect.poll(() => page.evaluate((i) => document.getElementById(i).ready, id), { timeout: 20_000 }).toBe(true);
  }
  await page.evaluate(() => { for (const c of document.querySelectorAll('queue-lab-compare')) { c.setAttribute('speed', '20'); c.setAttribute('until', '5s'); c.play(); } });
  await expect.poll(() => page.evaluate(() => document.getElementById('buffer').data().a.at(-1)?.t_us), { timeout: 30_000 }).toBe(5_000_000);
  for (const v of await axeViolations(page)) found.push({ where: 'compare.html', ...v });
  // The iframe mode's document, on its own.
  await page.goto('/embed.html#preset=nsq-single&view=compact&autoplay=1');
  await expect.poll(() => page.evaluate(() => document.querySelector('queue-lab')?.ready), { timeout: 20_000 }).toBe(true);
  for (const v of await axeViolations(page)) found.push({ where: 'embed.html', ...v });
  expect(found, JSON.stringify(found, null, 2)).toEqual([]);
});
