// The nsqadmin panel: what an NSQ operator looks at, in nsqadmin's words.
// Tables of nodes (up or down, how expiry is timed), topics and channels per
// node (Depth, Memory + Disk, In-Flight, Deferred, Requeued, Timed Out,
// Messages, Connections, E2E p50/p99), the channels' clients (Ready Count,
// In-Flight, Finished, Requeued) and what each nsqlookupd has registered;
// with nsqadmin's row actions: pause / unpause, empty, delete a topic or a
// channel, tombstone a topic on a node, and create a channel. Each action is
// a command to the engine; a refusal shows next to the row's buttons.
// (Tombstone shows only when the scenario has nsqlookupds.)
// Everything from `Snapshot.nsq`; all text set with textContent.
//
// createNsqAdmin(container, { onCommand(cmd, errorEl) -> boolean }) -> { update(snapshot), reset() }

import { el, setText } from './dom.js';
import { ENDED_REASON } from './controls.js';
import { keyedTable, actionButton, setOff, fmtUs, E2E_WINDOW } from './nsq-table.js';

const E2E_HINT = `Publish to FIN latency of the channel's finished messages, ${E2E_WINDOW}`;
const EXPIRY_WORDS = { exact: 'exact (at the deadline)', sampled: 'sampled (100 ms scan)' };

