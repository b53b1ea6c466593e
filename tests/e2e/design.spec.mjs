// What a new user trips over (issue 10, items 1, 3, 5, 6, 8): Reset keeps
// the design, the first seconds teach something, totals add up, the keyboard
// works on the log, the stage list and the picker.
import {
  test, expect, openPage, selectPreset, setSpeed, clockUs, pause, goroutineItem, logRows,
} from './helpers.mjs';

const capInput = (page, ch) => page.locator(`[data-channel-row="${ch}"] input[type="number"]`);

test('Reset restarts the design with your changes; Revert to preset drops them; a new seed keeps them', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'buffered');
  await pause(page);
  await capInput(page, 'ch').fill('50');
  await capInput(page, 'ch').press('Enter');
  await page.locator('#add-consumer').click();
  const names = async () => page.locator('#stage-list li[data-goroutine]').evaluateAll((ls) => ls.map((l) => l.dataset.goroutine));
  await expect.poll(async () => (await names()).length).toBe(3);
  await expect(page.locator('#revert')).toBeEnabled();

  await page.locator('#reset').click();
  // The clock is drawn at the next frame (CI58 read the old 67 ms once).
  await expect.poll(() => clockUs(page)).toBe(0);
  await expect(capInput(page, 'ch')).toHaveValue('50');
  await expect.poll(async () => (await names()).length).toBe(3);
  // The design is the base: no command mark at 0s, and the link carries no command.
  await expect(page.locator('.tl-mark-command')).toHaveCount(0);

  await page.locator('#seed').fill('7');
  await page.locator('#seed').press('Enter');
  await expect(capInput(page, 'ch')).toHaveValue('50');
  await expect.poll(async () => (await names()).length).toBe(3);

  await page.locator('#revert').click();
  await expect(capInput(page, 'ch')).toHaveValue('3');
  await expect.poll(async () => (await names()).length).toBe(2);
  await expect(page.locator('#revert')).toBeDisabled();
  await expect(page.locator('#seed')).toHaveValue('7');
});

test('the inspector follows the most informative goroutine until you pick one; the end offers a run again', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'forgotten-close');
  await setSpeed(page, 5);
  const selected = page.locator('#stage-list li[data-goroutine]:has(button[aria-pressed="true"])');
  // At the deadlock a stuck goroutine is shown, not one that is done.
  await expect(page.locator('#status')).toHaveText('deadlock', { timeout: 20_000 });
  await expect(selected).toHaveCount(1);
  await expect(selected).toContainText('stuck');
  await expect(page.locator('#inspector')).toContainText(await selected.getAttribute('data-goroutine'));
  await expect(page.locator('#timeline-note')).toContainText('Press Play to run it again');
  // Once you pick one, it stays through a run again.
  const done = page.locator('#stage-list li[data-goroutine]').filter({ hasNotText: 'stuck' }).first();
  const name = await done.getAttribute('data-goroutine');
  await done.locator('button').focus();
  await page.keyboard.press('Enter');
  await expect(selected).toHaveAttribute('data-goroutine', name);
  await page.locator('#play').click(); // run again
  await expect(page.locator('#status')).toHaveText('deadlock', { timeout: 20_000 });
  await expect(selected).toHaveAttribute('data-goroutine', name);
});

test('totals add up while playing and blocked matches the stage', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'large');
  await setSpeed(page, 20);
  for (let i = 0; i < 6; i++) {
    await page.waitForTimeout(400);
    // One read of the whole panel: the numbers come from one frame.
    const t = await page.locator('#totals').evaluate((dl) => Object.fromEntries(
      [...dl.querySelectorAll('dt')].map((dt) => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()])));
    const n = (k) => Number(String(t[k] ?? '0').split(' ')[0]);
    expect(n('produced'), JSON.stringify(t))
      .toBe(n('finished') + n('processing') + n('in buffers') + n('held by senders') + n('dropped') + n('filtered'));
  }
  await pause(page);
  const blocked = Number((await page.locator('#totals dt', { hasText: /^blocked$/ }).locator('xpath=following-sibling::dd').textContent()).split(' ')[0]);
  const onStage = await page.locator('#stage-list li[data-goroutine]').evaluateAll(
    (ls) => ls.filter((l) => /^[^(]*\((blocked|waiting on)/.test(l.textContent)).length);
  expect(blocked).toBe(onStage);
});

