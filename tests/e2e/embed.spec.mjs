// Embedding (issue 16): the <queue-lab> element on a docs-like page with four
// of them (web/examples/embeds.html), its attributes, methods and events,
// hostile input, and the iframe mode with its postMessage API
// (web/embed.html, driven from web/examples/iframe.html).
import { test, expect, RESULTS_DIR, openPage, selectPreset } from './helpers.mjs';

/** id -> { ready, status, timeUs } of every <queue-lab> on the page. */
function labs(page) {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('queue-lab')]
    .map((q) => [q.id, { ready: q.ready, status: q.status, timeUs: q.timeUs }])));
}

/** Virtual time of one element, read twice `ms` apart. */
async function advancing(page, id, ms = 600) {
  const t0 = await page.evaluate((i) => document.getElementById(i).timeUs, id);
  await page.waitForTimeout(ms);
  const t1 = await page.evaluate((i) => document.getElementById(i).timeUs, id);
  return t1 > t0;
}

test('four elements on one page: lazy, each engine module fetched once and only when needed, each runs only while on screen, independent', async ({ page }) => {
  const wasm = [];
  const modules = [];
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.url()); });
  page.on('request', (r) => modules.push(new URL(r.url()).pathname));
  await page.setViewportSize({ width: 1000, height: 700 });
  await page.goto('/examples/embeds.html');
  await expect.poll(async () => (await labs(page)).go.ready, { timeout: 15_000 }).toBe(true);
  // Only the first is near the viewport: the others have built nothing.
  let s = await labs(page);
  expect(s.nsq.ready).toBe(false);
  expect(s.kafka.ready).toBe(false);
  expect(s.full.ready).toBe(false);
  // The Go embed (compact, no charts) fetched neither NSQ's nor Kafka's code, nor uPlot,
  // and its engine is the Go-only module (web/engines.js).
  const wasmPaths = () => wasm.map((u) => new URL(u).pathname);
  expect(wasmPaths()).toEqual(['/pkg/go/queuelab_wasm_bg.wasm']);
  const systemCode = /\/(views\/(nsq|kafka)|nsqadmin|guarantees|nsq-|kafka-)[\w-]*\.js$|uPlot\.esm\.js$/;
  expect(modules.filter((m) => systemCode.test(m))).toEqual([]);
  // Not loaded says so: Play and "not loaded", not Pause and "running".
  const nsqBar = page.locator('#nsq');
  await expect(nsqBar.locator('#status')).toHaveText('not loaded');
  await expect(nsqBar.locator('#play')).toHaveText('Play');
  // A stage-only embed (no toolbar) says it on its stage.
  const notLoaded = (id) => page.locator(`#${id}`).evaluate((q) => getComputedStyle(q.shadowRoot.querySelector('.stage-wrap'), '::after').content);
  expect(await notLoaded('kafka')).toBe('"Loads when it scrolls into view"');
  expect(await advancing(page, 'go')).toBe(true);

  // Scroll to the NSQ one: it comes alive and runs; the Go one, off-screen, stops where it was.
  await page.locator('#nsq').scrollIntoViewIfNeeded();
  await expect.poll(async () => (await labs(page)).nsq.ready, { timeout: 15_000 }).toBe(true);
  expect(await advancing(page, 'nsq')).toBe(true);
  await expect(nsqBar.locator('#status')).toHaveText('running');
  await expect(nsqBar.locator('#play')).toHaveText('Pause');
  expect(await notLoaded('nsq')).toBe('none');
  // The NSQ embed brought NSQ's view and admin table, still no Kafka code.
  expect(modules).toContain('/views/nsq.js');
  expect(modules).toContain('/nsqadmin.js');
  expect(modules.filter((m) => /kafka/.test(m))).toEqual([]);
  expect(wasmPaths()).toEqual(['/pkg/go/queuelab_wasm_bg.wasm', '/pkg/nsq/queuelab_wasm_bg.wasm']);
  expect(await advancing(page, 'go')).toBe(false);

  for (const id of ['kafka', 'full']) {
    await page.locator(`#${id}`).scrollIntoViewIfNeeded();
    await expect.poll(async () => (await labs(page))[id].ready, { timeout: 15_000 }).toBe(true);
    expect(await advancing(page, id)).toBe(true);
  }
  await page.screenshot({ path: `${RESULTS_DIR}/embed-four.png`, fullPage: true });
  // The full-view one runs its own world: pausing it leaves the Kafka one (also on screen) running.
  await page.setViewportSize({ width: 1000, height: 2400 });
  await page.locator('#kafka').scrollIntoViewIfNeeded();
  await page.evaluate(() => document.getElementById('full').pause());
  expect(await advancing(page, 'full')).toBe(false);
  expect((await labs(page)).kafka.status).toBe('running'); // kafka-consumer-group runs 30 s: still going here
  expect(await advancing(page, 'kafka')).toBe(true);
  // Back to the Go one: it goes on from where it stopped, not from the wall time it was away.
  const before = (await labs(page)).go.timeUs;
  await page.setViewportSize({ width: 1000, height: 700 });
  await page.locator('#go').scrollIntoViewIfNeeded();
  await page.waitForTimeout(500);
  const after = (await labs(page)).go.timeUs;
  expect(after).toBeGreaterThan(before);
  expect(after - before).toBeLessThan(3_000_000);
  // Each system drew in its own view.
  const kinds = await page.evaluate(() => [...document.querySelectorAll('queue-lab')].map((q) => Boolean(q.snapshot().nsq) + '/' + Boolean(q.snapshot().kafka)));
  expect(kinds).toEqual(['false/false', 'true/false', 'false/true', 'false/false']);
  // Each module once: the full-view Go embed shares the compact one's module.
  expect(wasmPaths()).toEqual(['/pkg/go/queuelab_wasm_bg.wasm', '/pkg/nsq/queuelab_wasm_bg.wasm', '/pkg/kafka/queuelab_wasm_bg.wasm']);
});

