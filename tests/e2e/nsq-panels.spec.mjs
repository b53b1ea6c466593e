// NSQ in the playground, the panels (issue 13): an NSQ preset shows the
// nsqadmin and guarantees panels, the NSQ controls and charts (and a Go
// preset none of them); nsqadmin's row actions and the NSQ controls act on
// the run (a paused channel drains its in-flight and grows its depth, a
// crashed consumer's connection leaves the clients table, a node's buttons
// follow its state); a guarantees figure lists its messages; the event log
// gets NSQ filters when events say where they happened; hostile names and
// refusals are shown as text.
import { test, expect, openPage, selectPreset, setSpeed, play, pause, DEFAULT_PRESET } from './helpers.mjs';

/** The rows of the nsqadmin (or guarantees) table captioned `caption`, as { header: cell text } objects. */
async function tableRows(page, caption, root = '#nsq-area') {
  return page.locator(root).evaluate((box, cap) => {
    const table = [...box.querySelectorAll('table')].find((t) => t.caption && t.caption.textContent === cap);
    if (!table || table.hidden) return [];
    const heads = [...table.tHead.rows[0].cells].map((c) => c.textContent);
    return [...table.tBodies[0].rows].map((tr) => Object.fromEntries(heads.map((h, i) => [h, tr.cells[i] ? tr.cells[i].textContent : ''])));
  }, caption);
}

const channelRow = async (page, name) => (await tableRows(page, 'Channels')).find((r) => r.Channel.startsWith(name));

/** Opens an NSQ preset and plays it at `speed` until `ready` holds. */
async function openNsq(page, preset, speed = 5) {
  await openPage(page);
  await selectPreset(page, preset);
  await setSpeed(page, speed);
  await play(page);
}

