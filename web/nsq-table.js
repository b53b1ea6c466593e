// A keyed table for the NSQ panels: one <tr> per item, kept across updates
// (so a focused button or a refusal shown in a row survives the next
// snapshot), cells changed in place only when their text changes. The table
// sits in a horizontally scrolling box (narrow screens). Text only via
// textContent: names come from scenarios, which come from shared links.
//
// keyedTable({ caption, columns: [{ label, num? }], actions?: label, actionsAfter?: n }) -> {
//   (the actions column goes after the first `actionsAfter` columns, at the end by default)
//   box            the scrolling wrapper to put in the page
//   update(items, keyOf, cellsOf(item) -> (string|null)[], makeActions?(item) -> { node, refresh(item) })
//                  (a null cell is left as it is: the caller puts something else there)
// }

import { el, setChildrenKeepingFocus, setText } from './dom.js';

/** What nsqd's E2E percentiles cover (core's nsq/nsqd/e2e.rs), for the table headers and the chart. */
export const E2E_WINDOW = 'over nsqd\'s window: two streams of 5 minutes, swapped every 5 minutes, so the last 5 to 10 minutes';

/** `columns`: `{ label, num }` (right-aligned figures) or `{ label, wrap }` (prose that may wrap); `title`: a hint on the header. */
export function keyedTable({ caption, columns, actions = null, actionsAfter = columns.length, empty = 'None yet.' }) {
  const head = el('tr', {}, ...columns.map((c) => el('th', { scope: 'col', class: c.num ? 'num' : '', text: c.label, ...(c.title ? { title: c.title } : {}) })));
  if (actions) head.insertBefore(el('th', { scope: 'col', text: actions }), head.children[actionsAfter] || null);
  const tbody = el('tbody');
  const table = el('table', { class: 'nsq-table' }, el('caption', { text: caption }), el('thead', {}, head), tbody);
  const none = el('p', { class: 'hint', text: empty });
  // Focusable so keyboard users can scroll a table wider than its box.
  const box = el('div', { class: 'table-scroll', tabIndex: 0, role: 'region', 'aria-label': `${caption} table` }, table, none);
  const rows = new Map(); // key -> { tr, tds, actions }

  return {
    box,
    update(items, keyOf, cellsOf, makeActions) {
      const next = new Map();
      for (const it of items) {
        const key = keyOf(it);
        let r = rows.get(key);
        if (!r) {
          const tds = columns.map((c, i) => el(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : { class: c.num ? 'num' : c.wrap ? 'wrap' : '' }));
          const tr = el('tr', {}, ...tds);
          const act = makeActions ? makeActions(it) : null;
          if (act) tr.insertBefore(el('td', { class: 'row-actions' }, act.node), tds[actionsAfter] || null);
          r = { tr, tds, act };
        }
        const cells = cellsOf(it);
        cells.forEach((text, i) => { if (text != null) setText(r.tds[i], text); }); // null: a cell the caller fills
        if (r.act) r.act.refresh(it);
        next.set(key, r);
      }
      const trs = [...next.values()].map((r) => r.tr);
      const same = trs.length === tbody.children.length && trs.every((tr, i) => tbody.children[i] === tr);
      if (!same) tbody.replaceChildren(...trs);
      rows.clear();
      for (const [k, v] of next) rows.set(k, v);
      table.hidden = trs.length === 0;
      none.hidden = trs.length !== 0;
    },
    /** What the table says while it has no rows. */
    setEmpty(text) {
      setText(none, text);
    },
  };
}

/** A button whose refusal shows next to it: `run()` returns a command (or null). */
/**
 * The live controls' rows (NSQ's and Kafka's): one per item, kept by key
 * across updates (`make(item)` for a new key, `{ row }` each), put in `box`
 * in the items' order without moving a focused field, `empty` ("None.")
 * when there are none.
 * Returns the new key -> row map, for the next update.
 */
export function rebuildRows(box, old, items, keyOf, make, empty = 'None.') {
  const next = new Map();
  for (const it of items) next.set(keyOf(it), old.get(keyOf(it)) || make(it));
  const rows = [...next.values()].map((r) => r.row);
  setChildrenKeepingFocus(box, items.length ? rows : [...rows, el('p', { class: 'hint', text: empty })]);
  return next;
}

export function actionButton(text, label, onCommand, errorEl, run) {
  const b = el('button', { type: 'button', class: 'small', text, 'aria-label': label });
  b.addEventListener('click', () => {
    if (b.getAttribute('aria-disabled') === 'true') return;
    const cmd = run();
    if (cmd) onCommand(cmd, errorEl);
  });
  return b;
}

/**
 * Turns a button on or off with the reason as its title. Off is
 * aria-disabled (focus stays put, the title still reads), not `disabled`.
 */
export function setOff(b, why, title) {
  const off = Boolean(why);
  if ((b.getAttribute('aria-disabled') === 'true') !== off) b.setAttribute('aria-disabled', String(off));
  const t = off ? why : title;
  if (b.title !== t) b.title = t;
}

/** Microseconds as a short duration ("230ms", "1.8s"), or "–". */
export function fmtUs(us) {
  if (us == null || !Number.isFinite(us)) return '–';
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1e6) return `${Number((us / 1000).toPrecision(3))}ms`;
  return `${Number((us / 1e6).toPrecision(3))}s`;
}