test('a compact embed fetches no panel module (inspector, charts, log, timeline, controls) until its view shows one; then the log catches up with the run, and the controls fill', async ({ page }) => {
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  const panelModules = () => fetched.filter((p) => /\/(inspector|charts|eventlog|timeline|controls)\.js$/.test(p));
  await page.goto('/examples/embeds.html');
  await expect.poll(() => page.evaluate(() => document.getElementById('go').ready), { timeout: 15_000 }).toBe(true);
  await expect.poll(() => page.evaluate(() => document.getElementById('go').timeUs)).toBeGreaterThan(500_000);
  expect(panelModules()).toEqual([]);
  await page.evaluate(() => document.getElementById('go').setAttribute('panels', 'log'));
  const go = page.locator('#go');
  await expect(go.locator('.log-panel')).toBeVisible();
  await expect(go.locator('#eventlog ol button[data-seq]').first()).toBeVisible();
  expect(panelModules().sort()).toEqual(['/charts.js', '/controls.js', '/eventlog.js', '/inspector.js', '/timeline.js']);
  // The live controls, asked for later, are there with the world's channel.
  await page.evaluate(() => document.getElementById('go').setAttribute('panels', 'controls'));
  await expect(go.locator('#channels input[type="range"]').first()).toBeVisible();
});

test('picking an NSQ preset on the full page while its engine is slow to come: the stage says so, Pause pressed meanwhile holds, then it loads', async ({ page }) => {
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/pkg/nsq/queuelab_wasm_bg.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await openPage(page);
  const wasWorld = await page.evaluate(() => JSON.stringify(document.querySelector('queue-lab').snapshot().totals));
  await page.locator('#preset').selectOption('nsq-single');
  const overlay = () => page.locator('queue-lab').evaluate((q) => {
    const wrap = q.shadowRoot.querySelector('.stage-wrap');
    const after = getComputedStyle(wrap, '::after');
    return { text: after.content, opacity: after.opacity };
  });
  await expect.poll(async () => (await overlay()).text).toBe('"Loading the NSQ engine…"');
  await expect.poll(async () => Number((await overlay()).opacity)).toBe(1);
  // The old world is still there meanwhile; Pause is heard.
  expect(wasWorld).not.toBe('');
  await page.locator('#play').click();
  await expect(page.locator('#play')).toHaveText('Play');
  release();
  await expect(page.locator('#preset')).toHaveAttribute('data-loaded', 'nsq-single', { timeout: 15_000 });
  expect(await page.evaluate(() => Boolean(document.querySelector('queue-lab').snapshot().nsq))).toBe(true);
  expect((await overlay()).text).toBe('none');
  // Pressed while it loaded: the new run waits for Play rather than starting by itself.
  await expect(page.locator('#play')).toHaveText('Play');
  await expect(page.locator('#status')).toHaveText('paused');
});

test('a compact NSQ embed without panels loads the NSQ engine module only, and no NSQ panel code or uPlot until a panel shows', async ({ page }) => {
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  const panelCode = () => fetched.filter((p) => /\/(nsqadmin|guarantees|nsq-controls|nsq-charts|charts)\.js$|uPlot/.test(p));
  await page.goto('/embed.html#preset=nsq-cluster&view=compact&autoplay=1');
  const lab = page.locator('queue-lab');
  await expect.poll(() => lab.evaluate((q) => q.ready), { timeout: 15_000 }).toBe(true);
  await expect.poll(() => lab.evaluate((q) => q.timeUs)).toBeGreaterThan(500_000);
  expect(fetched.filter((p) => p.endsWith('.wasm'))).toEqual(['/pkg/nsq/queuelab_wasm_bg.wasm']);
  expect(fetched).toContain('/views/nsq.js'); // the stage draws NSQ
  expect(panelCode()).toEqual([]);
  // The admin tables asked for: NSQ's panels come, and fill.
  await lab.evaluate((q) => q.setAttribute('panels', 'admin'));
  await expect(lab.locator('#nsqadmin table').first()).toBeVisible({ timeout: 10_000 });
  expect(panelCode()).toContain('/nsqadmin.js');
});

