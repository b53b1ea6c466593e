// The playground as a user meets it: the default scenario runs, an unbuffered
// producer blocks and the inspector says why, a capacity change lets the
// producer run ahead, Go's deadlock and panic reports appear, and the keyboard
// plays, pauses and steps exactly one event.
import {
  test, expect, DEFAULT_PRESET, openPage, selectPreset, pause, play, setSpeed, clockUs, delivered,
  goroutineItem, channelItem, selectGoroutine, logRows, settled, copyLink, decodeLink,
} from './helpers.mjs';

test('the default scenario loads and runs: the clock advances and deliveries rise', async ({ page }) => {
  await openPage(page);
  await expect(page.locator('#preset')).toHaveValue(DEFAULT_PRESET);
  await expect(page.locator('#play')).toHaveText('Pause');
  await expect(page.locator('#play')).toHaveAttribute('aria-pressed', 'true');
  // Every preset the engine offers is in the picker.
  const names = await page.evaluate(async () => {
    const m = await import('/pkg/queuelab_wasm.js');
    await m.default();
    return m.Playground.presets().map((p) => p.name);
  });
  await expect(page.locator('#preset option')).toHaveCount(names.length);
  expect(await page.locator('#preset option').evaluateAll((os) => os.map((o) => o.value))).toEqual(names);

  const t0 = await clockUs(page);
  const d0 = await delivered(page);
  await expect.poll(() => clockUs(page), { timeout: 10_000 }).toBeGreaterThan(t0 + 200_000);
  await expect.poll(() => delivered(page), { timeout: 15_000 }).toBeGreaterThan(d0);
  // The stage list names every goroutine with its state in words, and each channel with len/cap.
  await expect(goroutineItem(page, 'producer-1')).toContainText('producer-1');
  await expect(page.locator('#stage-list li[data-channel]').first()).toHaveText(/\d+\/\d+/);
  await expect(page.locator('#stage')).toHaveAttribute('role', 'img');
  await expect(page.locator('#stage')).toHaveAttribute('aria-label', /goroutine/i);
  // The charts and the event log are alive.
  await expect(page.locator('#charts figure')).toHaveCount(4);
  await expect.poll(async () => (await logRows(page)).length).toBeGreaterThan(5);
});

test('unbuffered: stepping shows the producer blocked on send, the inspector says why, a new consumer gets deliveries', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'classic');
  await pause(page);
  await page.locator('#reset').click();
  await pause(page);
  await expect(page.locator('#play')).toHaveText('Play');

  const producer = goroutineItem(page, 'producer');
  await expect(producer).toHaveCount(1);
  // Step one event at a time until the stage list shows the producer blocked on send.
  let steps = 0;
  await expect
    .poll(async () => {
      const text = await producer.textContent();
      if (!/blocked on send/.test(text)) {
        steps += 1;
        await page.locator('#step').click();
      }
      return text;
    }, { intervals: [350], timeout: 30_000 })
    .toMatch(/blocked on send/);
  expect(steps).toBeLessThan(40);
  await expect(producer).toContainText('unbuffered channel and no receiver waiting');

  // Select it: the inspector explains, shows its program with the current line.
  await selectGoroutine(page, 'producer');
  const inspector = page.locator('#inspector');
  await expect(inspector).toContainText('producer');
  await expect(inspector).toContainText('blocked on send');
  await expect(inspector).toContainText('unbuffered channel and no receiver waiting');
  const listing = page.locator('#listing li');
  expect(await listing.count()).toBeGreaterThan(1);
  await expect(page.locator('#listing li[aria-current="step"]')).toHaveCount(1);
  await expect(page.locator('#listing li[aria-current="step"]')).toContainText('ch <-');

  // Add a consumer that receives from ch, then play: deliveries rise and the new consumer gets some.
  const before = await delivered(page);
  const namesBefore = await page.locator('#stage-list li[data-goroutine]').evaluateAll((ls) => ls.map((l) => l.dataset.goroutine));
  await expect(page.locator('select[data-add="consumer-from"]')).toHaveValue('ch');
  await page.locator('#add-consumer').click();
  await expect(page.locator('#stage-list li[data-goroutine]')).toHaveCount(namesBefore.length + 1);
  const added = (await page.locator('#stage-list li[data-goroutine]').evaluateAll((ls) => ls.map((l) => l.dataset.goroutine)))
    .find((n) => !namesBefore.includes(n));
  expect(added).toMatch(/consumer/);
  await play(page);
  await expect.poll(() => delivered(page), { timeout: 15_000 }).toBeGreaterThan(before + 2);
  await selectGoroutine(page, added);
  await expect(inspector).toContainText(added);
  await expect
    .poll(async () => Number((await inspector.locator('dt:text-is("received") + dd').textContent()).replace(/\D/g, '')), { timeout: 15_000 })
    .toBeGreaterThan(0);
});

test('capacity slider 0 -> 5: the producer runs ahead and the buffer fills', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'classic');
  await pause(page);
  await page.locator('#reset').click();
  await pause(page);
  const ch = channelItem(page, 'ch');
  await expect(ch).toContainText('0/0');
  const slider = page.locator('input[type=range][data-capacity="ch"]');
  await expect(slider).toHaveValue('0');
  await slider.fill('5');
  await expect(slider).toHaveValue('5');
  await expect(ch).toContainText('/5');
  await setSpeed(page, 1);
  await play(page);
  // The producer sends 0..9 at once while main takes 200 ms per value: the buffer fills to 5/5
  // and the producer then waits with a full buffer instead of for a receiver.
  await expect(ch).toContainText('5/5', { timeout: 15_000 });
  await expect(goroutineItem(page, 'producer')).toContainText('buffer full (5/5)', { timeout: 15_000 });
  // Nothing is lost: the run ends with every value delivered.
  await expect.poll(() => delivered(page), { timeout: 20_000 }).toBe(10);
});

