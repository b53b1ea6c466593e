// Live controls for NSQ scenarios (in the Live controls panel): per nsqd
// node crash (unclean), stop (clean) and restart; per nsqlookupd crash and
// restart (it keeps nothing on disk: a stop is a crash); per go-nsq consumer crash,
// stop, start, MaxInFlight, handler failure rate, handler work time
// (`set_rates` on `<consumer>.handler`) and handler count (`set_count`);
// per link (a consumer's or a publishing goroutine's connection to a node)
// cut and heal. Buttons that do not apply now are aria-disabled with the
// reason as their title; a refusal shows next to the control. Text only.
//
// Reads `Snapshot.nsq` (its nodes, lookupds, consumers and publishers).
//
// createNsqControls(container, { onCommand(cmd, errorEl) -> boolean }) -> { update(snapshot), reset() }

import { el, setText } from './dom.js';
import { ENDED_REASON } from './controls.js';
import { actionButton, rebuildRows, setOff } from './nsq-table.js';

/** Shows the engine's value unless the user is editing the field or it holds a refused entry. */
function setValue(input, value) {
  if (input.getRootNode().activeElement === input || input.getAttribute('aria-invalid') === 'true') return;
  if (input.value !== value) input.value = value;
}

/** Links: every consumer connection and publishing goroutine connection, with its cut state. */
function linksOf(snap) {
  const links = [];
  for (const c of snap.nsq.consumers) for (const k of c.connections) links.push({ client: c.name, nsqd: k.nsqd, cut: k.cut, kind: 'consumer' });
  for (const p of snap.nsq.publishers) links.push({ client: p.goroutine, nsqd: p.nsqd, cut: p.cut, kind: 'publisher' });
  return links;
}

const STATE_WORDS = { running: 'running', stopping: 'stopping', stopped: 'stopped', crashed: 'crashed' };