test('a compact embed fetches the share-link module only when a link is made: "Open in the full playground" gets this run', async ({ page }) => {
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await page.goto('/examples/embeds.html');
  await expect.poll(() => page.evaluate(() => document.getElementById('go').timeUs), { timeout: 15_000 }).toBeGreaterThan(500_000);
  expect(fetched.filter((p) => p === '/share.js')).toEqual([]);
  const go = page.locator('#go');
  await go.locator('#open-full').hover();
  await expect(go.locator('#open-full')).toHaveAttribute('href', /index\.html#v=2&s=/);
  expect(fetched.filter((p) => p === '/share.js')).toEqual(['/share.js']);
});

test('attributes reconfigure the live element; methods and events work', async ({ page }) => {
  await page.goto('/examples/embeds.html');
  const go = page.locator('#go');
  await expect.poll(() => page.evaluate(() => document.getElementById('go').ready), { timeout: 15_000 }).toBe(true);
  // Events: status and ticks reach the host page.
  await page.evaluate(() => {
    window.events = [];
    const q = document.getElementById('go');
    for (const t of ['ql-status', 'ql-tick', 'ql-error']) q.addEventListener(t, (e) => window.events.push([t, e.detail]));
  });
  await page.evaluate(() => document.getElementById('go').pause());
  await expect.poll(() => page.evaluate(() => window.events.filter(([t]) => t === 'ql-status').map(([, d]) => d.status).pop())).toBe('paused');
  // step / seek / reset / snapshot
  const t0 = await page.evaluate(() => document.getElementById('go').timeUs);
  await page.evaluate(() => document.getElementById('go').step());
  await expect.poll(() => page.evaluate(() => document.getElementById('go').timeUs)).toBeGreaterThanOrEqual(t0);
  const half = Math.floor((await page.evaluate(() => document.getElementById('go').timeUs)) / 2);
  await page.evaluate((t) => document.getElementById('go').seek(t), half);
  await expect.poll(() => page.evaluate(() => document.getElementById('go').snapshot().time_us)).toBe(half);
  await page.evaluate(() => document.getElementById('go').reset());
  await expect.poll(() => page.evaluate(() => document.getElementById('go').timeUs)).toBe(0);
  // command(): the engine's refusal is thrown; an accepted one changes the world.
  const refused = await page.evaluate(() => { try { document.getElementById('go').command({ op: 'set_capacity', channel: 'nope', capacity: 1 }); return ''; } catch (e) { return e.message; } });
  expect(refused).toMatch(/nope/);
  await page.evaluate(() => document.getElementById('go').command({ op: 'set_capacity', channel: 'jobs', capacity: 9 }));
  expect(await page.evaluate(() => document.getElementById('go').snapshot().channels.find((c) => c.name === 'jobs').cap)).toBe(9);
  // Attributes: speed and until; play runs to `until` and stops there, saying 'ended'.
  await page.evaluate(() => { const q = document.getElementById('go'); q.setAttribute('speed', '20'); q.setAttribute('until', '3s'); q.play(); });
  await expect.poll(() => page.evaluate(() => document.getElementById('go').status), { timeout: 10_000 }).toBe('ended');
  expect(await page.evaluate(() => document.getElementById('go').timeUs)).toBe(3_000_000);
  const ticks = await page.evaluate(() => window.events.filter(([t]) => t === 'ql-tick').length);
  expect(ticks).toBeGreaterThan(0);
  // view: compact -> full shows the header; panels adds the log to compact.
  await expect(go.locator('.top')).toBeHidden();
  await page.evaluate(() => document.getElementById('go').setAttribute('view', 'full'));
  await expect(go.locator('.top')).toBeVisible();
  await page.evaluate(() => { const q = document.getElementById('go'); q.setAttribute('view', 'compact'); q.setAttribute('panels', 'log'); });
  await expect(go.locator('.top')).toBeHidden();
  await expect(go.locator('.log-panel')).toBeVisible();
  await expect(go.locator('.charts-panel')).toBeHidden();
  // preset: another world, loaded live.
  await page.evaluate(() => document.getElementById('go').setAttribute('preset', 'classic'));
  await expect.poll(() => page.evaluate(() => document.getElementById('go').snapshot().channels.map((c) => c.name).join())).toBe('ch');
  // theme
  await page.evaluate(() => document.getElementById('go').setAttribute('theme', 'dark'));
  await expect(go).toHaveAttribute('data-resolved-theme', 'dark');
  // The link to the full playground carries this exact run.
  await go.locator('#open-full').hover();
  await expect(go.locator('#open-full')).toHaveAttribute('href', /index\.html#v=2&s=/);
});

test.describe(() => {
  test.use({ allowConsoleErrors: true });
  test('hostile input shows as text: an inline scenario, a preset name, a link, absurd attributes', async ({ page }) => {
    const hostile = '<img src=x onerror="window.__pwned=1">';
    await page.goto('/examples/embeds.html');
    // The test's own page markup (the element is defined already: these upgrade at once).
    await page.evaluate((h) => {
      const lab = (id, attrs, inline) => {
        const q = document.createElement('queue-lab');
        q.id = id;
        q.setAttribute('view', 'compact');
        for (const [k, v] of Object.entries(attrs)) q.setAttribute(k, v);
        if (inline) q.append(Object.assign(document.createElement('script'), { type: 'application/json', textContent: inline }));
        return q;
      };
      document.body.replaceChildren(
        lab('a', {}, JSON.stringify({ name: h, channels: 5 })),
        lab('b', { preset: h }),
        lab('c', { link: `#v=2&s=!!!${encodeURIComponent(h)}` }),
        lab('d', { preset: 'classic', speed: '1e99', seed: '-1', until: 'forever', height: 'url(javascript:alert(1))' }),
      );
    }, hostile);
    for (const id of ['a', 'b', 'c', 'd']) {
      await page.locator(`#${id}`).scrollIntoViewIfNeeded(); // (lazy: each starts near the viewport)
      await expect.poll(() => page.evaluate((i) => document.getElementById(i).ready, id), { timeout: 15_000 }).toBe(true);
      const err = page.locator(`#${id} #error-text`);
      await expect(err).not.toHaveText('');
    }
    await expect(page.locator('#a #error-text')).toContainText('not valid');
    await expect(page.locator('#b #error-text')).toContainText('Loaded the default scenario instead');
    await expect(page.locator('#c #error-text')).toContainText(/link/i);
    await expect(page.locator('#d #error-text')).toContainText(/speed|seed|until/);
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    const imgs = await page.evaluate(() => [...document.querySelectorAll('queue-lab')].map((q) => q.shadowRoot.querySelectorAll('img').length));
    expect(imgs).toEqual([0, 0, 0, 0]);
    expect(await page.evaluate(() => document.getElementById('d').style.height)).toBe('');
  });
});


test('load() on an element not started yet starts it with that source, and rejects with the engine\'s message', async ({ page }) => {
  await page.goto('/examples/embeds.html');
  const result = await page.evaluate(async () => {
    const spacer = document.createElement('div');
    spacer.style.height = '4000px';
    const q = document.createElement('queue-lab');
    document.body.append(spacer, q); // far below the fold: not started
    let rejected = '';
    try {
      await q.load({ scenario: '{"name": "x", "goroutines": [' });
    } catch (err) {
      rejected = err.message;
    }
    const shown = q.shadowRoot.getElementById('error-text')?.textContent ?? '';
    await q.load({ preset: 'classic' });
    return { rejected, shown, name: JSON.parse(q.lab.pg.scenario_json()).name, ready: q.ready };
  });
  expect(result.rejected).toMatch(/goroutines/);
  expect(result.shown).toContain(result.rejected.split('\n')[0]);
  expect(result).toMatchObject({ name: 'classic', ready: true });
});

test('keys inside an embed drive it and do not reach the host page', async ({ page }) => {
  await page.goto('/examples/embeds.html');
  await expect.poll(() => page.evaluate(() => document.getElementById('go').ready), { timeout: 15_000 }).toBe(true);
  await page.evaluate(() => { window.hostKeys = []; document.addEventListener('keydown', (e) => window.hostKeys.push(e.key)); });
  await page.locator('#go #play').focus();
  await page.evaluate(() => document.getElementById('go').pause());
  const t0 = await page.evaluate(() => document.getElementById('go').timeUs);
  await page.locator('#go #stage').click();
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => page.evaluate(() => document.getElementById('go').timeUs)).toBeGreaterThan(t0);
  expect(await page.evaluate(() => window.hostKeys)).not.toContain('ArrowRight');
  // A key outside any embed is the host's: no element moves.
  await page.getByRole('heading', { name: 'Four embeds' }).click();
  const t1 = await page.evaluate(() => document.getElementById('go').timeUs);
  await page.keyboard.press('ArrowRight');
  expect(await page.evaluate(() => window.hostKeys)).toContain('ArrowRight');
  expect(await page.evaluate(() => document.getElementById('go').timeUs)).toBe(t1);
});

test('the iframe answers PING with PONG, obeys its parent only, and reports its height', async ({ page }) => {
  await page.goto('/examples/iframe.html');
  await expect.poll(() => page.evaluate(() => window.received.map((m) => m.type)), { timeout: 15_000 }).toContain('PONG');
  await expect.poll(() => page.evaluate(() => window.received.map((m) => m.type)), { timeout: 15_000 }).toContain('ready');
  await expect.poll(() => page.evaluate(() => window.received.some((m) => m.type === 'height' && m.height > 100))).toBe(true);
  const frame = page.frameLocator('#lab');
  await expect(frame.locator('#status')).toHaveText('running');
  const origin = await page.evaluate(() => location.origin);
  const send = (msg) => page.evaluate(([m, o]) => document.getElementById('lab').contentWindow.postMessage(m, o), [msg, origin]);
  // A message from another window (a sibling frame) is ignored.
  await page.evaluate(() => {
    const f = document.createElement('iframe');
    f.id = 'other';
    f.srcdoc = '<p>other</p>';
    document.body.append(f);
    return new Promise((r) => { f.onload = r; });
  });
  await page.evaluate(() => document.getElementById('other').contentWindow.eval("parent.frames[0].postMessage({type:'pause', id:'x'}, '*')"));
  await page.waitForTimeout(500);
  await expect(frame.locator('#status')).toHaveText('running');
  expect(await page.evaluate(() => window.received.some((m) => m.id === 'x'))).toBe(false);
  // The parent's commands: pause, step, seek, speed, command, load; each answered.
  // (A seek goes back within what has run, so the run gets past 0.6 s first.)
  await expect.poll(async () => parseFloat(await frame.locator('#clock').textContent()), { timeout: 15_000 }).toBeGreaterThan(0.6);
  await send({ type: 'pause', id: 1 });
  await expect(frame.locator('#status')).toHaveText('paused');
  await send({ type: 'seek', t_us: 500_000, id: 2 });
  await expect(frame.locator('#clock')).toHaveText('0.500s');
  await send({ type: 'command', command: { op: 'set_capacity', channel: 'nope', capacity: 1 }, id: 3 });
  await send({ type: 'bogus', id: 4 });
  await send({ type: 'load', preset: 'kafka-acks1-loss', id: 5 });
  await expect.poll(() => page.evaluate(() => window.received.filter((m) => m.id >= 1).map((m) => `${m.id}:${m.type}`))).toEqual(['1:ok', '2:ok', '3:error', '4:error', '5:ok']);
  const errs = await page.evaluate(() => window.received.filter((m) => m.type === 'error').map((m) => m.message));
  expect(errs[0]).toMatch(/nope/);
  expect(errs[1]).toMatch(/unknown message type/);
  await expect(frame.locator('#stage-list')).toContainText('broker');
  await send({ type: 'play', id: 6 });
  await expect.poll(() => page.evaluate(() => window.received.filter((m) => m.type === 'status').map((m) => m.status).pop())).toBe('running');
  await page.screenshot({ path: `${RESULTS_DIR}/embed-iframe.png`, fullPage: true });
});

test('compare: overlaid charts differ where the scenarios differ and match where they do not', async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto('/examples/compare.html');
  await page.locator('#same').scrollIntoViewIfNeeded();
  await expect.poll(() => page.evaluate(() => document.getElementById('same').ready), { timeout: 20_000 }).toBe(true);
  // Before Play: the charts say what they will show, and the table says paused.
  const status = page.locator('#same tr').filter({ has: page.locator('th', { hasText: /^status$/ }) }).locator('td');
  await expect(page.locator('#same .charts .empty').first()).toBeVisible();
  await expect(status).toHaveText(['paused', 'paused']);
  // Under the table, a line says where the model simplifies: one random stream per run.
  await expect(page.locator('#same .note')).toContainText('from one stream, in the order its events happen');
  // Each pair runs to `until` (30 s) in lock-step, on screen (off-screen its clocks stop).
  for (const id of ['same', 'buffer']) {
    await page.locator(`#${id}`).scrollIntoViewIfNeeded();
    await expect.poll(() => page.evaluate((i) => document.getElementById(i).ready, id), { timeout: 20_000 }).toBe(true);
    await page.evaluate((i) => { const c = document.getElementById(i); c.setAttribute('speed', '50'); c.play(); }, id);
    if (id === 'same') await expect(page.locator('#same .charts .empty').first()).toBeHidden();
    await expect.poll(() => page.evaluate((i) => document.getElementById(i).data().a.at(-1)?.t_us, id), { timeout: 60_000 }).toBe(30_000_000);
    await expect.poll(() => page.evaluate((i) => { const d = document.getElementById(i).data(); return d.a.length === d.b.length && d.a.at(-1).t_us === d.b.at(-1).t_us; }, id), { timeout: 30_000 }).toBe(true);
  }
  const same = await page.evaluate(() => document.getElementById('same').data());
  expect(JSON.stringify(same.b)).toBe(JSON.stringify(same.a)); // same scenario and seed: the same run
  const diff = await page.evaluate(() => document.getElementById('buffer').data());
  // Buffer 50: the channel holds more than 5 at some point, which buffer 5 never can.
  expect(Math.max(...diff.a.map((x) => x.lens[0]))).toBeLessThanOrEqual(5);
  expect(Math.max(...diff.b.map((x) => x.lens[0]))).toBeGreaterThan(5);
  expect(JSON.stringify(diff.b)).not.toBe(JSON.stringify(diff.a));
  // The side-by-side table marks figures that differ.
  await expect(page.locator('#buffer tr[data-differs="true"]').first()).toBeAttached();
  await page.locator('#buffer').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${RESULTS_DIR}/compare.png`, fullPage: true });
});

/**
 * Replaces compare.html's own pairs with `<queue-lab-compare>`s of these
 * attributes (`b` as a list of timed commands; speed 50 unless given),
 * waits until each is ready, plays them and waits until each has run to
 * `untilUs` (its samples end there).
 */
async function runPairs(page, pairs, untilUs) {
  await page.evaluate((list) => {
    for (const c of document.querySelectorAll('queue-lab-compare')) c.remove();
    for (const { id, b, ...attrs } of list) {
      const c = document.createElement('queue-lab-compare');
      c.id = id;
      c.setAttribute('b', JSON.stringify(b));
      for (const [k, v] of Object.entries({ speed: '50', ...attrs })) c.setAttribute(k, v);
      document.body.prepend(c);
    }
  }, pairs);
  // One pair at a time, on screen: a pair builds when it nears the viewport
  // and its clocks stop while it is off-screen.
  for (const { id } of pairs) {
    await page.locator(`#${id}`).scrollIntoViewIfNeeded();
    await expect.poll(() => page.evaluate((i) => document.getElementById(i).ready, id), { timeout: 20_000 }).toBe(true);
    await page.evaluate((i) => document.getElementById(i).play(), id);
    await expect.poll(() => page.evaluate((i) => document.getElementById(i).data().a.at(-1)?.t_us, id), { timeout: 60_000 }).toBe(untilUs);
  }
}

