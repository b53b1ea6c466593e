// The guarantees panel: per NSQ channel (over every node), what became of
// the messages published to its topic: published, finished, handled more
// than once, lost (by cause), out of order, still live. Each figure is a
// button listing the messages behind it (`Playground.nsq_messages`); each
// listed message is a button showing its life in that channel
// (`Playground.nsq_message_life`): every copy, where it is, how often it was
// delivered and handled. From `Snapshot.nsq.guarantees`; text only.
//
// createGuarantees(container) -> { update(snapshot, playground), showMessage(label, { focus }), reset() }

import { el, setText } from './dom.js';
import { keyedTable, fmtUs } from './nsq-table.js';
import { channelLost } from './status-panels.js';

/** Messages listed per figure. */
const LIST_MAX = 100;

const CAUSE_WORDS = {
  unclean_crash: 'unclean crash',
  ephemeral_overflow: 'ephemeral overflow',
  ephemeral_gone: 'ephemeral channel gone',
  emptied: 'emptied',
  deleted: 'deleted',
  max_attempts: 'max attempts',
  publish_failed: 'publish failed',
};

/** [figure for nsq_messages, column label, what the list is of]. */
const FIGURES = [
  ['published', 'Published', 'published'],
  ['finished', 'Finished', 'finished'],
  ['handled_more_than_once', 'Handled more than once', 'handled more than once'],
  ['lost', 'Lost', 'lost'],
  ['reordered', 'Out of order', 'handled out of order'],
  ['live', 'Live', 'still live (queued, deferred or in flight)'],
];