test('an NSQ preset shows the nsqadmin and guarantees panels, NSQ controls and charts; a Go preset none of them', async ({ page }) => {
  await openPage(page);
  // Presets are grouped by system.
  const groups = await page.locator('#preset optgroup').evaluateAll((gs) => gs.map((g) => [g.label, g.querySelectorAll('option').length]));
  expect(groups.map((g) => g[0])).toEqual(['Go channels', 'NSQ', 'Kafka']);
  await expect(page.locator('#preset optgroup[label="NSQ"] option[value="nsq-single"]')).toHaveCount(1);
  await expect(page.locator('#preset optgroup[label="Go channels"] option[value="backpressure"]')).toHaveCount(1);
  await expect(page.locator('#nsq-area')).toBeHidden();
  await expect(page.locator('#nsq-controls')).toBeHidden();

  await selectPreset(page, 'nsq-load-balancing');
  await setSpeed(page, 5);
  await expect(page.locator('#nsq-panel')).toBeVisible();
  await expect(page.locator('#guarantees-panel')).toBeVisible();
  await expect(page.locator('#nsq-controls')).toBeVisible();
  await expect.poll(async () => (await channelRow(page, 'events / jobs'))?.Messages ?? '0', { timeout: 10_000 }).not.toBe('0');
  const heads = await page.locator('#nsqadmin table').filter({ hasText: 'Timed Out' }).locator('thead th').allTextContents();
  for (const h of ['Depth', 'Memory + Disk', 'In-Flight', 'Deferred', 'Requeued', 'Timed Out', 'Messages', 'Connections', 'E2E p50', 'E2E p99']) {
    expect(heads).toContain(h);
  }
  // The E2E columns say what they cover: nsqd's window, not the whole run.
  await expect(page.locator('#nsqadmin th', { hasText: 'E2E p99' })).toHaveAttribute('title', /last 5 to 10 minutes/);
  const clientHeads = await page.locator('#nsqadmin table').filter({ hasText: 'Ready Count' }).locator('thead th').allTextContents();
  expect(clientHeads).toEqual(expect.arrayContaining(['Ready Count', 'In-Flight', 'Finished', 'Requeued']));
  await expect.poll(async () => (await tableRows(page, 'Clients')).map((r) => r.Client).sort(), { timeout: 10_000 })
    .toEqual(['worker-a conn1', 'worker-b conn1']);
  const nodes = await tableRows(page, 'Nodes');
  expect(nodes).toEqual([expect.objectContaining({ NSQd: 'nsqd-1', Status: 'up', Expiry: expect.stringMatching(/^exact/) })]);
  await expect.poll(async () => (await tableRows(page, 'What each channel did with its messages')).length, { timeout: 10_000 }).toBe(1);
  // NSQ charts per channel, above the Go charts.
  await expect(page.locator('#nsq-charts [data-nsq-chart="events / jobs"] figure')).toHaveCount(4, { timeout: 10_000 });
  await expect(page.locator('#nsq-charts figure[data-chart="nsq-depth"] figcaption')).toHaveText('Depth');
  await expect(page.locator('#nsq-charts figure[data-chart="nsq-e2e"] figcaption')).toHaveAttribute('title', /last 5 to 10 minutes/);

  // Events that say where in NSQ they happened bring the log's NSQ filters.
  const eventsSayWhere = await page.evaluate(async () => {
    const m = await import('/pkg/queuelab_wasm.js');
    await m.default(); // the full module: the page itself runs nsq-single in the NSQ one
    const p = m.Playground.from_preset('nsq-single');
    p.advance(2e6);
    const any = p.take_events(2000).some((e) => e.nsq);
    p.free();
    return any;
  });
  if (eventsSayWhere) {
    await expect(page.locator('#eventlog-nsq-nsqd')).toBeVisible();
    await expect(page.locator('#eventlog-nsq-nsqd option', { hasText: 'nsqd-1' })).toHaveCount(1);
    await page.locator('#eventlog-nsq-nsqd').selectOption('nsqd-1');
    await expect(page.locator('#eventlog .ql-eventlog-count')).toContainText('matching rows');
  }

  await selectPreset(page, DEFAULT_PRESET);
  await expect(page.locator('#eventlog-nsq-nsqd')).toHaveCount(0);
  await expect(page.locator('#nsq-area')).toBeHidden();
  await expect(page.locator('#nsq-controls')).toBeHidden();
  await expect(page.locator('#nsq-charts')).toBeHidden();
  await expect(page.locator('#charts figure[data-chart="lens"]')).toBeVisible();
});

test('pausing a channel from nsqadmin drains its in-flight and grows its depth; unpausing delivers again', async ({ page }) => {
  await openNsq(page, 'nsq-load-balancing');
  await expect.poll(async () => Number((await channelRow(page, 'events / jobs'))?.['In-Flight'] ?? 0), { timeout: 10_000 }).toBeGreaterThan(0);
  const pauseBtn = page.getByRole('button', { name: 'Pause channel events/jobs on nsqd-1' });
  await pauseBtn.click();
  await expect(page.getByRole('button', { name: 'Unpause channel events/jobs on nsqd-1' })).toHaveText('Unpause');
  await expect.poll(async () => (await channelRow(page, 'events / jobs')).Channel).toBe('events / jobs (paused)');
  await expect.poll(async () => Number((await channelRow(page, 'events / jobs'))['In-Flight']), { timeout: 10_000 }).toBe(0);
  const depth0 = Number((await channelRow(page, 'events / jobs')).Depth);
  await expect.poll(async () => Number((await channelRow(page, 'events / jobs')).Depth), { timeout: 10_000 }).toBeGreaterThan(depth0 + 3);
  await page.getByRole('button', { name: 'Unpause channel events/jobs on nsqd-1' }).click();
  await expect.poll(async () => (await channelRow(page, 'events / jobs')).Channel).toBe('events / jobs');
  await expect.poll(async () => Number((await channelRow(page, 'events / jobs'))['In-Flight']), { timeout: 10_000 }).toBeGreaterThan(0);
});