test('compare: a pair builds nothing until it nears the viewport, and its clocks stop while it is off-screen', async ({ page }) => {
  test.setTimeout(60_000);
  await page.goto('/examples/compare.html');
  await page.evaluate(() => {
    const spacer = document.createElement('div');
    spacer.style.height = '4000px';
    const c = document.createElement('queue-lab-compare');
    c.id = 'far';
    c.setAttribute('preset', 'backpressure');
    c.setAttribute('speed', '5');
    document.body.append(spacer, c);
    window.scrollTo(0, 0);
  });
  const far = page.locator('#far');
  const clock = () => far.evaluate((e) => e.shadowRoot.querySelector('.clock').textContent);
  const built = () => far.evaluate((e) => ({ ready: e.ready === true, labs: [...e.shadowRoot.querySelectorAll('queue-lab')].filter((l) => l.lab).length }));
  // Far below the fold: no world is built, even after a while, and play() only marks it playing.
  await page.waitForTimeout(1500);
  expect(await built()).toEqual({ ready: false, labs: 0 });
  await far.evaluate((e) => e.play());
  await page.waitForTimeout(500);
  expect(await built()).toEqual({ ready: false, labs: 0 });
  // Scrolled to: it builds both worlds and runs, as play() asked.
  await far.scrollIntoViewIfNeeded();
  await expect.poll(built, { timeout: 20_000 }).toEqual({ ready: true, labs: 2 });
  await expect.poll(clock, { timeout: 10_000 }).not.toBe('0.000s');
  // Scrolled away: the clocks stop where they are; the pair still says it plays.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300);
  const stopped = await clock();
  await page.waitForTimeout(1000);
  expect(await clock()).toBe(stopped);
  await expect(far.locator('.bar button').first()).toHaveText('Pause');
  // Back on screen: it goes on from there.
  await far.scrollIntoViewIfNeeded();
  await expect.poll(async () => Number.parseFloat(await clock()), { timeout: 10_000 }).toBeGreaterThan(Number.parseFloat(stopped));
});

