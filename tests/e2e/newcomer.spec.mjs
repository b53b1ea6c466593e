// What a new user trips over in the playground (issue 10), each pinned down:
// count 0 and clearing a refusal, the "can't keep up" notice that moved the
// toolbar and came and went, inputs that looked disabled, buttons that still
// offered to change a run that had ended, durations beyond 100 years, seeds
// above 2^53, zero durations written two ways, how added goroutines are
// named, and what a 400 px embed cut off.
import {
  test, expect, openPage, selectPreset, setSpeed, pause, clockUs, goroutineItem, selectGoroutine, presetShareHash,
} from './helpers.mjs';

const goroutineNames = (page) =>
  page.locator('#stage-list li[data-goroutine]').evaluateAll((ls) => ls.map((l) => l.dataset.goroutine));

/** Types `value` into `input` and presses Enter. */
async function enter(input, value) {
  await input.fill(value);
  await input.press('Enter');
}

test('count 0 is taken (the group stays, with no goroutines); a refusal clears once a valid count is typed back', async ({ page }) => {
  await openPage(page);
  // Opened paused at 0s: the program (which ends within seconds) cannot end before the edits.
  await page.goto('/' + await presetShareHash(page, 'wait-group', { speed: 1, t_us: 0, paused: true }));
  await expect(page.locator('input[data-count="consumer"]')).toBeVisible({ timeout: 15_000 });
  const count = page.locator('input[data-count="consumer"]');
  const error = page.locator('[data-group-row="consumer"] .inline-error');
  // The input, the engine and its message agree on the range.
  await expect(count).toHaveAttribute('min', '0');
  await expect(count).toHaveAttribute('max', '2000');

  await enter(count, '0');
  await expect(error).toBeEmpty();
  await expect(count).toHaveAttribute('aria-invalid', 'false');
  await expect.poll(async () => (await goroutineNames(page)).filter((n) => n.startsWith('consumer'))).toEqual([]);
  await expect(page.locator('[data-group-row="consumer"]')).toBeVisible(); // the group is still there
  await count.blur();
  await expect(count).toHaveValue('0');

  // Over the limit: refused, with the range the input itself has.
  await enter(count, '2001');
  await expect(error).toHaveText('count must be between 0 and 2000, got 2001');
  await expect(count).toHaveAttribute('aria-invalid', 'true');
  // Typing back the value the engine has (nothing to send) clears the red border and the message.
  await enter(count, '0');
  await expect(error).toBeEmpty();
  await expect(count).toHaveAttribute('aria-invalid', 'false');

  // The same after a refusal caught in the page, and for a rate field.
  await enter(count, '-1');
  await expect(error).toContainText('whole number');
  await enter(count, '0');
  await expect(error).toBeEmpty();
  await expect(count).toHaveAttribute('aria-invalid', 'false');
  const work = page.locator('input[data-work="consumer"]');
  const current = await work.inputValue();
  await enter(work, 'fast');
  await expect(error).toContainText('fast');
  await expect(work).toHaveAttribute('aria-invalid', 'true');
  await enter(work, current);
  await expect(error).toBeEmpty();
  await expect(work).toHaveAttribute('aria-invalid', 'false');

  // And back up from 0: new instances with the next free numbers.
  await enter(count, '2');
  await expect.poll(async () => (await goroutineNames(page)).filter((n) => n.startsWith('consumer'))).toEqual(['consumer-3', 'consumer-4']);
  await expect(error).toBeEmpty();
});

// --- the "can't keep up" notice -------------------------------------------------

/** Blocks the page's main thread in 150 ms slices (frames then come > 100 ms apart: the page falls behind). */
async function startHog(page) {
  await page.evaluate(() => {
    window.__hog = setInterval(() => {
      const t = performance.now();
      while (performance.now() - t < 150) { /* busy */ }
    }, 0);
  });
}
async function stopHog(page) {
  await page.evaluate(() => clearInterval(window.__hog));
}