test('crashing a consumer from the controls takes its connection out of the clients table', async ({ page }) => {
  await openNsq(page, 'nsq-load-balancing');
  await expect.poll(async () => (await tableRows(page, 'Clients')).map((r) => r.Client).sort(), { timeout: 10_000 })
    .toEqual(['worker-a conn1', 'worker-b conn1']);
  const crash = page.getByRole('button', { name: 'Crash consumer worker-a' });
  await crash.focus(); // keyboard reachable
  await crash.press('Enter');
  await expect(page.locator('[data-consumer-row="worker-a"] .inline-error')).toHaveText('');
  await expect.poll(async () => (await tableRows(page, 'Clients')).map((r) => r.Client), { timeout: 10_000 }).toEqual(['worker-b conn1']);
  await expect.poll(async () => Number((await channelRow(page, 'events / jobs')).Connections)).toBe(1);
  // Crashed: it can be started again, and connects again.
  const start = page.getByRole('button', { name: 'Start consumer worker-a' });
  await expect(start).toHaveAttribute('aria-disabled', 'false');
  await start.click();
  await expect.poll(async () => (await tableRows(page, 'Clients')).map((r) => r.Client).sort(), { timeout: 10_000 })
    .toEqual(['worker-a conn1', 'worker-b conn1']);
});

test('consumer fields and links act on the run: max in flight sets RDY, a bad value is refused next to it, a link cuts and heals', async ({ page }) => {
  await openNsq(page, 'nsq-load-balancing');
  await expect.poll(async () => (await tableRows(page, 'Clients')).length, { timeout: 10_000 }).toBe(2);
  const mif = page.getByLabel('Max in flight of worker-b');
  await mif.fill('7');
  await mif.press('Enter');
  await expect(mif).toHaveAttribute('aria-invalid', 'false');
  await expect.poll(async () => (await tableRows(page, 'Clients')).find((r) => r.Client === 'worker-b conn1')['Ready Count'], { timeout: 10_000 }).toBe('7');
  const fail = page.getByLabel("Failure rate of worker-b's handler (0 to 1)");
  await fail.fill('2');
  await fail.press('Enter');
  await expect(fail).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('[data-consumer-row="worker-b"] .inline-error')).toHaveText('failure rate must be a number from 0 to 1');
  await fail.fill('0.5');
  await fail.press('Enter');
  await expect(fail).toHaveAttribute('aria-invalid', 'false');
  await expect(page.locator('[data-consumer-row="worker-b"] .inline-error')).toHaveText('');
  const work = page.getByLabel('Handler work time of worker-b');
  await work.fill('not a duration');
  await work.press('Enter');
  await expect(work).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('[data-consumer-row="worker-b"] .inline-error')).not.toHaveText('');
  await page.getByRole('button', { name: 'Cut the link producer to nsqd-1' }).click();
  await expect(page.locator('[data-link-row="producer nsqd-1"] .inline-error')).toHaveText('');
  await page.getByRole('button', { name: 'Heal the link producer to nsqd-1' }).click();
  await expect(page.locator('[data-link-row="producer nsqd-1"] .inline-error')).toHaveText('');
});

test('node buttons follow the node: restart is off while it is up, crash takes it down and turns restart on', async ({ page }) => {
  await openNsq(page, 'nsq-single');
  const restart = page.getByRole('button', { name: 'Restart nsqd-1' });
  await expect(restart).toHaveAttribute('aria-disabled', 'true');
  await expect(restart).toHaveAttribute('title', /nsqd-1 is up/);
  await restart.click({ force: true }); // an aria-disabled button sends nothing
  await expect(page.locator('[data-nsqd-row="nsqd-1"] .inline-error')).toHaveText('');
  await page.getByRole('button', { name: /^Crash nsqd-1/ }).click();
  await expect.poll(async () => (await tableRows(page, 'Nodes'))[0].Status).toBe('down');
  await expect(restart).toHaveAttribute('aria-disabled', 'false');
  await expect(page.getByRole('button', { name: /^Crash nsqd-1/ })).toHaveAttribute('title', /already down/);
  // nsqadmin's actions on the down node say why they are off.
  await expect(page.locator('#nsqadmin [aria-label^="Empty channel events/jobs"]').first()).toHaveAttribute('title', /nsqd-1 is down/);
  await restart.click();
  await expect.poll(async () => (await tableRows(page, 'Nodes'))[0].Status).toBe('up');
});