export function createGuarantees(container) {
  const table = keyedTable({
    caption: 'What each channel did with its messages',
    empty: 'Nothing published yet.',
    columns: [{ label: 'Channel' }, ...FIGURES.map(([, label]) => ({ label, num: true }))],
  });
  const note = el('p', { class: 'hint', text: 'Each figure is a button: it lists the messages behind it, and each message opens its life.' });
  const listHead = el('h3', { id: 'guarantees-list-heading' });
  const listNote = el('p', { class: 'hint' });
  const list = el('ul', { class: 'nsq-msg-list', 'aria-labelledby': 'guarantees-list-heading' });
  const listBox = el('section', { class: 'nsq-msgs', hidden: true }, listHead, listNote, list);
  const lifeHead = el('h3', { id: 'guarantees-life-heading', tabIndex: -1 });
  const lifeMeta = el('p', { class: 'nsq-life-meta' });
  const copies = keyedTable({
    caption: 'Copies of the message',
    columns: [{ label: 'NSQd' }, { label: 'Channel' }, { label: 'Attempts', num: true }, { label: 'Handled', num: true }, { label: 'Where it is, as nsqd sees it' }],
  });
  const lifeBox = el('section', { class: 'nsq-life', hidden: true, 'aria-labelledby': 'guarantees-life-heading' }, lifeHead, lifeMeta, copies.box);
  container.replaceChildren(note, table.box, listBox, lifeBox);

  let pg = null;

  function showList(topic, channel, figure, what, total) {
    listBox.hidden = false;
    lifeBox.hidden = true;
    setText(listHead, `Messages ${what} in ${topic} / ${channel}`);
    list.replaceChildren();
    let refs;
    try {
      refs = pg.nsq_messages(topic, channel, figure, LIST_MAX);
    } catch (err) {
      setText(listNote, `Could not list them: ${err && err.message ? err.message : String(err)}`);
      return;
    }
    const now = pg.time_us;
    setText(listNote, refs.length === 0 ? `None, at ${fmtUs(now)}.`
      : `${refs.length < total ? `The first ${refs.length} of ${total}` : `All ${refs.length}`}, at ${fmtUs(now)}. Select one for its life.`);
    for (const r of refs) {
      const b = el('button', { type: 'button', class: 'nsq-msg', 'data-msg': String(r.msg) },
        el('span', { class: 'nsq-msg-label', text: r.label }), el('span', { class: 'nsq-msg-detail', text: r.detail }));
      b.addEventListener('click', () => {
        for (const x of list.querySelectorAll('[aria-current]')) x.removeAttribute('aria-current');
        b.setAttribute('aria-current', 'true');
        showLife(r.msg);
      });
      list.append(el('li', {}, b));
    }
  }

  function showLife(msg, { focus = true } = {}) {
    lifeBox.hidden = false;
    let life;
    try {
      life = pg.nsq_message_life(msg);
    } catch (err) {
      setText(lifeHead, 'Message life');
      setText(lifeMeta, `Could not show it: ${err && err.message ? err.message : String(err)}`);
      return;
    }
    if (!life) {
      setText(lifeHead, 'Message life');
      setText(lifeMeta, 'The engine no longer knows this message.');
      copies.update([], () => '', () => []);
      return;
    }
    setText(lifeHead, `Life of ${life.label}`);
    // nsqd's view: a FIN or REQ counts when it arrives, one link latency
    // after the handler's log row, so a message the log shows finished can
    // still be in flight here.
    setText(lifeMeta, `Published to ${life.topic} at ${fmtUs(life.published_us)}; ${life.copies.length} cop${life.copies.length === 1 ? 'y' : 'ies'}. `
      + 'A FIN or REQ counts when it reaches nsqd, one link latency after the handler sends it.');
    copies.update(life.copies, (c) => `${c.nsqd}\u0000${c.channel}`,
      (c) => [c.nsqd, c.channel, String(c.attempts), String(c.handled), c.place]);
    if (focus) lifeHead.focus();
  }

  /**
   * Shows the life of the message labelled `label` (a token on the stage or
   * an event log row names it so). Returns whether the book knew it.
   */
  function showMessage(label, { focus = true } = {}) {
    if (!pg) return false;
    let msg;
    try {
      msg = pg.nsq_find_message(label);
    } catch {
      return false;
    }
    if (msg === undefined) return false;
    const details = container.closest('details');
    if (details) details.open = true;
    showLife(msg, { focus });
    return true;
  }

  /** A figure cell's button (made once per row and figure, its number refreshed). */
  function figureButtons(g) {
    const buttons = new Map();
    for (const [figure, label, what] of FIGURES) {
      const b = el('button', { type: 'button', class: 'figure', 'data-figure': figure });
      b.addEventListener('click', () => showList(g.topic, g.channel, figure, what, Number(b.dataset.count)));
      // Lost: the causes under the number.
      const extra = figure === 'lost' ? el('span', { class: 'nsq-causes' }) : null;
      buttons.set(figure, { b, label, extra });
    }
    return buttons;
  }

  const rowButtons = new Map(); // key -> Map(figure -> { b, label })

  return {
    showMessage,
    update(snap, playground) {
      pg = playground;
      const gs = snap.nsq ? snap.nsq.guarantees : [];
      if (!gs.length) {
        // Messages published to topics without a channel wait there (nsqd keeps them for the first channel).
        const waiting = snap.nsq ? snap.nsq.nodes.reduce((a, n) => a + n.topics.reduce((b, t) => b + t.depth, 0), 0) : 0;
        table.setEmpty(waiting ? `No channel yet: ${waiting} message${waiting === 1 ? '' : 's'} wait${waiting === 1 ? 's' : ''} in ${waiting === 1 ? 'its topic' : 'their topics'} for the first channel.` : 'Nothing published yet.');
      }
      const keyOf = (g) => `${g.topic}\u0000${g.channel}`;
      table.update(gs, keyOf, (g) => [`${g.topic} / ${g.channel}`, ...FIGURES.map(() => null)]);
      // The figure cells hold buttons: put them in once, then refresh their numbers.
      const seen = new Set();
      for (const [i, tr] of [...table.box.querySelectorAll('tbody tr')].entries()) {
        const g = gs[i];
        const key = keyOf(g);
        seen.add(key);
        let bs = rowButtons.get(key);
        if (!bs) {
          bs = figureButtons(g);
          rowButtons.set(key, bs);
        }
        FIGURES.forEach(([figure], j) => {
          const { b, label, extra } = bs.get(figure);
          const td = tr.cells[j + 1];
          if (b.parentNode !== td) td.replaceChildren(...(extra ? [b, extra] : [b]));
          const n = figure === 'lost' ? channelLost(g) : g[figure];
          if (b.dataset.count !== String(n)) {
            b.dataset.count = String(n);
            setText(b, String(n));
            const causes = g.lost.filter(([, k]) => k).map(([c, k]) => `${k} ${CAUSE_WORDS[c] || c}`).join(', ');
            if (extra) setText(extra, causes);
            b.setAttribute('aria-label', `${label} in ${g.topic} / ${g.channel}: ${n}${extra && causes ? ` (${causes})` : ''}. List them`);
          }
        });
      }
      for (const k of [...rowButtons.keys()]) if (!seen.has(k)) rowButtons.delete(k);
    },
    reset() {
      listBox.hidden = true;
      lifeBox.hidden = true;
      list.replaceChildren();
      rowButtons.clear();
    },
  };
}
