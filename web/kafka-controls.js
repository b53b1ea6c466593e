// Live controls for Kafka scenarios (in the Live controls panel): per broker
// crash, clean shutdown and restart (`kafka_broker_crash` /
// `kafka_broker_stop` / `kafka_broker_restart`, brokers by number from 1); per consumer-group member start, crash and leave
// (`kafka_member`, members by their place in the group from 1); per group the
// handler's work per record, for every member or one (`kafka_group_work`:
// slow it down or speed it up, and watch the lag chart) and its balance strategy for the next
// rebalance (`kafka_assignor`); per producer its acks (`kafka_acks`) and,
// for an async producer, when its batches go (`kafka_flush`); per
// topic more partitions (`kafka_add_partitions`) and its retention
// (`kafka_retention`); and network cuts between
// processes (`kafka-links.js`). Buttons
// that do not apply now are aria-disabled with the reason as their title;
// a refusal shows next to the control. Text only.
//
// Reads `Snapshot.kafka` (its brokers, producers, groups and cuts).
//
// createKafkaControls(container, { onCommand(cmd, errorEl) -> boolean }) -> { update(snapshot), reset() }

import { el, setText } from './dom.js';
import { fencing } from './views/kafka.js';
import { ENDED_REASON } from './controls.js';
import { actionButton, rebuildRows, setOff } from './nsq-table.js';
import { createKafkaLinks } from './kafka-links.js';

/** The view's sarama names of acks, and the command's. */
const ACKS = [['none', 'NoResponse', 'acks=0'], ['local', 'WaitForLocal', 'acks=1'], ['all', 'WaitForAll', 'acks=all']];
/**
 * An async producer's Flush settings the select offers: the engine's words
 * for them (the view's `flush`), the command's settings, and what the
 * select shows.
 */
const FLUSH = [
  ['at once', {}, 'at once (sarama default)'],
  ['Frequency 10ms', { frequency: '10ms' }, 'every 10ms (Flush.Frequency)'],
  ['Frequency 100ms', { frequency: '100ms' }, 'every 100ms (Flush.Frequency)'],
  ['Frequency 1s', { frequency: '1s' }, 'every 1s (Flush.Frequency)'],
  ['Messages 10', { messages: 10 }, 'every 10 messages (Flush.Messages)'],
  ['Messages 100', { messages: 100 }, 'every 100 messages (Flush.Messages)'],
];
/** The assignors: the command's name and what the select shows. */
const ASSIGNORS = [['range', 'range'], ['roundrobin', 'roundrobin'], ['sticky', 'sticky'], ['cooperative_sticky', 'cooperative-sticky']];
/** What an assignor does in sarama's group, said next to the select when it is not plain. */
const ASSIGNOR_HINT = { cooperative_sticky: "sarama's group rebalances eagerly: its members join owning nothing, so no partition is kept or withheld" };

/** A labelled select whose change sends `command(value)`; the current value is set by `update`. */
function commandSelect(label, options, onCommand, error, command) {
  const id = `kafka-sel-${Math.random().toString(36).slice(2)}`;
  const select = el('select', { id, 'aria-label': label }, ...options.map(([value, text]) => el('option', { value, text })));
  select.addEventListener('change', () => onCommand(command(select.value), error));
  return { select, id };
}

/** Whether a member is up (the engine refuses start for an up member, crash and leave for a down one). */
export function memberUp(m) {
  return !(m.state === 'down' || m.state === 'not started' || String(m.state).startsWith('stopped'));
}

