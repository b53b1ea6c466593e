// Module test of web/kafka-charts.js (issue 15): a blank page on the test
// server's origin imports the module and the engine (/pkg/queuelab_wasm.js),
// runs the kafka-consumer-group preset in a Playground and pushes its
// samples into the charts. Then `kafka_group_work` slows the group's handler
// and the lag the charts report grows.
import { test, expect } from '@playwright/test';

const BLANK = '/__kafka-charts-test__';

test.beforeEach(async ({ page }) => {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.problems = problems;
  await page.route(`**${BLANK}`, (route) =>
    route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>kafka charts test</title></head>'
        + '<body><main id="host" style="width: 900px"></main></body></html>',
    }),
  );
  await page.goto(BLANK);
});

test.afterEach(async ({ page }) => {
  expect(page.problems).toEqual([]);
});

/** The total lag the partition chart's summary states ("total lag N records"). */
async function totalLag(page) {
  const text = await page.locator('[data-chart="kafka-lag-partitions"] .visually-hidden').textContent();
  const m = /total lag (\d+(?:\.\d+)?k?) records/.exec(text);
  expect(m, text).not.toBeNull();
  return m[1].endsWith('k') ? Number(m[1].slice(0, -1)) * 1000 : Number(m[1]);
}

/** kafka-consumer-group in a Playground and the charts on the blank page; `window.run(secs)` runs on and pushes the new samples. */
async function start(page) {
  await page.evaluate(async () => {
    const m = await import('/pkg/queuelab_wasm.js');
    await m.default();
    const { createKafkaCharts } = await import('/kafka-charts.js');
    window.p = m.Playground.from_preset('kafka-consumer-group');
    window.kc = createKafkaCharts(document.getElementById('host'));
    window.lastT = -1;
    window.run = (secs) => {
      const target = window.p.snapshot().time_us + secs * 1e6;
      while (window.p.snapshot().time_us < target) window.p.advance(Math.min(1e6, target - window.p.snapshot().time_us));
      const samples = window.p.series_since(window.lastT);
      if (samples.length) window.lastT = samples[samples.length - 1].t_us;
      window.kc.push(samples, window.p.snapshot());
      return samples.length;
    };
  });
}

test('kafka charts: lag per partition and per group, throughput, latency; lag grows when the handler is slowed', async ({ page }) => {
  await start(page);
  await page.evaluate(() => window.run(10));
  const figures = page.locator('#host figure.ql-chart');
  await expect(figures).toHaveCount(4);
  await expect(page.locator('#host figcaption')).toHaveText([
    'Lag per partition: group workers', 'Total lag per group', 'Kafka throughput', 'End-to-end latency: group workers',
  ]);
  // One line per partition (6) plus the x series; the legend names them.
  await expect(page.locator('[data-chart="kafka-lag-partitions"] .u-legend .u-series')).toHaveCount(7);
  await expect(page.locator('[data-chart="kafka-lag-partitions"] .u-legend')).toContainText('events-5');
  await expect(page.locator('[data-chart="kafka-throughput"] .u-legend')).toContainText('produced/s');
  await expect(page.locator('[data-chart="kafka-lag-partitions"] .visually-hidden')).toContainText(/At 10 s, group workers: total lag \d+ records; per partition events-0 \d+/);
  await expect(page.locator('[data-chart="kafka-lag-groups"] .visually-hidden')).toContainText(/lag group workers \d+/);
  await expect(page.locator('[data-chart="kafka-throughput"] .visually-hidden')).toContainText(/produced \d+(\.\d+)? and consumed \d+(\.\d+)? records per second/);
  await expect(page.locator('[data-chart="kafka-e2e"] .visually-hidden')).toContainText(/p50 \d+(\.\d+)? ms, p99 \d+(\.\d+)? ms/);
  // Lines are drawn (a canvas with a size).
  const canvas = await page.locator('[data-chart="kafka-lag-partitions"] canvas').boundingBox();
  expect(canvas.width).toBeGreaterThan(100);
  // A single group: no picker.
  await expect(page.locator('#kafka-charts-group')).toBeHidden();
  const before = await totalLag(page);
  expect(before).toBeLessThan(250);

  // Slow the handler: 6 handlers of 200 ms take 30 of the ~100 records/s.
  // (`command` throws if refused; it returns whether the run forked.)
  const forked = await page.evaluate(() => window.p.command({ op: 'kafka_group_work', group: 'workers', work: '200ms' }));
  expect(forked).toBe(false);
  await page.evaluate(() => window.run(10));
  await expect(page.locator('[data-chart="kafka-lag-partitions"] .visually-hidden')).toContainText('At 20 s');
  const after = await totalLag(page);
  expect(after).toBeGreaterThan(Math.max(500, before));
  // A refused command throws with the engine's words.
  const refused = await page.evaluate(() => {
    try { window.p.command({ op: 'kafka_group_work', group: 'nope', work: '1ms' }); return null; } catch (e) { return String(e.message || e); }
  });
  expect(refused).toContain('no consumer group named');
  // Time going backwards (a reset) starts the charts over.
  await page.evaluate(() => {
    window.kc.push([{ t_us: 100000, lens: [], throughput: 0, p50_us: 0, p99_us: 0, blocked: 0, kafka: { produced: 1, acked: 1, consumed: 0, partitions: [], groups: [], consumers: [] } }], window.p.snapshot());
  });
  await expect(page.locator('[data-chart="kafka-lag-groups"] .visually-hidden')).toContainText('At 0.1 s: no consumer group.');
  await page.evaluate(() => window.p.free());
});