test('tombstoning a topic on a node (a scenario with nsqlookupds): the button is there and the command is taken', async ({ page }) => {
  await openNsq(page, 'nsq-cluster', 10);
  const tomb = page.getByRole('button', { name: 'Tombstone topic events on nsqd-1' });
  await expect(tomb).toBeVisible({ timeout: 15_000 });
  await tomb.click();
  const error = page.locator('#nsqadmin [aria-label="Tombstone topic events on nsqd-1"] ~ .inline-error');
  await expect(error).toHaveText('');
});

test('an nsqlookupd crashes and restarts from the controls: nsqadmin and the stage say it is down, the nodes register again', async ({ page }) => {
  await openNsq(page, 'nsq-cluster', 10);
  const restart = page.getByRole('button', { name: 'Restart lookupd-1' });
  await expect(restart).toBeVisible({ timeout: 15_000 });
  await expect(restart).toHaveAttribute('aria-disabled', 'true');
  const lookupdRow = async () => (await tableRows(page, 'nsqlookupd: connected nodes')).find((r) => r.nsqlookupd === 'lookupd-1');
  await expect.poll(async () => (await lookupdRow())?.['NSQd connected']).toMatch(/nsqd-1/);
  await page.getByRole('button', { name: 'Crash lookupd-1' }).click();
  await expect(page.locator('[data-lookupd-row="lookupd-1"] .inline-error')).toHaveText('');
  await expect(page.locator('[data-lookupd-row="lookupd-1"] .badge')).toHaveText('down');
  await expect.poll(async () => (await lookupdRow())?.['NSQd connected']).toBe('down (knows nothing, refuses lookups)');
  await expect(page.getByRole('button', { name: 'Crash lookupd-1' })).toHaveAttribute('title', /already down/);
  // The stage's text list says so too, and the event log's nsqlookupd filter finds the crash.
  await expect(page.locator('#stage-list')).toContainText('nsqlookupd lookupd-1: down');
  await page.locator('#eventlog-nsq-lookupd').selectOption('lookupd-1');
  await expect(page.locator('.ql-eventlog-rows')).toContainText('nsqlookupd lookupd-1 crashed: every registration it held is gone');
  await page.locator('#eventlog-nsq-lookupd').selectOption('');
  await restart.click();
  await expect(page.locator('[data-lookupd-row="lookupd-1"] .badge')).toHaveText('up');
  // Empty after its restart; each node registers again at its second ping after the crash (within 30 s).
  await expect.poll(async () => (await lookupdRow())?.['NSQd connected'], { timeout: 20_000 }).toMatch(/nsqd-1.*nsqd-3|nsqd-3.*nsqd-1/);
});

