// Unit tests of the page's ES modules (share.js, eventlog.js, charts.js),
// run in real Chromium: each test opens a blank page on the test server's
// origin (so relative module imports and the vendored uPlot resolve) and
// imports the module in the page context. No engine is involved: the inputs
// are hand-made events, samples and links.
import { test, expect } from '@playwright/test';

const BLANK = '/__module-test__';

test.beforeEach(async ({ page }) => {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
  page.problems = problems;
  await page.route(`**${BLANK}`, (route) =>
    route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>module test</title></head>'
        + '<body><main id="host" style="width: 900px"></main></body></html>',
    }),
  );
  await page.goto(BLANK);
});

test.afterEach(async ({ page }) => {
  expect(page.problems).toEqual([]);
});

// ---- share.js ------------------------------------------------------------

test('share: encode then decode gives back the same run, unicode and markup included', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const { encodeShare, decodeShare } = await import('/share.js');
    const scenario = {
      name: 'round trip ✓ — ünïcode',
      seed: 42,
      channels: [{ name: 'jobs', capacity: 3 }],
      goroutines: [{ name: '<img src=x onerror=alert(1)>', behavior: { producer: { to: 'jobs' } } }],
      padding: 'x'.repeat(20000),
    };
    const scenarioJson = JSON.stringify(scenario);
    const cases = [
      { scenarioJson, speed: 3.1622776601683795, t_us: 1234567, paused: true },
      { scenarioJson, speed: 0.1, t_us: 0, paused: false },
      { scenarioJson, speed: 1000, t_us: Number.MAX_SAFE_INTEGER, paused: false },
    ];
    const out = [];
    for (const c of cases) {
      const hash = await encodeShare(c);
      out.push({ hash, back: await decodeShare(hash), backNoHash: await decodeShare(hash.slice(1)), want: c });
    }
    return out;
  });
  for (const { hash, back, backNoHash, want } of result) {
    expect(hash).toMatch(/^#v=2&s=[A-Za-z0-9_-]+&speed=[0-9.]+&t=\d+&p=[01]$/);
    expect(back).toEqual(want);
    expect(backNoHash).toEqual(want);
  }
  // 20 kB of repeated text must actually be compressed.
  expect(result[0].hash.length).toBeLessThan(2000);
});

test('share: no link in the fragment decodes to null', async ({ page }) => {
  const out = await page.evaluate(async () => {
    const { decodeShare } = await import('/share.js');
    return Promise.all(['', '#', null, undefined, '#main', '#foo=bar'].map((h) => decodeShare(h)));
  });
  expect(out).toEqual([null, null, null, null, null, null]);
});

