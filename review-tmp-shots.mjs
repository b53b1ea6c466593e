import { chromium } from '@playwright/test';
const B = 'http://127.0.0.1:8177';
const presets = ['backpressure','nsq-multicast','nsq-cluster','nsq-poison','kafka-batching','kafka-rebalance','kafka-acks1-loss','kafka-async-hang','kafka-consumer-group'];
const vps = [[1280,800],[400,900]];
const logs = [];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
async function newPage(w,h,tag){
  const ctx = await browser.newContext({ viewport:{width:w,height:h} });
  const page = await ctx.newPage();
  page.on('console', m => { if (['error','warning'].includes(m.type())) logs.push(`[${tag}] console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', e => logs.push(`[${tag}] pageerror: ${e.message}`));
  page.on('requestfailed', r => logs.push(`[${tag}] requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', r => { if (r.status()>=400) logs.push(`[${tag}] HTTP ${r.status()} ${r.url()}`); });
  return page;
}
for (const [w,h] of vps) {
  const page = await newPage(w,h,`play ${w}`);
  await page.goto(B+'/');
  await page.waitForFunction(() => document.querySelector('queue-lab')?.ready, null, {timeout:30000});
  await page.screenshot({ path:`/tmp/review/initial-${w}.png`, fullPage:true });
  const lab = page.locator('queue-lab');
  for (const p of presets) {
    await lab.locator('#preset').selectOption(p);
    await page.waitForTimeout(500);
    await page.evaluate(() => document.querySelector('queue-lab').play());
    await page.waitForTimeout(4000);
    await page.evaluate(() => document.querySelector('queue-lab').pause());
    await page.waitForTimeout(300);
    const info = await page.evaluate(() => { const q=document.querySelector('queue-lab'); return {t:q.timeUs, s:q.status}; });
    logs.push(`[${w}] ${p}: t=${info.t} status=${info.s}`);
    await page.screenshot({ path:`/tmp/review/${p}-${w}.png`, fullPage:true });
  }
  await page.context().close();
}
for (const [w,h] of vps) {
  for (const ch of ['introduction','go-channels','nsq','kafka','scenario-format','embedding']) {
    const page = await newPage(w,h,`guide ${ch} ${w}`);
    await page.goto(`${B}/guide/${ch}.html`);
    await page.waitForTimeout(4000);
    await page.screenshot({ path:`/tmp/review/guide-${ch}-${w}.png`, fullPage:true });
    await page.context().close();
  }
  const page = await newPage(w,h,`compare ${w}`);
  await page.goto(`${B}/compare.html#preset=kafka-rebalance`);
  await page.waitForTimeout(6000);
  await page.screenshot({ path:`/tmp/review/compare-${w}.png`, fullPage:true });
  await page.context().close();
}
await browser.close();
console.log(logs.join('\n'));