test('compare: each side builds one world, the pair\'s, and no default scenario before it', async ({ page }) => {
  test.setTimeout(60_000);
  // compare.html without its own pairs: every world built on the page is this test's.
  await page.route('**/examples/compare.html', async (route) => {
    const res = await route.fetch();
    const body = (await res.text()).replace(/<queue-lab-compare[\s\S]*?<\/queue-lab-compare>/g, '');
    await route.fulfill({ response: res, body });
  });
  await page.goto('/examples/compare.html');
  await page.evaluate(async () => {
    // Count every world built, by the name of its scenario (the default preset is backpressure).
    // In every engine module (web/engines.js): each has its own Playground.
    window.builds = [];
    for (const dir of ['../pkg', '../pkg/go', '../pkg/nsq', '../pkg/kafka']) {
      const { Playground } = await import(`${dir}/queuelab_wasm.js`);
      for (const k of ['from_preset', 'from_json']) {
        const real = Playground[k].bind(Playground);
        Playground[k] = (arg) => {
          const pg = real(arg);
          window.builds.push(JSON.parse(pg.scenario_json()).name);
          return pg;
        };
      }
    }
    const c = document.createElement('queue-lab-compare');
    c.id = 'counted';
    c.setAttribute('preset', 'nsq-single');
    c.setAttribute('b', JSON.stringify([{ at: '0s', command: { op: 'set_consumer', consumer: 'worker', max_in_flight: 2 } }]));
    document.body.prepend(c);
    window.scrollTo(0, 0);
  });
  await expect.poll(() => page.evaluate(() => document.getElementById('counted').ready), { timeout: 20_000 }).toBe(true);
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => document.querySelectorAll('queue-lab-compare').length)).toBe(1);
  expect(await page.evaluate(() => window.builds)).toEqual(['nsq-single', 'nsq-single']);
  // (Built from nothing else, neither side can have drawn another scenario first.)
});

