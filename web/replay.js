// Opening a share link replays its run to the link's instant: in slices
// that yield to the browser between them, so the page paints a progress
// bar (after 200 ms, so a quick replay never flashes it) and Cancel stays
// pressable; and at most `maxEvents` kernel events, so a link cannot keep
// the tab busy for ever. Fetched with the first link opened.

import { fmtClock } from './status-panels.js';

/** Kernel events one replay slice runs (a few ms), before checking the clock. */
const SLICE_EVENTS = 20_000;
/** Wall time the replay runs between two yields to the browser. */
const BUSY_MS = 30;

/** Lets the browser paint and handle input (the Cancel button) between slices. */
function yieldToBrowser() {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    requestAnimationFrame(() => ch.port2.postMessage(null));
  });
}

/**
 * Replays `pg` to `t_us`, showing progress in `box` (`bar`, `text`). Returns
 * `{ done, cancel }`: `done` resolves to 'done', 'cancelled' (after
 * `cancel()`) or 'bounded' (`maxEvents` reached first; the world stays where
 * it got to).
 */
export function replaySliced(pg, t_us, { box, bar, text, maxEvents }) {
  let cancelled = false;
  const run = async () => {
    const startSteps = pg.steps;
    let shownAt = performance.now();
    const showAfter = shownAt + 200;
    try {
      for (;;) {
        const t0 = performance.now();
        let done = false;
        while (!(done = pg.replay_to(t_us, SLICE_EVENTS)) && performance.now() - t0 < BUSY_MS) { /* next slice */ }
        if (done) return 'done';
        if (pg.steps - startSteps >= maxEvents) return 'bounded';
        const now = performance.now();
        if (now >= showAfter && now - shownAt >= 100) {
          shownAt = now;
          box.hidden = false;
          const f = Math.min(1, pg.time_us / Math.max(1, t_us));
          bar.value = f;
          text.textContent = `Opening the link: replaying ${fmtClock(pg.time_us)} of ${fmtClock(t_us)} (${Math.round(100 * f)} %)`;
        }
        await yieldToBrowser();
        if (cancelled) return 'cancelled';
      }
    } finally {
      box.hidden = true;
    }
  };
  return { done: run(), cancel: () => { cancelled = true; } };
}
