// Live controls as a user drives them: group counts and rates, refused values
// with a message next to the control, pause/resume/remove of one goroutine
// from the inspector, closing a channel, and the event log's click-to-select
// and filters on the real page.
import {
  test, expect, openPage, selectPreset, pause, play, setSpeed, goroutineItem, channelItem, selectGoroutine, settled, logRows,
} from './helpers.mjs';

const goroutineNames = (page) =>
  page.locator('#stage-list li[data-goroutine]').evaluateAll((ls) => ls.map((l) => l.dataset.goroutine));

test('group count and rates change the running world; bad values are refused next to the control', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'wait-group');
  await pause(page);

  // More consumers: the stage shows them.
  const count = page.locator('input[data-count="consumer"]');
  await expect(count).toHaveValue('2');
  await count.fill('4');
  await count.press('Enter');
  await expect.poll(() => goroutineNames(page)).toEqual(expect.arrayContaining(['consumer-3', 'consumer-4']));
  await expect(count).toHaveValue('4');

  // A rate in the documented forms is accepted and shown back.
  const interval = page.locator('input[data-interval="producer"]');
  await interval.fill('exp(50ms)');
  await interval.press('Enter');
  const row = page.locator('[data-group-row="producer"]');
  await expect(row.locator('.inline-error')).toBeEmpty();
  await interval.blur();
  await expect(interval).toHaveValue(/50ms/);
  await expect(row.locator('.inline-error')).toBeEmpty();

  // A value the engine refuses: a message next to the control, nothing else changes.
  await interval.fill('fast');
  await interval.press('Enter');
  await expect(row.locator('.inline-error')).toContainText(/fast/);
  await expect(page.locator('#error')).toBeHidden();
  const work = page.locator('input[data-work="consumer"]');
  await work.fill('-5ms');
  await work.press('Enter');
  await expect(page.locator('[data-group-row="consumer"] .inline-error')).not.toBeEmpty();
  await count.fill('-1');
  await count.press('Enter');
  await expect(page.locator('[data-group-row="consumer"] .inline-error')).toContainText(/whole number/);
  expect((await goroutineNames(page)).filter((n) => n.startsWith('consumer-'))).toHaveLength(4);
});

test('the inspector pauses, resumes and removes one goroutine', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'wait-group');
  await pause(page);
  await selectGoroutine(page, 'consumer-1');
  const inspector = page.locator('#inspector');
  await inspector.getByRole('button', { name: 'Pause goroutine' }).click();
  await expect(inspector.getByRole('button', { name: 'Resume' })).toBeVisible();
  await expect(inspector).toContainText(/paused/i);
  await inspector.getByRole('button', { name: 'Resume' }).click();
  await expect(inspector.getByRole('button', { name: 'Pause goroutine' })).toBeVisible();

  const before = await goroutineNames(page);
  expect(before).toContain('consumer-1');
  await inspector.getByRole('button', { name: 'Remove' }).click();
  await expect.poll(() => goroutineNames(page)).not.toContain('consumer-1');
  expect((await goroutineNames(page)).length).toBe(before.length - 1);
});

test('a client library\'s goroutine can be paused from the inspector, not removed, and the inspector says whose it is', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'kafka-async-producer');
  await pause(page);
  await selectGoroutine(page, 'producer.broker1');
  const inspector = page.locator('#inspector');
  await expect(inspector.locator('.g-library')).toBeVisible();
  await expect(inspector.locator('.g-library')).toContainText("sarama's AsyncProducer");
  const remove = inspector.getByRole('button', { name: 'Remove' });
  await expect(remove).toHaveAttribute('aria-disabled', 'true');
  await expect(remove).toHaveAttribute('title', /not removed/);
  const before = await goroutineNames(page);
  await remove.click({ force: true });
  await inspector.getByRole('button', { name: 'Pause goroutine' }).click();
  await expect(inspector.getByRole('button', { name: 'Resume' })).toBeVisible();
  expect(await goroutineNames(page)).toEqual(before);
  // The scenario's own goroutine: no such note, and Remove is on.
  await selectGoroutine(page, 'main');
  await expect(inspector.locator('.g-library')).toBeHidden();
  await expect(remove).not.toHaveAttribute('aria-disabled', 'true');
});

test('closing a channel from its row closes it for everyone', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'buffered');
  await pause(page);
  const close = page.locator('[data-close="ch"]');
  await expect(close).toBeEnabled();
  await close.click();
  await expect(channelItem(page, 'ch')).toContainText('closed');
  await expect(close).toBeDisabled();
  // The producer's next send panics: Go's "send on closed channel".
  await setSpeed(page, 10);
  await play(page);
  await expect(page.locator('#deadlock-banner')).toContainText('send on closed channel', { timeout: 15_000 });
  await expect(goroutineItem(page, 'producer')).toContainText(/panicked/);
});

test('clicking an event in the log selects its goroutine; the log filters by goroutine', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'wait-group');
  await setSpeed(page, 2);
  await expect.poll(async () => (await logRows(page)).length, { timeout: 15_000 }).toBeGreaterThan(20);
  await pause(page);
  await settled(() => logRows(page), 300);

  // Pick an event of a consumer (whichever the log shows now: which one
  // acted last depends on the run's draws) and click it.
  const row = page.locator('#eventlog ol button[data-seq]').filter({ hasText: /^[\d.]+s.*consumer-\d/ }).first();
  await expect(row).toBeVisible();
  const consumer = (await row.textContent()).match(/consumer-\d/)[0];
  await row.click();
  await expect(page.locator('#inspector')).toContainText(consumer);
  await expect(row).toHaveAttribute('aria-current', 'true');
  await expect(goroutineItem(page, consumer).locator('button')).toHaveAttribute('aria-pressed', 'true');

  // Filter by goroutine: only that goroutine's events remain.
  await page.locator('#eventlog-goroutine').selectOption({ label: 'producer-1' });
  const id = await page.locator('#eventlog-goroutine').inputValue();
  const rows = page.locator('#eventlog ol button[data-seq]');
  await expect.poll(() => rows.count()).toBeGreaterThan(0);
  const ids = await rows.evaluateAll((bs) => bs.map((b) => b.dataset.goroutine));
  expect(new Set(ids)).toEqual(new Set([id]));
  await expect(rows.first()).toContainText('producer-1');
});

test('every control on the page has an accessible name', async ({ page }) => {
  await openPage(page);
  await selectGoroutine(page, 'producer-1');
  const { checked, unnamed } = await page.evaluate(() => {
    const name = (el) => {
      if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
      const by = el.getAttribute('aria-labelledby');
      if (by) return by.split(/\s+/).map((id) => document.querySelector('queue-lab').shadowRoot.getElementById(id)?.textContent || '').join(' ').trim();
      if (el.labels && el.labels.length) return [...el.labels].map((l) => l.textContent).join(' ').trim();
      if (el.tagName === 'BUTTON' || el.tagName === 'SUMMARY') return el.textContent.trim();
      return el.getAttribute('title') || '';
    };
    const visible = (el) => !el.closest('[hidden]') && el.type !== 'hidden';
    const all = [...document.querySelector('queue-lab').shadowRoot.querySelectorAll('button, input, select, textarea, summary')].filter(visible);
    return { checked: all.length, unnamed: all.filter((el) => !name(el)).map((el) => el.outerHTML.slice(0, 120)) };
  });
  expect(checked).toBeGreaterThan(25); // toolbar, channel and group rows, add buttons, inspector, log filters and rows
  expect(unnamed).toEqual([]);
});