test('compare: a pair removed from the page frees its worlds; put back, it builds afresh and runs', async ({ page }) => {
  test.setTimeout(60_000);
  await page.goto('/examples/compare.html');
  const pair = page.locator('#buffer');
  await pair.scrollIntoViewIfNeeded();
  await expect.poll(() => pair.evaluate((e) => e.ready), { timeout: 20_000 }).toBe(true);
  await pair.evaluate((e) => { e.setAttribute('speed', '20'); e.play(); });
  await expect.poll(() => pair.evaluate((e) => e.data().a.length), { timeout: 10_000 }).toBeGreaterThan(5);
  // Removed: both sides free their worlds.
  await page.evaluate(() => { window.kept = document.getElementById('buffer'); window.kept.remove(); });
  await expect.poll(() => page.evaluate(() => [...window.kept.shadowRoot.querySelectorAll('queue-lab')].filter((l) => l.lab).length)).toBe(0);
  expect(await page.evaluate(() => window.kept.ready)).toBe(false);
  // Put back: it builds both worlds again, from 0 s, with B's difference, and runs.
  await page.evaluate(() => document.body.prepend(window.kept));
  await pair.scrollIntoViewIfNeeded();
  await expect.poll(() => pair.evaluate((e) => e.ready), { timeout: 20_000 }).toBe(true);
  const capacities = await pair.evaluate((e) => [...e.shadowRoot.querySelectorAll('queue-lab')].map((l) => l.lab.snapshot().channels[0].cap));
  expect(capacities).toEqual([5, 50]);
  await pair.evaluate((e) => e.play());
  await expect.poll(() => pair.evaluate((e) => e.data().b.length), { timeout: 10_000 }).toBeGreaterThan(5);
  expect(await pair.evaluate((e) => e.shadowRoot.querySelectorAll('.charts figure').length)).toBe(3);
});

test('compare: acks=1 against acks=all on a leader crash: the Kafka guarantees side by side show what acks=1 lost', async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto('/examples/compare.html');
  await runPairs(page, [{ id: 'acks', preset: 'kafka-acks1-loss', 'label-a': 'acks=1', 'label-b': 'acks=all', until: '14s',
    b: [{ at: '0s', command: { op: 'kafka_acks', producer: 'producer', acks: 'all' } }] }], 14_000_000);
  const row = page.locator('#acks tr', { has: page.locator('th', { hasText: /^Kafka: Acked then lost$/ }) });
  await expect(row).toHaveCount(1);
  await expect.poll(async () => Number(await row.locator('td').nth(0).textContent()), { timeout: 10_000 }).toBeGreaterThan(0);
  await expect(row.locator('td').nth(1)).toHaveText('0');
  await expect(row).toHaveAttribute('data-differs', 'true');
  // The charts are Kafka's (no consumer here: acks only), not Go's deliveries.
  await expect(page.locator('#acks .cmp > .charts > figure > figcaption')).toHaveText(['Kafka: acked per second: A solid blue, B dashed orange', 'Blocked goroutines: A solid blue, B dashed orange']);
  const acked = (await page.evaluate(() => document.getElementById('acks').charts()))[0];
  const mean = (xs) => { const v = xs.filter((x) => x != null); return v.reduce((a, b) => a + b, 0) / v.length; };
  // acks=1 waits for the leader's write only: its producer gets more acks per second than acks=all's.
  expect(mean(acked.a)).toBeGreaterThan(1.5 * mean(acked.b));
  expect(mean(acked.b)).toBeGreaterThan(0);
});

test('compare on a Kafka group: a slower handler in B shows as B\'s lag and end-to-end latency', async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto('/examples/compare.html');
  await runPairs(page, [{ id: 'slow', preset: 'kafka-consumer-group', until: '20s',
    b: [{ at: '8s', command: { op: 'kafka_group_work', group: 'workers', work: '200ms' } }] }], 20_000_000);
  await expect(page.locator('#slow .cmp > .charts > figure > figcaption')).toHaveText([
    /^Kafka: acked per second/, /^Kafka: consumed per second/, /^Kafka: total lag/, /^Kafka: end-to-end latency p99/, /^Blocked goroutines/,
  ]);
  const charts = await page.evaluate(() => document.getElementById('slow').charts());
  const chart = (title) => charts.find((c) => c.title.startsWith(title));
  const last = (xs) => xs.filter((x) => x != null).at(-1);
  // The same until 8 s; then B's members take 200 ms a record (6 claims: 30 a second against the producer's 100) and fall behind.
  const lag = chart('Kafka: total lag');
  const at = (secs) => lag.t.findIndex((t) => t >= secs);
  expect(lag.b[at(7.5)]).toBe(lag.a[at(7.5)]);
  expect(last(lag.b)).toBeGreaterThan(3 * Math.max(1, last(lag.a)));
  expect(last(chart('Kafka: end-to-end latency p99').b)).toBeGreaterThan(last(chart('Kafka: end-to-end latency p99').a));
});

test('compare on NSQ: max_in_flight 2 against 1 charts the channel in flight, and a command B cannot apply is said', async ({ page }) => {
  test.setTimeout(90_000);
  // A slow stylesheet: the stages must wait for their colours (see below).
  await page.route('**/style.css', async (route) => {
    await new Promise((r) => setTimeout(r, 3000));
    await route.continue();
  });
  await page.addInitScript(() => {
    window.__cardAtReady = [];
    document.addEventListener('ql-ready', (e) => {
      const lab = e.composedPath()[0];
      if (lab.tagName === 'QUEUE-LAB') window.__cardAtReady.push(getComputedStyle(lab.shadowRoot.getElementById('stage')).getPropertyValue('--card').trim());
    }, true);
  });
  await page.goto('/examples/compare.html');
  const pair = (id, consumer) => ({ id, preset: 'nsq-slow-handler', until: '10s',
    b: [{ at: '0s', command: { op: 'set_consumer', consumer, max_in_flight: 1 } }] });
  await runPairs(page, [pair('mif', 'archiver'), pair('typo', 'worker')], 10_000_000);
  // Each stage was built with its colours: its stylesheet had loaded
  // when it became ready (built before, it drew every card grey).
  const colours = await page.evaluate(() => window.__cardAtReady);
  expect(colours.length).toBeGreaterThanOrEqual(4);
  for (const c of colours) expect(c).not.toBe('');
  await expect(page.locator('#mif .cmp > .charts > figure > figcaption')).toHaveText([
    /^NSQ: finished per second/, /^NSQ: depth/, /^NSQ: in flight/, /^NSQ: requeued and timed out per second/, /^NSQ: E2E latency p99/, /^Blocked goroutines/,
  ]);
  const inFlight = (await page.evaluate(() => document.getElementById('mif').charts())).find((c) => c.title === 'NSQ: in flight');
  expect(Math.max(...inFlight.a)).toBe(2);
  expect(Math.max(...inFlight.b)).toBe(1);
  // The table: Go values and the latency to finish, NSQ's per-channel figures.
  await expect(page.locator('#mif th', { hasText: /^finished \(Go values\)$/ })).toHaveCount(1);
  await expect(page.locator('#mif th', { hasText: /^latency to finish p99$/ })).toHaveCount(1);
  await expect(page.locator('#mif th', { hasText: /^delivered$/ })).toHaveCount(0);
  // B names a consumer the scenario lacks: B's own box says so; A's has nothing to say.
  await expect(page.locator('#typo queue-lab').nth(1).locator('#error-text')).toContainText('no NSQ consumer named "worker"');
  await expect(page.locator('#typo queue-lab').nth(0).locator('#error')).toBeHidden();
});

