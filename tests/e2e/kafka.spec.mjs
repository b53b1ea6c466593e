// Kafka in the playground (issue 15): every Kafka preset is drawn by the
// Kafka view (brokers, partitions and members in the canvas and, in words,
// in the stage list) with its panels and controls, and runs without page
// errors; the AsyncProducer hang shows main stuck on producer.input and
// names producer.successes; acks=1 loses acknowledged records when the
// leader dies and acks=all does not; a rebalance raises the generation;
// members beyond the partition count are idle; a broker crashed from the
// controls is drawn down and listed down; hostile names are text; every
// control has an accessible name. Screenshots:
// test-results/kafka-<preset>-1280.png and -400.png.
import { test, expect, RESULTS_DIR, runUntil, openPage, selectPreset, setSpeed, clockUs, pause, stageListTexts, goroutineItem, selectGoroutine, copyLink, logRows, totalOf } from './helpers.mjs';

test.describe.configure({ timeout: 180_000 });

async function kafkaPresets(page) {
  return page.locator('#preset option').evaluateAll((os) => os.map((o) => o.value).filter((v) => v.startsWith('kafka-')));
}

const runTo = (page, us, speed = 4) => runUntil(page, us, speed, 90000);

/** The rows of the Kafka table captioned `caption` (in #kafka-area), as { header: cell text } objects. */
async function tableRows(page, caption) {
  return page.locator('#kafka-area').evaluate((box, cap) => {
    const table = [...box.querySelectorAll('table')].find((t) => t.caption && t.caption.textContent === cap);
    if (!table || table.hidden) return [];
    const heads = [...table.tHead.rows[0].cells].map((c) => c.textContent);
    return [...table.tBodies[0].rows].map((tr) => Object.fromEntries(heads.map((h, i) => [h, tr.cells[i] ? tr.cells[i].textContent : ''])));
  }, caption);
}

async function figure(page, key) {
  const text = await page.locator(`[data-kafka-figure="${key}"]`).textContent();
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`figure ${key} is not a number: ${text}`);
  return n;
}

async function openKafka(page, preset) {
  await openPage(page);
  await selectPreset(page, preset);
  await expect(page.locator('#kafka-area')).toBeVisible();
}

test('every Kafka preset is drawn by the Kafka view, with its panels and controls, and runs without errors', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openPage(page);
  const presets = await kafkaPresets(page);
  expect(presets.length).toBeGreaterThanOrEqual(10);
  for (const name of presets) {
    await selectPreset(page, name);
    await expect(page.locator('#kafka-area'), name).toBeVisible();
    await expect(page.locator('#kafka-controls'), name).toBeVisible();
    await expect(page.locator('#nsq-area'), name).toBeHidden();
    await runTo(page, 1_500_000, 5);
    // The canvas says what it shows, and the list has brokers and partitions in words.
    await expect(page.locator('#stage')).toHaveAttribute('aria-label', /Kafka: \d+ broker\(s\)/);
    await expect.poll(async () => (await stageListTexts(page)).some((t) => /^broker broker-\d: (up, leader of \d+ partition\(s\)|down)$/.test(t)), name).toBe(true);
    await expect.poll(async () => (await stageListTexts(page)).some((t) => /^partition \S+-0: leader broker-\d/.test(t)), name).toBe(true);
    const rows = await tableRows(page, 'Partitions (kafka-topics.sh --describe)');
    expect(rows.length, name).toBeGreaterThan(0);
    expect(rows[0].Leader, name).toMatch(/^broker-\d$/);
    expect(Number(rows[0].LEO), name).toBeGreaterThanOrEqual(Number(rows[0].HW));
  }
  // Back to a Go preset: the Kafka parts go away.
  await selectPreset(page, 'backpressure');
  await expect(page.locator('#kafka-area')).toBeHidden();
  await expect(page.locator('#kafka-controls')).toBeHidden();
});

