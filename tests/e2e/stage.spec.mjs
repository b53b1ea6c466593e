// The stage: message labels keep their producer (the engine's `producer-1#3`,
// or a compact form that stays unique where space is short), the canvas is as
// tall as its content so the charts show on a laptop screen, and big
// scenarios still get room.
import { test, expect, openPage, selectPreset, pause, play, channelItem, goroutineItem, setSpeed } from './helpers.mjs';

test('compact message labels keep the producer and never collide', async ({ page }) => {
  await openPage(page);
  const r = await page.evaluate(async () => {
    const { createLabeler, splitLabel } = await import('/stage.js');
    const l = createLabeler();
    l.learn(['producer-1', 'producer-2', 'consumer-1', 'closer', 'main']);
    const a = [l.short('producer-1#3'), l.short('producer-2#3'), l.short('producer-1#15')];
    // Names that abbreviate alike get longer forms, in the order they were learned.
    const m = createLabeler();
    m.learn(['producer-1', 'publisher-1', 'pump-1']);
    const b = [m.short('producer-1#1'), m.short('publisher-1#1'), m.short('pump-1#1')];
    // A later goroutine whose real name is an earlier short form: the forms are dealt again.
    m.learn(['p1']);
    const c = [m.short('producer-1#1'), m.short('publisher-1#1'), m.short('pump-1#1'), m.short('p1#1')];
    // A label from a name never learned (a removed goroutine) still gets a unique form.
    const d = [l.short('source#7'), l.short('sink#7')];
    // Many producers: every short form distinct.
    const many = createLabeler();
    const names = Array.from({ length: 60 }, (_, i) => `producer-${i + 1}`).concat(['p', 'pr1', 'prod-7']);
    many.learn(names);
    const forms = names.map((n) => many.short(`${n}#0`));
    return { a, b, c, d, distinct: new Set(forms).size, total: forms.length, split: splitLabel('a#b#12'), plain: l.short('7') };
  });
  expect(r.a).toEqual(['p1#3', 'p2#3', 'p1#15']);
  expect(new Set(r.b).size).toBe(3);
  expect(r.b[0]).toBe('p1#1');
  for (const x of r.b) expect(x.length).toBeLessThan('publisher-1#1'.length);
  expect(new Set(r.c).size).toBe(4);
  expect(r.c[3]).toBe('p1#1');
  expect(r.c[0]).not.toBe('p1#1');
  expect(r.d).toEqual(['s#7', 'si#7']);
  expect(r.distinct).toBe(r.total);
  expect(r.split).toEqual(['a#b', '#12']);
  expect(r.plain).toBe('7');
});

test('at 400 px the buffer and the cards name whose message is where', async ({ page }) => {
  await page.setViewportSize({ width: 400, height: 860 });
  await openPage(page);
  await selectPreset(page, 'wait-group');
  await setSpeed(page, 2);
  // Three producers fill the buffer of 5: wait until it is full and pause. A
  // consumer may take one between the check and the pause, so read the text
  // once paused and try again until the paused world shows a full buffer.
  let text = '';
  await expect(async () => {
    await play(page);
    await expect(channelItem(page, 'jobs')).toContainText('5/5', { timeout: 15_000 });
    await pause(page);
    text = await channelItem(page, 'jobs').textContent();
    expect(text).toContain('5/5');
  }).toPass({ timeout: 30_000 });
  const held = text.match(/holds (.*) \(head first\)/);
  expect(held, text).not.toBeNull();
  const labels = held[1].split(', ');
  expect(labels).toHaveLength(5);
  for (const label of labels) expect(label).toMatch(/^producer-[123]#\d+$/);
  expect(new Set(labels).size).toBe(5);
  // The two consumers work on different messages, and say whose.
  const work = [];
  for (const name of ['consumer-1', 'consumer-2']) {
    const m = (await goroutineItem(page, name).textContent()).match(/working on (\S+)/);
    if (m) work.push(m[1]);
  }
  for (const label of work) expect(label).toMatch(/^producer-[123]#\d+$/);
  expect(new Set(work).size).toBe(work.length);
});

test('1280x720: the stage fits its content, so the charts start on screen; big scenarios keep room', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openPage(page);
  for (const name of ['classic', 'buffered', 'wait-group', 'select-timeout']) {
    await selectPreset(page, name);
    await page.waitForTimeout(200);
    const top = await page.locator('#charts-heading').evaluate((h) => h.getBoundingClientRect().top);
    expect(top, `"Over time" of ${name} starts below the fold`).toBeLessThan(720 - 24);
  }
  await selectPreset(page, 'large');
  await page.waitForTimeout(200);
  const h = await page.locator('#stage').evaluate((c) => c.getBoundingClientRect().height);
  expect(h).toBeGreaterThanOrEqual(260);
  // Folding the charts and the log works from the keyboard and keeps them out of the way.
  await page.locator('#charts-details > summary').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#charts')).toBeHidden();
  await page.keyboard.press('Enter');
  await expect(page.locator('#charts')).toBeVisible();
});