export function createNsqControls(container, { onCommand }) {
  const nodesBox = el('div');
  const lookupdsBox = el('div');
  const consumersBox = el('div');
  const linksBox = el('div');
  container.replaceChildren(
    el('h3', { text: 'NSQ nodes' }), nodesBox, lookupdsBox,
    el('h3', { text: 'NSQ consumers' }),
    el('p', { class: 'hint', text: 'Failure rate: the share of messages the handler fails (0 to 1). Press Enter to apply.' }),
    consumersBox,
    el('h3', { text: 'Network links' }), linksBox);

  let key = null;
  let nodeRows = new Map();
  let lookupdRows = new Map();
  let consumerRows = new Map();
  let linkRows = new Map();

  function command(cmd, error, input) {
    const ok = onCommand(cmd, error);
    if (input) input.setAttribute('aria-invalid', String(!ok));
    return ok;
  }

  function nodeRow(name) {
    const error = el('span', { class: 'inline-error', role: 'status' });
    const state = el('span', { class: 'badge' });
    const crash = actionButton('Crash', `Crash ${name} (unclean: memory lost)`, onCommand, error, () => ({ op: 'nsqd_crash', nsqd: name }));
    const stop = actionButton('Stop', `Stop ${name} (clean: memory written to disk)`, onCommand, error, () => ({ op: 'nsqd_stop', nsqd: name }));
    const restart = actionButton('Restart', `Restart ${name}`, onCommand, error, () => ({ op: 'nsqd_restart', nsqd: name }));
    crash.classList.add('danger-outline');
    const row = el('div', { class: 'ctl-row nsq-row', 'data-nsqd-row': name },
      el('div', { class: 'row-head' }, el('span', { class: 'row-name', text: name }), state),
      el('div', { class: 'nsq-actions' }, crash, stop, restart), error);
    return { row, state, crash, stop, restart };
  }

  function lookupdRow(name) {
    const error = el('span', { class: 'inline-error', role: 'status' });
    const state = el('span', { class: 'badge' });
    const crash = actionButton('Crash', `Crash ${name}`, onCommand, error, () => ({ op: 'nsqlookupd_crash', nsqlookupd: name }));
    const restart = actionButton('Restart', `Restart ${name}`, onCommand, error, () => ({ op: 'nsqlookupd_restart', nsqlookupd: name }));
    crash.classList.add('danger-outline');
    const row = el('div', { class: 'ctl-row nsq-row', 'data-lookupd-row': name },
      el('div', { class: 'row-head' }, el('span', { class: 'row-name', text: name }), el('span', { class: 'role', text: 'nsqlookupd' }), state),
      el('div', { class: 'nsq-actions' }, crash, restart), error);
    return { row, state, crash, restart };
  }

  function consumerRow(c) {
    const name = c.name;
    const error = el('span', { class: 'inline-error', role: 'status' });
    const state = el('span', { class: 'badge' });
    const crash = actionButton('Crash', `Crash consumer ${name}`, onCommand, error, () => ({ op: 'consumer_crash', consumer: name }));
    const stop = actionButton('Stop', `Stop consumer ${name}`, onCommand, error, () => ({ op: 'consumer_stop', consumer: name }));
    const start = actionButton('Start', `Start consumer ${name}`, onCommand, error, () => ({ op: 'consumer_start', consumer: name }));
    crash.classList.add('danger-outline');
    const field = (label, input) => el('label', { class: 'field' }, el('span', { text: label }), input);
    const mif = el('input', { type: 'number', min: 0, step: 1, 'data-nsq-mif': name, 'aria-label': `Max in flight of ${name}` });
    const fail = el('input', { type: 'number', min: 0, max: 1, step: 0.05, value: '0', 'data-nsq-fail': name, 'aria-label': `Failure rate of ${name}'s handler (0 to 1)` });
    const work = el('input', { type: 'text', spellcheck: false, autocomplete: 'off', 'data-nsq-work': name,
      'aria-label': `Handler work time of ${name}`, 'aria-describedby': 'dist-help' });
    const count = el('input', { type: 'number', min: 0, step: 1, 'data-nsq-handlers': name, 'aria-label': `Number of ${name}'s handlers` });
    const group = c.handler_group || `${name}.handler`;
    const onEnter = (input, apply) => {
      input.addEventListener('change', apply);
      input.addEventListener('keydown', (e) => { if (e.key === 'Enter') apply(); });
    };
    const num = (input, what, test) => {
      const raw = input.value.trim();
      const v = Number(raw);
      if (raw !== '' && test(v)) return v;
      error.textContent = what;
      input.setAttribute('aria-invalid', 'true');
      return null;
    };
    let sent = { mif: null, fail: '0', work: null, count: null };
    onEnter(mif, () => {
      const v = num(mif, 'max in flight must be a whole number, 0 or more', (x) => Number.isSafeInteger(x) && x >= 0);
      if (v === null || String(v) === sent.mif) return;
      if (command({ op: 'set_consumer', consumer: name, max_in_flight: v }, error, mif)) sent.mif = String(v);
    });
    onEnter(fail, () => {
      const v = num(fail, 'failure rate must be a number from 0 to 1', (x) => Number.isFinite(x) && x >= 0 && x <= 1);
      if (v === null || String(v) === sent.fail) return;
      if (command({ op: 'set_consumer', consumer: name, failure_rate: v }, error, fail)) sent.fail = String(v);
    });
    onEnter(work, () => {
      const text = work.value.trim();
      if (text === sent.work) return;
      if (command({ op: 'set_rates', group, work: text }, error, work)) sent.work = text;
    });
    onEnter(count, () => {
      const v = num(count, 'handlers must be a whole number, 0 or more', (x) => Number.isSafeInteger(x) && x >= 0);
      if (v === null || String(v) === sent.count) return;
      if (command({ op: 'set_count', group, count: v }, error, count)) sent.count = String(v);
    });
    const row = el('div', { class: 'ctl-row nsq-row', 'data-consumer-row': name },
      el('div', { class: 'row-head' }, el('span', { class: 'row-name', text: name }), el('span', { class: 'role', text: `${c.topic ?? ''}${c.channel ? ` / ${c.channel}` : ''}` }), state),
      el('div', { class: 'nsq-actions' }, crash, stop, start),
      el('div', { class: 'fields' }, field('max in flight', mif), field('failure rate', fail), field('handlers', count),
        el('label', { class: 'field wide' }, el('span', { text: 'handler work' }), work)),
      error);
    return { row, state, crash, stop, start, mif, work, count, group, sent };
  }

  function linkRow(l) {
    const error = el('span', { class: 'inline-error', role: 'status' });
    const state = el('span', { class: 'badge' });
    const what = `${l.client} to ${l.nsqd}`;
    const cut = actionButton('Cut', `Cut the link ${what}`, onCommand, error, () => ({ op: 'cut_link', client: l.client, nsqd: l.nsqd }));
    const heal = actionButton('Heal', `Heal the link ${what}`, onCommand, error, () => ({ op: 'heal_link', client: l.client, nsqd: l.nsqd }));
    const row = el('div', { class: 'ctl-row nsq-row nsq-link', 'data-link-row': `${l.client} ${l.nsqd}` },
      el('div', { class: 'row-head' }, el('span', { class: 'row-name', text: `${l.client} ↔ ${l.nsqd}` }),
        el('span', { class: 'role', text: l.kind }), state),
      el('div', { class: 'nsq-actions' }, cut, heal), error);
    return { row, state, cut, heal };
  }

  /** Rebuilds `box` from `items` reusing rows by key (refusals and focus survive). */
  function update(snap) {
    if (!snap.nsq) return;
    const ended = snap.status !== 'running';
    const consumers = snap.nsq.consumers;
    const links = linksOf(snap);
    const linkKey = (l) => `${l.client}\u0000${l.nsqd}`;
    const lookupds = snap.nsq.lookupd || [];
    const k = [snap.nsq.nodes.map((n) => n.name), lookupds.map((l) => l.name), consumers.map((c) => c.name), links.map(linkKey)].map((x) => x.join('\u0001')).join('\u0002');
    if (k !== key) {
      key = k;
      nodeRows = rebuildRows(nodesBox, nodeRows, snap.nsq.nodes.map((n) => n.name), (n) => n, nodeRow);
      lookupdRows = rebuildRows(lookupdsBox, lookupdRows, lookupds.map((l) => l.name), (n) => n, lookupdRow, 'No nsqlookupd: consumers connect to nsqd directly.');
      consumerRows = rebuildRows(consumersBox, consumerRows, consumers, (c) => c.name, consumerRow);
      linkRows = rebuildRows(linksBox, linkRows, links, linkKey, linkRow);
    }
    const down = new Map(snap.nsq.nodes.map((n) => [n.name, n.down]));
    const clientNames = snap.nsq.nodes.flatMap((n) => n.topics.flatMap((t) => t.channels.flatMap((ch) => ch.clients.map((cl) => cl.name))));
    for (const n of snap.nsq.nodes) {
      const r = nodeRows.get(n.name);
      setText(r.state, n.down ? 'down' : 'up');
      r.state.classList.toggle('danger', n.down);
      const upWhy = ended ? ENDED_REASON : n.down ? `${n.name} is already down` : '';
      setOff(r.crash, upWhy, 'Unclean crash (a power loss): memory queues, in-flight and deferred messages and unsynced disk writes are lost; disk queues go back to their last sync, so what they read since then is delivered again');
      setOff(r.stop, upWhy, 'Clean shutdown: memory, in-flight and deferred messages are written to disk');
      setOff(r.restart, ended ? ENDED_REASON : n.down ? '' : `${n.name} is up: crash or stop it first`, `Start ${n.name} again (it reads its disk queues back)`);
    }
    for (const l of lookupds) {
      const r = lookupdRows.get(l.name);
      setText(r.state, l.down ? 'down' : 'up');
      r.state.classList.toggle('danger', l.down);
      setOff(r.crash, ended ? ENDED_REASON : l.down ? `${l.name} is already down` : '',
        'Crash: it forgets every registration and refuses lookups; consumer connections stay, nodes notice at their next ping');
      setOff(r.restart, ended ? ENDED_REASON : l.down ? '' : `${l.name} is up: crash it first`,
        `Start ${l.name} again, empty: each node registers again at its next ping that dials (within 30 s)`);
    }
    for (const c of consumers) {
      const r = consumerRows.get(c.name);
      const st = c.state;
      // Without the engine's consumer view: whether nsqd lists a connection of it.
      const conns = st ? 0 : clientNames.filter((n) => n.startsWith(`${c.name} conn`)).length;
      setText(r.state, st ? STATE_WORDS[st] || st : conns ? `${conns} connection${conns === 1 ? '' : 's'}` : 'no connection');
      r.state.classList.toggle('danger', st === 'crashed');
      const live = st === 'running' || st === 'stopping';
      const stopWhy = ended ? ENDED_REASON : st && !live ? `${c.name} is not running` : '';
      setOff(r.crash, stopWhy, 'Kill the process: its in-flight messages wait for their timeout');
      setOff(r.stop, ended ? ENDED_REASON : st && st !== 'running' ? `${c.name} is not running` : '', 'Stop(): close connections cleanly after in-flight messages finish');
      // (Without the consumer view, a connection nsqd lists means it runs.)
      setOff(r.start, ended ? ENDED_REASON : live || conns ? `${c.name} is already running` : '', `Start ${c.name} again: it connects and subscribes`);
      setValue(r.mif, String(c.max_in_flight));
      const g = snap.groups.find((x) => x.name === r.group);
      if (g) {
        setValue(r.count, String(g.count));
        if (g.work != null) setValue(r.work, g.work);
      }
    }
    for (const l of links) {
      const r = linkRows.get(linkKey(l));
      setText(r.state, l.cut ? 'cut' : 'connected');
      r.state.hidden = l.cut === null; // unknown (an engine without the link view)
      r.state.classList.toggle('danger', l.cut === true);
      const nodeDown = down.get(l.nsqd) ? ` (${l.nsqd} is down)` : '';
      setOff(r.cut, ended ? ENDED_REASON : l.cut === true ? 'This link is already cut' : '', `Cut the network between ${l.client} and ${l.nsqd}${nodeDown}`);
      setOff(r.heal, ended ? ENDED_REASON : l.cut === false ? 'This link is not cut' : '', `Heal the network between ${l.client} and ${l.nsqd}`);
    }
  }

  return {
    update,
    reset() {
      key = null;
      nodeRows = new Map();
      lookupdRows = new Map();
      consumerRows = new Map();
      linkRows = new Map();
    },
  };
}
