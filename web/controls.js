// Live controls: a row per channel (capacity slider + number, close), a row
// per goroutine group (count, interval, work time) and forms to add
// producers, consumers and stages. Every change is a command to the engine;
// a refused one shows the engine's message next to the control and changes
// nothing. Names from scenarios are only ever set as text or attributes.
//
// createControls({ channels, groups, add }, { onCommand(cmd, errorEl) -> boolean, onAdded(name) }) -> {
//   update(snapshot)   rebuild rows when channels/groups change; refresh values not being edited
// }

import { roleWord } from './stage.js';
import { el } from './dom.js';

const CAP_SLIDER_MAX = 1000;
const CAP_MAX = 1_000_000;
const COUNT_MAX = 2000;
const DEFAULT_RATE = 'exp(100ms)';
/** The "a new channel" choice of a stage's output. */
const NEW_CHANNEL = '';
/** Why a control that changes the world is off once the run is over. */
export const ENDED_REASON = 'The run has ended: nothing can change it now (Reset starts it again)';

/** Shows the engine's value unless the user is editing the field or it holds a refused entry. */
function setValue(input, value) {
  if (input.getRootNode().activeElement === input || input.getAttribute('aria-invalid') === 'true') return;
  if (input.value !== value) input.value = value;
}

/**
 * Puts one row per item into `container`, in order, reusing the rows of items
 * seen before (so a refused value and its message survive other changes).
 */
function reconcile(container, rows, items, keyOf, make) {
  const next = new Map();
  for (const it of items) {
    const key = keyOf(it);
    next.set(key, rows.get(key) || make(it));
  }
  const nodes = [...next.values()].map((r) => r.row);
  const same = nodes.length === container.children.length && nodes.every((n, i) => container.children[i] === n);
  if (!same) container.replaceChildren(...nodes);
  rows.clear();
  for (const [k, v] of next) rows.set(k, v);
}

/**
 * The name of a goroutine added from the page, numbered like the engine
 * numbers a group's instances: `consumer-1`, `consumer-2`, ... after the
 * highest `base-N` in `names` (a lone `base` counts as number 1, as in
 * `consumer`, `consumer-2`). It is also the new group's name (a group of one
 * goroutine is named after its group).
 */
