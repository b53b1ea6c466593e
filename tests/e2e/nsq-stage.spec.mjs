// The NSQ view on the stage: every NSQ preset draws its nodes, channels and
// consumers (in the canvas and, in words, in the stage list) without page
// errors at 1280x720 and at 400 px; a crashed consumer is drawn crashed and
// its in-flight messages wait for the msg timeout before they are delivered
// again, counted by the nsqadmin and guarantees panels; a slow handler's
// messages time out and are handled twice, and with TOUCH they are not; a
// reader blocked behind a slow handler misses heartbeats and nsqd drops it; a
// log row opens its message's life; a share link with a live NSQ command
// reopens the same run; in one column, discovery lines run down the left
// margin. Screenshots: test-results/nsq-<preset>-1280.png and -400.png.
import { test, expect, RESULTS_DIR, runUntil, openPage, selectPreset, setSpeed, clockUs, pause, play, logRows, copyLink, presetShareHash, stageListTexts } from './helpers.mjs';

test.describe.configure({ timeout: 180_000 });

async function nsqPresets(page) {
  return page.locator('#preset option').evaluateAll((os) => os.map((o) => o.value).filter((v) => v.startsWith('nsq-')));
}

const runTo = (page, us, speed = 2) => runUntil(page, us, speed, 60000);

/**
 * The event log's rows of one kind, through its kind filter (the log draws
 * only the newest rows): waits until rows of that kind show, or until the
 * log says none match.
 */
async function rowsOfKind(page, kind) {
  await page.locator('#eventlog-kind').selectOption(kind);
  let rows = [];
  await expect.poll(async () => {
    rows = (await logRows(page)).filter((r) => r.kind === kind);
    if (rows.length) return true;
    return /No event matches/.test(await page.locator('#eventlog').textContent());
  }, { timeout: 5_000 }).toBe(true);
  await page.locator('#eventlog-kind').selectOption('');
  return rows;
}

/** One cell of the nsqadmin panel's Channels table. */
async function channelCell(page, channel, column) {
  return page.locator('#nsqadmin').evaluate((box, [channel, column]) => {
    const table = [...box.querySelectorAll('table')].find((t) => t.caption && t.caption.textContent === 'Channels');
    const heads = [...table.tHead.rows[0].cells].map((c) => c.textContent);
    const row = [...table.tBodies[0].rows].find((tr) => tr.cells[0].textContent === channel);
    return row ? row.cells[heads.indexOf(column)].textContent : null;
  }, [channel, column]);
}

/** A figure of the guarantees panel's first channel row, as a number. */
async function figure(page, name) {
  const text = await page.locator(`#guarantees button[data-figure="${name}"]`).first().textContent();
  return Number(text.match(/\d+/)[0]);
}

/** The stage list's words for NSQ items: nodes (n:), channels (c:) and consumers (k:). */
async function nsqItems(page) {
  return page.locator('#stage-list li[data-item]').evaluateAll((lis) => Object.fromEntries(lis.map((li) => [li.dataset.item, li.textContent])));
}