export function createNsqAdmin(container, { onCommand }) {
  const nodes = keyedTable({
    caption: 'Nodes',
    columns: [{ label: 'NSQd' }, { label: 'Status' }, { label: 'Expiry' }, { label: 'Topics', num: true },
      { label: 'Depth', num: true }, { label: 'In-Flight', num: true }],
  });
  const topics = keyedTable({
    caption: 'Topics',
    empty: 'No topic yet: a topic appears with its first publish or channel.',
    columns: [{ label: 'Topic' }, { label: 'NSQd' }, { label: 'Depth', num: true }, { label: 'Memory + Disk', num: true },
      { label: 'Messages', num: true }, { label: 'Channels', num: true }],
    actions: 'Actions',
    actionsAfter: 2,
  });
  const channels = keyedTable({
    caption: 'Channels',
    empty: 'No channel yet.',
    columns: [{ label: 'Channel' }, { label: 'NSQd' }, { label: 'Depth', num: true }, { label: 'Memory + Disk', num: true },
      { label: 'In-Flight', num: true }, { label: 'Deferred', num: true }, { label: 'Requeued', num: true },
      { label: 'Timed Out', num: true }, { label: 'Messages', num: true }, { label: 'Connections', num: true },
      { label: 'E2E p50', num: true, title: E2E_HINT }, { label: 'E2E p99', num: true, title: E2E_HINT }],
    actions: 'Actions',
    actionsAfter: 2,
  });
  const clients = keyedTable({
    caption: 'Clients',
    empty: 'No client connected.',
    columns: [{ label: 'Client' }, { label: 'Channel' }, { label: 'NSQd' }, { label: 'Ready Count', num: true },
      { label: 'In-Flight', num: true }, { label: 'Messages', num: true }, { label: 'Finished', num: true },
      { label: 'Requeued', num: true }],
  });
  const lookupdNodes = keyedTable({
    caption: 'nsqlookupd: connected nodes',
    columns: [{ label: 'nsqlookupd' }, { label: 'NSQd connected' }],
  });
  const lookupdTopics = keyedTable({
    caption: 'nsqlookupd: registrations',
    empty: 'Nothing registered.',
    columns: [{ label: 'nsqlookupd' }, { label: 'Topic' }, { label: 'Channels' }, { label: 'Producers' }],
  });
  const lookupdBox = el('div', { class: 'nsq-lookupd' }, lookupdNodes.box, lookupdTopics.box);

  // Create a channel: pick topic @ node, type a name.
  const createError = el('span', { class: 'inline-error', role: 'status' });
  const createWhere = el('select', { 'aria-label': 'Topic and node of the new channel', 'data-nsq-create': 'where' });
  const createName = el('input', { type: 'text', spellcheck: false, autocomplete: 'off', placeholder: 'channel name',
    'aria-label': 'Name of the new channel', 'data-nsq-create': 'name' });
  const createBtn = el('button', { type: 'button', class: 'small', text: 'Create channel', 'data-nsq-create': 'button' });
  const create = () => {
    if (createBtn.getAttribute('aria-disabled') === 'true') return;
    const [nsqd, topic] = JSON.parse(createWhere.value || '[]');
    if (!nsqd) return;
    const channel = createName.value.trim();
    if (!channel) {
      createError.textContent = 'Type a channel name first';
      return;
    }
    if (onCommand({ op: 'nsq', action: 'create', nsqd, topic, channel }, createError)) createName.value = '';
  };
  createBtn.addEventListener('click', create);
  createName.addEventListener('keydown', (e) => { if (e.key === 'Enter') create(); });
  const createRow = el('div', { class: 'nsq-create' }, createWhere, createName, createBtn, createError);

  container.replaceChildren(
    nodes.box,
    topics.box, createRow,
    channels.box,
    clients.box,
    lookupdBox);

  let whereKey = null;
  let ended = false;
  let hasLookupd = false;
  const down = new Map(); // node name -> down

  /** Why an action on `nsqd` cannot run now, or ''. */
  const offWhy = (nsqd) => (ended ? ENDED_REASON : down.get(nsqd) ? `${nsqd} is down: restart it first (Live controls)` : '');

  /** Pause/Unpause, Empty, Delete (and Tombstone for topics) for one topic or channel row. */
  function rowActions(nsqd, topic, channel) {
    const error = el('span', { class: 'inline-error', role: 'status' });
    const what = channel == null ? `topic ${topic}` : `channel ${topic}/${channel}`;
    const base = { op: 'nsq', nsqd, topic };
    if (channel != null) base.channel = channel;
    let paused = false;
    const pause = actionButton('Pause', `Pause ${what} on ${nsqd}`, onCommand, error,
      () => ({ ...base, action: paused ? 'unpause' : 'pause' }));
    const empty = actionButton('Empty', `Empty ${what} on ${nsqd}`, onCommand, error, () => ({ ...base, action: 'empty' }));
    const del = actionButton('Delete', `Delete ${what} on ${nsqd}`, onCommand, error, () => ({ ...base, action: 'delete' }));
    del.classList.add('danger-outline');
    const buttons = [pause, empty, del];
    let tomb = null;
    const titles = new Map([
      [empty, channel == null ? 'Drop the messages the topic holds' : 'Drop every message of the channel: queued, in flight and deferred'],
      [del, channel == null ? 'Delete the topic and its channels with their messages' : 'Delete the channel: its consumers are disconnected, its messages dropped'],
    ]);
    if (channel == null) {
      tomb = actionButton('Tombstone', `Tombstone topic ${topic} on ${nsqd}`, onCommand, error,
        () => ({ op: 'nsq_tombstone', topic, nsqd }));
      titles.set(tomb, `Hide ${nsqd} from lookups of ${topic} for 45 s, so consumers stop discovering it`);
      buttons.push(tomb);
    }
    const node = el('div', { class: 'nsq-actions' }, ...buttons, error);
    return {
      node,
      refresh(item) {
        paused = item.paused;
        setText(pause, paused ? 'Unpause' : 'Pause');
        pause.setAttribute('aria-label', `${paused ? 'Unpause' : 'Pause'} ${what} on ${nsqd}`);
        titles.set(pause, paused ? `Let ${what} deliver again` : channel == null
          ? 'Keep new messages in the topic (its channels get nothing new)'
          : 'Deliver nothing new (in-flight messages can still finish, requeue or time out)');
        // Tombstoning is a lookupd matter: only offered when the scenario has lookupds.
        if (tomb) tomb.hidden = !hasLookupd;
        const why = offWhy(nsqd);
        for (const b of buttons) setOff(b, why, titles.get(b));
      },
    };
  }

  function update(snap) {
    const nsq = snap.nsq;
    if (!nsq) return;
    ended = snap.status !== 'running';
    hasLookupd = Boolean(nsq.lookupd && nsq.lookupd.length);
    down.clear();
    for (const n of nsq.nodes) down.set(n.name, n.down);

    nodes.update(nsq.nodes, (n) => n.name, (n) => {
      let depth = 0;
      let inFlight = 0;
      for (const t of n.topics) {
        depth += t.depth;
        for (const c of t.channels) { depth += c.depth; inFlight += c.in_flight; }
      }
      return [n.name, n.down ? 'down' : 'up', EXPIRY_WORDS[n.expiry] || String(n.expiry), String(n.topics.length), String(depth), String(inFlight)];
    });
    for (const tr of nodes.box.querySelectorAll('tbody tr')) {
      const isDown = tr.cells[1].textContent === 'down';
      if ((tr.dataset.down === 'true') !== isDown) tr.dataset.down = String(isDown);
    }

    const topicRows = [];
    const channelRows = [];
    const clientRows = [];
    for (const n of nsq.nodes) {
      for (const t of n.topics) {
        topicRows.push({ nsqd: n.name, t, paused: t.paused });
        for (const c of t.channels) {
          channelRows.push({ nsqd: n.name, topic: t.name, c, paused: c.paused });
          for (const cl of c.clients) clientRows.push({ nsqd: n.name, topic: t.name, channel: c.name, cl });
        }
      }
    }
    const mark = (name, paused) => (paused ? `${name} (paused)` : name);
    topics.update(topicRows, (r) => `${r.nsqd}\u0000${r.t.name}`,
      ({ nsqd, t }) => [mark(t.name, t.paused), nsqd, String(t.depth), `${t.memory_depth} + ${t.backend_depth}`,
        String(t.message_count), String(t.channels.length)],
      (r) => rowActions(r.nsqd, r.t.name, null));
    channels.update(channelRows, (r) => `${r.nsqd}\u0000${r.topic}\u0000${r.c.name}`,
      ({ nsqd, topic, c }) => [mark(`${topic} / ${c.name}`, c.paused), nsqd, String(c.depth), `${c.memory_depth} + ${c.backend_depth}`,
        String(c.in_flight), String(c.deferred), String(c.requeue_count), String(c.timeout_count), String(c.message_count),
        String(c.client_count), fmtUs(c.e2e_p50_us), fmtUs(c.e2e_p99_us)],
      (r) => rowActions(r.nsqd, r.topic, r.c.name));
    clients.update(clientRows, (r) => `${r.nsqd}\u0000${r.topic}\u0000${r.channel}\u0000${r.cl.id}`,
      ({ nsqd, topic, channel, cl }) => [cl.name, `${topic} / ${channel}`, nsqd, String(cl.ready_count), String(cl.in_flight_count),
        String(cl.message_count), String(cl.finish_count), String(cl.requeue_count)]);

    const lk = nsq.lookupd || [];
    lookupdBox.hidden = lk.length === 0;
    if (lk.length) {
      lookupdNodes.update(lk, (l) => l.name, (l) => [l.name, l.down ? 'down (knows nothing, refuses lookups)' : l.producers.length ? l.producers.join(', ') : 'none']);
      const regs = [];
      for (const l of lk) for (const t of l.topics) regs.push({ l: l.name, t });
      lookupdTopics.update(regs, (r) => `${r.l}\u0000${r.t.topic}`,
        ({ l, t }) => [l, t.topic, t.channels.join(', ') || 'none', t.producers.join(', ') || 'none']);
    }

    // The create form's choices follow the topics.
    const key = topicRows.map((r) => `${r.nsqd}\u0000${r.t.name}`).join('\u0001');
    if (key !== whereKey) {
      whereKey = key;
      const keep = createWhere.value;
      createWhere.replaceChildren(...topicRows.map((r) =>
        el('option', { value: JSON.stringify([r.nsqd, r.t.name]), text: `${r.t.name} on ${r.nsqd}` })));
      if ([...createWhere.options].some((o) => o.value === keep)) createWhere.value = keep;
    }
    createRow.hidden = topicRows.length === 0;
    const [whereNode] = JSON.parse(createWhere.value || '[]');
    setOff(createBtn, whereNode ? offWhy(whereNode) : '', 'Create this channel on the node (nsqadmin\'s "Create Channel")');
  }

  return {
    update,
    reset() {
      whereKey = null;
      for (const e of container.querySelectorAll('.inline-error')) e.textContent = '';
    },
  };
}
