import { test, expect } from '@playwright/test';

test('page loads the wasm, counters advance, pause stops them', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));

  await page.goto('/');
  const sent = page.locator('#sent');
  await expect.poll(async () => Number(await sent.textContent()), { timeout: 10_000 }).toBeGreaterThan(2);

  await page.getByRole('button', { name: 'Pause' }).click();
  const frozen = await page.locator('#time').textContent();
  const frozenSent = await sent.textContent();
  await page.waitForTimeout(500);
  await expect(page.locator('#time')).toHaveText(frozen);
  await expect(sent).toHaveText(frozenSent);
  await expect(page.getByRole('button', { name: 'Play' })).toBeVisible();

  await page.screenshot({ path: 'test-results/smoke.png', fullPage: true });
  expect(errors).toEqual([]);
});