for (const width of [1280, 400]) {
  test(`every NSQ preset draws its nodes, channels and consumers at ${width} px, with no page errors`, async ({ page }) => {
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.setViewportSize({ width, height: width === 400 ? 860 : 720 });
    await openPage(page);
    const names = await nsqPresets(page);
    expect(names.length).toBeGreaterThanOrEqual(14);
    for (const name of names) {
      await selectPreset(page, name);
      await runTo(page, 3_000_000);
      const items = await nsqItems(page);
      const keys = Object.keys(items);
      expect(keys.some((k) => k.startsWith('n:')), `${name}: an nsqd in the stage list`).toBe(true);
      expect(keys.some((k) => k.startsWith('k:')), `${name}: a consumer in the stage list`).toBe(true);
      // The canvas is as tall as the nodes and consumers need, and none is cut off: the page does not scroll sideways.
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(scroll, `${name}: no sideways scroll`).toBeLessThanOrEqual(0);
      await page.locator('#stage').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${RESULTS_DIR}nsq-${name}-${width}.png`, fullPage: width === 400 });
    }
    expect(errors).toEqual([]);
  });
}

test('consumer crash: drawn crashed; its in-flight copies wait for the msg timeout, then time out and are delivered again', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openPage(page);
  // worker-a crashes at 5s; the msg timeout is 2s. Opened exactly at 5.3s (a link to that instant:
  // playing there could overshoot into the first timeouts on a slow machine).
  await page.goto('/' + await presetShareHash(page, 'nsq-consumer-crash', { speed: 1, t_us: 5_300_000, paused: true }));
  await expect(page.locator('#clock')).toHaveText('5.300s', { timeout: 20_000 });
  await page.waitForTimeout(400);
  let items = await nsqItems(page);
  expect(items['k:worker-a']).toMatch(/\(crashed\)/);
  // Its copies are still in flight at nsqd (worker-b has at most 3).
  const inFlight = Number((items['c:nsqd-1/events/jobs'].match(/in flight (\d+)/) || [])[1]);
  expect(inFlight).toBeGreaterThan(0);
  expect(items['c:nsqd-1/events/jobs']).toMatch(/timed out 0,/);
  // After the msg timeout they time out and go to worker-b as attempt 2.
  await runTo(page, 7_600_000, 1);
  items = await nsqItems(page);
  expect(Number(items['c:nsqd-1/events/jobs'].match(/timed out (\d+),/)[1])).toBeGreaterThan(0);
  // The nsqadmin panel counts them, and the guarantees panel the messages handled twice.
  expect(Number(await channelCell(page, 'events / jobs', 'Timed Out'))).toBeGreaterThan(0);
  expect(await figure(page, 'handled_more_than_once')).toBeGreaterThan(0);
  expect(await figure(page, 'lost')).toBe(0);
  expect((await rowsOfKind(page, 'nsq_message')).some((r) => /^worker-b.* \(attempt [2-9]\)$/.test(r.text))).toBe(true);
  expect(items['k:worker-a']).toMatch(/\(crashed\)/);
  expect(items['k:worker-b']).toMatch(/\(running\)/);
});

test('slow handler: messages time out in flight and come back with a higher attempt; handled twice, and with TOUCH not', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'nsq-touch');
  await runTo(page, 4_000_000);
  expect(await figure(page, 'handled_more_than_once')).toBe(0);
  expect(await figure(page, 'finished')).toBeGreaterThan(5);
  await selectPreset(page, 'nsq-slow-handler');
  await runTo(page, 4_000_000);
  expect(await figure(page, 'handled_more_than_once')).toBeGreaterThan(0);
  expect((await rowsOfKind(page, 'nsq_timeout')).length).toBeGreaterThan(0);
  expect((await rowsOfKind(page, 'nsq_message')).some((r) => /\(attempt [2-9]\)$/.test(r.text))).toBe(true);
  // A handler working on a redelivered message says which attempt (the card, and in words the stage list).
  await setSpeed(page, 1);
  await page.locator('#play').click();
  await expect.poll(async () => (await nsqItems(page))['k:archiver'], { timeout: 15_000 }).toMatch(/handling again: \S+#\d+ \(attempt [2-9]\)/);
  await pause(page);
  expect((await rowsOfKind(page, 'nsq_fin_failed')).length).toBeGreaterThan(0);
});

test('a reader blocked behind a slow handler answers no heartbeat: nsqd drops the consumer and no FIN gets through', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'nsq-missed-heartbeats');
  await runTo(page, 59_000_000, 100);
  expect((await rowsOfKind(page, 'nsq_heartbeat_timeout')).length).toBe(0);
  await runTo(page, 65_000_000, 100);
  const drops = await rowsOfKind(page, 'nsq_heartbeat_timeout');
  expect(drops.length).toBe(1);
  expect(drops[0].text).toMatch(/^nsqd-1 heard nothing from archiver for 60s: its reader was blocked handing a message to busy handlers/);
  // go-nsq has not read the close yet: its reader is blocked holding the second message.
  expect((await rowsOfKind(page, 'nsq_conn_closed')).length).toBe(0);
  const reader = (await stageListTexts(page)).find((t) => t.includes('archiver.conn1'));
  expect(reader).toMatch(/nsqd-1 has closed the connection: go-nsq reads EOF once a handler takes this message/);
  await runTo(page, 300_000_000, 200);
  expect(await figure(page, 'finished')).toBe(0);
  // Each FIN went to the closed connection; go-nsq closed its side after the second (~166 s)
  // and reconnected a minute later, to be dropped again a minute after that.
  const fins = await rowsOfKind(page, 'nsq_finish');
  expect(fins.length).toBe(2);
  for (const f of fins) expect(f.text).toMatch(/but nsqd-1 has closed this connection: the FIN is lost on the way$/);
  // The log draws them as losses, not as flows.
  await page.locator('#eventlog-kind').selectOption('nsq_finish');
  await expect(page.locator('#eventlog ol button[data-kind="nsq_finish"][data-class="bad"]')).toHaveCount(2);
  await page.locator('#eventlog-kind').selectOption('');
  expect((await rowsOfKind(page, 'nsq_conn_closed')).length).toBe(1);
  expect((await rowsOfKind(page, 'nsq_heartbeat_timeout')).length).toBe(2);
});

test('a crashed nsqd is drawn down and said so in words; a restart brings it back', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'nsq-cluster');
  await runTo(page, 31_000_000, 10);
  expect((await nsqItems(page))['n:nsqd-2']).toMatch(/nsqd nsqd-2 \(down\)/);
  await runTo(page, 46_000_000, 10);
  expect((await nsqItems(page))['n:nsqd-2']).not.toMatch(/down/);
  await play(page);
});

test('selecting an NSQ event in the log opens its message\'s life in the guarantees panel', async ({ page }) => {
  await openPage(page);
  await selectPreset(page, 'nsq-single');
  await runTo(page, 2_000_000);
  await page.locator('#eventlog-kind').selectOption('nsq_finish');
  // The oldest finish shown: its FIN has long reached nsqd (the newest one's
  // may still be on the wire, and the life is nsqd's view of the message).
  const row = page.locator('#eventlog ol button[data-seq]').last();
  const text = await row.locator('.ql-ev-text').textContent();
  const label = text.match(/(\S+#\d+)/)[1];
  await row.click();
  await expect(page.locator('#guarantees-life-heading')).toHaveText(`Life of ${label}`);
  // The copy in channel jobs was finished, handled once.
  await expect(page.locator('#guarantees .nsq-life')).toContainText('finished');
  // Focus stays in the log (a keyboard reader goes on through the rows).
  expect(await page.evaluate(() => !!(document.querySelector('queue-lab')?.shadowRoot?.activeElement ?? document.activeElement).closest('#eventlog'))).toBe(true);
});

test('share round trip on an NSQ preset with a live NSQ command: the link opens the same run, nodes and guarantees', async ({ page, context }) => {
  await openPage(page);
  await selectPreset(page, 'nsq-load-balancing');
  await runTo(page, 1_500_000);
  // A live fault from the controls, so the link carries the command log.
  await page.getByRole('button', { name: /^Crash consumer / }).first().click();
  await runTo(page, 3_000_000);
  const original = { clock: await page.locator('#clock').textContent(), items: await nsqItems(page), dup: await figure(page, 'handled_more_than_once'), fin: await figure(page, 'finished') };
  expect(Object.values(original.items).some((t) => /\(crashed\)/.test(t))).toBe(true);
  const link = await copyLink(page);
  const other = await context.newPage();
  await openPage(other, link);
  await expect(other.locator('#clock')).toHaveText(original.clock, { timeout: 20_000 });
  await other.waitForTimeout(400);
  expect(await nsqItems(other)).toEqual(original.items);
  expect(await figure(other, 'handled_more_than_once')).toBe(original.dup);
  expect(await figure(other, 'finished')).toBe(original.fin);
});

test('a consumer box keeps its backoff lines once it has backed off, so the stage does not shrink and grow with each backoff', async ({ page }) => {
  // One column: the stage's height is the boxes' stacked.
  await page.setViewportSize({ width: 360, height: 800 });
  await openPage(page);
  await selectPreset(page, 'nsq-poison');
  const phase = () => page.evaluate(() => document.querySelector('queue-lab').snapshot().nsq.consumers[0].backoff.phase);
  const height = () => page.locator('#stage').evaluate((e) => Math.round(e.getBoundingClientRect().height));
  // The stage's height while the consumer backs off (a backoff lasts about
  // 200 ms: read it two frames in, while the snapshot still says so).
  const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  let during = null;
  for (let i = 0; i < 50 && during === null; i++) {
    await expect.poll(phase, { timeout: 20_000 }).not.toBe('none');
    await frames();
    const h = await height();
    if ((await phase()) !== 'none') during = h;
  }
  expect(during).not.toBeNull();
  await expect.poll(phase, { timeout: 20_000 }).toBe('none');
  await frames();
  expect(await height()).toBe(during);
  // The consumer's line is cut at this width; the stage list has all of it.
  await expect(page.locator('#stage-list li[data-item="k:worker"]')).toContainText(/in flight of max_in_flight 1, FIN sent \d+, REQ sent \d+/);
});

test('one column: a lookup\'s answer and the connection it leads to run down the left margin, not across the node boxes', async ({ page }) => {
  // Records the points of every path stroked with the discovery dash ([3, 3]) on the stage.
  await page.addInitScript(() => {
    const P = CanvasRenderingContext2D.prototype;
    const paths = [];
    window.__discovery = paths;
    const dash = new WeakMap();
    const cur = new WeakMap();
    const { setLineDash, beginPath, moveTo, lineTo, stroke } = P;
    P.setLineDash = function (d) { dash.set(this, d.join(',')); return setLineDash.call(this, d); };
    P.beginPath = function () { cur.set(this, []); return beginPath.call(this); };
    P.moveTo = function (x, y) { cur.get(this)?.push([x, y]); return moveTo.call(this, x, y); };
    P.lineTo = function (x, y) { cur.get(this)?.push([x, y]); return lineTo.call(this, x, y); };
    P.stroke = function (...a) {
      // (Dashed box outlines are rectangles: no moveTo / lineTo points.)
      const pts = cur.get(this) || [];
      if (this.canvas.id === 'stage' && dash.get(this) === '3,3' && pts.length > 1 && paths.length < 200) paths.push(pts);
      return stroke.apply(this, a);
    };
  });
  await page.setViewportSize({ width: 390, height: 844 });
  await openPage(page);
  await selectPreset(page, 'nsq-cluster');
  await setSpeed(page, 10);
  await play(page);
  await expect.poll(() => page.evaluate(() => window.__discovery.length), { timeout: 30_000 }).toBeGreaterThan(3);
  const paths = await page.evaluate(() => window.__discovery);
  for (const pts of paths) {
    // Each goes left of both its ends, down, and back in.
    expect(pts.length, JSON.stringify(pts)).toBe(4);
    const [a, m1, m2, b] = pts;
    expect(m1[0]).toBe(m2[0]);
    expect(m1[0]).toBeLessThan(Math.min(a[0], b[0]));
  }
});

test('a lookup refused by a lookupd that is down comes back as a red cross, an answered one as L', async ({ page }) => {
  // Records the badges written on the stage's tokens.
  await page.addInitScript(() => {
    const P = CanvasRenderingContext2D.prototype;
    const marks = new Set();
    window.__marks = marks;
    const { fillText } = P;
    P.fillText = function (text, ...rest) {
      if (this.canvas.id === 'stage' && (text === '×' || text === 'L')) marks.add(text);
      return fillText.call(this, text, ...rest);
    };
  });
  await openPage(page);
  await selectPreset(page, 'nsq-cluster');
  // nsq-cluster has no MaxAttempts FIN (the other red ×): every × is a refused lookup.
  await page.evaluate(() => document.querySelector('queue-lab').command({ op: 'nsqlookupd_crash', nsqlookupd: 'lookupd-1' }));
  await setSpeed(page, 10);
  await play(page);
  await expect.poll(() => page.evaluate(() => [...window.__marks].sort().join(' ')), { timeout: 30_000 }).toBe('L ×');
});