test('keyboard: the event log is one tab stop with arrow keys, frozen while focused', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'large');
  await expect.poll(async () => (await logRows(page)).length).toBeGreaterThan(10);
  const tabbable = await page.locator('#eventlog ol button[data-seq]').evaluateAll((bs) => bs.filter((b) => b.tabIndex === 0).length);
  expect(tabbable).toBe(1);
  await page.locator('#eventlog ol button[tabindex="0"]').focus();
  const first = await page.evaluate(() => (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement).dataset.seq);
  await page.keyboard.press('ArrowDown');
  const second = await page.evaluate(() => (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement).dataset.seq);
  expect(Number(second)).toBeLessThan(Number(first));
  // Playing on while focused: the rows under focus stay put.
  const top = (await logRows(page))[0].seq;
  await page.waitForTimeout(800);
  expect((await logRows(page))[0].seq).toBe(top);
  await expect(page.locator('#eventlog')).toContainText(/new events?: show newest/);
  // Tab leaves the list in one press.
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => !!(document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement).closest('#eventlog ol'))).toBe(false);
});

test('keyboard: the stage list opens below the stage, never over it; the picker loads on Enter, not on every arrow', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'pipeline');
  await page.locator('#stage-list li[data-goroutine] button').first().focus();
  const canvas = await page.locator('#stage').boundingBox();
  const list = await page.locator('#stage-list').boundingBox();
  expect(list.height).toBeGreaterThan(20);
  expect(list.y).toBeGreaterThanOrEqual(canvas.y + canvas.height - 1);

  const sel = page.locator('#preset');
  await sel.focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForTimeout(300);
  // Still the pipeline on stage: passing an option does not load it.
  await expect(goroutineItem(page, 'sink')).toBeAttached();
  await expect(page.locator('#preset-description')).toContainText('press Enter to open');
  await page.keyboard.press('Enter');
  await expect(goroutineItem(page, 'sink')).toHaveCount(0);
});

test('the default scenario keeps running and shows a producer blocked by the full buffer within seconds', async ({ page }) => {
  await openPage(page);
  const selected = page.locator('#stage-list li[data-goroutine]:has(button[aria-pressed="true"])');
  await expect(selected).toContainText('blocked on send', { timeout: 10_000 });
  await expect(page.locator('#inspector')).toContainText('buffer full');
  await page.waitForTimeout(3000);
  await expect(page.locator('#status')).toHaveText('running');
});

test('Add stage on a one-channel scenario writes to a new channel (never back into the one it reads); Add channel makes one', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'buffered');
  await pause(page);
  const to = page.locator('select[data-add="stage-to"]');
  // The channel it reads is not offered as its output; a new channel is the default.
  expect(await to.locator('option').evaluateAll((os) => os.map((o) => o.value))).toEqual(['']);
  await expect(to.locator('option:checked')).toHaveText('a new channel');
  await page.locator('#add-stage').click();
  // Named like instances: "ch" counts as the first, so the new one is ch-2.
  await expect(page.locator('#stage-list li[data-channel]')).toHaveCount(2);
  await expect(page.locator('#stage-list li[data-channel="ch-2"]')).toContainText('channel ch-2: 0/3');
  await expect(page.locator('#stage-list li[data-goroutine="stage-1"]')).toBeAttached();
  // Now the other channel is offered, and chosen as the one after the one read.
  await expect(to.locator('option:checked')).toHaveText('ch-2');
  // Add channel, with a capacity.
  await page.locator('input[data-add="channel-capacity"]').fill('7');
  await page.locator('#add-channel').click();
  await expect(page.locator('#stage-list li[data-channel="ch-3"]')).toContainText('0/7');
  // A consumer of the stage's channel drains what the stage passes on.
  await page.locator('select[data-add="consumer-from"]').selectOption('ch-2');
  await page.locator('#add-consumer').click();
  await setSpeed(page, 10);
  await page.locator('#play').click();
  await expect(page.locator('#stage-list li[data-goroutine="consumer-1"]')).toContainText(/working on|received|blocked/);
  await expect(page.locator('#timeline .tl-mark-command').first()).toBeAttached();
  // Reset keeps the added channels and goroutines (they are the design now).
  await page.locator('#reset').click();
  await expect(page.locator('#stage-list li[data-channel]')).toHaveCount(3);
  await expect(page.locator('#stage-list li[data-goroutine="stage-1"]')).toBeAttached();
});
