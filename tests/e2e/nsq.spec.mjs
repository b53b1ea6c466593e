// NSQ, first part: a scenario whose goroutines publish to nsqd runs in the
// page (the goroutines are drawn; the NSQ view comes with issue 13), with
// the publish steps in the event log and no page errors.
import { readFileSync } from 'node:fs';
import { test, expect, openPage, openScenario, play, pause, setSpeed, logRows, totalOf, runUntil, clockUs, presetScenario, selectPreset } from './helpers.mjs';

const PUBLISH = {
  name: 'nsq-publish',
  seed: 3,
  nsq: { latency: 'exp(20ms)', nsqd: [{ name: 'nsqd-1', topics: [{ name: 'events', channels: ['archive'] }] }] },
  goroutines: [
    { name: 'producer', count: 2, behavior: { program: [
      { forever: [{ sleep: 'exp(100ms)' }, { publish: { nsqd: 'nsqd-1', topic: 'events' } }] },
    ] } },
  ],
};

test('a publishing scenario plays: goroutines wait for nsqd, the log shows PUB and OK', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await openScenario(page, PUBLISH);
  await expect(page.locator('#stage-list li[data-goroutine="producer-1"]')).toBeAttached();
  await setSpeed(page, 1);
  await play(page);
  await expect.poll(async () => (await logRows(page)).map((r) => r.kind), { timeout: 10_000 }).toContain('nsq_publish_ok');
  // A goroutine waiting for the response says so in words.
  await expect
    .poll(async () => page.locator('#stage-list').textContent(), { timeout: 10_000 })
    .toMatch(/waiting for nsqd-1's response/);
  await pause(page);
  const rows = await logRows(page);
  const ok = rows.find((r) => r.kind === 'nsq_publish_ok');
  expect(ok.text).toMatch(/^producer-\d: Publish of producer-\d#\d+ returned OK from nsqd-1$/);
  // The totals strip leads with NSQ's figures: published is nsqd's count
  // (nsqadmin's Messages). Without Go channels of its own, the run shows no
  // Go values' sum.
  const published = await totalOf(page, /^published$/);
  expect(published).toBeGreaterThan(0);
  const topics = await page.evaluate(() => document.querySelector('queue-lab').snapshot().nsq.nodes
    .reduce((a, n) => a + n.topics.reduce((b, t) => b + t.message_count, 0), 0));
  expect(published).toBe(topics);
  expect(await totalOf(page, /^finished \(FIN\)$/)).toBe(0); // a channel, but no consumer: nothing finished
  expect(await page.locator('#totals dt').allTextContents()).not.toContain('produced (Go values)');
  // Beside NSQ's controls, the Go ones say they are Go's.
  await expect(page.locator('#channels-heading')).toHaveText('Go channels');
  // No channel in this world: the controls say so (not the previous preset's rows).
  await expect(page.locator('#channels')).toContainText('This scenario has no channels.');
  expect(errors).toEqual([]);
});

test('published to a topic without a channel: the guarantees panel says the messages wait there', async ({ page }) => {
  await openPage(page);
  await openScenario(page, { ...PUBLISH, nsq: { latency: 'exp(20ms)', nsqd: [{ name: 'nsqd-1' }] } });
  await runUntil(page, 1_000_000, 5);
  const depth = await page.evaluate(() => document.querySelector('queue-lab').snapshot().nsq.nodes[0].topics[0].depth);
  expect(depth).toBeGreaterThan(1);
  await expect(page.locator('#guarantees')).toContainText(`No channel yet: ${depth} messages wait in their topics for the first channel.`);
  expect(await totalOf(page, /^published$/)).toBe(depth);
});

test('an NSQ run with losses: the totals strip counts them as the guarantees book does', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'nsq-ephemeral');
  await runUntil(page, 8_000_000, 20);
  const book = await page.evaluate(() => document.querySelector('queue-lab').snapshot().nsq.guarantees
    .reduce((a, g) => a + g.lost.reduce((b, [, n]) => b + n, 0), 0));
  expect(book).toBeGreaterThan(0);
  await expect.poll(() => totalOf(page, /^lost \(NSQ\)$/)).toBe(book);
});

