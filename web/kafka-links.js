// Network cuts between Kafka processes, in the Kafka controls: pick a
// process (a broker, the controller, a producer, a partition consumer or a group member) and
// a broker, Cut (`kafka_cut_link`); every cut in place is listed with its
// Heal button (`kafka_heal_link`). The engine decides what follows (see
// core/src/world/kafka/network.rs): frames wait and nobody is told, so a
// follower leaves the ISR after replica.lag.time.max.ms, a member is
// removed after its session timeout (and stops by itself after 4 heartbeat
// timeouts), and a producer's request or a
// consumer's fetch times out after Net.ReadTimeout (30 s) and is retried.
// Text only.
//
// createKafkaLinks(container, { onCommand(cmd, errorEl) -> boolean }) -> { update(snapshot), reset() }

import { el, setText } from './dom.js';
import { ENDED_REASON } from './controls.js';
import { actionButton, setOff } from './nsq-table.js';

/** Every process of a Kafka view that a cut can name: brokers, the controller, then clients. */
export function kafkaProcesses(k) {
  const out = k.brokers.map((b) => b.name);
  out.push('controller');
  for (const p of k.producers) out.push(p.name);
  for (const c of k.consumers) if (!out.includes(c.name)) out.push(c.name);
  for (const g of k.groups) for (const m of g.members) out.push(m.id);
  return out;
}

export function createKafkaLinks(container, { onCommand }) {
  const error = el('span', { class: 'inline-error', role: 'status' });
  const uid = Math.random().toString(36).slice(2);
  const a = el('select', { id: `kafka-cut-a-${uid}`, 'aria-label': 'Cut the network of this process' });
  const b = el('select', { id: `kafka-cut-b-${uid}`, 'aria-label': 'from this broker' });
  const cut = actionButton('Cut', 'Cut the network between the two', onCommand, error, () => ({ op: 'kafka_cut_link', a: a.value, b: b.value }));
  cut.classList.add('danger-outline');
  const list = el('div', { class: 'kafka-cuts', 'aria-label': 'Network cuts in place', role: 'list' });
  container.replaceChildren(
    el('h3', { text: 'Kafka network' }),
    el('p', { class: 'hint', text: 'Frames wait on a cut and nobody is told. A follower cut from its leader leaves the ISR after replica.lag.time.max.ms (acks=all waits until then); a member cut from its coordinator is removed after its session timeout and keeps processing (a zombie) until its heartbeat has timed out 4 times (about 2 minutes), then it stops and joins again (a join with no answer for 30 s makes Consume return an i/o timeout, and it joins again); a producer cut from a leader gets no answer: after 30 s (Net.ReadTimeout) its request times out and is retried, 3 times, then it fails; a consumer\'s fetch times out the same way and is tried again 2 s later. A broker cut from the controller is fenced when its session times out (broker.session.timeout.ms, 9 s): its partitions elect new leaders, but nobody tells it, so producers that still reach it go on writing to it (a zombie leader); healed, it registers again and truncates what it took: acks=1 records acknowledged, then lost.' }),
    el('div', { class: 'ctl-row nsq-row', 'data-kafka-cut-row': '' },
      el('label', { class: 'field', for: a.id, text: 'Cut ' }, a),
      el('label', { class: 'field', for: b.id, text: 'from ' }, b),
      el('div', { class: 'nsq-actions' }, cut), error),
    list);

  let key = null;
  let cutsKey = null;
  let heals = [];

  function fill(select, names) {
    const keep = select.value;
    select.replaceChildren(...names.map((n) => el('option', { value: n, text: n })));
    if (names.includes(keep)) select.value = keep;
  }

  function update(snap) {
    const k = snap.kafka;
    if (!k) return;
    const ended = snap.status !== 'running';
    const procs = kafkaProcesses(k);
    const kk = procs.join('\u0001');
    if (kk !== key) {
      key = kk;
      fill(a, procs);
      fill(b, k.brokers.map((x) => x.name));
      // A real link by default: a second broker, or with one broker a client.
      if (b.value === a.value) {
        if (b.options.length > 1) b.selectedIndex = 1;
        else {
          const other = procs.find((n) => n !== b.value);
          if (other) a.value = other;
        }
      }
    }
    setOff(cut, ended ? ENDED_REASON : '', 'Cut the network between the two processes (both directions)');
    const ck = k.cuts.map((c) => c.join('\u0000')).join('\u0001');
    if (ck !== cutsKey) {
      cutsKey = ck;
      heals = k.cuts.map(([x, y]) => {
        const rowError = el('span', { class: 'inline-error', role: 'status' });
        const heal = actionButton('Heal', `Heal the link ${x} – ${y}`, onCommand, rowError, () => ({ op: 'kafka_heal_link', a: x, b: y }));
        const row = el('div', { class: 'ctl-row nsq-row', role: 'listitem', 'data-kafka-cut': `${x} ${y}` },
          el('div', { class: 'row-head' }, el('span', { class: 'row-name', text: `${x} ⇹ ${y}` }), el('span', { class: 'badge danger', text: 'cut' })),
          el('div', { class: 'nsq-actions' }, heal), rowError);
        return { row, heal };
      });
      list.replaceChildren(...heals.map((h) => h.row));
      if (!heals.length) list.append(el('p', { class: 'hint', role: 'listitem', text: 'No cuts: every link is up.' }));
    }
    for (const h of heals) setOff(h.heal, ended ? ENDED_REASON : '', 'Heal: the waiting frames move on');
  }

  return {
    update,
    reset() {
      key = null;
      cutsKey = null;
      heals = [];
    },
  };
}
