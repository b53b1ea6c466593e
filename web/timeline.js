// The timeline under the stage: the run from 0 to the furthest time reached,
// the present on it, marks for what matters, and the controls to go back.
//
// All of it is the engine's (core's `Timeline` through `Playground`): this
// module draws `pg.timeline()` and turns clicks, drags and keys into
// `onSeek(t_us)`, `onBack()`, `onFork()` calls that the page carries out.
//
//   createTimeline(root, { onSeek, onBack, onFork, onScrub(on) }) ->
//     { update(view, nowUs), note(text), nextMark(dir) }
//
// Keyboard (on the slider): ArrowLeft / ArrowRight step back / forward
// (the page's global keys), Home / End, PageUp / PageDown to the previous /
// next mark. Marks are drawn with a shape per kind (not only a colour) and
// are buttons for the mouse; the slider reaches them from the keyboard.

import { fmtDuration } from './stage.js';

/** Shape and words per mark kind. */
const MARKS = {
  command: { glyph: '◆', word: 'your change' },
  first_block: { glyph: '▲', word: 'first block' },
  deadlock: { glyph: '✖', word: 'deadlock' },
  ended: { glyph: '■', word: 'end' },
};
/** At most this many marks are drawn (the newest commands go first when there are more). */
const MAX_MARKS = 60;

export function createTimeline(root, { onSeek, onBack, onFork, onScrub }) {
  const track = root.querySelector('.tl-track');
  const explored = root.querySelector('.tl-explored');
  const played = root.querySelector('.tl-played');
  const thumb = root.querySelector('.tl-thumb');
  const marksEl = root.querySelector('.tl-marks');
  const backBtn = root.querySelector('#back');
  const forkBtn = root.querySelector('#fork');
  const noteEl = root.querySelector('#timeline-note');
  const endEl = root.querySelector('#timeline-end');

  let view = { now_us: 0, end_us: 0, behind: false, marks: [] };
  let marksKey = '';
  let dragging = false;

  const span = () => Math.max(1, view.end_us);

  function tAt(clientX) {
    const r = track.getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (clientX - r.left) / Math.max(1, r.width)));
    return Math.round(x * view.end_us);
  }

  track.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    dragging = true;
    track.setPointerCapture(e.pointerId);
    onScrub(true);
    onSeek(tAt(e.clientX));
    e.preventDefault();
    track.focus();
  });
  track.addEventListener('pointermove', (e) => {
    if (dragging) onSeek(tAt(e.clientX));
  });
  const endDrag = () => {
    if (!dragging) return;
    dragging = false;
    onScrub(false);
  };
  track.addEventListener('pointerup', endDrag);
  track.addEventListener('pointercancel', endDrag);
  track.addEventListener('lostpointercapture', endDrag);

  track.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'PageUp' || e.key === 'PageDown') {
      e.preventDefault();
      e.stopPropagation();
      const m = api.nextMark(e.key === 'PageDown' ? 1 : -1);
      if (m) onSeek(m.t_us);
    }
    // Arrows, Home and End go to the page's global keys.
  });

  backBtn.addEventListener('click', () => onBack());
  forkBtn.addEventListener('click', () => onFork());

  function drawMarks() {
    const marks = view.marks.length > MAX_MARKS ? view.marks.slice(view.marks.length - MAX_MARKS) : view.marks;
    const key = marks.map((m) => `${m.kind}${m.t_us}`).join(',');
    if (key === marksKey) {
      // Same marks, a longer run: move them in place (no DOM rebuild per frame).
      marks.forEach((m, i) => {
        const b = marksEl.children[i];
        const left = `${(100 * m.t_us) / span()}%`;
        if (b && b.style.left !== left) b.style.left = left;
      });
      return;
    }
    marksKey = key;
    const nodes = marks.map((m) => {
      const info = MARKS[m.kind] || { glyph: '•', word: m.kind };
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `tl-mark tl-mark-${m.kind}`;
      b.tabIndex = -1; // the slider's PageUp / PageDown reach marks from the keyboard
      b.textContent = info.glyph;
      const label = `${info.word} at ${fmtDuration(m.t_us)}: ${m.text}`;
      b.title = label;
      b.setAttribute('aria-label', label);
      b.style.left = `${(100 * m.t_us) / span()}%`;
      b.addEventListener('click', () => onSeek(m.t_us));
      return b;
    });
    marksEl.replaceChildren(...nodes);
  }

  const api = {
    /** Draws the timeline `v` (from `pg.timeline()`); `nowUs` may be newer (the clock while playing). */
    update(v, nowUs = v.now_us) {
      view = { ...v, now_us: nowUs, end_us: Math.max(v.end_us, nowUs) };
      const frac = view.end_us > 0 ? view.now_us / view.end_us : 0;
      played.style.width = `${100 * frac}%`;
      explored.style.width = '100%';
      thumb.style.left = `${100 * frac}%`;
      track.setAttribute('aria-valuemax', String(view.end_us));
      track.setAttribute('aria-valuenow', String(view.now_us));
      track.setAttribute('aria-valuetext', `${fmtDuration(view.now_us)} of ${fmtDuration(view.end_us)} explored`);
      endEl.textContent = fmtDuration(view.end_us);
      root.dataset.behind = String(view.behind);
      if (forkBtn.disabled === view.behind) forkBtn.disabled = !view.behind;
      drawMarks();
    },
    /** One line under the timeline (what a step did, a fork, where you are). */
    note(text) {
      if (noteEl.textContent !== text) noteEl.textContent = text;
    },
    /** The next mark after (dir 1) or before (dir -1) the present, if any. */
    nextMark(dir) {
      const ms = view.marks;
      if (dir > 0) return ms.find((m) => m.t_us > view.now_us) || null;
      for (let i = ms.length - 1; i >= 0; i--) if (ms[i].t_us < view.now_us) return ms[i];
      return null;
    },
    get dragging() {
      return dragging;
    },
  };
  return api;
}