test('share: malformed links are refused with a clear message', async ({ page }) => {
  const messages = await page.evaluate(async () => {
    const { encodeShare, decodeShare } = await import('/share.js');
    const good = await encodeShare({ scenarioJson: '{"seed":1}', speed: 10, t_us: 5, paused: false });
    const s = /s=([^&]+)/.exec(good)[1];
    // Deflate of something that is not JSON, and of more than 1 MiB.
    const deflate = async (text) => {
      const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw'));
      const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
      let bin = '';
      for (const b of bytes) bin += String.fromCharCode(b);
      return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    };
    const notJson = await deflate('alert(1)');
    const array = await deflate('[1,2,3]');
    const bomb = await deflate(`{"a":"${'a'.repeat(1024 * 1024 + 10)}"}`);
    const cases = {
      badBase64: '#v=2&s=!!!',
      truncatedBase64: '#v=2&s=A',
      notDeflate: '#v=2&s=AAAAAAAA',
      truncatedDeflate: `#v=2&s=${s.slice(0, s.length - 4)}`,
      notJson: `#v=2&s=${notJson}`,
      jsonArray: `#v=2&s=${array}`,
      bomb: `#v=2&s=${bomb}`,
      missingS: '#v=2&speed=10',
      emptyS: '#v=2&s=',
      missingV: `#s=${s}`,
      futureV: `#v=3&s=${s}`,
      oldV: `#v=1&s=${s}`,
      speedWord: `#v=2&s=${s}&speed=fast`,
      speedExp: `#v=2&s=${s}&speed=1e3`,
      speedZero: `#v=2&s=${s}&speed=0`,
      speedHuge: `#v=2&s=${s}&speed=5000`,
      timeNegative: `#v=2&s=${s}&t=-5`,
      timeFraction: `#v=2&s=${s}&t=1.5`,
      timeHuge: `#v=2&s=${s}&t=9999999999999999`,
      timeTooLong: `#v=2&s=${s}&t=99999999999999999`,
      pausedWord: `#v=2&s=${s}&p=yes`,
      unknownKey: `#v=2&s=${s}&eval=1`,
      duplicate: `#v=2&s=${s}&s=${s}`,
      badEscape: `#v=2&s=${s}&t=%E0%A4%A`,
    };
    const out = {};
    for (const [name, hash] of Object.entries(cases)) {
      try {
        const r = await decodeShare(hash);
        out[name] = { ok: r };
      } catch (e) {
        out[name] = { name: e.name, message: e.message };
      }
    }
    return out;
  });
  const expected = {
    badBase64: /not base64url \(character "!" at position 0\)/,
    truncatedBase64: /truncated/,
    notDeflate: /damaged \(not valid compressed data\)/,
    truncatedDeflate: /damaged \(not valid compressed data\)/,
    notJson: /not valid JSON/,
    jsonArray: /not a JSON object/,
    bomb: /expands to more than 1048576 bytes/,
    missingS: /scenario \(s=\.\.\.\) is missing/,
    emptyS: /scenario \(s=\.\.\.\) is missing/,
    missingV: /format version \(v=2\) is missing/,
    futureV: /format version "3" is not supported/,
    oldV: /made by an older version of queuelab \(link format v=1; this page reads v=2\)/,
    speedWord: /speed must be a number such as 10 or 0\.5, got "fast"/,
    speedExp: /speed must be a number/,
    speedZero: /speed must be a number from 0\.1 to 1000, got 0/,
    speedHuge: /speed must be a number from 0\.1 to 1000, got 5000/,
    timeNegative: /t must be whole microseconds/,
    timeFraction: /t must be whole microseconds/,
    timeHuge: /t is too large \(9999999999999999 µs\)/,
    timeTooLong: /t must be whole microseconds such as 1500000, got "99999999999999999"/,
    pausedWord: /p must be 0 or 1, got "yes"/,
    unknownKey: /unknown part "eval"/,
    duplicate: /"s" appears more than once/,
    badEscape: /invalid %-escapes/,
  };
  for (const [name, re] of Object.entries(expected)) {
    expect(messages[name], name).toMatchObject({ name: 'ShareLinkError' });
    // An old link is not broken: it says where it comes from instead.
    if (name !== 'oldV') expect(messages[name].message, name).toMatch(/^Broken share link: /);
    expect(messages[name].message, name).toMatch(re);
  }
});

test('share: encoding refuses values no link could carry', async ({ page }) => {
  const messages = await page.evaluate(async () => {
    const { encodeShare } = await import('/share.js');
    const base = { scenarioJson: '{}', speed: 1, t_us: 0, paused: false };
    const bad = [
      { ...base, scenarioJson: 'x'.repeat(1024 * 1024 + 1) },
      { ...base, scenarioJson: 12 },
      { ...base, speed: NaN },
      { ...base, speed: 0.01 },
      { ...base, t_us: -1 },
      { ...base, t_us: 0.5 },
      { ...base, paused: 'no' },
    ];
    const out = [];
    for (const b of bad) {
      try {
        out.push(`ok ${await encodeShare(b)}`);
      } catch (e) {
        out.push(e.message);
      }
    }
    return out;
  });
  expect(messages).toEqual([
    expect.stringMatching(/^Cannot share: the scenario is 1048577 bytes/),
    'Cannot share: the scenario is not a string',
    'Cannot share: speed must be a number from 0.1 to 1000, got NaN',
    'Cannot share: speed must be a number from 0.1 to 1000, got 0.01',
    'Cannot share: time must be a whole number of microseconds >= 0, got -1',
    'Cannot share: time must be a whole number of microseconds >= 0, got 0.5',
    'Cannot share: paused must be true or false',
  ]);
});

// ---- eventlog.js ---------------------------------------------------------

// Builds `n` events over goroutines 0..2 and channels 0..1, seq from `from`.
const EVENTS_JS = `
  window.makeEvents = (from, n) => Array.from({ length: n }, (_, k) => {
    const seq = from + k;
    const kinds = ['produced', 'blocked_send', 'handoff', 'received'];
    return { seq, t_us: seq * 1000, kind: kinds[seq % 4], goroutine: seq % 3, channel: seq % 2,
             msg: null, label: null, text: 'event number ' + seq };
  });
  window.snap = {
    goroutines: [
      { id: 0, name: 'producer' }, { id: 1, name: 'consumer-1' }, { id: 2, name: '<img src=x onerror=alert(1)>' },
    ],
    channels: [{ id: 0, name: 'jobs' }, { id: 1, name: '<b>results</b>' }],
  };
`;

