// Speeds, and the "can the engine keep up?" notice under the speed.
//
// `advance()` runs at most a fixed number of events per call and returns
// false when that was not enough to reach the requested virtual time (the
// engine's clock then stays where the last event was). The page says so next
// under the speed, with the speed actually reached, once the engine has been
// behind for LAG_SHOW_MS without a break (frames that keep up count as a
// break only when they last LAG_GAP_MS), until it has kept up for
// LAG_HIDE_MS again. So a short hiccup shows nothing, and at a speed the
// engine just about manages the notice does not come and go. Its place under
// the speed is kept while it is hidden (visibility, not display), so the
// toolbar never moves. The clock always shows the engine's own time.
//
// createLagNotice(el, speed) -> { note(caughtUp, now, timeUs), hide(), shown }
// `el` is the notice's element, `speed()` the speed asked for.

export const SPEED_MIN = 0.1;
export const SPEED_MAX = 1000;

/** A speed clamped to [SPEED_MIN, SPEED_MAX], with one or two significant digits. */
export function roundSpeed(x) {
  const clamped = Math.min(SPEED_MAX, Math.max(SPEED_MIN, x));
  const digits = clamped < 1 ? 1 : 2;
  return Number(clamped.toPrecision(digits));
}

export function fmtSpeed(s) {
  return `${s}×`;
}

/** Wall time the engine must be behind, without a break, before the notice shows. */
const LAG_SHOW_MS = 1000;
/** Wall time of keeping up that breaks a stretch of lag (before the notice shows). */
const LAG_GAP_MS = 250;
/** Wall time the engine must keep up before the notice goes away. */
const LAG_HIDE_MS = 1000;
/** Window over which the reached speed is measured. */
const LAG_WINDOW_MS = 1000;

export function createLagNotice(el, speed) {
  const lag = { shown: false, lastBehind: -Infinity, behindSince: null, samples: [], textAt: 0 };

  function setShown(on) {
    if (el.dataset.shown !== String(on)) el.dataset.shown = String(on);
  }

  function hide() {
    lag.shown = false;
    lag.samples.length = 0;
    lag.lastBehind = -Infinity;
    lag.behindSince = null;
    setShown(false);
  }

  /** Called after every advance with whether it caught up (reached the virtual time the speed asks for). */
  function note(caughtUp, now, timeUs) {
    lag.samples.push([now, timeUs]);
    while (lag.samples.length > 2 && now - lag.samples[0][0] > LAG_WINDOW_MS) lag.samples.shift();
    if (!caughtUp) {
      if (now - lag.lastBehind > LAG_GAP_MS) lag.behindSince = now; // a new stretch of lag starts
      lag.lastBehind = now;
    }
    if (lag.shown) {
      if (now - lag.lastBehind >= LAG_HIDE_MS) {
        hide();
        return;
      }
    } else if (now - lag.lastBehind > LAG_GAP_MS || now - lag.behindSince < LAG_SHOW_MS) {
      return;
    }
    if (!lag.shown || now - lag.textAt >= 500) {
      const [w0, v0] = lag.samples[0];
      const reached = now > w0 ? (timeUs - v0) / 1000 / (now - w0) : 0;
      const text = reached > 0 && reached < speed()
        ? `engine can't keep up (≈${fmtSpeed(roundSpeed(reached))})`
        : "engine can't keep up";
      if (el.textContent !== text) el.textContent = text;
      lag.textAt = now;
    }
    if (!lag.shown) {
      lag.shown = true;
      el.title = 'The engine cannot keep up at this speed: each frame runs at most a fixed number of events, '
        + 'so virtual time runs slower than the speed says (≈ the speed reached). '
        + 'The clock shows the engine\'s time; the run itself is unchanged.';
      setShown(true);
    }
  }

  return { note, hide, get shown() { return lag.shown; } };
}