test('kafka charts: several groups and partition consumers get a picker; names stay text', async ({ page }) => {
  await page.evaluate(async () => {
    const m = await import('/pkg/queuelab_wasm.js');
    await m.default();
    const { createKafkaCharts } = await import('/kafka-charts.js');
    const p = m.Playground.from_preset('kafka-retention');
    p.advance(5e6);
    const kc = createKafkaCharts(document.getElementById('host'));
    kc.push(p.series_since(-1), p.snapshot());
    // A hand-made sample with markup in a name: shown as text, never parsed.
    const evil = '<img src=x onerror=alert(1)>';
    const k = { produced: 10, acked: 10, consumed: 5, partitions: [], consumers: [],
      groups: [{ name: evil, lag: 4, consumed: 5, e2e_p50_us: 1000, e2e_p99_us: 2000, partitions: [{ topic: evil, partition: 0, offset: 1, lag: 4 }] }] };
    kc.push([{ t_us: 6e6, lens: [], throughput: 0, p50_us: 0, p99_us: 0, blocked: 0, kafka: k }], p.snapshot());
    p.free();
  });
  const picker = page.locator('#kafka-charts-group');
  await expect(picker).toBeVisible();
  const options = await picker.locator('option').allTextContents();
  expect(options).toEqual(expect.arrayContaining(['group reports', 'consumer archive', 'group <img src=x onerror=alert(1)>']));
  await expect(page.locator('#host img')).toHaveCount(0);
  await picker.selectOption('consumer archive');
  await expect(page.locator('[data-chart="kafka-lag-partitions"] figcaption')).toHaveText('Lag per partition: consumer archive');
  await expect(page.locator('[data-chart="kafka-lag-partitions"] .visually-hidden')).toContainText('consumer archive: total lag');
});

test('kafka charts: a world with no consumer shows no lag or latency charts, and a reset forgets the last group\'s captions', async ({ page }) => {
  await page.evaluate(async () => {
    const m = await import('/pkg/queuelab_wasm.js');
    await m.default();
    const { createKafkaCharts } = await import('/kafka-charts.js');
    const kc = createKafkaCharts(document.getElementById('host'));
    const a = m.Playground.from_preset('kafka-consumer-group');
    a.advance(10e6);
    kc.push(a.series_since(-1), a.snapshot());
    a.free();
    kc.reset();
    const b = m.Playground.from_preset('kafka-async-hang');
    b.advance(3e6);
    kc.push(b.series_since(-1), b.snapshot());
    b.free();
  });
  for (const key of ['lag-partitions', 'lag-groups', 'e2e']) await expect(page.locator(`[data-chart="kafka-${key}"]`)).toBeHidden();
  await expect(page.locator('[data-chart="kafka-throughput"]')).toBeVisible();
  await expect(page.locator('[data-chart="kafka-lag-partitions"] figcaption')).toHaveText('Lag per partition');
});

test('kafka charts: before the group first commits, the lag charts say why they have no line; after, they do not', async ({ page }) => {
  await start(page);
  await page.evaluate(() => window.run(1));
  const notes = page.locator('#host .chart-note');
  await expect(notes.filter({ visible: true })).toHaveCount(2);
  await expect(page.locator('[data-chart="kafka-lag-groups"] .chart-note')).toContainText('No offset committed yet');
  await page.evaluate(() => window.run(9));
  await expect(page.locator('[data-chart="kafka-lag-groups"] .visually-hidden')).toContainText(/lag group workers \d+/);
  await expect(notes.filter({ visible: true })).toHaveCount(0);
});
