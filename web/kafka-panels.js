// The Kafka panels: what a Kafka operator looks at, in Kafka's words.
// - Consumer groups, as `kafka-consumer-groups.sh --describe --state`
//   prints them (GROUP, STATE, GENERATION, REBALANCES, MEMBERS, ASSIGNOR,
//   COORDINATOR), then `--describe` (GROUP, TOPIC, PARTITION,
//   CURRENT-OFFSET, LOG-END-OFFSET, LAG, CONSUMER-ID); partition consumers
//   (no group) are listed there too, with "-" as their group.
// - Topics, as `kafka-topics.sh --describe` (Topic, Partition, Leader,
//   Replicas, Isr) plus the log start, high watermark and log end offset.
// - Guarantees: what became of the records (produced, acked, lost by
//   cause, deleted unread by retention, skipped, consumed, duplicates),
//   each figure a button saying what it counts and, where it has a list,
//   listing its records (kafka-records.js); and the engine's
//   simplifications in words.
// Everything from `Snapshot.kafka`; all text set with textContent.
//
// createKafkaPanels({ groups, topics, guarantees }) -> { update(snapshot, playground), reset() }

import { el, setText } from './dom.js';
import { keyedTable } from './nsq-table.js';
import { brokerState, leaderWords } from './views/kafka.js';
import { fmtDuration } from './draw.js';
import { createKafkaRecords, LISTED } from './kafka-records.js';

/** [key in kafka.guarantees, label, what it means]. */
export const KAFKA_FIGURES = [
  ['produced', 'Sent to Kafka', 'records a producer took on: a SendMessage, or an AsyncProducer message added to a batch (messages still in its Go channels are not counted yet; the header counts every Go value)'],
  ['sending', 'Sending', 'on their way: not acked or failed yet'],
  ['acked', 'Acked', 'the producer got a success (with acks=0 at once: nobody confirms)'],
  ['failed', 'Failed', 'the producer got an error (never acked)'],
  ['lost_after_ack', 'Acked then lost', 'acked, then gone: the leader that acked them died, or was a zombie (fenced, not told), before followers copied them (acks=1 or 0)'],
  ['lost_unclean', 'Lost in unclean election', 'truncated when an out-of-sync replica became leader'],
  ['lost_unacked', 'Lost unacked', 'written but never acked, then truncated'],
  ['lost_unwritten', 'Sent, never written', 'acks=0: the producer was told they were sent, but their request died with the leader\'s connection, or the broker refused it (nobody hears of it). Shown while a producer uses acks=0, or once it happened'],
  ['deleted_by_retention', 'Deleted unread', 'retention deleted them before any consumer read them'],
  ['skipped', 'Skipped', 'a consumer jumped over them (offset out of range, reset)'],
  ['consumed', 'Consumed', 'reads by consumers: each record a consumer handled, once per time it handled it (its list: the records read at least once)'],
  ['duplicates', 'Duplicates', 'reads of a record a consumer had handled before (a rebalance or crash before the offset was committed)'],
  ['out_of_order', 'Out of order per key', 'keyed records handled after a later record of the same key from the same producer (a key moved partitions: partitions were added)'],
];

/** The controller's preferred-leader balance, in words (kafka-topics.sh lists the preferred replica first). */
function preferredLeaders(k, simUs) {
  if (k.leader_balance_every_us == null) return 'auto.leader.rebalance.enable=false: a partition keeps whichever leader it has.';
  const next = k.leader_balance_at_us == null ? '' : `; the next balance in ${fmtDuration(Math.max(0, k.leader_balance_at_us - simUs))}`;
  return `auto.leader.rebalance.enable=true: ${fmtDuration(k.leader_balance_every_us)} after a partition lost its preferred leader (the first of its Replicas), the controller gives it back if that replica is in the ISR${next}.`;
}

/** Clients' metadata refresh, in words: when added partitions get used. */
function metadataRefresh(k) {
  return `Clients refresh their metadata every ${fmtDuration(k.metadata_refresh_us)} (Metadata.RefreshFrequency; sarama's default is 10m): producers spread over added partitions, and a group's leader rebalances for them, only after that.`;
}

/** Where a producer's metadata is behind: "events: 3 of 5 partitions; events-2 has no leader, refresh in 1.2s". */
function producerMetadata(p, k, simUs) {
  const stale = [
    ...(k.topics ?? []).flatMap((t, i) => ((p.known_partitions?.[i] ?? t.partitions) < t.partitions ? [`${t.name}: ${p.known_partitions[i]} of ${t.partitions} partitions`] : [])),
    ...(p.offline_partitions ?? []).map((n) => `${n} has no leader`),
  ];
  if (!stale.length) return 'up to date';
  const when = p.refresh_at_us == null ? '' : `, refresh in ${fmtDuration(Math.max(0, p.refresh_at_us - simUs))}`;
  return `${stale.join('; ')}${when}`;
}

