// Share links end to end: a copied link replays the same run to the same
// moment in a new page; hostile and broken links run no script, show a clear
// error as text and fall back to the default scenario.
import {
  test, expect, DEFAULT_PRESET, openPage, selectPreset, pause, play, setSpeed, clockUs, copyLink, decodeLink,
  stageListTexts, logRows, settled, goroutineItem, selectGoroutine, presetShareHash,
} from './helpers.mjs';

/** What a user can compare between two pages: clock, stage list, newest log rows, status. */
async function visibleState(page) {
  const rows = await settled(() => logRows(page), 300);
  return {
    clock: await page.locator('#clock').textContent(),
    stage: await settled(() => stageListTexts(page), 300),
    stageLabel: await page.locator('#stage').getAttribute('aria-label'),
    newest: rows.slice(0, 40),
    playing: await page.locator('#play').getAttribute('aria-pressed'),
  };
}

test('share round trip: the link opens the same run at the same virtual time', async ({ page, context }) => {
  await openPage(page);
  await selectPreset(page, 'pipeline');
  await setSpeed(page, 3);
  await play(page);
  await expect.poll(() => clockUs(page), { timeout: 15_000 }).toBeGreaterThan(1_500_000);
  // A live edit, so the link must carry the command log too.
  await page.locator('input[data-count]').first().fill('3');
  await page.locator('input[data-count]').first().press('Enter');
  await expect.poll(() => clockUs(page), { timeout: 15_000 }).toBeGreaterThan(2_500_000);
  await pause(page);
  const original = await visibleState(page);

  const link = await copyLink(page);
  const decoded = await decodeLink(page, link);
  expect(decoded.paused).toBe(true);
  expect(Math.abs(decoded.t_us - (await clockUs(page)))).toBeLessThan(1000);
  expect(JSON.parse(decoded.scenarioJson)).toBeTruthy();
  expect(decoded.scenarioJson).toContain('set_count');

  const other = await context.newPage();
  await openPage(other, link);
  await expect(other.locator('#clock')).toHaveText(original.clock, { timeout: 20_000 });
  await expect(other.locator('#play')).toHaveText('Play');
  const restored = await visibleState(other);
  expect(restored.stage).toEqual(original.stage);
  expect(restored.stageLabel).toEqual(original.stageLabel);
  expect(restored.playing).toBe('false');
  // The newest engine events (sequence number, kind, words) agree: the same trace.
  const n = Math.min(restored.newest.length, original.newest.length);
  expect(n).toBeGreaterThan(10);
  expect(restored.newest.slice(0, n)).toEqual(original.newest.slice(0, n));
  // The speed came along.
  await expect(other.locator('#speed-value')).toHaveText(await page.locator('#speed-value').textContent());
  await expect(other.locator('#error')).toBeHidden();

  // Both continue identically: step each five times.
  for (const p of [page, other]) {
    await p.evaluate(() => (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement) && (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement).blur());
    for (let i = 0; i < 5; i += 1) await p.locator('#step').click();
  }
  const a = await visibleState(page);
  const b = await visibleState(other);
  expect(b.clock).toBe(a.clock);
  expect(b.stage).toEqual(a.stage);
  expect(b.newest.slice(0, 10)).toEqual(a.newest.slice(0, 10));
});

const HOSTILE = '<img src=x onerror=alert(1)>';