test('the full page opens the compare view of this run ("Compare with…")', async ({ page, context }) => {
  await page.goto('/');
  await expect(page.locator('#stage-list li').first()).toBeAttached({ timeout: 15_000 });
  const link = page.locator('#compare-link');
  await link.hover();
  await expect(link).toHaveAttribute('href', /compare\.html#v=2&s=/);
  const [popup] = await Promise.all([context.waitForEvent('page'), link.click()]);
  await popup.waitForLoadState();
  await expect.poll(() => popup.evaluate(() => document.querySelector('queue-lab-compare')?.ready), { timeout: 20_000 }).toBe(true);
  await expect(popup.locator('queue-lab-compare #stage-list li').first()).toBeAttached();
});

test('an embed follows its container down to 320 px: nothing sticks out, the controls stay usable', async ({ page }) => {
  await page.setViewportSize({ width: 320, height: 640 });
  await page.goto('/examples/embeds.html');
  await expect.poll(() => page.evaluate(() => document.getElementById('go').ready), { timeout: 15_000 }).toBe(true);
  await page.waitForTimeout(500);
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll).toBeLessThanOrEqual(client);
  const box = await page.locator('#go').boundingBox();
  for (const id of ['play', 'step', 'reset', 'stage']) {
    const b = await page.locator(`#go #${id}`).boundingBox();
    expect(b.x, id).toBeGreaterThanOrEqual(box.x - 1);
    expect(b.x + b.width, id).toBeLessThanOrEqual(box.x + box.width + 1);
  }
  await page.screenshot({ path: `${RESULTS_DIR}/embed-320.png` });
});

test('on a 360 px phone the timeline bar has a line of its own, the width of the row', async ({ page }) => {
  // The narrow layout's rule once lost to the base rule after it (the bar
  // stayed 100 px wide, after Fork here).
  await page.setViewportSize({ width: 360, height: 800 });
  await openPage(page);
  const row = await page.locator('.tl-row').boundingBox();
  const bar = await page.locator('.tl-bar').boundingBox();
  expect(bar.width).toBeGreaterThan(row.width * 0.9);
  const fork = await page.locator('#fork').boundingBox();
  expect(bar.y).toBeGreaterThan(fork.y);
});

test('on a 360 px phone a long description shows three lines and More, so the stage is on the first screen', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 800 });
  await openPage(page);
  await selectPreset(page, 'nsq-cluster');
  const desc = page.locator('#preset-description');
  const more = page.locator('#description-more');
  await expect(more).toBeVisible();
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  const cut = await desc.evaluate((d) => d.clientHeight);
  expect(cut).toBeLessThan(80);
  expect((await page.locator('#stage').boundingBox()).y).toBeLessThan(800);
  await more.click();
  await expect(more).toHaveText('Less');
  await expect(more).toHaveAttribute('aria-expanded', 'true');
  expect(await desc.evaluate((d) => d.clientHeight)).toBeGreaterThan(3 * cut);
  // At full width the whole description shows, and there is no button.
  await page.setViewportSize({ width: 1280, height: 800 });
  await selectPreset(page, 'classic');
  await expect(more).toBeHidden();
});

test('an element removed from the page frees its world; put back, it starts afresh and its buttons act once', async ({ page }) => {
  await page.goto('/examples/embeds.html');
  await expect.poll(() => page.evaluate(() => document.getElementById('go').ready), { timeout: 15_000 }).toBe(true);
  await page.evaluate(() => { window.kept = document.getElementById('go'); window.kept.remove(); });
  await expect.poll(() => page.evaluate(() => window.kept.ready)).toBe(false);
  await page.evaluate(() => document.body.prepend(window.kept));
  await expect.poll(() => page.evaluate(() => document.getElementById('go').ready), { timeout: 15_000 }).toBe(true);
  // One click on Pause pauses (a second set of listeners would toggle it back).
  await expect(page.locator('#go #play')).toHaveText('Pause');
  await page.locator('#go #play').click();
  await expect(page.locator('#go #play')).toHaveText('Play');
  await expect(page.locator('#go #status')).toHaveText('paused');
});