const LOSS_KEYS = new Set(['lost_after_ack', 'lost_unclean', 'lost_unacked', 'lost_unwritten', 'deleted_by_retention', 'skipped', 'failed']);

export function createKafkaPanels({ groups: groupsEl, topics: topicsEl, guarantees: guarEl }) {
  const groupState = keyedTable({
    caption: 'Consumer groups',
    empty: 'No consumer group.',
    columns: [{ label: 'GROUP' }, { label: 'STATE' }, { label: 'GENERATION', num: true }, { label: 'REBALANCES', num: true },
      { label: 'MEMBERS', num: true }, { label: 'ASSIGNOR' }, { label: 'COORDINATOR' }],
  });
  const describe = keyedTable({
    caption: 'Offsets and lag (kafka-consumer-groups.sh --describe)',
    empty: 'No consumer yet.',
    columns: [{ label: 'GROUP' }, { label: 'TOPIC' }, { label: 'PARTITION', num: true }, { label: 'CURRENT-OFFSET', num: true },
      { label: 'LOG-END-OFFSET', num: true }, { label: 'LAG', num: true }, { label: 'CONSUMER-ID' }],
  });
  const members = keyedTable({
    caption: 'Members',
    empty: 'No member.',
    columns: [{ label: 'GROUP' }, { label: 'MEMBER' }, { label: 'STATE' }, { label: 'PARTITIONS' }, { label: 'MARKED' }, { label: 'CONSUMED', num: true }, { label: 'HANDLER WORK' }],
  });
  groupsEl.replaceChildren(groupState.box, describe.box, members.box);

  const topics = keyedTable({
    caption: 'Partitions (kafka-topics.sh --describe)',
    empty: 'No topic.',
    columns: [{ label: 'Topic' }, { label: 'Partition', num: true }, { label: 'Leader', wrap: true }, { label: 'Replicas' }, { label: 'Isr' },
      { label: 'Epoch', num: true }, { label: 'Log start', num: true }, { label: 'HW', num: true }, { label: 'LEO', num: true }],
  });
  const brokers = keyedTable({
    caption: 'Brokers',
    columns: [{ label: 'Broker' }, { label: 'State' }, { label: 'Leader of', num: true }],
  });
  const electionNotes = el('p', { class: 'hint', 'data-kafka-notes': '' });
  topicsEl.replaceChildren(brokers.box, topics.box, electionNotes);

  const figures = el('dl', { class: 'kafka-figures' });
  const figureDd = new Map();
  // Each figure holds a button (its number): it says what the figure counts
  // and, for one with a list, lists its records.
  const figureButton = new Map();
  const records = createKafkaRecords();
  let pg = null;
  for (const [key, label, what] of KAFKA_FIGURES) {
    const b = el('button', { type: 'button', class: 'figure', 'data-list': String(Boolean(LISTED[key])) });
    b.addEventListener('click', () => { if (pg) records.show(key, label, what, pg); });
    const dd = el('dd', { 'data-kafka-figure': key }, b);
    figures.append(el('div', { class: 'kafka-figure', title: what }, el('dt', { text: label }), dd));
    figureDd.set(key, dd);
    figureButton.set(key, b);
  }
  const producers = keyedTable({
    caption: 'Producers',
    empty: 'No producer.',
    columns: [{ label: 'Producer' }, { label: 'Kind' }, { label: 'Acks' }, { label: 'Sent', num: true }, { label: 'Acked', num: true }, { label: 'Failed', num: true },
      { label: 'Requests', num: true }, { label: 'Records/request', num: true }, { label: 'In batch', num: true }, { label: 'In flight', num: true }, { label: 'Flush', wrap: true },
      { label: 'Metadata', wrap: true }],
  });
  const simpHead = el('h3', { text: 'Simplifications' });
  const simp = el('ul', { class: 'kafka-simplifications' });
  guarEl.replaceChildren(figures, el('p', { class: 'hint', text: 'Each figure is a button: it says what it counts and lists the records behind it (all but deleted unread, skipped and out of order, which are counted without them). Losses are counted by cause.' }),
    records.box, producers.box, simpHead, simp);
  let simpKey = '';

  const brokerName = (k, id) => (id == null ? 'none' : (k.brokers.find((b) => b.id === id)?.name ?? String(id)));

  return {
    update(snap, playground) {
      pg = playground;
      const k = snap.kafka;
      if (!k) return;
      groupState.update(k.groups, (g) => g.name, (g) => [g.name, g.state, String(g.generation), String(g.rebalances),
        String(g.members.length), g.assignor, g.coordinator ? brokerName(k, g.coordinator) : 'none']);
      const rows = [];
      for (const g of k.groups) for (const r of g.rows) rows.push({ group: g.name, ...r });
      for (const c of k.consumers) {
        rows.push({ group: '-', topic: c.topic, partition: c.partition, current_offset: c.offset, log_end_offset: c.high_watermark, lag: c.lag, consumer_id: c.name });
      }
      describe.update(rows, (r) => `${r.group}\u0000${r.topic}\u0000${r.partition}\u0000${r.group === '-' ? r.consumer_id : ''}`,
        (r) => [r.group, r.topic, String(r.partition), r.current_offset == null ? '-' : String(r.current_offset),
          String(r.log_end_offset), r.lag == null ? '-' : String(r.lag), r.consumer_id == null || r.consumer_id === '' ? '-' : String(r.consumer_id)]);
      const ms = [];
      for (const g of k.groups) for (const m of g.members) ms.push({ g, m });
      members.update(ms, ({ g, m }) => `${g.name}\u0000${m.id}`, ({ g, m }) => [g.name, String(m.id),
        m.state === 'running' && !m.partitions.length ? 'idle (no partition)' : m.state,
        m.partitions.join(', ') || '-', (m.marked || []).map(([p, o]) => `${p}@${o}`).join(', ') || '-', String(m.consumed), m.work || 'the group\'s']);
      // A scenario with no consumer at all says so once, not in three tables.
      const noConsumers = !k.groups.length && !k.consumers.length;
      groupState.setEmpty(noConsumers ? 'This scenario has no consumers.' : 'No consumer group.');
      describe.box.hidden = noConsumers;
      members.box.hidden = noConsumers || !k.groups.length;

      brokers.update(k.brokers, (b) => String(b.id), (b) => [b.name, brokerState(b, snap.time_us), String(b.leads)]);
      topics.update(k.partitions, (p) => `${p.topic}\u0000${p.partition}`, (p) => [p.topic, String(p.partition),
        leaderWords(p, (id) => brokerName(k, id)),
        p.replicas.map((id) => brokerName(k, id)).join(', '), p.isr.map((id) => brokerName(k, id)).join(', ') || '-',
        String(p.leader_epoch), String(p.log_start), String(p.high_watermark), String(p.log_end)]);
      setText(electionNotes, `${k.unclean_leader_election
        ? 'unclean.leader.election.enable=true: an out-of-sync replica may become leader (and what only the old leader had is lost).'
        : 'unclean.leader.election.enable=false: only an in-sync replica can become leader (a partition stays offline otherwise).'} ${
        preferredLeaders(k, snap.time_us)} ${metadataRefresh(k)}`);

      const gu = k.guarantees || {};
      for (const [key, label] of KAFKA_FIGURES) {
        const v = gu[key] ?? 0;
        const dd = figureDd.get(key);
        const b = figureButton.get(key);
        if (b.dataset.count !== String(v)) {
          b.dataset.count = String(v);
          setText(b, String(v));
          b.setAttribute('aria-label', `${label}: ${v}. ${LISTED[key] ? 'List them' : 'What it counts'}`);
        }
        const bad = LOSS_KEYS.has(key) || key === 'duplicates' || key === 'out_of_order' ? String(v > 0) : 'false';
        if (dd.dataset.bad !== bad) dd.dataset.bad = bad;
      }
      // Only acks=0 loses records this way: the figure shows with such a producer.
      const blind = figureDd.get('lost_unwritten').parentElement;
      const showBlind = (gu.lost_unwritten ?? 0) > 0 || k.producers.some((p) => p.acks === 'NoResponse');
      if (blind.hidden === showBlind) blind.hidden = !showBlind;
      producers.update(k.producers, (p) => p.name, (p) => {
        const async = p.kind === 'async';
        return [p.name, p.kind, String(p.acks), String(p.sent), String(p.acked), String(p.failed),
          async ? String(p.requests) : '-', async && p.requests ? (p.requested / p.requests).toFixed(1) : '-',
          async ? String(p.batched) : '-', async ? String(p.open_requests) : '-',
          p.max_open_requests == null ? p.flush : `${p.flush}; ${p.max_open_requests} open requests`, producerMetadata(p, k, snap.time_us)];
      });
      const sk = (k.simplifications || []).join('\u0000');
      if (sk !== simpKey) {
        simpKey = sk;
        simp.replaceChildren(...(k.simplifications || []).map((s) => el('li', { text: s })));
        simpHead.hidden = !(k.simplifications || []).length;
      }
    },
    reset() {
      simpKey = '';
      simp.replaceChildren();
      records.reset();
    },
  };
}
