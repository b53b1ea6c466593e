import { chromium } from '@playwright/test';
const B = 'http://127.0.0.1:8177';
const logs = [];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
async function newPage(w,h,tag,dsf=1){
  const ctx = await browser.newContext({ viewport:{width:w,height:h}, deviceScaleFactor: dsf });
  const page = await ctx.newPage();
  page.on('console', m => { if (['error','warning'].includes(m.type())) logs.push(`[${tag}] console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', e => logs.push(`[${tag}] pageerror: ${e.message}`));
  page.on('response', r => { if (r.status()>=400) logs.push(`[${tag}] HTTP ${r.status()} ${r.url()}`); });
  return page;
}
const mode = process.argv[2];
if (mode === 'guide') {
  for (const [w,h] of [[1280,800],[400,900]]) for (const ch of ['go-channels','nsq','kafka','embedding','introduction']) {
    const page = await newPage(w,h,`guide ${ch} ${w}`);
    await page.goto(`${B}/guide/${ch}.html`);
    const n = await page.locator('queue-lab').count();
    for (let i=0;i<n;i++) {
      const el = page.locator('queue-lab').nth(i);
      await el.scrollIntoViewIfNeeded();
      await page.waitForTimeout(3500);
      const info = await el.evaluate(e => ({preset:e.getAttribute('preset'), ready:e.ready, t:e.timeUs, s:e.status, err: e.shadowRoot?.querySelector('#error')?.hidden===false ? e.shadowRoot.querySelector('#error-text').textContent : ''}));
      logs.push(`[guide ${ch} ${w}] #${i} ${JSON.stringify(info)}`);
      await el.screenshot({ path: `/tmp/review/embed-${ch}-${w}-${String(i).padStart(2,'0')}-${info.preset}.png` });
    }
    await page.context().close();
  }
}
if (mode === 'compare') {
  for (const [w,h] of [[1280,800],[400,900]]) for (const p of ['kafka-rebalance','nsq-poison']) {
    const page = await newPage(w,h,`cmp ${p} ${w}`);
    await page.goto(B+'/');
    await page.waitForFunction(() => document.querySelector('queue-lab')?.ready);
    await page.locator('queue-lab').locator('#preset').selectOption(p);
    await page.waitForTimeout(800);
    await page.locator('queue-lab').locator('#compare-link').hover(); await page.waitForTimeout(500);
    const href = await page.locator('queue-lab').locator('#compare-link').getAttribute('href');
    logs.push(`[cmp ${p}] href=${href.slice(0,80)}...`);
    const cp = await page.context().newPage();
    cp.on('console', m => { if (['error','warning'].includes(m.type())) logs.push(`[cmp page ${p} ${w}] console.${m.type()}: ${m.text()}`); });
    cp.on('pageerror', e => logs.push(`[cmp page ${p} ${w}] pageerror: ${e.message}`));
    await cp.goto(new URL(href, B+'/').href);
    await cp.waitForTimeout(3000);
    await cp.screenshot({ path:`/tmp/review/compare-${p}-${w}-initial.png`, fullPage:true });
    const play = cp.locator('queue-lab-compare').getByRole('button', {name: 'Play'}).first();
    if (await play.count()) { await play.click(); logs.push(`[cmp ${p} ${w}] clicked Play`); }
    await cp.waitForTimeout(4000);
    await cp.screenshot({ path:`/tmp/review/compare-${p}-${w}-played.png`, fullPage:true });
    await page.context().close();
  }
}
if (mode === 'misc') {
  // table overflow at 400
  const page = await newPage(400,900,'misc400');
  await page.goto(B+'/');
  await page.waitForFunction(() => document.querySelector('queue-lab')?.ready);
  const lab = page.locator('queue-lab');
  for (const p of ['nsq-multicast','kafka-consumer-group']) {
    await lab.locator('#preset').selectOption(p);
    await page.evaluate(() => document.querySelector('queue-lab').play());
    await page.waitForTimeout(2500);
    await page.evaluate(() => document.querySelector('queue-lab').pause());
    const r = await page.evaluate(() => {
      const root = document.querySelector('queue-lab').shadowRoot;
      const out = [];
      for (const t of root.querySelectorAll('table')) {
        let el = t, sc = null;
        while (el && el !== root) { const cs = getComputedStyle(el); if (/(auto|scroll)/.test(cs.overflowX) && el.scrollWidth > el.clientWidth) { sc = el.className||el.id||el.tagName; break; } el = el.parentElement; }
        const rect = t.getBoundingClientRect();
        if (rect.width === 0) continue;
        out.push({cls: t.className || t.id, w: Math.round(rect.width), right: Math.round(rect.right), scroller: sc});
      }
      const stage = root.querySelector('.stage, #stage, svg');
      return {tables: out, docW: document.documentElement.scrollWidth};
    });
    logs.push(`[misc400 ${p}] ${JSON.stringify(r)}`);
  }
  // stage scroll at 400 on kafka-batching
  await lab.locator('#preset').selectOption('kafka-batching');
  await page.waitForTimeout(1500);
  const st = await page.evaluate(() => {
    const root = document.querySelector('queue-lab').shadowRoot;
    const out = [];
    for (const el of root.querySelectorAll('*')) { const cs = getComputedStyle(el); if (/(auto|scroll|hidden)/.test(cs.overflowY) && el.scrollHeight > el.clientHeight + 5 && el.clientHeight > 100) out.push({tag: el.tagName, id: el.id, cls: String(el.className?.baseVal ?? el.className), ch: el.clientHeight, sh: el.scrollHeight, ov: cs.overflowY}); }
    return out;
  });
  logs.push(`[misc400 kafka-batching scrollers] ${JSON.stringify(st)}`);
  // unlabeled controls
  const unl = await page.evaluate(() => {
    const root = document.querySelector('queue-lab').shadowRoot;
    const out = [];
    for (const el of root.querySelectorAll('button, input, select, textarea')) {
      const r = el.getBoundingClientRect(); if (!r.width) continue;
      let name = el.getAttribute('aria-label') || (el.labels && [...el.labels].map(l=>l.textContent).join(' ')) || (el.tagName==='BUTTON' ? el.textContent.trim() : '') || el.getAttribute('aria-labelledby') || el.title;
      if (!name || !name.trim()) out.push(`${el.tagName}#${el.id}.${el.className} type=${el.type} ph=${el.placeholder||''} val=${String(el.value).slice(0,20)}`);
    }
    return out;
  });
  logs.push(`[misc400 kafka-batching unlabeled] ${unl.length}\n  ${unl.join('\n  ')}`);
  await page.context().close();
  // nsq-poison stale card recheck at 1280 + legend zoom
  const p2 = await newPage(1280,800,'poison',2);
  await p2.goto(B+'/');
  await p2.waitForFunction(() => document.querySelector('queue-lab')?.ready);
  const l2 = p2.locator('queue-lab');
  await l2.locator('#preset').selectOption('nsq-poison');
  await p2.waitForTimeout(500);
  await p2.evaluate(() => document.querySelector('queue-lab').play());
  await p2.waitForTimeout(4000);
  await p2.evaluate(() => document.querySelector('queue-lab').pause());
  await p2.waitForTimeout(50);
  await p2.screenshot({ path:'/tmp/review/poison-recheck-50ms.png', clip:{x:0,y:200,width:1280,height:500} });
  await p2.waitForTimeout(1500);
  await p2.screenshot({ path:'/tmp/review/poison-recheck-1500ms.png', clip:{x:0,y:200,width:1280,height:500} });
  const legend = l2.locator('text=deferred ones').first();
  if (await legend.count()) await legend.screenshot({ path:'/tmp/review/legend-zoom.png' });
  // kafka consumer group: when does it consume
  await l2.locator('#preset').selectOption('kafka-consumer-group');
  await p2.waitForTimeout(500);
  for (const t of [3e6, 5e6, 8e6, 12e6, 20e6]) {
    await p2.evaluate(t => document.querySelector('queue-lab').seek(t), t);
    await p2.waitForTimeout(1500);
    const s = await p2.evaluate(() => { const q = document.querySelector('queue-lab'); const sn = q.snapshot?.(); return { t: q.timeUs, txt: q.shadowRoot.querySelector('.layout')?.innerText.match(/group workers[^\n]*\n[^\n]*/)?.[0] }; });
    logs.push(`[cg seek ${t}] ${JSON.stringify(s)}`);
  }
  await p2.screenshot({ path:'/tmp/review/kafka-consumer-group-seek20s-1280.png', fullPage:true });
  await p2.context().close();
}
await browser.close();
console.log(logs.join('\n'));