test.describe('an engine module that does not come', () => {
  // The browser logs the failed fetch; that is the point here.
  test.use({ allowConsoleErrors: true });

  /** Fails every fetch of the NSQ module's wasm until `heal()`; `failed` counts them. */
  async function failNsq(page) {
    const net = { failed: 0, down: true, heal() { this.down = false; } };
    await page.route('**/pkg/nsq/queuelab_wasm_bg.wasm', (route) => {
      if (!net.down) return route.continue();
      net.failed++;
      return route.abort('internetdisconnected');
    });
    return net;
  }

  test('the full page: picking its preset says so with Try again, the world there stays, and Try again loads it', async ({ page }) => {
    const net = await failNsq(page);
    await openPage(page);
    const before = await page.locator('#preset').getAttribute('data-loaded');
    expect(before).toBeTruthy();
    await page.locator('#preset').selectOption('nsq-single');
    await expect(page.locator('#error-text')).toContainText('Could not load the NSQ engine');
    await expect(page.locator('#error-text')).toContainText('try again');
    const retry = page.locator('#error-retry');
    await expect(retry).toBeVisible();
    expect(await page.evaluate(() => Boolean(document.querySelector('queue-lab').snapshot().nsq))).toBe(false);
    await expect(page.locator('#preset')).toHaveAttribute('data-loaded', before);
    await expect(page.locator('#preset')).toHaveValue(before); // the picker shows the world that is there
    net.heal();
    await retry.focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('#preset')).toHaveAttribute('data-loaded', 'nsq-single', { timeout: 15_000 });
    expect(await page.evaluate(() => Boolean(document.querySelector('queue-lab').snapshot().nsq))).toBe(true);
    await expect(page.locator('#error')).toBeHidden();
    await expect(retry).toBeHidden();
    expect(net.failed).toBeGreaterThan(0);
    // A message that trying again cannot mend has no Try again.
    await page.evaluate(() => document.querySelector('queue-lab').lab.showError('a plain message'));
    await expect(page.locator('#error-text')).toHaveText('a plain message');
    await expect(retry).toBeHidden();
  });

  test('a compact embed: the default scenario meanwhile, the message and Try again, then its own preset runs', async ({ page }) => {
    const net = await failNsq(page);
    await page.goto('/embed.html#preset=nsq-cluster&view=compact');
    const lab = page.locator('queue-lab');
    await expect.poll(() => lab.evaluate((q) => q.ready), { timeout: 15_000 }).toBe(true);
    await expect(lab.locator('#error-text')).toContainText('Could not load the NSQ engine');
    await expect(lab.locator('#error-text')).toContainText('Loaded the default scenario instead.');
    expect(await lab.evaluate((q) => Boolean(q.snapshot().nsq))).toBe(false);
    net.heal();
    await lab.locator('#error-retry').click();
    await expect.poll(() => lab.evaluate((q) => Boolean(q.snapshot().nsq)), { timeout: 15_000 }).toBe(true);
    await expect(lab.locator('#error')).toBeHidden();
    expect(net.failed).toBeGreaterThan(0);
    await lab.locator('#play').click();
    await expect.poll(() => lab.evaluate((q) => q.timeUs)).toBeGreaterThan(200_000);
  });
});

test.describe('a scenario file that does not come', () => {
  test.use({ allowConsoleErrors: true });

  test('the element says so with Try again, and Try again loads it', async ({ page }) => {
    let down = true;
    const scenario = { name: 'from-a-file', seed: 3, channels: [{ name: 'filed', capacity: 2 }],
      goroutines: [{ name: 'p', behavior: { producer: { to: 'filed', interval: '50ms' } } }, { name: 'c', behavior: { consumer: { from: 'filed', work: '80ms' } } }] };
    await page.route('**/__scenario__.json', (route) => (down ? route.abort('internetdisconnected')
      : route.fulfill({ contentType: 'application/json', body: JSON.stringify(scenario) })));
    await page.route('**/__scenario-page__', (route) => route.fulfill({ contentType: 'text/html; charset=utf-8',
      body: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>scenario file</title>'
        + '<script type="module" src="/queue-lab.js"></script></head>'
        + '<body><queue-lab id="q" scenario="/__scenario__.json" view="compact"></queue-lab></body></html>' }));
    await page.goto('/__scenario-page__');
    const lab = page.locator('#q');
    await expect.poll(() => lab.evaluate((q) => q.ready), { timeout: 15_000 }).toBe(true);
    await expect(lab.locator('#error-text')).toContainText('Could not fetch the scenario /__scenario__.json');
    await expect(lab.locator('#error-retry')).toBeVisible();
    down = false;
    await lab.locator('#error-retry').click();
    await expect.poll(() => lab.evaluate((q) => q.snapshot().channels.map((c) => c.name)), { timeout: 15_000 }).toEqual(['filed']);
    await expect(lab.locator('#error')).toBeHidden();
  });
});

test.describe('compare, when an engine module does not come', () => {
  test.use({ allowConsoleErrors: true });

  test('the pair says so with Try again, and Try again builds both sides', async ({ page }) => {
    let down = true;
    await page.route('**/pkg/kafka/queuelab_wasm_bg.wasm', (route) => (down ? route.abort('internetdisconnected') : route.continue()));
    await page.goto('/examples/compare.html');
    await page.evaluate(() => {
      for (const c of document.querySelectorAll('queue-lab-compare')) c.remove();
      const c = document.createElement('queue-lab-compare');
      c.id = 'offline';
      c.setAttribute('preset', 'kafka-consumer-group');
      c.setAttribute('b', JSON.stringify([{ at: '2s', command: { op: 'kafka_broker_crash', broker: 1 } }]));
      document.body.prepend(c);
    });
    const pair = page.locator('#offline');
    await expect(pair.locator('p.error')).toContainText('Could not load the Kafka engine', { timeout: 15_000 });
    const retry = pair.getByRole('button', { name: 'Try again' }).first();
    await expect(retry).toBeVisible();
    expect(await pair.evaluate((c) => c.ready)).toBeFalsy();
    // Its sides say they are not loaded (not "Loads when it scrolls into view": they are on screen).
    const placeholders = () => pair.evaluate((c) => [...c.shadowRoot.querySelectorAll('queue-lab')]
      .map((q) => getComputedStyle(q.shadowRoot.querySelector('.stage-wrap'), '::after').content));
    expect(await placeholders()).toEqual(['"Not loaded"', '"Not loaded"']);
    down = false;
    await retry.click();
    await expect.poll(() => pair.evaluate((c) => c.ready), { timeout: 20_000 }).toBe(true);
    await expect(pair.locator('p.error')).toBeHidden();
    await expect(pair.getByRole('button', { name: 'Try again' })).toHaveCount(0);
    await pair.evaluate((c) => c.play());
    await expect.poll(() => pair.evaluate((c) => c.data().a.length), { timeout: 20_000 }).toBeGreaterThan(2);
  });
});