export function uniqueName(base, names) {
  const used = new Set(names);
  const re = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`);
  let n = used.has(base) ? 1 : 0;
  for (const name of used) {
    const m = re.exec(name);
    if (m) n = Math.max(n, Number(m[1]));
  }
  for (n += 1; ; n++) if (!used.has(`${base}-${n}`)) return `${base}-${n}`;
}

export function createControls({ channels, groups, add }, { onCommand, onAdded } = {}) {
  // null, never equal to a key: a world with no channels (key '') still
  // rebuilds its rows instead of keeping the previous world's.
  let chanKey = null;
  let groupKey = null;
  let addKey = null;
  const chanRows = new Map(); // channel name -> { range, number, close, error }
  const groupRows = new Map(); // group name -> { count, interval, work, error }
  let lastSnap = null;
  // Every goroutine and group name seen since the world was loaded (removed
  // goroutines keep their names: the engine never reuses one).
  const seenNames = new Set();

  function command(cmd, errorEl, input) {
    const ok = onCommand(cmd, errorEl);
    if (input) input.setAttribute('aria-invalid', String(!ok));
    return ok;
  }

  /**
   * `input` holds what the engine already has (nothing to send): a refusal
   * shown for it no longer stands, so its red border and message go.
   */
  function unchanged(input, errorEl) {
    if (input.getAttribute('aria-invalid') !== 'true') return;
    input.setAttribute('aria-invalid', 'false');
    errorEl.textContent = '';
  }

  /**
   * The whole number (0 or more) typed in `input`, or null after saying so
   * next to it. The engine checks the range; only a non-number is caught here.
   */
  function wholeNumber(input, errorEl, what) {
    const raw = input.value.trim();
    const v = Number(raw);
    if (raw !== '' && Number.isSafeInteger(v) && v >= 0) return v;
    errorEl.textContent = `${what} must be a whole number, 0 or more`;
    input.setAttribute('aria-invalid', 'true');
    return null;
  }

  /** The scenario's own groups and channels, without a client library's
   *  (go-nsq's readers and handlers; sarama's goroutines, named after their
   *  producer, partition consumer or group member: `workers-1.claim0`). */
  function userPart(snap) {
    const k = snap.kafka;
    const owners = k ? [...k.producers.map((p) => p.name), ...k.consumers.map((c) => c.name), ...k.groups.flatMap((g) => g.members.map((m) => m.id))] : [];
    const sarama = (name) => owners.some((o) => name.startsWith(`${o}.`));
    const lib = (g) => (g.behavior && (g.behavior.nsq_reader || g.behavior.nsq_handler)) || (k && sarama(g.name));
    if (!snap.channels.some((c) => c.library) && !snap.groups.some(lib)) return snap;
    return { ...snap, channels: snap.channels.filter((c) => !c.library), groups: snap.groups.filter((g) => !lib(g)) };
  }

  // --- channels ------------------------------------------------------------

  function buildChannels(snap) {
    // A client library's channels (go-nsq's incomingMessages) are not for live edits.
    const editable = snap.channels.filter((c) => !c.library);
    if (!editable.length) {
      chanRows.clear();
      const who = [snap.nsq && 'go-nsq', snap.kafka && 'sarama'].filter(Boolean).join(' and ') || 'the client library';
      const text = snap.channels.length ? `This scenario has no channels you can change (its channels are ${who}'s own).` : 'This scenario has no channels.';
      channels.replaceChildren(el('p', { class: 'hint', text }));
      return;
    }
    reconcile(channels, chanRows, editable, (ch) => ch.name, makeChannelRow);
  }

  function makeChannelRow(ch) {
    const name = ch.name;
    const error = el('span', { class: 'inline-error', role: 'status' });
    const range = el('input', { type: 'range', min: 0, max: CAP_SLIDER_MAX, step: 1, 'data-capacity': name, 'aria-label': `Capacity of ${name}` });
    const number = el('input', { type: 'number', min: 0, max: CAP_MAX, step: 1, class: 'cap-number', 'data-capacity-number': name, 'aria-label': `Capacity of ${name} (exact)` });
    const close = el('button', { type: 'button', class: 'small', 'data-close': name, text: 'Close', title: `close(${name})` });
    let lastSent = null;
    let timer = 0;
    let lastAt = 0;
    const send = (value, input) => {
      clearTimeout(timer);
      timer = 0;
      if (value === lastSent) {
        unchanged(input, error);
        return;
      }
      lastSent = value;
      lastAt = performance.now();
      if (command({ op: 'set_capacity', channel: name, capacity: value }, error, input)) {
        if (input !== number) number.value = String(value);
        if (input !== range) range.value = String(Math.min(value, CAP_SLIDER_MAX));
      } else {
        lastSent = null;
      }
    };
    // Dragging sends at most one command per 80 ms (each one is logged for replay).
    range.addEventListener('input', () => {
      const v = Number(range.value);
      number.value = String(v);
      if (performance.now() - lastAt >= 80) send(v, range);
      else if (!timer) timer = setTimeout(() => send(Number(range.value), range), 80);
    });
    range.addEventListener('change', () => send(Number(range.value), range));
    const fromNumber = () => {
      const v = wholeNumber(number, error, 'capacity');
      if (v !== null) send(v, number);
    };
    number.addEventListener('change', fromNumber);
    number.addEventListener('keydown', (e) => { if (e.key === 'Enter') fromNumber(); });
    close.addEventListener('click', () => {
      if (close.getAttribute('aria-disabled') === 'true') return;
      command({ op: 'close_channel', channel: name }, error, null);
    });
    const row = el('div', { class: 'ctl-row channel-row', 'data-channel-row': name },
      el('span', { class: 'row-name', text: name }),
      range, number, close, error);
    return { row, range, number, close, error };
  }

  function refreshChannels(snap) {
    // Once the run is over nothing can be closed: the button says why (aria-disabled, so focus stays put).
    const ended = snap.status !== 'running';
    for (const ch of snap.channels) {
      const r = chanRows.get(ch.name);
      if (!r) continue;
      setValue(r.range, String(Math.min(ch.cap, CAP_SLIDER_MAX)));
      setValue(r.number, String(ch.cap));
      if (r.close.disabled !== ch.closed) {
        r.close.disabled = ch.closed;
        r.close.textContent = ch.closed ? 'Closed' : 'Close';
      }
      const off = ended && !ch.closed;
      if ((r.close.getAttribute('aria-disabled') === 'true') !== off) {
        r.close.setAttribute('aria-disabled', String(off));
        r.close.title = off ? ENDED_REASON : `close(${ch.name})`;
      }
    }
  }

  // --- groups --------------------------------------------------------------

  const groupKeyOf = (g) => `${g.name}\u0001${g.interval != null}\u0001${g.work != null}`;

  function buildGroups(snap) {
    reconcile(groups, groupRows, snap.groups, groupKeyOf, makeGroupRow);
  }

  function makeGroupRow(g) {
    const name = g.name;
    const error = el('span', { class: 'inline-error', role: 'status' });
    const fields = el('div', { class: 'fields' });
    const row = el('div', { class: 'ctl-row group-row', 'data-group-row': name },
      el('div', { class: 'row-head' }, el('span', { class: 'row-name', text: name }), el('span', { class: 'role', text: roleWord(g.role) })),
      fields, error);
    const count = el('input', { type: 'number', min: 0, max: COUNT_MAX, step: 1, 'data-count': name, 'aria-label': `Number of ${name} goroutines` });
    fields.append(el('label', { class: 'field' }, el('span', { text: 'count' }), count));
    const applyCount = () => {
      const v = wholeNumber(count, error, 'count');
      if (v === null) return;
      if (lastSnap && lastSnap.groups.find((x) => x.name === name)?.count === v) {
        unchanged(count, error);
        return;
      }
      command({ op: 'set_count', group: name, count: v }, error, count);
    };
    count.addEventListener('change', applyCount);
    count.addEventListener('keydown', (e) => { if (e.key === 'Enter') applyCount(); });
    const rateInput = (key, label) => {
      const input = el('input', { type: 'text', spellcheck: false, autocomplete: 'off', [`data-${key}`]: name,
        'aria-label': `${label} of ${name}`, 'aria-describedby': 'dist-help' });
      let applied = null;
      const apply = () => {
        const text = input.value.trim();
        const currentText = lastSnap?.groups.find((x) => x.name === name)?.[key];
        if (text === applied || text === currentText) {
          unchanged(input, error);
          return;
        }
        applied = text;
        if (!command({ op: 'set_rates', group: name, [key]: text }, error, input)) applied = null;
      };
      input.addEventListener('change', apply);
      input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { applied = null; apply(); } });
      fields.append(el('label', { class: 'field wide' }, el('span', { text: label }), input));
      return input;
    };
    const interval = g.interval != null ? rateInput('interval', 'interval') : null;
    const work = g.work != null ? rateInput('work', 'work') : null;
    return { row, count, interval, work, error };
  }

  function refreshGroups(snap) {
    for (const g of snap.groups) {
      const r = groupRows.get(groupKeyOf(g));
      if (!r) continue;
      setValue(r.count, String(g.count));
      if (r.interval && g.interval != null) setValue(r.interval, g.interval);
      if (r.work && g.work != null) setValue(r.work, g.work);
    }
  }

  // --- add -----------------------------------------------------------------

  function channelSelect(label, key, snap, pick) {
    const sel = el('select', { 'data-add': key, 'aria-label': label });
    snap.channels.forEach((ch, i) => {
      const o = el('option', { value: ch.name, text: ch.name });
      if (i === pick) o.selected = true;
      sel.append(o);
    });
    return sel;
  }

  function buildAdd(snap) {
    add.replaceChildren();
    const error = el('span', { class: 'inline-error', role: 'status' });
    const chCap = el('input', {
      type: 'number', min: '0', max: String(CAP_MAX), step: '1', value: '3', inputmode: 'numeric',
      'data-add': 'channel-capacity', 'aria-label': 'Capacity of the new channel',
    });
    const addCh = el('button', { type: 'button', id: 'add-channel', text: 'Add channel' });
    /** Makes a channel named like `ch-1`, `ch-2`, ...; its name, or null if refused. */
    const newChannel = (capacity) => {
      const name = uniqueName('ch', snap.channels.map((c) => c.name));
      return command({ op: 'add_channel', name, capacity }, error, null) ? name : null;
    };
    addCh.addEventListener('click', () => {
      const cap = wholeNumber(chCap, error, 'capacity');
      if (cap !== null) newChannel(cap);
    });
    const channelRow = el('div', { class: 'add-row' }, addCh, el('span', { class: 'arrow', text: 'capacity' }), chCap);
    if (!snap.channels.length) {
      add.append(channelRow, el('p', { class: 'hint', text: 'Add goroutines once the scenario has a channel.' }), error);
      return;
    }
    const last = snap.channels.length - 1;
    const pTo = channelSelect('Channel the new producer sends to', 'producer-to', snap, 0);
    const cFrom = channelSelect('Channel the new consumer receives from', 'consumer-from', snap, last);
    const sFrom = channelSelect('Channel the new stage receives from', 'stage-from', snap, 0);
    // A stage writes to another channel than it reads (the same one would
    // feed itself): the others, or a new one, which is the default when the
    // scenario has a single channel.
    const sTo = el('select', { 'data-add': 'stage-to', 'aria-label': 'Channel the new stage sends to' });
    const fillTo = () => {
      const others = snap.channels.map((c) => c.name).filter((n) => n !== sFrom.value);
      const keep = sTo.value;
      sTo.replaceChildren(...others.map((n) => el('option', { value: n, text: n })),
        el('option', { value: NEW_CHANNEL, text: 'a new channel' }));
      const after = snap.channels.findIndex((c) => c.name === sFrom.value) + 1;
      const pick = others.includes(keep) ? keep : (snap.channels[after]?.name ?? NEW_CHANNEL);
      sTo.value = others.includes(pick) ? pick : NEW_CHANNEL;
    };
    fillTo();
    sFrom.addEventListener('change', fillTo);
    const addP = el('button', { type: 'button', id: 'add-producer', text: 'Add producer' });
    const addC = el('button', { type: 'button', id: 'add-consumer', text: 'Add consumer' });
    const addS = el('button', { type: 'button', id: 'add-stage', text: 'Add stage' });
    const doAdd = (base, behavior) => {
      if (!lastSnap) return;
      const name = uniqueName(base, seenNames);
      if (!command({ op: 'add_goroutine', spec: { name, count: 1, behavior } }, error, null)) return;
      seenNames.add(name);
      if (onAdded) onAdded(name);
    };
    addP.addEventListener('click', () => doAdd('producer', { producer: { to: pTo.value, interval: DEFAULT_RATE } }));
    addC.addEventListener('click', () => doAdd('consumer', { consumer: { from: cFrom.value, work: DEFAULT_RATE } }));
    addS.addEventListener('click', () => {
      let to = sTo.value;
      if (to === NEW_CHANNEL) {
        // The new channel gets the capacity of the one the stage reads.
        to = newChannel((lastSnap || snap).channels.find((c) => c.name === sFrom.value)?.cap ?? 0);
        if (to === null) return;
      }
      doAdd('stage', { stage: { from: sFrom.value, to, work: DEFAULT_RATE } });
    });
    add.append(
      el('div', { class: 'add-row' }, addP, el('span', { class: 'arrow', text: 'sends to' }), pTo),
      el('div', { class: 'add-row' }, addC, el('span', { class: 'arrow', text: 'receives from' }), cFrom),
      el('div', { class: 'add-row' }, addS, el('span', { class: 'arrow', text: 'from' }), sFrom, el('span', { class: 'arrow', text: 'to' }), sTo),
      channelRow,
      el('p', { class: 'hint', text: `New goroutines run forever with ${DEFAULT_RATE} between sends or per item; edit them above.` }),
      error);
  }

  return {
    update(full) {
      lastSnap = full;
      for (const g of full.goroutines) seenNames.add(g.name);
      for (const g of full.groups) seenNames.add(g.name);
      const ck = full.channels.map((c) => c.name).join('\u0000');
      if (ck !== chanKey) { chanKey = ck; buildChannels(full); }
      // A client library's goroutines and channels (go-nsq's readers, handlers
      // and incomingMessages) are the library's: the NSQ controls change
      // handlers; nothing here offers them.
      const snap = userPart(full);
      const gk = snap.groups.map((g) => `${g.name}\u0001${g.interval != null}\u0001${g.work != null}`).join('\u0000');
      if (gk !== groupKey) { groupKey = gk; buildGroups(snap); }
      const ak = snap.channels.map((c) => c.name).join('\u0000');
      if (ak !== addKey) { addKey = ak; buildAdd(snap); }
      refreshChannels(full);
      refreshGroups(snap);
    },
    /** Forget rows (a new world). */
    reset() {
      chanKey = null;
      groupKey = null;
      addKey = null;
      chanRows.clear();
      groupRows.clear();
      seenNames.clear();
    },
  };
}