test('eventlog: newest first, rows are buttons that report the event, names stay text', async ({ page }) => {
  await page.addScriptTag({ content: EVENTS_JS });
  await page.evaluate(async () => {
    const { createEventLog } = await import('/eventlog.js');
    window.selected = [];
    window.log = createEventLog(document.getElementById('host'), { onSelect: (e) => window.selected.push(e) });
    window.log.push(window.makeEvents(0, 10), window.snap);
  });

  const rows = page.locator('#host ol li button');
  await expect(rows).toHaveCount(10);
  await expect(rows.first()).toContainText('event number 9');
  await expect(rows.first()).toContainText('0.009s');
  await expect(rows.first()).toContainText('blocked send');
  await expect(rows.last()).toContainText('event number 0');

  // Hostile names appear as option text, and no element was made from them.
  await expect(page.locator('#eventlog-goroutine option')).toContainText(['all goroutines', 'producer', 'consumer-1', '<img src=x onerror=alert(1)>']);
  await expect(page.locator('#eventlog-channel option')).toContainText(['all channels', 'jobs', '<b>results</b>']);
  expect(await page.locator('#host img, #host b').count()).toBe(0);

  // Keyboard: focus a row and press Enter.
  await rows.nth(2).focus();
  await page.keyboard.press('Enter');
  await expect.poll(() => page.evaluate(() => window.selected.map((e) => e.seq))).toEqual([7]);
  await expect(rows.nth(2)).toHaveAttribute('aria-current', 'true');
  // Mouse.
  await rows.nth(5).click();
  const picked = await page.evaluate(() => window.selected[1]);
  expect(picked).toMatchObject({ seq: 4, goroutine: 1, channel: 0, kind: 'produced' });
  await expect(page.locator('#host button[aria-current="true"]')).toHaveCount(1);
});

test('eventlog: filters by goroutine, channel and kind, and keeps history for them', async ({ page }) => {
  await page.addScriptTag({ content: EVENTS_JS });
  await page.evaluate(async () => {
    const { createEventLog } = await import('/eventlog.js');
    window.log = createEventLog(document.getElementById('host'), { onSelect() {} });
    window.log.push(window.makeEvents(0, 120), window.snap);
  });
  const rows = page.locator('#host ol li button');
  await expect(rows).toHaveCount(50); // the first page

  await page.getByLabel('Goroutine').selectOption({ label: 'consumer-1' });
  await expect(rows).toHaveCount(40);
  for (const seq of await rows.evaluateAll((bs) => bs.map((b) => Number(b.dataset.seq)))) expect(seq % 3).toBe(1);

  await page.getByLabel('Channel').selectOption({ label: 'jobs' });
  await expect(rows).toHaveCount(20); // seq % 3 == 1 and seq % 2 == 0
  await page.getByLabel('Kind').selectOption('produced');
  await expect(rows).toHaveCount(10); // and seq % 4 == 0
  await expect(rows.first()).toContainText('event number 112');

  // New events pass through the same filter.
  await page.evaluate(() => window.log.push(window.makeEvents(120, 24), window.snap));
  await expect(rows).toHaveCount(12);
  await expect(rows.first()).toContainText('event number 136');

  await page.getByLabel('Kind').selectOption('');
  await page.getByLabel('Channel').selectOption('');
  await page.getByLabel('Goroutine').selectOption('');
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toContainText('event number 143');
});

