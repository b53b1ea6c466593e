// The NSQ view's layout (web/views/nsq-layout.js) on real snapshots of every
// NSQ preset, on stages from a phone's width to where the columns begin:
// stacked, a channel's deliveries run from its node's left edge down the left
// margin to their consumer (nsq.js: linkPathSide), and a message's dot there
// must be whole on the stage and clear of the boxes it passes.
// Needs the built package (`make build`); QUEUELAB_PKG points at another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TOKEN_R } from '../../web/draw.js';
import { presetSnapshots } from './preset-snapshots.mjs';
import { computeLayout, parts } from '../../web/views/nsq-layout.js';

test('stacked, the left margin holds a whole message dot, clear of every box', async () => {
  const presets = await presetSnapshots('nsq-', 5e6);
  assert.ok(presets.length >= 10, 'the NSQ presets are found');
  const faults = [];
  let checked = 0;
  for (const { preset, snap } of presets) {
    const pt = parts(snap);
    for (let width = 300; width < 620; width += 20) {
      const L = computeLayout(snap, pt, { width, top: 0 }, false);
      assert.equal(L.wide, false);
      if (L.margin - TOKEN_R < 1) faults.push(`${preset} at ${width}px: the margin at x=${L.margin} cuts a dot at the stage's edge`);
      for (const [name, box] of [...L.nodeBox, ...L.consBox]) {
        checked++;
        if (L.margin + TOKEN_R > box.x - 2) faults.push(`${preset} at ${width}px: a dot at x=${L.margin} touches ${name}'s box at x=${box.x}`);
      }
    }
  }
  assert.ok(checked > 100, `boxes checked: ${checked}`);
  assert.deepEqual(faults.slice(0, 10), [], `${faults.length} layout faults`);
});