/** Records, every frame, where Copy link and the link field are and whether the notice is visible. */
async function startRecording(page) {
  await page.evaluate(() => {
    const rec = [];
    window.__rec = rec;
    window.__recStart = performance.now();
    const f = () => {
      const b = document.querySelector('queue-lab').shadowRoot.getElementById('share').getBoundingClientRect();
      const u = document.querySelector('queue-lab').shadowRoot.getElementById('share-url').getBoundingClientRect();
      const lag = document.querySelector('queue-lab').shadowRoot.getElementById('speed-lag');
      rec.push({ t: performance.now() - window.__recStart, x: b.x, y: b.y, w: b.width, urlW: u.width,
        shown: lag.checkVisibility({ visibilityProperty: true }) });
      window.__recRaf = requestAnimationFrame(f);
    };
    window.__recRaf = requestAnimationFrame(f);
  });
}
async function stopRecording(page) {
  return page.evaluate(() => {
    cancelAnimationFrame(window.__recRaf);
    return window.__rec;
  });
}

test('the "can\'t keep up" notice comes and goes without moving Copy link or the link field', async ({ page }) => {
  test.setTimeout(60_000);
  await openPage(page);
  await selectPreset(page, 'large');
  const lagNote = page.locator('#speed-lag');
  await expect(lagNote).toBeHidden();
  const before = await page.locator('#share').boundingBox();
  await startRecording(page);
  // Far behind: 1000x on the largest preset, with the main thread busy as well.
  await setSpeed(page, 1000);
  await startHog(page);
  await expect(lagNote).toBeVisible({ timeout: 15_000 });
  await expect(lagNote).toContainText("can't keep up");
  await stopHog(page);
  // Slow enough to keep up: the notice goes.
  await setSpeed(page, 0.1);
  await expect(lagNote).toBeHidden({ timeout: 10_000 });
  // Once more, by pausing while it shows.
  await setSpeed(page, 1000);
  await startHog(page);
  await expect(lagNote).toBeVisible({ timeout: 15_000 });
  await stopHog(page);
  await pause(page);
  await expect(lagNote).toBeHidden();
  const rec = await stopRecording(page);
  const shownFrames = rec.filter((r) => r.shown).length;
  expect(shownFrames, 'frames with the notice shown').toBeGreaterThan(0);
  expect(rec.length - shownFrames, 'frames with the notice hidden').toBeGreaterThan(0);
  const xs = new Set(rec.map((r) => `${r.x},${r.y},${r.w}`));
  const urlWidths = new Set(rec.map((r) => r.urlW));
  expect([...xs], 'Copy link moved while the notice came and went').toEqual([`${before.x},${before.y},${before.width}`]);
  expect(urlWidths.size, 'the link field changed width').toBe(1);
});

test('the "can\'t keep up" notice waits for a second of lag: a short hiccup shows nothing', async ({ page }) => {
  test.setTimeout(60_000);
  await openPage(page);
  // A preset that runs for ever, at a speed the engine manages easily.
  await selectPreset(page, 'large');
  await setSpeed(page, 1);
  const lagNote = page.locator('#speed-lag');
  await expect(lagNote).toBeHidden();
  await page.waitForTimeout(500);
  // A hiccup: about half a second of slow frames, then the page keeps up again.
  await startRecording(page);
  await startHog(page);
  await page.waitForTimeout(500);
  await stopHog(page);
  await page.waitForTimeout(2000);
  let rec = await stopRecording(page);
  expect(rec.filter((r) => r.shown).length, 'the notice showed for a half-second hiccup').toBe(0);

  // Lag that lasts: the notice shows, but only after about a second of it.
  await startRecording(page);
  await startHog(page);
  await expect(lagNote).toBeVisible({ timeout: 15_000 });
  await stopHog(page);
  rec = await stopRecording(page);
  const first = rec.find((r) => r.shown);
  expect(first.t, 'the notice showed before a second of lag').toBeGreaterThanOrEqual(900);
  // It then stays until the page has kept up for a while, and goes.
  await expect(lagNote).toBeHidden({ timeout: 10_000 });
});

// --- smaller items ---------------------------------------------------------------

test('count and rate inputs read as editable: the text colour, not the muted label colour', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'wait-group');
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    // The sidebar may re-render on a scheme change; a row read while detached has
    // no computed style, so read until the row is attached.
    let colours;
    await expect.poll(async () => {
      colours = await page.locator('[data-group-row="producer"]').evaluate((row) => ({
        count: getComputedStyle(row.querySelector('input[data-count]')).color,
        interval: getComputedStyle(row.querySelector('input[data-interval]')).color,
        name: getComputedStyle(row.querySelector('.row-name')).color,
        label: getComputedStyle(row.querySelector('.field span')).color,
      }));
      return colours.name;
    }, { message: `${scheme}: the row has computed colours` }).not.toBe('');
    expect(colours.label, `${scheme}: the label is muted`).not.toBe(colours.name);
    expect(colours.count, `${scheme}: count input`).toBe(colours.name);
    expect(colours.interval, `${scheme}: interval input`).toBe(colours.name);
  }
});