test('eventlog: draws 50 rows, 50 more per scroll to the bottom, at most 500; clear empties it', async ({ page }) => {
  await page.addScriptTag({ content: EVENTS_JS });
  await page.evaluate(async () => {
    const { createEventLog } = await import('/eventlog.js');
    window.log = createEventLog(document.getElementById('host'), { onSelect() {} });
    for (let i = 0; i < 30; i += 1) window.log.push(window.makeEvents(i * 100, 100), window.snap);
  });
  const rows = page.locator('#host ol li button');
  const list = page.locator('#host ol');
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toContainText('event number 2999');
  await expect(rows.last()).toContainText('event number 2950');
  await expect(page.locator('#host')).toContainText('50 newest of 3000 events shown');
  for (let want = 100; want <= 500; want += 50) {
    await list.evaluate((ol) => { ol.scrollTop = ol.scrollHeight; });
    await expect(rows).toHaveCount(want);
  }
  await list.evaluate((ol) => { ol.scrollTop = ol.scrollHeight; });
  await page.waitForTimeout(200);
  await expect(rows).toHaveCount(500);
  await expect(rows.last()).toContainText('event number 2500');
  // Contiguous, newest first.
  const seqs = await rows.evaluateAll((bs) => bs.map((b) => Number(b.dataset.seq)));
  expect(seqs).toEqual(Array.from({ length: 500 }, (_, k) => 2999 - k));

  await page.evaluate(() => window.log.clear());
  await expect(rows).toHaveCount(0);
  await expect(page.locator('#host')).toContainText('No events yet.');
  await expect(page.locator('#eventlog-goroutine option')).toHaveCount(1);
  // A new run starts from seq 0 again.
  await page.evaluate(() => window.log.push(window.makeEvents(0, 3), window.snap));
  await expect(rows).toHaveCount(3);
});

test('eventlog: while the reader is scrolled down, rows stay put and new ones wait behind a button', async ({ page }) => {
  await page.addScriptTag({ content: EVENTS_JS });
  await page.evaluate(async () => {
    const { createEventLog } = await import('/eventlog.js');
    window.log = createEventLog(document.getElementById('host'), { onSelect() {} });
    window.log.push(window.makeEvents(0, 100), window.snap);
  });
  const rows = page.locator('#host ol li button');
  const list = page.locator('#host ol');
  await expect(rows.first()).toContainText('event number 99');
  await list.evaluate((ol) => { ol.scrollTop = 40; ol.dispatchEvent(new Event('scroll')); });
  await page.evaluate(() => window.log.push(window.makeEvents(100, 7), window.snap));
  const newer = page.getByRole('button', { name: '7 new events: show newest' });
  await expect(newer).toBeVisible();
  await expect(rows.first()).toContainText('event number 99');
  await newer.click();
  await expect(rows.first()).toContainText('event number 106');
  await expect(newer).toBeHidden();
  expect(await list.evaluate((ol) => ol.scrollTop)).toBe(0);
});

// ---- charts.js -----------------------------------------------------------

