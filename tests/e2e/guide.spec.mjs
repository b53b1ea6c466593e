// The guide (book/, built by `make docs` to book/build/, served at /guide/):
// every chapter listed in book/src/SUMMARY.md loads with no console or page
// error, and every <queue-lab> embed on it becomes ready and runs: its
// virtual time advances, or it reaches a final status (a deadlock, a panic,
// the end of the run or of its `until`); every <queue-lab-compare> pair
// becomes ready and, played, runs to its `until`; axe finds no violation on
// it (mdBook's chrome included: book/guide-a11y.js mends it). A screenshot of
// each chapter lands in test-results/guide-<chapter>.png.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test, expect, RESULTS_DIR, axeViolations } from './helpers.mjs';

const BOOK = fileURLToPath(new URL('../../book/', import.meta.url));
const FINAL = ['deadlock', 'panic', 'ended'];

/** Chapter page names (without .html), in SUMMARY.md's order. */
function chapters() {
  const summary = readFileSync(`${BOOK}src/SUMMARY.md`, 'utf8');
  return [...summary.matchAll(/\]\(([^)#\s]+)\.md\)/g)].map((m) => m[1]);
}

test.describe('guide', () => {
  test.beforeAll(() => {
    if (!existsSync(`${BOOK}build/index.html`)) throw new Error('the guide is not built: run make docs');
  });

  test('SUMMARY.md lists the chapters', () => {
    expect(chapters()).toEqual(['introduction', 'go-channels', 'nsq', 'kafka', 'embedding', 'scenario-format']);
  });

  for (const chapter of chapters()) {
    test(`chapter ${chapter}: loads, and every embed becomes ready and runs`, async ({ page }) => {
      test.setTimeout(240_000);
      await page.addInitScript(() => {
        window.__qlErrors = [];
        document.addEventListener('ql-error', (e) => window.__qlErrors.push(String(e.detail && e.detail.message)));
      });
      const res = await page.goto(`/guide/${chapter}.html`);
      expect(res.status()).toBe(200);
      await expect(page.locator('main h1').first()).toBeVisible();

      // The page's own elements (XPath does not pierce shadow roots: the
      // two inside an A/B pair are checked with their pair, below).
      const embeds = page.locator('xpath=//queue-lab');
      const n = await embeds.count();
      expect(n, 'every chapter has live embeds').toBeGreaterThan(0);
      await page.waitForFunction(() => customElements.get('queue-lab') !== undefined, null, { timeout: 30_000 });

      for (let i = 0; i < n; i++) {
        const el = embeds.nth(i);
        const what = `${chapter} embed #${i + 1} (${(await el.getAttribute('preset')) || 'inline scenario'})`;
        await el.scrollIntoViewIfNeeded();
        // Ready: the ql-ready event has fired, or el.ready was already true.
        await page.waitForFunction((k) => document.querySelectorAll('queue-lab')[k].ready === true, i, { timeout: 60_000 })
          .catch(() => { throw new Error(`${what} never became ready`); });
        const t0 = await el.evaluate((e) => e.timeUs);
        // Runs: its virtual time advances, or it has reached a final status.
        await page.waitForFunction(
          ({ k, t, final }) => {
            const e = document.querySelectorAll('queue-lab')[k];
            return e.timeUs > t || final.includes(e.status);
          },
          { k: i, t: t0, final: FINAL },
          { timeout: 60_000 },
        ).catch(async () => {
          const s = await el.evaluate((e) => `status ${e.status}, timeUs ${e.timeUs}`);
          throw new Error(`${what} does not run: ${s}`);
        });
        const errorShown = await el.evaluate((e) => {
          const box = e.shadowRoot && e.shadowRoot.getElementById('error');
          return box && !box.hidden ? box.textContent.trim() : '';
        });
        expect(errorShown, `${what} shows an error`).toBe('');
      }
      // A/B pairs: ready, and they run to their `until` in lock-step when played.
      const pairs = page.locator('xpath=//queue-lab-compare');
      for (let i = 0; i < (await pairs.count()); i++) {
        const pair = pairs.nth(i);
        await pair.scrollIntoViewIfNeeded();
        await expect.poll(() => pair.evaluate((e) => e.ready === true), { timeout: 60_000 }).toBe(true);
        const until = await pair.evaluate((e) => { e.setAttribute('speed', '50'); e.play(); return e.getAttribute('until'); });
        await expect.poll(() => pair.evaluate((e) => e.shadowRoot.querySelector('.clock').textContent), { timeout: 90_000 })
          .toBe(`${Number.parseFloat(until).toFixed(3)}s`);
        expect(await pair.evaluate((e) => [...e.shadowRoot.querySelectorAll('.error')].filter((x) => !x.hidden).map((x) => x.textContent)), 'errors shown').toEqual([]);
      }
      expect(await page.evaluate(() => window.__qlErrors), 'ql-error events').toEqual([]);
      expect(await axeViolations(page), `axe on ${chapter}`).toEqual([]);

      // Facts the guide states about an embed, checked in the browser too.
      if (chapter === 'kafka') {
        // The acks pair's answer: acks=1 lost 7 acknowledged records, acks=all none.
        const row = page.locator('queue-lab-compare tr', { has: page.locator('th', { hasText: /^Kafka: Acked then lost$/ }) }).locator('td');
        await expect(row).toHaveText(['7', '0']);
      }
      if (chapter === 'go-channels') {
        // The backpressure pair's answer: buffer 50 delivers hardly more.
        const row = page.locator('queue-lab-compare tr', { has: page.locator('th', { hasText: /^delivered$/ }) }).locator('td');
        await expect(row).toHaveText(['257', '268']);
      }
      if (chapter === 'nsq') {
        // The backoff pair's answer: A finished 120 of 1197, B all of its 1150.
        const row = (label) => page.locator('queue-lab-compare tr', { has: page.locator('th', { hasText: new RegExp(`^NSQ events/jobs: ${label}$`) }) }).locator('td');
        await expect(row('published')).toHaveText(['1197', '1150']);
        await expect(row('finished')).toHaveText(['120', '1150']);
      }
      if (chapter === 'embedding') {
        const demo = page.locator('#api-demo');
        await demo.scrollIntoViewIfNeeded();
        await page.waitForFunction(() => document.getElementById('api-demo').status === 'ended', null, { timeout: 60_000 });
        expect(await demo.evaluate((e) => e.timeUs)).toBe(1_100_000);
      }

      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: `${RESULTS_DIR}guide-${chapter}.png`, fullPage: true });
    });
  }

  test('the table of contents opens and closes from the keyboard, and says whether it is open', async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('/guide/introduction.html');
    const toggle = page.locator('#mdbook-sidebar-toggle');
    await expect(toggle).toHaveJSProperty('tagName', 'BUTTON');
    await expect(page.locator('#mdbook-menu-bar')).toHaveAttribute('role', 'banner');
    const open = await toggle.getAttribute('aria-expanded');
    expect(['true', 'false']).toContain(open);
    // Enter and Space on the focused toggle flip it.
    await toggle.focus();
    await page.keyboard.press('Enter');
    const flipped = open === 'true' ? 'false' : 'true';
    await expect(toggle).toHaveAttribute('aria-expanded', flipped);
    await expect(page.locator('html')).toHaveClass(flipped === 'true' ? /sidebar-visible/ : /^(?!.*sidebar-visible)/);
    await page.keyboard.press(' ');
    await expect(toggle).toHaveAttribute('aria-expanded', open);
    // Open, its chapters are links a keyboard reaches.
    if (open !== 'true') await page.keyboard.press('Enter');
    await expect(page.locator('#mdbook-sidebar a[href="nsq.html"]').first()).toHaveAttribute('tabindex', '0');
  });

  test('on a 400 px phone an embed with a height shows all of its stage, with no scroll area inside', async ({ page }) => {
    // The RDY-starvation embed's three nodes and two consumers stack far
    // below the 600 px the chapter gives it (its consumers were hidden).
    await page.setViewportSize({ width: 400, height: 900 });
    await page.goto('/guide/nsq.html');
    const el = page.locator('queue-lab[preset="nsq-max-in-flight"]');
    await expect(el).toHaveAttribute('height', /px$/);
    await el.scrollIntoViewIfNeeded();
    await expect.poll(() => el.evaluate((e) => e.ready)).toBe(true);
    const inner = () => el.evaluate((e) => { const q = e.shadowRoot.querySelector('.ql'); return q.scrollHeight - q.clientHeight; });
    await expect.poll(inner).toBeLessThanOrEqual(1);
    expect((await el.boundingBox()).height).toBeGreaterThan(Number.parseFloat(await el.getAttribute('height')));
  });
});