test('once the run has ended, Close and Remove are off and say why; Reset turns them on again', async ({ page }) => {
  await openPage(page);
  // Ends in a deadlock with its channel still open.
  await selectPreset(page, 'forgotten-close');
  await pause(page);
  await page.locator('#reset').click();
  await pause(page);
  const close = page.locator('[data-close="jobs"]');
  const remove = page.locator('#remove-goroutine');
  await selectGoroutine(page, 'main');
  await expect(close).toBeEnabled();
  await expect(remove).toBeEnabled();
  await setSpeed(page, 100);
  await page.locator('#play').click();
  await expect(page.locator('#status')).toHaveAttribute('data-status', 'deadlock', { timeout: 15_000 });
  for (const b of [close, remove]) {
    await expect(b).toBeDisabled();
    await expect(b).toHaveAttribute('aria-disabled', 'true');
    await expect(b).toHaveAttribute('title', /run has ended/);
  }
  await expect(page.locator('#pause-goroutine')).toBeDisabled();
  // A click does nothing, and no refusal appears.
  await close.dispatchEvent('click');
  await remove.dispatchEvent('click');
  await expect(page.locator('[data-channel-row="jobs"] .inline-error')).toBeEmpty();
  await expect(page.locator('#inspector .inline-error')).toBeEmpty();
  expect(await goroutineNames(page)).toContain('main');
  await expect(close).toHaveText('Close');

  await page.locator('#reset').click();
  await pause(page);
  await selectGoroutine(page, 'main');
  await expect(close).toBeEnabled();
  await expect(remove).toBeEnabled();
  await expect(close).not.toHaveAttribute('title', /ended/);
});

test('a duration beyond 100 years is refused as too large, not as malformed', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'wait-group');
  await pause(page);
  const error = page.locator('[data-group-row="producer"] .inline-error');
  for (const text of ['9999999999999h', 'exp(9999999999999h)', '876001h']) {
    await enter(page.locator('input[data-interval="producer"]'), text);
    await expect(error).toContainText('duration too large');
    await expect(error).toContainText('100 years');
    await expect(error).not.toContainText('expected a duration');
  }
});

test('a seed above 2^53 - 1 is refused quoting the digits typed; a larger seed from a link is shown exactly', async ({ page }) => {
  await openPage(page);
  const seed = page.locator('#seed');
  const error = page.locator('#seed-error');
  await seed.fill('9007199254740993');
  await seed.blur();
  await expect(error).toContainText('9007199254740993');
  await expect(error).toContainText('too large');
  await expect(error).toContainText('9007199254740991');
  await expect(error).not.toContainText('9007199254740992');
  await expect(seed).toHaveAttribute('aria-invalid', 'true');
  // The largest one the page takes is taken, exactly.
  await seed.fill('9007199254740991');
  await seed.blur();
  await expect(error).toBeEmpty();
  await expect(seed).toHaveAttribute('aria-invalid', 'false');
  await expect(seed).toHaveValue('9007199254740991');

  // A scenario's own seed may be any u64: the field shows it in full, not rounded.
  const hash = await page.evaluate(async () => {
    const m = await import('/pkg/queuelab_wasm.js');
    await m.default();
    const p = m.Playground.from_preset('buffered');
    const json = p.scenario_json().replace(/"seed":\d+/, '"seed":18446744073709551615');
    p.free();
    const { encodeShare } = await import('/share.js');
    return encodeShare({ scenarioJson: json, speed: 1, t_us: 0, paused: true });
  });
  await page.evaluate((h) => { location.hash = h; }, hash);
  await expect(seed).toHaveValue('18446744073709551615');
  await expect(error).toBeEmpty();
});

