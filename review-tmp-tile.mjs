import { chromium } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const files = process.argv.slice(2);
for (const f of files) {
  const buf = readFileSync(`/tmp/review/${f}`);
  const w = buf.readUInt32BE(16), h = buf.readUInt32BE(20);
  const tileH = w === 400 ? 1000 : 1000;
  const page = await browser.newPage({ viewport: { width: w, height: 800 } });
  await page.setContent(`<body style="margin:0"><img src="data:image/png;base64,${buf.toString('base64')}" style="display:block"></body>`);
  await page.waitForTimeout(200);
  let i = 0;
  for (let y = 0; y < h; y += tileH, i++) {
    await page.screenshot({ path: `/tmp/review/tiles/${f.replace('.png','')}-${String(i).padStart(2,'0')}.png`, clip: { x: 0, y, width: w, height: Math.min(tileH, h - y) }, fullPage: true });
  }
  await page.close();
}
await browser.close();