test('a scenario command the run cannot apply: the page says which and why, and the run goes on without it', async ({ page }) => {
  await openPage(page);
  const scenario = await presetScenario(page, 'nsq-slow-handler');
  // The preset's consumer is "archiver".
  scenario.commands = [{ at: '1s', command: { op: 'set_consumer', consumer: 'worker', max_in_flight: 1 } }];
  await openScenario(page, scenario);
  await runUntil(page, 500_000, 5);
  await expect(page.locator('#error')).toBeHidden();
  await runUntil(page, 2_000_000, 5);
  await expect(page.locator('#error')).toBeVisible();
  await expect(page.locator('#error-text')).toContainText('A command of the scenario could not be applied; the run goes on without it:');
  await expect(page.locator('#error-text')).toContainText('command at 1s: no NSQ consumer named "worker"');
  // NSQ handlers end the messages' journeys: the strip's latency is produce to finish.
  const latency = page.locator('#totals div', { has: page.locator('dt', { hasText: /^latency to finish p50 \/ p99$/ }) }).locator('dd');
  await expect(latency).toHaveText(/^\d+(\.\d)?(µs|ms|s) \/ \d+(\.\d)?(µs|ms|s)$/);
  await page.locator('#error-dismiss').click();
  await runUntil(page, 4_000_000, 5);
  expect(await clockUs(page)).toBe(4_000_000);
  await expect(page.locator('#error')).toBeHidden(); // said once
});

test('a go-nsq consumer is Go on the stage: its reader, its incoming channel, its handler working on a message; timeouts show in the log', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await openPage(page);
  const json = readFileSync(new URL('../../docs/examples/nsq-consume.json', import.meta.url), 'utf8');
  const hash = await page.evaluate(async (text) => {
    const { encodeShare } = await import('/share.js');
    return encodeShare({ scenarioJson: text, speed: 1, t_us: 0, paused: true });
  }, json);
  await page.goto('/' + hash);
  await expect(page.locator('#stage-list li[data-goroutine="archiver.handler"]')).toBeAttached({ timeout: 15_000 });
  await expect(page.locator('#stage-list li[data-channel="archiver.incoming"]')).toBeAttached();
  // Laid out as the pipeline it is: reader, then go-nsq's channel, then the handler.
  const edges = await page.evaluate(async () => {
    const { groupEdges } = await import('/stage.js');
    return [groupEdges({ nsq_reader: { consumer: 'a', nsqd: 'n', to: 'a.incoming' } }), groupEdges({ nsq_handler: { consumer: 'a', from: 'a.incoming' } })]
      .map((e) => ({ sends: [...e.sends], recvs: [...e.recvs] }));
  });
  expect(edges).toEqual([{ sends: ['a.incoming'], recvs: [] }, { sends: [], recvs: ['a.incoming'] }]);
  await setSpeed(page, 10);
  await play(page);
  await expect
    .poll(async () => page.locator('#stage-list li[data-goroutine="archiver.handler"]').textContent(), { timeout: 10_000 })
    .toMatch(/working on producer#\d+/);
  await expect.poll(async () => (await logRows(page)).map((r) => r.kind), { timeout: 15_000 }).toContain('nsq_timeout');
  await pause(page);
  // go-nsq's channel is the library's: no capacity slider or Close for it.
  await expect(page.locator('#channels')).toContainText('no channels you can change');
  await expect(page.locator('[data-close="archiver.incoming"]')).toHaveCount(0);
  // Nor are its reader and handler goroutines Go groups to edit (the NSQ controls set handlers),
  // nor its channel one to add goroutines on.
  await expect(page.locator('[data-group-row="archiver.handler"], [data-group-row="archiver.conn1"]')).toHaveCount(0);
  await expect(page.locator('#add option[value="archiver.incoming"]')).toHaveCount(0);
  expect(errors).toEqual([]);
});