test('forgotten close: the banner quotes Go and lists who waits on what', async ({ page }) => {
  await openPage(page);
  await setSpeed(page, 10);
  await selectPreset(page, 'forgotten-close');
  const banner = page.locator('#deadlock-banner');
  await expect(banner).toBeVisible({ timeout: 20_000 });
  await expect(banner).toHaveAttribute('role', 'alert');
  await expect(banner).toContainText('fatal error: all goroutines are asleep - deadlock!');
  for (const name of ['consumer-1', 'consumer-2', 'main']) await expect(banner).toContainText(name);
  await expect(banner).toContainText('receive from jobs');
  await expect(banner).toContainText('consumers');
  for (const name of ['consumer-1', 'consumer-2', 'main']) await expect(goroutineItem(page, name)).toContainText('stuck');
  // Choosing another scenario hides it again.
  await selectPreset(page, 'buffered');
  await expect(banner).toBeHidden();
});

test('close while sending: the banner shows the panic', async ({ page }) => {
  await openPage(page);
  await setSpeed(page, 10);
  await selectPreset(page, 'close-while-sending');
  const banner = page.locator('#deadlock-banner');
  await expect(banner).toBeVisible({ timeout: 20_000 });
  await expect(banner).toContainText('panic: send on closed channel');
});

test('keyboard: Space pauses and resumes, ArrowRight steps to exactly the next visible change, +/- change speed', async ({ page }) => {
  await openPage(page);
  await page.evaluate(() => (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement) && (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement).blur());

  // Space pauses: the clock stops.
  await page.keyboard.press('Space');
  await expect(page.locator('#play')).toHaveText('Play');
  await expect(page.locator('#play')).toHaveAttribute('aria-pressed', 'false');
  const frozen = await settled(() => clockUs(page), 400);
  await page.waitForTimeout(500);
  expect(await clockUs(page)).toBe(frozen);
  // Space resumes: the clock moves again.
  await page.keyboard.press('Space');
  await expect(page.locator('#play')).toHaveText('Pause');
  await expect.poll(() => clockUs(page)).toBeGreaterThan(frozen);
  // With focus on the Pause button itself, Space toggles once (not once for the button and once for the page).
  await page.locator('#play').focus();
  await page.keyboard.press('Space');
  await expect(page.locator('#play')).toHaveText('Play');
  await page.waitForTimeout(300);
  await expect(page.locator('#play')).toHaveText('Play');
  await page.evaluate(() => (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement) && (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement).blur());

  // The engine's own record of this run, replayed step by step in the page with the wasm package.
  const link = await copyLink(page);
  await page.evaluate(() => (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement) && (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement).blur());
  const shared = await decodeLink(page, link);
  const rows = await settled(() => logRows(page), 300);
  const seen = rows.length ? Math.max(...rows.map((r) => r.seq)) + 1 : 0;
  const ref = await page.evaluate(async ({ json, seen }) => {
    const m = await import('/pkg/queuelab_wasm.js');
    await m.default();
    const p = m.Playground.from_json(json);
    // steps[k - 1] = what visible step k emitted (the engine's step_visible: on to
    // the next event that records something), the time after it, and the running total.
    const steps = [];
    let total = 0;
    let passedAt = -1;
    while (steps.length < 200_000 && !(passedAt >= 0 && steps.length - passedAt > 40)) {
      if (p.step_visible() === 0) break;
      const events = p.take_events(1e9).map((e) => ({ seq: e.seq, kind: e.kind, text: e.text }));
      total += events.length;
      steps.push({ events, time_us: p.time_us, total });
      if (passedAt < 0 && total > seen) passedAt = steps.length;
    }
    p.free();
    return steps;
  }, { json: shared.scenarioJson, seen });
  // Where the page can be: after any step whose running total of events equals what its log shows.
  let candidates = [];
  for (let i = -1; i < ref.length; i += 1) if ((i < 0 ? 0 : ref[i].total) === seen) candidates.push(i);
  expect(candidates.length, `the engine never emitted exactly ${seen} events`).toBeGreaterThan(0);

  let withEvents = 0;
  for (let press = 1; press <= 8; press += 1) {
    const before = await logRows(page);
    const top = before.length ? before[0].seq : -1;
    await page.keyboard.press('ArrowRight');
    await expect(page.locator('#play')).toHaveText('Play'); // stepping does not start playing
    const after = await settled(() => logRows(page), 250);
    const fresh = after.filter((r) => r.seq > top).reverse(); // oldest first
    const clock = await clockUs(page);
    if (fresh.length) withEvents += 1;
    candidates = candidates.filter((i) => {
      const s = ref[i + press];
      return s && JSON.stringify(s.events) === JSON.stringify(fresh) && Math.abs(s.time_us - clock) < 1000;
    });
    expect(candidates.length, `press ${press}: no single engine step emits ${JSON.stringify(fresh)} at ${clock} µs`).toBeGreaterThan(0);
  }
  expect(withEvents, 'every press shows something happen').toBe(8);

  // + and - change the speed (shown as e.g. "10×").
  const speedText = async () => Number((await page.locator('#speed-value').textContent()).replace(/[^\d.]/g, ''));
  const s0 = await speedText();
  await page.keyboard.press('+');
  await expect.poll(speedText).toBeGreaterThan(s0);
  await page.keyboard.press('-');
  await page.keyboard.press('-');
  await expect.poll(speedText).toBeLessThan(s0);
  await expect(page.locator('#speed-value')).toHaveText(/×$/);
});