test('charts: four labelled charts that scroll with virtual time and summarize as text', async ({ page }) => {
  await page.evaluate(async () => {
    const { createCharts } = await import('/charts.js');
    window.charts = createCharts(document.getElementById('host'));
    window.charts.reset(['jobs', '<img src=x onerror=alert(1)>']);
    window.snapshot = { channels: [{ name: 'jobs', cap: 5 }, { name: '<img src=x onerror=alert(1)>', cap: 0 }] };
    // Samples every 100 ms up to `to` s: jobs cycles 0..4, throughput 10/s,
    // latency 2.5 ms / 9 ms, blocked alternates 0/1 except a spike of 50 at 10 s.
    window.samples = (from, to) => {
      const out = [];
      for (let i = from * 10 + 1; i <= to * 10; i += 1) {
        out.push({ t_us: i * 100_000, lens: [i % 5, 0], throughput: 10, p50_us: 2500, p99_us: 9000,
                   blocked: i === 100 ? 50 : i % 2 });
      }
      return out;
    };
    window.charts.push(window.samples(0, 20), window.snapshot);
  });
  const figures = page.locator('#host figure');
  await expect(figures).toHaveCount(4);
  await expect(figures.locator('figcaption')).toHaveText([
    'Channel buffer length', 'Throughput', 'Delivery latency per interval', 'Blocked goroutines',
  ]);
  // uPlot draws axis titles on the canvas; the same words name each figure.
  await expect(figures.nth(0)).toHaveAttribute('aria-label', 'Channel buffer length (messages) over virtual time');
  await expect(figures.nth(1)).toHaveAttribute('aria-label', 'Throughput (per second) over virtual time');
  await expect(figures.nth(2)).toHaveAttribute('aria-label', 'Delivery latency per interval (ms) over virtual time');
  await expect(figures.nth(3)).toHaveAttribute('aria-label', 'Blocked goroutines (goroutines) over virtual time');
  // Beside NSQ's or Kafka's charts, the Go ones say so; and back.
  await page.evaluate(() => window.charts.nameAsGo(true));
  await expect(figures.locator('figcaption')).toHaveText([
    'Go channel buffer length', 'Go channel throughput', 'Go channel latency per interval', 'Blocked goroutines',
  ]);
  await expect(figures.nth(0)).toHaveAttribute('aria-label', 'Go channel buffer length (messages) over virtual time');
  await page.evaluate(() => window.charts.nameAsGo(false));
  await expect(figures.locator('figcaption')).toHaveText([
    'Channel buffer length', 'Throughput', 'Delivery latency per interval', 'Blocked goroutines',
  ]);
  await expect(page.locator('#host canvas')).toHaveCount(4);
  await expect(page.locator('#host .u-axis')).toHaveCount(8);
  await expect(page.locator('#host .ql-chart-plot[aria-hidden="true"]')).toHaveCount(4);
  const summaries = page.locator('#host .ql-chart-summary');
  // Before 60 s the window runs from 0 to now, and the spike at 10 s is in view.
  await expect(summaries.nth(3)).toHaveText('Showing 0 s to 20 s of virtual time. Blocked goroutines at 20 s: 0 (peak 50).');
  await expect(figures.first()).toHaveAttribute('data-to-s', '20');

  // Run on to 100 s: the window scrolls to 40..100 s and the spike leaves it.
  await page.evaluate(() => window.charts.push(window.samples(20, 100), window.snapshot));
  await expect(summaries.nth(0)).toHaveText(
    'Showing 40 s to 100 s of virtual time. Buffered messages at 100 s: jobs 0 of 5 (peak 4); '
    + '<img src=x onerror=alert(1)> 0 of 0 (peak 0).',
  );
  await expect(summaries.nth(1)).toHaveText(/Throughput at 100 s: 10 deliveries per second \(peak 10\)\.$/);
  await expect(summaries.nth(2)).toHaveText(/Delivery latency at 100 s: p50 2\.5 ms, p99 9 ms\.$/);
  await expect(summaries.nth(3)).toHaveText('Showing 40 s to 100 s of virtual time. Blocked goroutines at 100 s: 0 (peak 1).');
  await expect(figures.first()).toHaveAttribute('data-from-s', '40');
  // The hostile channel name is a legend label, as text.
  await expect(page.locator('#host .u-legend').first()).toContainText('<img src=x onerror=alert(1)>');
  expect(await page.locator('#host img').count()).toBe(0);

  // Time going backwards (a reset the page did not announce) starts the charts over.
  await page.evaluate(() => window.charts.push(window.samples(0, 2), window.snapshot));
  // (at least 10 s are shown)
  await expect(summaries.nth(3)).toHaveText('Showing 0 s to 10 s of virtual time. Blocked goroutines at 2 s: 0 (peak 1).');
});

test('charts: a new channel set rebuilds the lines; resize follows the container', async ({ page }) => {
  const widths = await page.evaluate(async () => {
    const { createCharts } = await import('/charts.js');
    const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const host = document.getElementById('host');
    const charts = createCharts(host);
    charts.reset(['c0']);
    const sample = (t, lens) => ({ t_us: t * 1e6, lens, throughput: 0, p50_us: 0, p99_us: 0, blocked: 0 });
    charts.push([sample(1, [0])], { channels: [{ name: 'c0', cap: 1 }] });
    // uPlot is fetched when charts are first shown: the plots come once it is here.
    for (let i = 0; i < 300 && !host.querySelector('canvas'); i++) await frames();
    await frames();
    const canvasW = () => host.querySelector('canvas').getBoundingClientRect().width;
    const figureW = () => host.querySelector('figure').getBoundingClientRect().width;
    const before = { canvas: canvasW(), figure: figureW() };
    host.style.width = '1200px';
    charts.resize();
    await frames();
    const wide = { canvas: canvasW(), figure: figureW() };
    charts.push([sample(2, [1, 2, 3])], { channels: [{ name: 'c0', cap: 1 }, { name: 'c1', cap: 2 }, { name: 'c2', cap: 3 }] });
    host.style.width = '400px';
    charts.resize();
    await frames();
    return { before, wide, after: { canvas: canvasW(), figure: figureW() } };
  });
  // 900 px holds two charts a row (4 at 1040 px and up); at 400 px they stack, each full width.
  expect(widths.before.canvas).toBeCloseTo(widths.before.figure, 0);
  expect(widths.before.figure).toBeCloseTo((900 - 12) / 2, 0);
  expect(widths.wide.figure).toBeCloseTo((1200 - 3 * 12) / 4, 0);
  expect(widths.wide.canvas).toBeCloseTo(widths.wide.figure, 0);
  expect(widths.after.figure).toBe(400);
  expect(widths.after.canvas).toBeCloseTo(400, 0);
  // Three channel lines in the legend (plus the time column).
  await expect(page.locator('#host figure').first().locator('.u-legend .u-series')).toHaveCount(4);
  await expect(page.locator('#host figure').first().locator('.u-legend .u-label')).toHaveText(['time', 'c0', 'c1', 'c2']);
  // Latency with no deliveries is "no delivery", not 0 ms.
  await expect(page.locator('#host .ql-chart-summary').nth(2)).toHaveText(/No delivery in the sample interval ending at 2 s\.$/);
});

