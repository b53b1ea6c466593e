// What a Kafka guarantees figure counts, and the records behind it:
// pressing a figure says what it counts (its hover text, for a touch
// screen) and, for one that has a list (`Playground.kafka_records`: a
// state, consumed or duplicates), lists its records as they are at that
// moment, the earliest LIST_MAX in production order, each with where it is
// or was (topic-p@offset), its state and which consumer read it how often.
// Text only.
//
// createKafkaRecords() -> { box, show(key, label, meaning, playground), reset() }

import { el, setText } from './dom.js';
import { fmtUs } from './nsq-table.js';

/** Records listed per figure. */
const LIST_MAX = 100;

/**
 * The figures with a list (`KafkaRecordFigure`), and what their list
 * holds. The others (deleted unread, skipped, out of order) are counts
 * without the records.
 */
export const LISTED = {
  produced: 'sent to Kafka',
  sending: 'sending (no answer yet)',
  acked: 'acked',
  failed: 'failed',
  lost_after_ack: 'acked, then lost',
  lost_unclean: 'lost in an unclean election',
  lost_unacked: 'lost before any ack',
  lost_unwritten: 'sent with acks=0, never written',
  consumed: 'read at least once', // (the figure counts reads: its meaning, shown above the list, says so)
  duplicates: 'read more than once by one consumer',
};

export function createKafkaRecords() {
  const head = el('h3', { id: 'kafka-records-heading' });
  const what = el('p', { class: 'kafka-records-what' });
  const note = el('p', { class: 'hint' });
  const list = el('ul', { class: 'nsq-msg-list', 'aria-labelledby': 'kafka-records-heading' });
  const box = el('section', { class: 'nsq-msgs kafka-records', hidden: true }, head, what, note, list);

  return {
    box,
    /**
     * Says what figure `key` counts (`meaning`: its hover text, which a
     * touch screen cannot show) and, for a key of LISTED, lists its
     * records as they are now.
     */
    show(key, label, meaning, pg) {
      box.hidden = false;
      list.replaceChildren();
      setText(what, `${label}: ${meaning}.`);
      if (!LISTED[key]) {
        setText(head, label);
        setText(note, 'Counted as it happens: the engine keeps no list of these records.');
        return;
      }
      setText(head, `Records ${LISTED[key]}`);
      let got;
      try {
        got = pg.kafka_records(key, LIST_MAX);
        if (!got) throw new Error('this world has no Kafka');
      } catch (err) {
        setText(note, `Could not list them: ${err && err.message ? err.message : String(err)}`);
        return;
      }
      const n = got.records.length;
      setText(note, n === 0 ? `None, at ${fmtUs(pg.time_us)}.`
        : `${n < got.total ? `The first ${n} of ${got.total}` : `All ${n}`}, in the order they were produced, at ${fmtUs(pg.time_us)}.`);
      for (const r of got.records) {
        list.append(el('li', { class: 'kafka-rec', 'data-rec': String(r.rec) },
          el('span', { class: 'nsq-msg-label', text: r.label }), el('span', { class: 'nsq-msg-detail', text: r.detail })));
      }
    },
    reset() {
      box.hidden = true;
      list.replaceChildren();
    },
  };
}