test('a zero duration reads "0s" everywhere, as the engine writes it', async ({ page }) => {
  await openPage(page);
  // The page's formatter and the engine agree on zero.
  const zero = await page.evaluate(async () => (await import('/stage.js')).fmtDuration(0));
  expect(zero).toBe('0s');
  // A goroutine blocked at this very instant: the inspector's "for ..." and the engine's sentence.
  const scenario = {
    channels: [{ name: 'ch' }],
    goroutines: [
      { name: 'p', behavior: { program: [{ send: 'ch' }] } },
      { name: 's', behavior: { program: [{ sleep: '1h' }] } },
    ],
  };
  const hash = await page.evaluate(async (json) => {
    const { encodeShare } = await import('/share.js');
    return encodeShare({ scenarioJson: json, speed: 1, t_us: 0, paused: true });
  }, JSON.stringify(scenario));
  await page.evaluate((h) => { location.hash = h; }, hash);
  await expect(goroutineItem(page, 'p')).toBeAttached();
  await pause(page);
  for (let i = 0; i < 5 && !/blocked/.test(await goroutineItem(page, 'p').textContent()); i++) {
    await page.locator('#step').click();
  }
  await expect.poll(() => clockUs(page)).toBe(0);
  await selectGoroutine(page, 'p');
  const inspector = page.locator('#inspector');
  await expect(inspector.locator('.g-state-word')).toContainText('blocked');
  await expect(inspector.locator('.g-state-for')).toHaveText(' for 0s');
  await expect(inspector.locator('.g-state-text')).toContainText('for 0s');
  await expect(inspector).not.toContainText(/\b0(µs|us)\b/);
});

test('goroutines added from the page are numbered like a group\'s instances', async ({ page }) => {
  await openPage(page);
  const added = async () => {
    const before = await goroutineNames(page);
    await page.locator('#add-consumer').click();
    await expect.poll(async () => (await goroutineNames(page)).length).toBe(before.length + 1);
    return (await goroutineNames(page)).find((n) => !before.includes(n));
  };
  // No consumer yet: consumer-1, consumer-2.
  await selectPreset(page, 'classic');
  await pause(page);
  expect(await added()).toBe('consumer-1');
  expect(await added()).toBe('consumer-2');
  // consumer-1 and consumer-2 exist: the next is consumer-3.
  await selectPreset(page, 'wait-group');
  await pause(page);
  expect(await added()).toBe('consumer-3');
  // A lone "consumer" is number 1 (as when a group of one grows: consumer, consumer-2).
  await selectPreset(page, 'select-timeout');
  await pause(page);
  expect(await added()).toBe('consumer-2');
  // A removed goroutine's name is not given again.
  await selectGoroutine(page, 'consumer-2');
  await page.locator('#remove-goroutine').click();
  await expect.poll(() => goroutineNames(page)).not.toContain('consumer-2');
  expect(await added()).toBe('consumer-3');
});

test('at 400 px the scenario title and the rate fields are not cut', async ({ page }) => {
  test.setTimeout(60_000);
  await page.setViewportSize({ width: 400, height: 800 });
  await openPage(page);
  await page.evaluate(() => { document.querySelector('queue-lab').shadowRoot.getElementById('controls-panel').open = true; });
  const presets = await page.locator('#preset option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  const cut = [];
  for (const name of presets) {
    await selectPreset(page, name);
    await pause(page);
    // Rate fields show their whole text.
    const fields = await page.locator('input[data-interval], input[data-work]').evaluateAll((es) =>
      es.map((e) => ({ what: `${e.dataset.interval ? 'interval' : 'work'} of ${e.dataset.interval || e.dataset.work}`, value: e.value,
        scroll: e.scrollWidth, client: e.clientWidth })));
    for (const f of fields) if (f.scroll > f.client + 1) cut.push(`${name}: ${f.what} "${f.value}"`);
    // The picked title fits on one line, or the picker is tall enough for it to wrap.
    const sel = await page.locator('#preset').evaluate((s) => {
      const cs = getComputedStyle(s);
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      const text = s.options[s.selectedIndex].textContent;
      const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 24; // the arrow
      const line = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.2;
      const lines = Math.ceil(ctx.measureText(text).width / room);
      return { text, needs: lines, height: s.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom), line };
    });
    if (sel.needs > 1 && sel.height < sel.needs * sel.line - 2) cut.push(`${name}: title "${sel.text}" (needs ${sel.needs} lines, has ${(sel.height / sel.line).toFixed(1)})`);
  }
  expect(cut).toEqual([]);
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll, 'the page is wider than the window').toBeLessThanOrEqual(client);
});