test('charts: a run without channels (NSQ, Kafka) shows only blocked goroutines; a channel added live brings the rest back', async ({ page }) => {
  await page.evaluate(async () => {
    const { createCharts } = await import('/charts.js');
    window.charts = createCharts(document.getElementById('host'));
    window.sample = (t, lens) => ({ t_us: t * 1e6, lens, throughput: 0, p50_us: 0, p99_us: 0, blocked: 2 });
    window.charts.reset([]);
    window.charts.push([window.sample(1, [])], { channels: [] });
  });
  const visible = page.locator('#host figure:not([hidden])');
  await expect(visible).toHaveCount(1);
  await expect(visible.locator('figcaption')).toHaveText('Blocked goroutines');
  await expect(visible.locator('canvas')).toHaveCount(1);
  expect((await visible.locator('canvas').boundingBox()).width).toBeGreaterThan(100);
  await expect(page.locator('#host .ql-chart-summary').nth(3)).toContainText('Blocked goroutines at 1 s: 2');
  await page.evaluate(() => window.charts.push([window.sample(2, [3])], { channels: [{ name: 'added', cap: 4 }] }));
  await expect(visible).toHaveCount(4);
  await expect(page.locator('#host .ql-chart-summary').nth(0)).toContainText('added');
  // Every visible chart is drawn at its figure's width (a chart built while hidden is rebuilt).
  for (const fig of await visible.all()) {
    const [f, c] = [await fig.boundingBox(), await fig.locator('canvas').boundingBox()];
    expect(c.width).toBeCloseTo(f.width, 0);
  }
});

// ---- draw.js -------------------------------------------------------------

test('draw: fit cuts text to a width; a dotted name keeps its last part, other text its start', async ({ page }) => {
  const out = await page.evaluate(async () => {
    const { createPainter } = await import('/draw.js');
    const ctx = document.createElement('canvas').getContext('2d');
    const P = createPainter({ ctx });
    const font = '12px sans-serif';
    const w = (t) => P.measure(t, font);
    return {
      short: P.fit('producer.input', font, 1000),
      dotted: P.fit('producer.dispatcher', font, w('produ…dispatcher')),
      claim: P.fit('workers-1.claim0', font, w('work…claim0')),
      plain: P.fit('unbuffered channel', font, w('unbuffer…')),
      number: P.fit('1.25s of 30s', font, w('1.2…')),
      tiny: P.fit('producer.dispatcher', font, w('…dis')),
      headless: P.fit('producer.dispatcher', font, w('pr…dispatcher')),
      partition: P.fit('payments-0', font, w('paym…-0')),
      instance: P.fit('range-12', font, w('ra…-12')),
      siblings: [1, 2].map((b) => P.fit(`batcher.responses${b}`, font, w('respo…1'))),
      sentence: P.fit('claim0 fetching · claim2 working on main#6992', font, w('claim0 fetching · cl…')),
    };
  });
  expect(out.short).toBe('producer.input');
  expect(out.dotted).toBe('produ…dispatcher');
  expect(out.claim).toBe('work…claim0');
  // Room for two letters of the head only: none, rather than "pr…".
  expect(out.headless).toBe('…dispatcher');
  expect(out.plain).toBe('unbuffer…');
  // Numbers are not names: "1.25s" keeps its start.
  expect(out.number).toBe('1.2…');
  // A numbered name keeps its number: partitions of one topic stay apart.
  expect(out.partition).toBe('paym…-0');
  expect(out.instance).toBe('ra…-12');
  // Too narrow for "…responses1": its start and its number, so siblings stay apart.
  expect(out.siblings).toEqual(['respo…1', 'respo…2']);
  // A sentence keeps its start only: a number at its end belongs to its last words.
  expect(out.sentence).toBe('claim0 fetching · cl…');
  // Too narrow for "…dispatcher": the last part's start.
  expect(out.tiny).toMatch(/^d?i?s?…$|^$/);
});