test('a guarantees figure lists the messages behind it, and a message opens its life', async ({ page }) => {
  await openNsq(page, 'nsq-single');
  const published = page.locator('#guarantees button[data-figure="published"]').first();
  await expect.poll(async () => Number(await published.getAttribute('data-count')), { timeout: 10_000 }).toBeGreaterThan(2);
  await pause(page);
  await expect(published).toHaveAccessibleName(/^Published in events \/ jobs: \d+\. List them$/);
  await published.click();
  await expect(page.locator('#guarantees-list-heading')).toHaveText('Messages published in events / jobs');
  const hasApi = await page.evaluate(async () => {
    const m = await import('/pkg/queuelab_wasm.js');
    return typeof m.Playground.prototype.nsq_messages === 'function' && typeof m.Playground.prototype.nsq_message_life === 'function';
  });
  // web/pkg is built from this tree: the engine lists messages (no fallback to settle for).
  expect(hasApi).toBe(true);
  const items = page.locator('#guarantees .nsq-msg-list button.nsq-msg');
  await expect(items.first()).toBeVisible();
  expect(await items.count()).toBeGreaterThan(2);
  await expect(items.first().locator('.nsq-msg-label')).toHaveText(/^producer#\d+$/);
  await items.first().click();
  await expect(items.first()).toHaveAttribute('aria-current', 'true');
  await expect(page.locator('#guarantees-life-heading')).toHaveText(/^Life of producer#\d+$/);
  await expect(page.locator('#guarantees-life-heading')).toBeFocused();
  expect((await tableRows(page, 'Copies of the message', '#guarantees')).length).toBeGreaterThan(0);
});

test('the guarantees panel lists what nsq_messages returns and draws nsq_message_life (a stand-in playground)', async ({ page }) => {
  await openPage(page);
  const out = await page.evaluate(async () => {
    const { createGuarantees } = await import('/guarantees.js');
    const host = document.createElement('div');
    document.body.append(host);
    const calls = [];
    const pg = {
      time_us: 2_500_000,
      nsq_messages(topic, channel, figure, max) {
        calls.push([topic, channel, figure, max]);
        return [{ msg: 7, label: 'producer#3', detail: 'handled 2 times' }, { msg: 9, label: 'producer#5', detail: 'handled 3 times' }];
      },
      nsq_message_life(msg) {
        calls.push(['life', msg]);
        return { msg, label: 'producer#3', topic: 'events', published_us: 1_200_000,
          copies: [{ nsqd: 'nsqd-1', channel: 'jobs', attempts: 2, place: 'finished', handled: 2 }] };
      },
    };
    const g = createGuarantees(host);
    const snap = { status: 'running', nsq: { nodes: [], guarantees: [{ topic: 'events', channel: 'jobs', published: 10, finished: 8,
      handled_once: 6, handled_more_than_once: 2, lost: [['unclean_crash', 1], ['emptied', 0]], reordered: 0, live: 1 }] } };
    g.update(snap, pg);
    const figures = [...host.querySelectorAll('button.figure')].map((b) => [b.dataset.figure, b.textContent]);
    const causes = host.querySelector('.nsq-causes').textContent;
    host.querySelector('button[data-figure="handled_more_than_once"]').click();
    const heading = host.querySelector('#guarantees-list-heading').textContent;
    const listed = [...host.querySelectorAll('.nsq-msg')].map((b) => b.textContent);
    host.querySelector('.nsq-msg[data-msg="7"]').click();
    const life = host.querySelector('#guarantees-life-heading').textContent;
    const focused = (document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement) === host.querySelector('#guarantees-life-heading');
    const copies = [...host.querySelectorAll('.nsq-life tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent));
    g.update(snap, pg); // a refresh keeps the list and the life open
    const stillOpen = !host.querySelector('.nsq-life').hidden && host.querySelectorAll('.nsq-msg').length === 2;
    host.remove();
    return { figures, causes, heading, listed, life, focused, copies, calls, stillOpen };
  });
  expect(out.figures).toEqual([['published', '10'], ['finished', '8'], ['handled_more_than_once', '2'], ['lost', '1'], ['reordered', '0'], ['live', '1']]);
  expect(out.causes).toBe('1 unclean crash');
  expect(out.heading).toBe('Messages handled more than once in events / jobs');
  expect(out.listed).toEqual(['producer#3handled 2 times', 'producer#5handled 3 times']);
  expect(out.life).toBe('Life of producer#3');
  expect(out.focused).toBe(true);
  expect(out.copies).toEqual([['nsqd-1', 'jobs', '2', '2', 'finished']]);
  expect(out.calls).toEqual([['events', 'jobs', 'handled_more_than_once', 100], ['life', 7]]);
  expect(out.stillOpen).toBe(true);
});

const HOSTILE = '<img src=x onerror=alert(1)>';

test('hostile names and refusals show as text: a refused scenario, a refused channel name, and names drawn by the panels', async ({ page }) => {
  await openPage(page);
  // 1. A scenario with a hostile consumer name is refused by the engine; the refusal is text.
  const scenario = {
    name: 'nsq-hostile', seed: 1,
    nsq: { nsqd: [{ name: 'nsqd-1' }], consumers: [{ name: HOSTILE, topic: 'events', channel: 'jobs', nsqd: ['nsqd-1'] }] },
    goroutines: [{ name: 'producer', behavior: { program: [{ forever: [{ sleep: '100ms' }, { publish: { nsqd: 'nsqd-1', topic: 'events' } }] }] } }],
  };
  const hash = await page.evaluate(async (json) => {
    const { encodeShare } = await import('/share.js');
    return encodeShare({ scenarioJson: json, speed: 1, t_us: 0, paused: true });
  }, JSON.stringify(scenario));
  await page.goto(`/${hash}`);
  await expect(page.locator('#error-text')).toContainText(HOSTILE, { timeout: 15_000 });
  await expect(page.locator('img')).toHaveCount(0);

  // 2. A hostile channel name typed into nsqadmin's Create channel: refused next to the control, as text.
  await selectPreset(page, 'nsq-single');
  await expect(page.locator('[data-nsq-create="where"] option')).not.toHaveCount(0, { timeout: 10_000 });
  await page.locator('[data-nsq-create="name"]').fill(HOSTILE);
  await page.locator('[data-nsq-create="button"]').click();
  await expect(page.locator('.nsq-create .inline-error')).toContainText(HOSTILE);
  // A good one is created.
  await page.locator('[data-nsq-create="name"]').fill('audit');
  await page.locator('[data-nsq-create="name"]').press('Enter');
  await expect(page.locator('.nsq-create .inline-error')).toHaveText('');
  await expect.poll(async () => (await tableRows(page, 'Channels')).map((r) => r.Channel)).toContain('events / audit');
  // 3. No nsqlookupd in this scenario: no Tombstone to offer.
  await expect(page.getByRole('button', { name: 'Tombstone topic events on nsqd-1' })).toHaveCount(0);

  // 4. The panels' own drawing, fed names the engine would refuse: text only.
  const drawn = await page.evaluate(async (bad) => {
    const { createNsqAdmin } = await import('/nsqadmin.js');
    const { createGuarantees } = await import('/guarantees.js');
    const { createNsqControls } = await import('/nsq-controls.js');
    const host = document.createElement('div');
    document.body.append(host);
    const [a, g, c] = [0, 1, 2].map(() => host.appendChild(document.createElement('div')));
    const client = { id: 0, name: `${bad} conn1`, ready_count: 1, in_flight_count: 0, message_count: 0, finish_count: 0, requeue_count: 0 };
    const channel = { name: bad, depth: 0, memory_depth: 0, backend_depth: 0, in_flight: 0, deferred: 0, message_count: 0,
      requeue_count: 0, timeout_count: 0, client_count: 1, paused: false, e2e_p50_us: null, e2e_p99_us: null, clients: [client] };
    const snap = {
      status: 'running', groups: [], goroutines: [],
      nsq: {
        nodes: [{ name: bad, expiry: 'exact', down: false, topics: [{ name: bad, depth: 0, memory_depth: 0, backend_depth: 0, message_count: 0, paused: false, channels: [channel] }] }],
        guarantees: [{ topic: bad, channel: bad, published: 1, finished: 0, handled_once: 0, handled_more_than_once: 0, lost: [['emptied', 1]], reordered: 0, live: 0 }],
        lookupd: [{ name: bad, producers: [bad], topics: [{ topic: bad, channels: [bad], producers: [bad] }] }],
        consumers: [{ name: bad, topic: bad, channel: bad, state: 'running', max_in_flight: 1, in_flight: 0, backoff: { level: 0, phase: 'none', until_us: null },
          handler_group: `${bad}.handler`, incoming: `${bad}.incoming`, finished: 0, requeued: 0, connections: [{ nsqd: bad, state: 'open', rdy: 1, in_flight: 0, cut: false }] }],
        publishers: [{ goroutine: bad, group: bad, nsqd: bad, cut: true, waiting: false }],
      },
    };
    createNsqAdmin(a, { onCommand: () => true }).update(snap);
    createGuarantees(g).update(snap, null);
    createNsqControls(c, { onCommand: () => true }).update(snap, null);
    const out = { imgs: host.querySelectorAll('img').length, text: host.textContent.split(bad).length - 1 };
    host.remove();
    return out;
  }, HOSTILE);
  expect(drawn.imgs).toBe(0);
  expect(drawn.text).toBeGreaterThan(10);
  await expect(page.locator('img')).toHaveCount(0);
});

test('a field being typed in keeps its focus and its value when the controls gain a row (a new publisher link)', async ({ page }) => {
  // The rows are rebuilt when nodes, consumers or links come and go. Moving a
  // focused field used to take its focus, and the next update then wrote the
  // engine's old value into it (CI saw max in flight 7 sent, then 1).
  await openNsq(page, 'nsq-single');
  const r = await page.evaluate(async () => {
    const { createNsqControls } = await import('/nsq-controls.js');
    const host = document.body.appendChild(document.createElement('div'));
    const sent = [];
    const controls = createNsqControls(host, { onCommand: (cmd) => { sent.push(cmd); return true; } });
    const consumer = { name: 'w', topic: 't', channel: 'c', state: 'running', max_in_flight: 1, in_flight: 0, backoff: { level: 0, phase: 'none', until_us: null },
      handler_group: 'w.handler', incoming: 'w.incoming', finished: 0, requeued: 0, connections: [{ nsqd: 'n', state: 'open', rdy: 1, in_flight: 0, cut: false }] };
    const snap = (publishers) => ({ status: 'running', groups: [], goroutines: [],
      nsq: { nodes: [{ name: 'n', expiry: 'exact', down: false, topics: [] }], guarantees: [], lookupd: [], consumers: [consumer], publishers } });
    controls.update(snap([]));
    const mif = host.querySelector('input[aria-label="Max in flight of w"]');
    mif.focus();
    mif.value = '7';
    mif.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    // The engine has not answered yet (max_in_flight still 1), and a publisher's link appears.
    controls.update(snap([{ goroutine: 'p', group: 'p', nsqd: 'n', cut: false, waiting: false }]));
    mif.dispatchEvent(new Event('change', { bubbles: true }));
    const out = { focused: document.activeElement === mif, value: mif.value, sent: sent.map((c) => c.max_in_flight) };
    host.remove();
    return out;
  });
  expect(r).toEqual({ focused: true, value: '7', sent: [7] });
});

test('the event log gets node, topic, NSQ channel and client filters once events say where in NSQ they happened', async ({ page }) => {
  await openPage(page);
  // Go events only: no NSQ filters.
  await expect(page.locator('#eventlog-nsq-nsqd')).toHaveCount(0);
  const result = await page.evaluate(async () => {
    const { createEventLog } = await import('/eventlog.js');
    const host = document.createElement('div');
    document.body.append(host);
    const log = createEventLog(host);
    const ev = (seq, nsq) => ({ seq, t_us: seq * 1000, kind: 'nsq_message', goroutine: null, channel: null, msg: seq, label: `p#${seq}`, text: `event ${seq}`, nsq });
    const hiddenBefore = host.querySelector('#eventlog-nsq-nsqd') === null;
    log.push([ev(1, undefined)]);
    const hiddenGo = host.querySelector('#eventlog-nsq-nsqd') === null;
    log.push([ev(2, { nsqd: 'nsqd-1', topic: 'events', channel: 'jobs', client: 'worker conn1' }), ev(3, { nsqd: 'nsqd-2', topic: 'events', channel: 'archive' })]);
    const shown = !host.querySelector('#eventlog-nsq-nsqd').closest('.ql-eventlog-nsq').hidden;
    const options = Object.fromEntries(['nsqd', 'topic', 'channel', 'client'].map((k) =>
      [k, [...host.querySelector(`#eventlog-nsq-${k}`).options].map((o) => o.textContent)]));
    const sel = host.querySelector('#eventlog-nsq-nsqd');
    sel.value = 'nsqd-2';
    sel.dispatchEvent(new Event('change'));
    const rows = [...host.querySelectorAll('button[data-seq]')].map((b) => Number(b.dataset.seq));
    // An nsqlookupd filter only once an event names a lookupd.
    const noLookupd = host.querySelector('#eventlog-nsq-lookupd') === null;
    sel.value = '';
    sel.dispatchEvent(new Event('change'));
    log.push([ev(4, { lookupd: 'lookupd-1' })]);
    const lk = host.querySelector('#eventlog-nsq-lookupd');
    const lookupdOptions = [...lk.options].map((o) => o.textContent);
    lk.value = 'lookupd-1';
    lk.dispatchEvent(new Event('change'));
    const lookupdRows = [...host.querySelectorAll('button[data-seq]')].map((b) => Number(b.dataset.seq));
    log.clear();
    const hiddenAfterClear = host.querySelector('#eventlog-nsq-nsqd') === null && host.querySelector('#eventlog-nsq-lookupd') === null;
    host.remove();
    return { hiddenBefore, hiddenGo, shown, options, rows, noLookupd, lookupdOptions, lookupdRows, hiddenAfterClear };
  });
  expect(result).toEqual({
    hiddenBefore: true,
    hiddenGo: true,
    shown: true,
    options: {
      nsqd: ['all nodes', 'nsqd-1', 'nsqd-2'],
      topic: ['all topics', 'events'],
      channel: ['all NSQ channels', 'jobs', 'archive'],
      client: ['all clients', 'worker conn1'],
    },
    rows: [3],
    noLookupd: true,
    lookupdOptions: ['all nsqlookupds', 'lookupd-1'],
    lookupdRows: [4],
    hiddenAfterClear: true,
  });
});

test('at 1280 px the nsqadmin tables fit their panel: a long channel name wraps rather than push E2E p99 out of sight', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await openNsq(page, 'nsq-multicast');
  await expect.poll(async () => (await channelRow(page, 'events / archive'))?.Messages ?? '0', { timeout: 10_000 }).not.toBe('0');
  const over = await page.locator('#nsqadmin .table-scroll').evaluateAll((boxes) => boxes
    .filter((b) => b.scrollWidth > b.clientWidth + 1)
    .map((b) => `${b.getAttribute('aria-label')}: ${b.scrollWidth} > ${b.clientWidth}`));
  expect(over).toEqual([]);
});

test('a long event kind in the log wraps at its spaces rather than being cut', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'nsq-single');
  await pause(page);
  await page.evaluate(() => document.querySelector('queue-lab').command({ op: 'consumer_crash', consumer: 'worker' }));
  await page.locator('#step').click();
  const kind = page.locator('#eventlog button[data-kind="nsq_consumer_crash"] .ql-ev-kind').first();
  await expect(kind).toHaveText('nsq consumer crash', { timeout: 10_000 });
  const fits = await kind.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, lines: Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)) }));
  expect(fits.scroll).toBeLessThanOrEqual(fits.client);
  // Its column is narrower than the words: it takes two lines (it was one line, cut).
  expect(fits.lines).toBeGreaterThanOrEqual(2);
});