test.describe('hostile and broken links', () => {
  test.use({ allowConsoleErrors: true });

  test('a goroutine named like HTML is refused, its name quoted as text, nothing run', async ({ page }) => {
    await openPage(page);
    const link = await page.evaluate(async (name) => {
      const { encodeShare } = await import('/share.js');
      const scenario = {
        seed: 7,
        channels: [{ name: 'jobs', capacity: 2 }],
        goroutines: [
          { name, behavior: { producer: { to: 'jobs', interval: '100ms' } } },
          { name: 'consumer', behavior: { consumer: { from: 'jobs', work: '150ms' } } },
        ],
      };
      const hash = await encodeShare({ scenarioJson: JSON.stringify(scenario), speed: 1, t_us: 500_000, paused: false });
      return `${location.origin}/${hash}`;
    }, HOSTILE);
    await page.goto('about:blank');
    await openPage(page, link);

    // The engine allows only 1-32 letters, digits, '_', '-' or '.' in names, so it refuses this
    // scenario: the page says why, quoting the name as text, and runs the default scenario.
    const error = page.locator('#error');
    await expect(error).toBeVisible({ timeout: 15_000 });
    await expect(error).toContainText('goroutines[0].name');
    await expect(error).toContainText(HOSTILE);
    await expect(page.locator('#preset')).toHaveValue(DEFAULT_PRESET);
    await expect(page.locator('#stage-list li[data-goroutine="producer-1"]')).toBeAttached();
    // Let it draw for a while; nothing may have turned the name into markup.
    await page.waitForTimeout(1000);
    expect(await page.locator('img[src="x"], [onerror]').count()).toBe(0);
    expect(await page.evaluate(() => document.body.innerHTML.includes('<img src=x'))).toBe(false);
  });

  test('a scenario whose title and description are HTML shows them as text', async ({ page }) => {
    await openPage(page);
    const link = await page.evaluate(async (html) => {
      const { encodeShare } = await import('/share.js');
      const scenario = {
        name: 'x',
        title: `${html} title`,
        description: `${html}<script>window.__ran = 1</script> description`,
        seed: 7,
        channels: [{ name: 'jobs', capacity: 2 }],
        goroutines: [
          { name: 'producer', behavior: { producer: { to: 'jobs', interval: '100ms' } } },
          { name: 'consumer', behavior: { consumer: { from: 'jobs', work: '150ms' } } },
        ],
      };
      const hash = await encodeShare({ scenarioJson: JSON.stringify(scenario), speed: 1, t_us: 0, paused: false });
      return `${location.origin}/${hash}`;
    }, HOSTILE);
    await page.goto('about:blank');
    await openPage(page, link);
    await expect(page.locator('#error')).toBeHidden();
    await expect(page.locator('#stage-list li[data-goroutine="producer"]')).toBeAttached();
    await expect(page.locator('#preset option:checked')).toContainText(`${HOSTILE} title`);
    await expect(page.locator('#preset-description')).toContainText(`${HOSTILE}<script>window.__ran = 1</script> description`);
    await page.waitForTimeout(1000);
    expect(await page.locator('img[src="x"], [onerror]').count()).toBe(0);
    expect(await page.evaluate(() => window.__ran)).toBeUndefined();
  });

  for (const [what, hash, message] of [
    ['malformed base64', '#v=2&s=!!!', /not base64url/],
    ['bad compressed data', '#v=2&s=AAAAAAAAAAAA', /damaged/],
    ['a future format', '#v=9&s=AAAA', /version/],
    ['a bad speed', '#v=2&s=AAAA&speed=Infinity', /speed/],
  ]) {
    test(`a link with ${what} shows a clear error and loads the default scenario`, async ({ page }) => {
      await page.goto(`/${hash}`);
      const error = page.locator('#error');
      await expect(error).toBeVisible({ timeout: 15_000 });
      await expect(error).toContainText(message);
      await expect(error).toContainText(/link/i);
      expect(await error.locator('img, script, iframe').count()).toBe(0);
      await expect(page.locator('#preset')).toHaveValue(DEFAULT_PRESET);
      await expect(page.locator('#stage-list li').first()).toBeAttached();
      const t0 = await clockUs(page);
      await expect.poll(() => clockUs(page), { timeout: 10_000 }).toBeGreaterThan(t0);
    });
  }

  test('a link whose scenario the engine refuses names the field', async ({ page }) => {
    await openPage(page);
    const link = await page.evaluate(async () => {
      const { encodeShare } = await import('/share.js');
      const scenario = { seed: 1, channels: [{ name: 'jobs', capacity: -4 }], goroutines: [] };
      return `${location.origin}/${await encodeShare({ scenarioJson: JSON.stringify(scenario), speed: 1, t_us: 0, paused: false })}`;
    });
    await page.goto('about:blank');
    await page.goto(link);
    const error = page.locator('#error');
    await expect(error).toBeVisible({ timeout: 15_000 });
    await expect(error).toContainText('capacity');
    await expect(page.locator('#preset')).toHaveValue(DEFAULT_PRESET);
  });
});

test('opening a link with t restores that moment, paused', async ({ page }) => {
  await openPage(page);
  const hash = await presetShareHash(page, 'buffered', { speed: 10, t_us: 1_234_567, paused: true });
  const link = `${new URL(page.url()).origin}/${hash}`;
  await page.goto('about:blank');
  await openPage(page, link);
  await expect.poll(async () => Math.abs((await clockUs(page)) - 1_234_567), { timeout: 15_000 }).toBeLessThan(1000);
  await expect(page.locator('#play')).toHaveText('Play');
  await expect(page.locator('#speed-value')).toHaveText(/^10(\.0)?×$/);
  await expect(goroutineItem(page, 'producer')).toBeAttached();
  await page.waitForTimeout(500);
  expect(Math.abs((await clockUs(page)) - 1_234_567)).toBeLessThan(1000);
});

test('#preset=NAME opens that preset playing, as embed.html does; an unknown name says so', async ({ page }) => {
  await openPage(page, '/#preset=nsq-single');
  await expect(page.locator('#preset')).toHaveValue('nsq-single', { timeout: 15_000 });
  await expect(page.locator('#play')).toHaveText('Pause');
  await expect(page.locator('#error')).toBeHidden();
  // The network wait has its item in the legend beside NSQ (not in a Go-only run).
  await expect(page.locator('#legend-net')).toBeVisible();
  await expect(page.locator('#legend-net')).toHaveText('waiting for the network');
  // Changing the fragment opens the other preset.
  await page.evaluate(() => { location.hash = '#preset=buffered'; });
  await expect(page.locator('#preset')).toHaveValue('buffered', { timeout: 15_000 });
  await expect(page.locator('#legend-net')).toBeHidden();
  await page.goto('about:blank');
  await openPage(page, '/#preset=no-such-thing');
  await expect(page.locator('#error')).toContainText('unknown preset "no-such-thing"', { timeout: 15_000 });
  await expect(page.locator('#error')).toContainText('Loaded the default scenario instead.');
  await expect(page.locator('#preset')).toHaveValue(DEFAULT_PRESET);
  expect(new URL(page.url()).hash).toBe('');
});