export function createKafkaControls(container, { onCommand }) {
  const brokersBox = el('div');
  const membersBox = el('div');
  const membersHead = el('h3', { text: 'Kafka group members' });
  const workBox = el('div');
  const producersHead = el('h3', { text: 'Kafka producers' });
  const producersBox = el('div');
  const linksBox = el('div');
  const topicsBox = el('div');
  container.replaceChildren(
    el('h3', { text: 'Kafka brokers' }), brokersBox,
    membersHead,
    el('p', { class: 'hint', text: 'Crash: the member dies without leaving (the group waits for its session timeout). Leave: it closes cleanly (a rebalance at once).' }),
    membersBox, workBox,
    producersHead,
    el('p', { class: 'hint', text: 'acks applies to the producer\'s next requests; "batches go" is an async producer\'s Flush: when its broker producer sends what it collected. To add or remove producing goroutines or change their rate, use their rows under Goroutines.' }),
    producersBox,
    el('h3', { text: 'Kafka topics' }),
    el('p', { class: 'hint', text: 'kafka-topics.sh --alter --partitions N: nobody is told. Producers spread over the new count from their next metadata refresh (keys move; the Producers table says when), a group rebalances at its leader\'s next partition check after that and starts the new partitions at their initial offset; partition consumers keep the partitions they had.' }),
    topicsBox, linksBox);
  const links = createKafkaLinks(linksBox, { onCommand });

  let key = null;
  let topicsKey = null;
  let brokerRows = new Map();
  let memberRows = new Map();
  let workRows = new Map();
  let producerRows = new Map();
  let topicRows = new Map();

  /** A group's handler work per record: a duration or a distribution, applied on Enter or Apply. */
  function workRow(g) {
    const error = el('span', { class: 'inline-error', role: 'status' });
    const id = `kafka-work-${Math.random().toString(36).slice(2)}`;
    const input = el('input', { type: 'text', id, placeholder: 'e.g. exp(50ms)', spellcheck: false, 'aria-label': `Group ${g.name}: handler work per record` });
    // Whose handlers: every member's, or one member's (a slow consumer).
    const whoId = `${id}-who`;
    const who = el('select', { id: whoId, 'aria-label': `Group ${g.name}: whose handlers take it` },
      el('option', { value: '', text: 'every member' }),
      ...g.members.map((m, i) => el('option', { value: String(i + 1), text: m.id })));
    const apply = () => {
      const work = input.value.trim();
      if (!work) { error.textContent = 'type a duration, like 200ms or exp(50ms)'; return; }
      const cmd = { op: 'kafka_group_work', group: g.name, ...(who.value ? { member: Number(who.value) } : {}), work };
      if (onCommand(cmd, error)) input.setAttribute('aria-invalid', 'false');
      else input.setAttribute('aria-invalid', 'true');
    };
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') apply(); });
    const button = actionButton('Apply', `Apply the handler work of group ${g.name}`, onCommand, error, () => { apply(); return null; });
    const assignor = commandSelect(`Group ${g.name}: balance strategy from the next rebalance`, ASSIGNORS, onCommand, error,
      (value) => ({ op: 'kafka_assignor', group: g.name, assignor: value }));
    const hint = el('span', { class: 'hint', 'data-kafka-assignor-hint': g.name });
    const row = el('div', { class: 'ctl-row nsq-row', 'data-kafka-work-row': g.name },
      el('label', { class: 'field wide', for: id, text: `Group ${g.name}: handler work per record ` }, input),
      el('label', { class: 'field', for: whoId, text: 'for ' }, who),
      el('div', { class: 'nsq-actions' }, button),
      el('label', { class: 'field', for: assignor.id, text: 'Assignor (next rebalance) ' }, assignor.select),
      hint,
      error);
    return { row, apply: button, input, who, assignor: assignor.select, hint };
  }

  /** A topic's partition count, raised on Enter or Add. */
  function topicRow(t) {
    const error = el('span', { class: 'inline-error', role: 'status' });
    const id = `kafka-parts-${Math.random().toString(36).slice(2)}`;
    const input = el('input', { type: 'number', id, min: '1', max: '64', step: '1', 'aria-label': `Topic ${t.name}: new partition count` });
    const count = el('span', { class: 'badge', 'data-kafka-partitions': '' });
    const add = () => {
      const n = Number(input.value);
      if (!Number.isSafeInteger(n) || n < 1) { error.textContent = 'type the new partition count, a whole number'; input.setAttribute('aria-invalid', 'true'); return; }
      input.setAttribute('aria-invalid', String(!onCommand({ op: 'kafka_add_partitions', topic: t.name, partitions: n }, error)));
    };
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') add(); });
    const button = actionButton('Add partitions', `Add partitions to topic ${t.name}`, onCommand, error, () => { add(); return null; });
    // Retention (kafka-configs.sh --alter): by time and/or by bytes per partition; what is left empty stays.
    const rId = `${id}-ret`;
    const bId = `${id}-bytes`;
    const retention = el('input', { type: 'text', id: rId, placeholder: 'e.g. 20s', spellcheck: false, 'aria-label': `Topic ${t.name}: retention.ms (a duration)` });
    const bytes = el('input', { type: 'number', id: bId, min: '1', step: '1', placeholder: 'bytes', 'aria-label': `Topic ${t.name}: retention.bytes per partition` });
    const current = el('span', { class: 'badge', 'data-kafka-retention': '' });
    const setRetention = () => {
      const r = retention.value.trim();
      const b = bytes.value.trim();
      if (!r && !b) { error.textContent = 'type a retention (like 20s) and/or a size in bytes'; return; }
      const n = Number(b);
      if (b && (!Number.isSafeInteger(n) || n < 1)) { error.textContent = 'retention.bytes is a whole number of bytes, 1 or more'; bytes.setAttribute('aria-invalid', 'true'); return; }
      const ok = onCommand({ op: 'kafka_retention', topic: t.name, ...(r ? { retention: r } : {}), ...(b ? { retention_bytes: n } : {}) }, error);
      retention.setAttribute('aria-invalid', String(!ok && Boolean(r)));
      bytes.setAttribute('aria-invalid', String(!ok && Boolean(b)));
    };
    for (const f of [retention, bytes]) f.addEventListener('keydown', (e) => { if (e.key === 'Enter') setRetention(); });
    const retButton = actionButton('Set retention', `Set retention of topic ${t.name}`, onCommand, error, () => { setRetention(); return null; });
    const row = el('div', { class: 'ctl-row nsq-row', 'data-kafka-topic-row': t.name },
      el('div', { class: 'row-head' }, el('span', { class: 'row-name', text: t.name }), count),
      el('label', { class: 'field', for: id, text: 'partitions ' }, input),
      el('div', { class: 'nsq-actions' }, button),
      el('div', { class: 'row-head' }, el('span', { class: 'role', text: 'retention' }), current),
      el('label', { class: 'field', for: rId, text: 'retention.ms ' }, retention),
      el('label', { class: 'field', for: bId, text: 'retention.bytes ' }, bytes),
      el('div', { class: 'nsq-actions' }, retButton), error);
    return { row, input, count, button, current, retButton };
  }

  /** A producer's acks, switched for its next requests. */
  function producerRow(p) {
    const error = el('span', { class: 'inline-error', role: 'status' });
    const acks = commandSelect(`Producer ${p.name}: RequiredAcks`, ACKS.map(([v, sarama, short]) => [v, `${short} (${sarama})`]), onCommand, error,
      (value) => ({ op: 'kafka_acks', producer: p.name, acks: value }));
    const counts = el('span', { class: 'badge' });
    let flush = null;
    if (p.kind === 'async') {
      flush = commandSelect(`Producer ${p.name}: when a batch is sent (Flush)`, FLUSH.map(([v, , text]) => [v, text]), onCommand, error,
        (value) => ({ op: 'kafka_flush', producer: p.name, flush: (FLUSH.find(([v]) => v === value) || FLUSH[0])[1] }));
      flush.select.dataset.kafkaFlush = p.name;
    }
    const row = el('div', { class: 'ctl-row nsq-row', 'data-kafka-producer-row': p.name },
      el('div', { class: 'row-head' }, el('span', { class: 'row-name', text: p.name }), el('span', { class: 'role', text: `${p.kind} producer` }), counts),
      el('label', { class: 'field', for: acks.id, text: 'acks ' }, acks.select),
      ...(flush ? [el('label', { class: 'field', for: flush.id, text: 'batches go ' }, flush.select)] : []),
      error);
    return { row, acks: acks.select, counts, flush: flush && flush.select };
  }

  function brokerRow(b) {
    const error = el('span', { class: 'inline-error', role: 'status' });
    const state = el('span', { class: 'badge' });
    const crash = actionButton('Crash', `Crash ${b.name}`, onCommand, error, () => ({ op: 'kafka_broker_crash', broker: b.id }));
    const stop = actionButton('Stop', `Stop ${b.name} cleanly`, onCommand, error, () => ({ op: 'kafka_broker_stop', broker: b.id }));
    const restart = actionButton('Restart', `Restart ${b.name}`, onCommand, error, () => ({ op: 'kafka_broker_restart', broker: b.id }));
    crash.classList.add('danger-outline');
    const row = el('div', { class: 'ctl-row nsq-row', 'data-kafka-broker-row': b.name },
      el('div', { class: 'row-head' }, el('span', { class: 'row-name', text: b.name }), state),
      el('div', { class: 'nsq-actions' }, crash, stop, restart), error);
    return { row, state, crash, stop, restart };
  }

  function memberRow({ g, m, n }) {
    const error = el('span', { class: 'inline-error', role: 'status' });
    const state = el('span', { class: 'badge' });
    const who = `member ${m.id} of group ${g.name}`;
    const cmd = (action) => () => ({ op: 'kafka_member', group: g.name, member: n, action });
    const start = actionButton('Start', `Start ${who}`, onCommand, error, cmd('start'));
    const crash = actionButton('Crash', `Crash ${who}`, onCommand, error, cmd('crash'));
    const leave = actionButton('Leave', `Leave: ${who} leaves the group`, onCommand, error, cmd('leave'));
    crash.classList.add('danger-outline');
    const row = el('div', { class: 'ctl-row nsq-row', 'data-kafka-member-row': `${g.name} ${m.id}` },
      el('div', { class: 'row-head' }, el('span', { class: 'row-name', text: String(m.id) }), el('span', { class: 'role', text: `group ${g.name}` }), state),
      el('div', { class: 'nsq-actions' }, start, crash, leave), error);
    return { row, state, start, crash, leave };
  }

  function update(snap) {
    const k = snap.kafka;
    if (!k) return;
    const ended = snap.status !== 'running';
    const members = [];
    for (const g of k.groups) g.members.forEach((m, i) => members.push({ g, m, n: i + 1 }));
    const mKey = (x) => `${x.g.name}\u0000${x.n}`;
    const kk = `${k.brokers.map((b) => b.id).join(',')}|${members.map(mKey).join('\u0001')}|${k.producers.map((p) => p.name).join('\u0001')}`;
    if (kk !== key) {
      key = kk;
      brokerRows = rebuildRows(brokersBox, brokerRows, k.brokers, (b) => String(b.id), brokerRow);
      memberRows = rebuildRows(membersBox, memberRows, members, mKey, memberRow);
      membersHead.hidden = !k.groups.length;
      membersBox.hidden = !k.groups.length;
      membersHead.nextElementSibling.hidden = !k.groups.length;
      workRows = rebuildRows(workBox, workRows, k.groups, (g) => g.name, workRow);
      workBox.hidden = !k.groups.length;
      producerRows = rebuildRows(producersBox, producerRows, k.producers, (p) => p.name, producerRow);
      producersHead.hidden = !k.producers.length;
      producersHead.nextElementSibling.hidden = !k.producers.length;
      producersBox.hidden = !k.producers.length;
    }
    for (const g of k.groups) {
      const r = workRows.get(g.name);
      if (r && r.assignor.value !== g.assignor && r.assignor.getRootNode().activeElement !== r.assignor) r.assignor.value = g.assignor;
      if (r) r.assignor.disabled = ended;
      if (r) setText(r.hint, ASSIGNOR_HINT[g.assignor] || '');
    }
    for (const p of k.producers) {
      const r = producerRows.get(p.name);
      if (!r) continue;
      const v = (ACKS.find(([, sarama]) => sarama === p.acks) || ACKS[1])[0];
      if (r.acks.value !== v && r.acks.getRootNode().activeElement !== r.acks) r.acks.value = v;
      r.acks.disabled = ended;
      setText(r.counts, p.kind === 'async' && p.requests
        ? `sent ${p.sent} · acked ${p.acked} · failed ${p.failed} · ${(p.requested / p.requests).toFixed(1)} per request`
        : `sent ${p.sent} · acked ${p.acked} · failed ${p.failed}`);
      if (r.flush) {
        // The scenario's own settings may be none of the select's: shown as
        // the current choice, not offered again.
        const now = p.flush;
        [...r.flush.options].filter((o) => o.dataset.current && o.value !== now).forEach((o) => o.remove());
        let opt = [...r.flush.options].find((o) => o.value === now);
        if (!opt) {
          opt = el('option', { value: now, text: `${now} (current)`, disabled: true });
          opt.dataset.current = 'true';
          r.flush.prepend(opt);
        }
        if (r.flush.value !== now && r.flush.getRootNode().activeElement !== r.flush) r.flush.value = now;
        r.flush.disabled = ended;
      }
    }
    const topics = new Map();
    for (const p of k.partitions) topics.set(p.topic, (topics.get(p.topic) || 0) + 1);
    const tk = [...topics.keys()].join('\u0001');
    if (tk !== topicsKey) {
      topicsKey = tk;
      topicRows = rebuildRows(topicsBox, topicRows, [...topics.keys()].map((name) => ({ name })), (t) => t.name, topicRow);
    }
    for (const [name, n] of topics) {
      const r = topicRows.get(name);
      setText(r.count, `${n} partition${n === 1 ? '' : 's'}`);
      if (r.input.getRootNode().activeElement !== r.input && Number(r.input.value) <= n) r.input.value = String(Math.min(64, n + 1));
      setOff(r.button, ended ? ENDED_REASON : n >= 64 ? 'At most 64 partitions per topic here' : '', `Raise ${name} to the count in the field (Kafka never removes partitions)`);
      const t = (k.topics || []).find((x) => x.name === name);
      if (t) setText(r.current, `${t.retention}${t.retention_bytes != null ? ` · ${t.retention_bytes} bytes` : ' · no size limit'}`);
      setOff(r.retButton, ended ? ENDED_REASON : '', `Applies at the brokers' next retention check (log.retention.check.interval.ms): whole segments past it are deleted`);
    }
    links.update(snap);
    for (const r of workRows.values()) setOff(r.apply, ended ? ENDED_REASON : '', 'Every handler of the group takes this long per record from its next one (a slower handler: the lag grows)');
    for (const b of k.brokers) {
      const r = brokerRows.get(String(b.id));
      setText(r.state, !b.up ? `down${fencing(b, snap.time_us)}` : b.fenced ? 'fenced' : `up · leads ${b.leads}${fencing(b, snap.time_us)}`);
      r.state.classList.toggle('danger', !b.up || !!b.fenced);
      const noController = (k.cuts || []).some((c) => c.includes(b.name) && c.includes('controller'));
      setOff(r.crash, ended ? ENDED_REASON : b.up ? '' : `${b.name} is already down`, `Crash ${b.name}: once the controller fences it (its session times out) its partitions elect new leaders from the ISR`);
      setOff(r.stop, ended ? ENDED_REASON : !b.up ? `${b.name} is already down` : noController ? `${b.name} is cut from the controller, which moves its leaderships first: crash it instead` : '', `Stop ${b.name} cleanly (controlled shutdown): the controller moves its leaderships to in-sync replicas first, so no partition waits for a leader`);
      setOff(r.restart, ended ? ENDED_REASON : b.up ? `${b.name} is running: crash or stop it first` : '', `Start ${b.name} again: its replicas truncate to the HW and catch up`);
    }
    for (const x of members) {
      const r = memberRows.get(mKey(x));
      const up = memberUp(x.m);
      const idle = x.m.state === 'running' && !x.m.partitions.length;
      setText(r.state, idle ? 'idle' : x.m.state);
      r.state.classList.toggle('danger', x.m.state === 'down');
      setOff(r.start, ended ? ENDED_REASON : up ? `${x.m.id} is already running` : '', `Start ${x.m.id}: it joins the group (a rebalance)`);
      const downWhy = ended ? ENDED_REASON : up ? '' : `${x.m.id} is not running`;
      setOff(r.crash, downWhy, `Crash ${x.m.id}: no LeaveGroup; its partitions move after the session timeout`);
      setOff(r.leave, downWhy, `${x.m.id} leaves cleanly: a rebalance at once`);
    }
  }

  return {
    update,
    reset() {
      key = null;
      brokerRows = new Map();
      memberRows = new Map();
      workRows = new Map();
      producerRows = new Map();
      topicRows = new Map();
      topicsKey = null;
      links.reset();
    },
  };
}