test('AsyncProducer without a Successes reader: main is stuck on producer.input and the wait-for list names producer.successes', async ({ page }) => {
  await openKafka(page, 'kafka-async-hang');
  await runTo(page, 3_000_000, 5);
  const main = goroutineItem(page, 'main');
  await expect(main).toContainText('producer.input');
  await expect(main).toContainText(/stuck|blocked/);
  const banner = page.locator('#deadlock-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('producer.successes');
  await expect(banner).toContainText('main');
  // The producer's channels are drawn (and listed) with their buffers: input full.
  const input = page.locator('#stage-list li[data-channel="producer.input"]');
  await expect(input).toHaveCount(1);
  // The producer sent what fit and nothing was acked back to anyone reading.
  const prod = (await tableRows(page, 'Producers'))[0];
  expect(prod.Producer).toBe('producer');
  expect(Number(prod.Sent)).toBeGreaterThan(0);
});

test('the Go band links sarama\'s stages as they send: topic to pp<n>, partition producer to bp<b>, broker producer to Successes() and Errors()', async ({ page }) => {
  await openPage(page);
  const edges = await page.evaluate(async () => {
    const m = await import('/pkg/queuelab_wasm.js');
    await m.default();
    const { edgesOfGroup } = await import('/stage.js');
    const out = {};
    for (const preset of ['kafka-async-hang', 'kafka-batching']) {
      const p = m.Playground.from_preset(preset);
      for (const g of p.snapshot().groups) out[`${preset}:${g.name}`] = [...edgesOfGroup(g).sends].sort();
      p.free();
    }
    return out;
  });
  expect(edges['kafka-async-hang:producer.topic']).toEqual(['producer.pp0']);
  expect(edges['kafka-async-hang:producer.partition0']).toEqual(['producer.bp1']);
  expect(edges['kafka-async-hang:producer.broker1']).toEqual(['producer.errors', 'producer.successes']);
  expect(edges['kafka-async-hang:producer.bridge1']).toEqual(['producer.responses1']);
  // Six partitions on three brokers; Return.Successes and Return.Errors as the preset sets them.
  expect(edges['kafka-batching:batcher.topic']).toEqual([0, 1, 2, 3, 4, 5].map((i) => `batcher.pp${i}`));
  expect(edges['kafka-batching:batcher.partition5']).toEqual(['batcher.bp1', 'batcher.bp2', 'batcher.bp3']);
  expect(edges['kafka-batching:batcher.broker2'].length).toBeGreaterThan(0);
});

test('kafka-join-timeout: a JoinGroup held past Net.ReadTimeout shows in the log as Consume returning the i/o timeout; generation 2 forms later', async ({ page }) => {
  await openKafka(page, 'kafka-join-timeout');
  await runTo(page, 40_000_000, 20);
  await pause(page);
  // The group's events only (the producer's fill the log).
  await page.locator('#eventlog-kind').selectOption('kafka_group');
  const texts = (await logRows(page)).map((r) => r.text);
  const timeouts = texts.filter((t) => t.includes('to its JoinGroup within Net.ReadTimeout (30s)'));
  expect(timeouts.length, texts.slice(-30).join('\n')).toBeGreaterThanOrEqual(1);
  expect(timeouts[0]).toMatch(/^workers-[23]: .*Consume\(\) returns the i\/o timeout; its loop calls Consume\(\) again/);
  // Still in the join phase: generation 1 until workers-1 rejoins at about 46 s.
  const members = await tableRows(page, 'Members');
  expect(members.length).toBe(3);
  await runTo(page, 50_000_000, 20);
  await expect.poll(async () => (await tableRows(page, 'Members')).every((m) => m.STATE === 'running')).toBe(true);
});

test('acks=1: the leader dies and acknowledged records are lost; acks=all: none', async ({ page }) => {
  await openKafka(page, 'kafka-acks1-loss');
  // broker-1 crashes at 5s; the controller fences it when its session
  // times out (1s in this preset): until then the metadata names it.
  await runTo(page, 5_200_000, 5);
  await expect(page.locator('[data-kafka-broker-row="broker-1"] .badge')).toHaveText(/^down · fenced in 0\.\ds$/);
  expect((await tableRows(page, 'Partitions (kafka-topics.sh --describe)'))[0].Leader).toBe('broker-1');
  // The senders' sends are refused and retried; each says so, in words.
  expect((await stageListTexts(page)).some((t) => /^sender-\d \(waiting for the network\): retrying: the partition has no working leader/.test(t))).toBe(true);
  await runTo(page, 6_500_000, 5);
  await expect(page.locator('[data-kafka-broker-row="broker-1"] .badge')).toHaveText('down');
  const lost = await figure(page, 'lost_after_ack');
  expect(lost).toBeGreaterThan(0);
  await expect(page.locator('[data-kafka-figure="lost_after_ack"]')).toHaveAttribute('data-bad', 'true');
  expect(await figure(page, 'acked')).toBeGreaterThan(lost);
  // The figure is a button: it lists the records lost, each with where it was (the run stands at 6.5 s).
  const lostNow = await figure(page, 'lost_after_ack');
  await page.locator('[data-kafka-figure="lost_after_ack"] button').click();
  const list = page.locator('#kafka-area .kafka-records');
  await expect(list.locator('h3')).toHaveText('Records acked, then lost');
  await expect(list.locator('.hint')).toContainText(lostNow <= 100 ? `All ${lostNow}, in the order they were produced` : `The first 100 of ${lostNow}`);
  await expect(list.locator('li')).toHaveCount(Math.min(lostNow, 100));
  await expect(list.locator('li').first()).toContainText(/^sender-\d#\d+lost after its ack: was at events-0@\d+, truncated before followers copied it · not read$/);
  await expect(list.locator('.kafka-records-what')).toHaveText(/^Acked then lost: acked, then gone: the leader that acked them died/);
  // A count without records (deleted unread, skipped, out of order) says what it counts, and that it has no list.
  await page.locator('[data-kafka-figure="skipped"] button').click();
  await expect(list.locator('h3')).toHaveText('Skipped');
  await expect(list.locator('.kafka-records-what')).toHaveText('Skipped: a consumer jumped over them (offset out of range, reset).');
  await expect(list.locator('.hint')).toHaveText('Counted as it happens: the engine keeps no list of these records.');
  await expect(list.locator('li')).toHaveCount(0);
  await expect(page.locator('[data-kafka-figure="skipped"]')).toHaveText('0');
  // The totals strip counts those losses too; with no consumer, the groups panel says so once.
  expect(await totalOf(page, /^lost \(Kafka\)$/)).toBe(lost + await figure(page, 'lost_unclean') + await figure(page, 'lost_unacked') + await figure(page, 'lost_unwritten'));
  await expect(page.locator('#kafka-groups')).toContainText('This scenario has no consumers.');
  await expect(page.locator('#kafka-groups').getByText('No member.')).toBeHidden();
  await expect(page.locator('#kafka-groups').getByText('No consumer yet.')).toBeHidden();
  // broker-1 led events-0 and crashed at 5s: a new leader was elected (a higher epoch).
  const part = (await tableRows(page, 'Partitions (kafka-topics.sh --describe)'))[0];
  expect(part.Leader).not.toBe('broker-1');
  expect(Number(part.Epoch)).toBeGreaterThan(0);

  await selectPreset(page, 'kafka-acks-all');
  await runTo(page, 6_500_000, 5);
  expect(await figure(page, 'acked')).toBeGreaterThan(0);
  expect(await figure(page, 'lost_after_ack')).toBe(0);
  expect(await figure(page, 'lost_unclean')).toBe(0);
});

test('kafka-rebalance: a member joins and the generation goes up; the assignment covers every partition', async ({ page }) => {
  await openKafka(page, 'kafka-rebalance');
  // The third member joins at 8 s; generation 2 is stable by 10 s.
  await runTo(page, 11_000_000, 5);
  const groups = await tableRows(page, 'Consumer groups');
  expect(groups.map((g) => g.GROUP)).toEqual(['workers']);
  expect(Number(groups[0].GENERATION)).toBeGreaterThan(1);
  expect(Number(groups[0].REBALANCES)).toBeGreaterThan(0);
  // The stage list says the generation too.
  const list = await stageListTexts(page);
  const line = list.find((t) => t.startsWith('group workers:'));
  expect(line).toMatch(new RegExp(`generation ${groups[0].GENERATION}\\b`));
  // --describe: one row per partition.
  const rows = (await tableRows(page, 'Offsets and lag (kafka-consumer-groups.sh --describe)')).filter((r) => r.GROUP === 'workers');
  expect(rows.map((r) => r.PARTITION).sort()).toEqual(['0', '1', '2', '3']);
  for (const r of rows) expect(Number(r['LOG-END-OFFSET'])).toBeGreaterThan(0);
});

test('kafka-idle-members: members beyond the partition count are shown idle', async ({ page }) => {
  await openKafka(page, 'kafka-idle-members');
  // Five members joining together: the coordinator's 3s initial delay is
  // extended once (a member joined during it), so generation 1 is at 6s.
  await runTo(page, 8_000_000, 5);
  const members = await tableRows(page, 'Members');
  const idleRange = members.filter((m) => m.GROUP === 'range' && /^idle/.test(m.STATE));
  expect(idleRange.length).toBe(2);
  for (const m of idleRange) expect(m.PARTITIONS).toBe('-');
  const busyRange = members.filter((m) => m.GROUP === 'range' && !/^idle/.test(m.STATE));
  for (const m of busyRange) expect(m.PARTITIONS.split(', ').length).toBe(2);
  // In words on the stage, and as a badge in the controls.
  const list = await stageListTexts(page);
  expect(list.filter((t) => /^group range member \S+ \(idle\): no partition/.test(t)).length).toBe(2);
  await expect(page.locator('#kafka-controls .badge', { hasText: /^idle$/ })).not.toHaveCount(0);
  // An idle member's claim slot is idle too, and says why (not "waiting for the network").
  const slot = idleRange[0].MEMBER;
  const item = goroutineItem(page, `${slot}.claim0`);
  await expect(item).toContainText('(idle (not running)): idle for');
  await expect(item).toContainText('owns no partition in this generation (more members than partitions)');
  // On an idle slot (sarama is not running it) the inspector shows no time
  // blocked and no current line.
  const insp = page.locator('#inspector');
  await selectGoroutine(page, `${slot}.claim0`);
  await expect(insp.locator('.g-state-word')).toContainText('idle');
  await expect(insp.locator('.g-counters')).toContainText('not running now');
  await expect(page.locator('#listing [aria-current]')).toHaveCount(0);
});

test('the inspector picks a goroutine of the scenario, not a client library\'s idle or card-less one', async ({ page }) => {
  // It used to pick workers-1.claim0 (a claim slot, idle until generation 1)
  // in kafka-consumer-group, and archive.conn1 (go-nsq's) in nsq-cluster.
  for (const preset of ['kafka-consumer-group', 'nsq-cluster']) {
    await openPage(page);
    await selectPreset(page, preset);
    await runUntil(page, 3_000_000, 5);
    await expect(page.locator('#inspector .g-head')).toBeVisible();
    await expect(page.locator('#inspector .g-library'), preset).toBeHidden();
    await expect(page.locator('#inspector .g-state-word'), preset).not.toContainText('idle');
  }
  // In sarama's hang the inspector ends on main, stuck in the user's code,
  // not on a stuck stage of the library.
  await openPage(page);
  await selectPreset(page, 'kafka-async-hang');
  await runUntil(page, 2_000_000, 5);
  await expect(page.locator('#inspector .g-head')).toContainText('main');
});

test('crashing a broker from the controls draws it down and lists it down; its buttons follow its state', async ({ page }) => {
  await openKafka(page, 'kafka-consumer-group');
  await runTo(page, 1_000_000, 5);
  const crash = page.getByRole('button', { name: 'Crash broker-2', exact: true });
  const restart = page.getByRole('button', { name: 'Restart broker-2', exact: true });
  const stop = page.getByRole('button', { name: 'Stop broker-2 cleanly', exact: true });
  await expect(restart).toHaveAttribute('aria-disabled', 'true');
  await expect(crash).not.toHaveAttribute('aria-disabled', 'true');
  // (Where it is crashed: on a busy machine the preset may have run past 1 s before runTo paused it.)
  const crashAt = await page.locator('queue-lab').evaluate((q) => q.snapshot().time_us);
  await crash.click();
  // The controller fences it when its session times out (9 s): until then
  // it stays leader and in the ISRs, and the page counts down.
  await expect.poll(async () => (await tableRows(page, 'Brokers')).find((b) => b.Broker === 'broker-2')?.State).toMatch(/^down · fenced in [89]\.\ds$/);
  await expect(crash).toHaveAttribute('aria-disabled', 'true');
  await expect(stop).toHaveAttribute('aria-disabled', 'true');
  await expect(restart).not.toHaveAttribute('aria-disabled', 'true');
  await expect.poll(async () => (await stageListTexts(page)).some((t) => /^broker broker-2: down · fenced in \d\.\ds, still leader of 2 partition\(s\)$/.test(t))).toBe(true);
  await expect(page.locator('#stage')).toHaveAttribute('aria-label', /broker-2 down/);
  expect((await tableRows(page, 'Partitions (kafka-topics.sh --describe)')).filter((p) => p.Isr.split(', ').includes('broker-2')).length).toBe(6);
  // Fenced (at most 10 s after the crash, as the countdown said): no partition keeps broker-2 as leader or in its ISR.
  await runTo(page, crashAt + 10_000_000, 10);
  expect((await tableRows(page, 'Brokers')).find((b) => b.Broker === 'broker-2')?.State).toBe('down');
  for (const p of await tableRows(page, 'Partitions (kafka-topics.sh --describe)')) {
    expect(p.Leader).not.toBe('broker-2');
    expect(p.Isr.split(', ')).not.toContain('broker-2');
  }
  // A refused command shows next to the control (the engine's words).
  await page.locator('[data-kafka-broker-row="broker-2"] button', { hasText: 'Crash' }).evaluate((b) => b.setAttribute('aria-disabled', 'false'));
  await crash.click();
  await expect(page.locator('[data-kafka-broker-row="broker-2"] .inline-error')).toContainText('already down');
  // Restart brings it back.
  await restart.click();
  await expect.poll(async () => (await tableRows(page, 'Brokers')).find((b) => b.Broker === 'broker-2')?.State).toBe('up');
  await expect(page.locator('[data-kafka-broker-row="broker-2"] .inline-error')).toHaveText('');
});

test('crashing the group coordinator\'s broker: no coordinator until the controller fences it, then the next broker loads the group and the members join there', async ({ page }) => {
  await openKafka(page, 'kafka-consumer-group');
  await runTo(page, 8_000_000, 5);
  const before = (await tableRows(page, 'Consumer groups'))[0];
  expect([before.STATE, before.COORDINATOR]).toEqual(['Stable', 'broker-1']);
  await page.getByRole('button', { name: 'Crash broker-1', exact: true }).click();
  // The members' next heartbeats are refused: their sessions end, and their
  // joins are refused while the metadata still names broker-1.
  await runTo(page, 12_000_000, 5);
  let g = (await tableRows(page, 'Consumer groups'))[0];
  expect([g.STATE, g.COORDINATOR, g.GENERATION]).toEqual(['CoordinatorNotAvailable', 'broker-1', before.GENERATION]);
  await page.locator('#eventlog-kind').selectOption('kafka_group');
  const texts = async () => (await logRows(page)).map((r) => r.text);
  expect((await texts()).filter((t) => /its heartbeat to broker-1, its coordinator, is refused/.test(t))).toHaveLength(3);
  expect((await texts()).some((t) => /its JoinGroup to broker-1 is refused/.test(t))).toBe(true);
  // Fenced 9 s after the crash: broker-2 loads the group, the members join
  // there, and the leader's rejoin makes the next generation.
  await runTo(page, 22_000_000, 5);
  g = (await tableRows(page, 'Consumer groups'))[0];
  expect([g.STATE, g.COORDINATOR, Number(g.GENERATION)]).toEqual(['Stable', 'broker-2', Number(before.GENERATION) + 1]);
  expect((await texts()).some((t) => /^group workers: broker-2 is its coordinator now/.test(t))).toBe(true);
  expect((await stageListTexts(page)).find((t) => t.startsWith('group workers:'))).toMatch(new RegExp(`generation ${g.GENERATION}\\b`));
});

test('a clean stop from the controls moves its leaderships at once', async ({ page }) => {
  await openKafka(page, 'kafka-consumer-group');
  await runTo(page, 1_000_000, 5);
  const led = (await tableRows(page, 'Partitions (kafka-topics.sh --describe)')).filter((p) => p.Leader === 'broker-3').length;
  expect(led).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Stop broker-3 cleanly', exact: true }).click();
  await expect.poll(async () => (await tableRows(page, 'Brokers')).find((b) => b.Broker === 'broker-3')?.State).toBe('down');
  for (const p of await tableRows(page, 'Partitions (kafka-topics.sh --describe)')) {
    expect(p.Leader).not.toBe('broker-3');
    expect(p.Isr.split(', ')).not.toContain('broker-3');
  }
  await expect.poll(async () => (await logRows(page)).some((r) => r.kind === 'kafka_broker_stop' && r.text.startsWith('broker-3 shut down cleanly'))).toBe(true);
});

test('kafka-clean-stop: a broker back from a stop leads its partition again at the controller\'s preferred-leader balance', async ({ page }) => {
  await openKafka(page, 'kafka-clean-stop');
  const leaderOf0 = async () => (await tableRows(page, 'Partitions (kafka-topics.sh --describe)')).find((p) => p.Partition === '0')?.Leader;
  // broker-1 stopped at 3 s and is back at 6 s: events-0 still on broker-2 until the balance, 3 s after the move.
  await runTo(page, 7_000_000, 2);
  expect(await clockUs(page)).toBeLessThan(9_000_000);
  expect(await leaderOf0()).toBe('broker-2');
  // The Topics and brokers panel says when the balance comes.
  await expect(page.locator('#kafka-area')).toContainText(/auto\.leader\.rebalance\.enable=true: 3\.0s after a partition lost its preferred leader .* the next balance in \d(\.\d)?s\./);
  expect((await tableRows(page, 'Brokers')).find((b) => b.Broker === 'broker-1')?.State).toBe('up');
  await runTo(page, 9_500_000, 5);
  expect(await leaderOf0()).toBe('broker-1');
  await page.locator('#eventlog-kind').selectOption('kafka_election');
  await expect.poll(async () => (await logRows(page)).map((r) => r.text.split(' (')[0]))
    .toEqual(['events-0: broker-1 leads again, its preferred replica', 'events-0: broker-2 elected leader']); // newest first
});

test('a member that leaves from the controls gives up its partitions, and the generation goes up', async ({ page }) => {
  await openKafka(page, 'kafka-consumer-group');
  // The first generation forms a little after 6 s (3 s initial rebalance delay after the joins).
  await runTo(page, 8_000_000, 5);
  const before = Number((await tableRows(page, 'Consumer groups'))[0].GENERATION);
  expect(before).toBeGreaterThan(0);
  const rows = page.locator('[data-kafka-member-row]');
  await expect(rows).toHaveCount(3);
  const first = await rows.first().getAttribute('data-kafka-member-row');
  const id = first.split(' ').slice(1).join(' ');
  await page.getByRole('button', { name: `Leave: member ${id} of group workers leaves the group`, exact: true }).click();
  // The others rejoin at their next heartbeat (3 s).
  await runTo(page, 14_000_000, 5);
  const members = await tableRows(page, 'Members');
  const gone = members.find((m) => m.MEMBER === id);
  expect(gone.PARTITIONS).toBe('-');
  expect(Number((await tableRows(page, 'Consumer groups'))[0].GENERATION)).toBeGreaterThan(before);
  await expect(page.getByRole('button', { name: `Start member ${id} of group workers`, exact: true })).not.toHaveAttribute('aria-disabled', 'true');
});

test('a member that crashes before committing: its records are handled again, and the guarantees panel counts the duplicates', async ({ page }) => {
  await openKafka(page, 'kafka-consumer-group');
  // Past the first generation (a little after 6 s) and its first auto-commits,
  // halfway between two of them (they run on whole seconds).
  await runTo(page, 8_500_000, 5);
  expect(await figure(page, 'duplicates')).toBe(0);
  // The totals strip: handlers end the records' journeys, no Go sink does,
  // so it has no "delivered" and its latency is produce to finish.
  expect(await page.locator('#totals dt').allTextContents()).not.toContain('delivered');
  const latency = page.locator('#totals div', { has: page.locator('dt', { hasText: /^latency to finish p50 \/ p99$/ }) }).locator('dd');
  await expect(latency).toHaveText(/^\d+(\.\d)?(µs|ms|s) \/ \d+(\.\d)?(µs|ms|s)$/);
  // It leads with Kafka's own figures, the guarantees panel's (no Go values' sum: no Go channel of its own).
  expect(await totalOf(page, /^acked$/)).toBe(await figure(page, 'acked'));
  expect(await totalOf(page, /^consumed$/)).toBe(await figure(page, 'consumed'));
  expect(await page.locator('#totals dt').allTextContents()).not.toContain('produced (Go values)');
  await expect(page.locator('#groups-heading')).toHaveText('Go goroutine groups');
  const first = await page.locator('[data-kafka-member-row]').first().getAttribute('data-kafka-member-row');
  const id = first.split(' ').slice(1).join(' ');
  // Crash (not leave): what it handled since the last auto-commit (1 s) was never committed.
  await page.getByRole('button', { name: `Crash member ${id} of group workers`, exact: true }).click();
  // The group notices after the session timeout (10 s), rebalances, and the new owner starts from the committed offset.
  // (The preset ends at 30 s.)
  await runTo(page, 25_000_000, 10);
  expect(await figure(page, 'duplicates')).toBeGreaterThan(0);
  await expect(page.locator('[data-kafka-figure="duplicates"]')).toHaveAttribute('data-bad', 'true');
});

test('share round trip on a Kafka preset: the link opens the same run, to the event', async ({ page, context }) => {
  await openKafka(page, 'kafka-acks1-loss');
  await runTo(page, 7_000_000, 5);
  await pause(page);
  const hash = await page.locator('#clock').getAttribute('data-hash');
  const t = await clockUs(page);
  const url = await copyLink(page);
  const other = await context.newPage();
  await other.goto(url);
  await expect.poll(() => clockUs(other), { timeout: 30_000 }).toBe(t);
  await expect(other.locator('#clock')).toHaveAttribute('data-hash', hash);
  await expect(other.locator('#kafka-area')).toBeVisible();
  expect(await other.locator('[data-kafka-figure]').allTextContents()).toEqual(await page.locator('[data-kafka-figure]').allTextContents());
});

/** The total lag the page's Kafka lag chart states in its text summary. */
async function chartLag(page) {
  const text = await page.locator('#kafka-charts [data-chart="kafka-lag-partitions"] .visually-hidden').textContent();
  const m = /total lag (\d+(?:\.\d+)?)(k?) records/.exec(text);
  if (!m) throw new Error(`no total lag in: ${text}`);
  return Number(m[1]) * (m[2] ? 1000 : 1);
}

test('lag grows in the page\'s lag chart when the handler is slowed from the controls', async ({ page }) => {
  await openKafka(page, 'kafka-consumer-group');
  await expect(page.locator('#kafka-charts')).toBeVisible();
  // No Go channel of the scenario's own: of the Go charts only blocked goroutines shows.
  await expect(page.locator('#charts figure[data-chart="lens"]')).toBeHidden();
  await expect(page.locator('#charts figure[data-chart="blocked"]')).toBeVisible();
  await runTo(page, 8_000_000, 5);
  await expect.poll(() => chartLag(page), { timeout: 10_000 }).toBeGreaterThanOrEqual(0);
  const before = await chartLag(page);
  const field = page.getByLabel('Group workers: handler work per record');
  await field.fill('300ms');
  await field.press('Enter');
  await expect(page.locator('[data-kafka-work-row="workers"] .inline-error')).toHaveText('');
  await runTo(page, 25_000_000, 5);
  await expect.poll(() => chartLag(page), { timeout: 10_000 }).toBeGreaterThan(before + 50);
  // A bad value is refused next to the field, and changes nothing.
  await field.fill('soon');
  await field.press('Enter');
  await expect(page.locator('[data-kafka-work-row="workers"] .inline-error')).not.toHaveText('');
  await expect(field).toHaveAttribute('aria-invalid', 'true');
});

const HOSTILE = '<img src=x onerror=alert(1)>';

test('hostile names show as text: in the Kafka panels, controls and stage list', async ({ page }) => {
  await openPage(page);
  const drawn = await page.evaluate(async (bad) => {
    const { createKafkaPanels } = await import('/kafka-panels.js');
    const { createKafkaControls } = await import('/kafka-controls.js');
    const host = document.createElement('div');
    document.body.append(host);
    const [g, t, u, c] = [0, 1, 2, 3].map(() => host.appendChild(document.createElement('div')));
    const key = `${bad}-0`;
    const snap = {
      status: 'running', groups: [], goroutines: [], channels: [],
      kafka: {
        brokers: [{ id: 1, name: bad, up: false, leads: 0 }],
        partitions: [{ topic: bad, partition: 0, leader: null, replicas: [1], isr: [], live: [], log_start: 0, high_watermark: 1, log_end: 2, replica_leo: [2], leader_epoch: 1 }],
        producers: [{ name: bad, kind: 'async', acks: bad, sent: 1, acked: 0, failed: 0 }],
        consumers: [{ name: bad, topic: bad, partition: 0, offset: 0, high_watermark: 1, lag: 1, consumed: 0, stopped: false }],
        groups: [{ name: bad, generation: 2, state: bad, rebalances: 1, coordinator: 1, assignor: bad,
          members: [{ id: bad, state: 'running', partitions: [key], marked: [[key, 1]], consumed: 0 }],
          rows: [{ topic: bad, partition: 0, current_offset: 0, log_end_offset: 2, lag: 2, consumer_id: bad }] }],
        guarantees: { produced: 1, sending: 0, acked: 0, failed: 0, lost_after_ack: 0, lost_unclean: 0, lost_unacked: 0, deleted_by_retention: 0, skipped: 0, consumed: 0, duplicates: 0, out_of_order: 0 },
        unclean_leader_election: false,
        cuts: [[bad, bad]],
        simplifications: [bad],
      },
    };
    createKafkaPanels({ groups: g, topics: t, guarantees: u }).update(snap);
    createKafkaControls(c, { onCommand: () => true }).update(snap);
    const out = { imgs: host.querySelectorAll('img').length, text: host.textContent.split(bad).length - 1 };
    host.remove();
    return out;
  }, HOSTILE);
  expect(drawn.imgs).toBe(0);
  expect(drawn.text).toBeGreaterThan(10);

  // A Kafka scenario with hostile names, opened from a link: accepted or refused, never markup.
  const scenario = {
    name: 'kafka-hostile', seed: 1, stop_at: '5s',
    kafka: { brokers: 1, topics: [{ name: 'events' }], producers: [{ name: 'producer', acks: 'all' }],
      groups: [{ name: HOSTILE, topics: ['events'], members: 2 }] },
    goroutines: [{ name: 'sender', behavior: { program: [{ forever: [{ sleep: '10ms' }, { kafka_send: { producer: 'producer', topic: 'events' } }] }] } }],
  };
  const hash = await page.evaluate(async (json) => {
    const { encodeShare } = await import('/share.js');
    return encodeShare({ scenarioJson: json, speed: 1, t_us: 0, paused: false });
  }, JSON.stringify(scenario));
  await page.goto(`/${hash}`);
  await expect.poll(async () => {
    const err = await page.locator('#error-text').textContent();
    if (err && err.includes(HOSTILE)) return 'refused as text';
    const groups = await tableRows(page, 'Consumer groups');
    return groups.some((r) => r.GROUP === HOSTILE) ? 'shown as text' : 'not yet';
  }, { timeout: 15_000 }).not.toBe('not yet');
  await page.waitForTimeout(500);
  await expect(page.locator('img')).toHaveCount(0);
});

test('every Kafka control and panel widget has an accessible name', async ({ page }) => {
  await openKafka(page, 'kafka-rebalance');
  await runTo(page, 1_000_000, 5);
  const unnamed = await page.locator('#kafka-controls, #kafka-area').evaluateAll((roots) => {
    const out = [];
    for (const root of roots) {
      for (const e of root.querySelectorAll('button, input, select, [role="region"]')) {
        const name = (e.getAttribute('aria-label') || e.textContent || '').trim();
        if (!name) out.push(e.outerHTML.slice(0, 80));
      }
    }
    return out;
  });
  expect(unnamed).toEqual([]);
  const labels = await page.locator('#kafka-controls button').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
  expect(labels).toContain('Crash broker-1');
  expect(labels).toContain('Start member workers-3 of group workers');
  expect(new Set(labels).size).toBe(labels.length);
  // Buttons that do not apply say why.
  const off = page.locator('#kafka-controls button[aria-disabled="true"]');
  expect(await off.count()).toBeGreaterThan(0);
  for (const title of await off.evaluateAll((bs) => bs.map((b) => b.title))) expect(title.length).toBeGreaterThan(5);
});

test('screenshots: Kafka presets at 1280x720 and 400 px', async ({ page }) => {
  for (const name of ['kafka-consumer-group', 'kafka-acks1-loss', 'kafka-async-hang']) {
    await page.setViewportSize({ width: 1280, height: 720 });
    await openKafka(page, name);
    await runTo(page, name === 'kafka-acks1-loss' ? 6_500_000 : 4_000_000, 5);
    await page.screenshot({ path: `${RESULTS_DIR}kafka-${name}-1280.png` });
    await page.setViewportSize({ width: 400, height: 900 });
    await page.waitForTimeout(400);
    await page.screenshot({ path: `${RESULTS_DIR}kafka-${name}-400.png` });
    // Nothing wider than the page at 400 px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);
  }
});

/** The Kafka view's record-token tallies (the stage's data-kafka-tokens: "produce:3 replicate:6 ..."). */
async function tokenCounts(page) {
  const s = (await page.locator('#stage').getAttribute('data-kafka-tokens')) || '';
  return Object.fromEntries(s.split(' ').filter(Boolean).map((kv) => { const [k, v] = kv.split(':'); return [k, Number(v)]; }));
}

test('records move as tokens: produced to the leader, replicated to the ISR, fetched by members; a reprocessed record is a red duplicate', async ({ page }) => {
  await openKafka(page, 'kafka-rebalance');
  await runTo(page, 9_000_000, 2);
  const early = await tokenCounts(page);
  expect(early.produce).toBeGreaterThan(0);
  expect(early.replicate).toBeGreaterThan(0); // replication factor 3: the followers in the ISR get each record
  expect(early.fetch).toBeGreaterThan(0);
  expect(early.duplicate ?? 0).toBe(0);
  // workers-1 crashes at 20.5 s; at 32 s its partitions' new owner reads again what it had not committed.
  await runTo(page, 31_000_000, 10);
  await runTo(page, 33_000_000, 1);
  expect((await tokenCounts(page)).duplicate).toBeGreaterThan(0);
  await page.locator('#eventlog-kind').selectOption('kafka_duplicate');
  await expect.poll(async () => (await logRows(page)).filter((r) => r.kind === 'kafka_duplicate').map((r) => r.text).join('\n'))
    .toMatch(/workers-\d\.claim\d: events-\d offset \d+ is read again .*a duplicate, reprocessed/);
});

test('a rebalance hands partitions around: released to the group, then given to the members; a crashed member\'s partitions show unread', async ({ page }) => {
  await openKafka(page, 'kafka-rebalance');
  // Generation 1 before 7 s (after the coordinator's initial delay of 3 s): the four partitions go out of the group to two members.
  await runTo(page, 7_000_000, 2);
  const first = await tokenCounts(page);
  expect(first.assign).toBe(4);
  expect(first.release ?? 0).toBe(0);
  expect(first.hw).toBeGreaterThan(0); // the high watermark moved up as records were acked
  // workers-3 starts at 8 s: an eager rebalance takes all four back and gives them out again, over three members.
  await runTo(page, 12_000_000, 2);
  const second = await tokenCounts(page);
  expect(second.release).toBe(4);
  expect(second.assign).toBe(8);
  // Each member says what its ConsumeClaim goroutines do, one per partition it owns.
  const member = page.locator('#stage-list li', { hasText: /^group workers member workers-3 \(running\): owns events-\d/ });
  await expect(member).toHaveText(/; consumed \d+; claim0 (working on main#\d+|fetching)$/);
  // workers-1 crashes at 20.5 s: its partitions are read by no one until the session timeout (10 s) ends it.
  await runTo(page, 22_000_000, 4);
  expect((await tokenCounts(page)).release).toBe(6);
  const unread = page.locator('#stage-list li', { hasText: 'read by no member now' });
  await expect(unread).toHaveCount(1);
  await expect(unread).toHaveText(/group workers: read by no member now: events-\d, events-\d$/);
  await runTo(page, 34_000_000, 10);
  await expect(unread).toHaveCount(0);
});

test('a leader election shows as an L badge on the new leader', async ({ page }) => {
  await openKafka(page, 'kafka-acks1-loss');
  await runTo(page, 8_000_000, 2);
  expect((await tokenCounts(page)).election).toBeGreaterThan(0);
});
