// What sits around the stage and says how the run stands: the deadlock /
// panic banner (the engine's verdict and its wait-for list), the totals row,
// the clock and status pill (plus a one-line status text for the compact
// views), and the legend. Text only: every string from the engine goes in
// through textContent.
//
// createStatusPanels($, root) -> {
//   updateBanner(snap), updateTotals(snap), updateClock(snap, playing),
//   buildLegend(), fmtClock(us) }
// `$` finds an element of the playground by id; `root` is its document or
// shadow root (icon canvases are repainted there after a theme change).

import { STATES, LEGEND, iconCanvas, fmtDuration } from './stage.js';

/** Short words for the status pill; the engine's full sentence is its tooltip and the banner. */
export const STATUS_WORDS = {
  running: 'running',
  finished: 'finished',
  main_returned: 'exited: main returned',
  deadlock: 'deadlock',
  panicked: 'panicked',
  stopped: 'stopped',
};

/** Virtual time with a steady width: "1.567s", "2m03.250s". */
/** What each figure of the totals counts (the labels' descriptions). */
const TOTAL_MEANS = {
  produced: 'Every Go value a goroutine made. Adds up: finished + processing + in buffers + held by senders + dropped (+ filtered, published, acked).',
  'produced (Go values)': 'Every Go value a goroutine made: a producer\'s message, and each message or record a consumer received (it becomes a new value in the consumer\'s goroutines). Adds up: finished + processing + in buffers + held by senders + dropped + published to NSQ / acked by Kafka.',
  finished: 'Values whose journey ended: received and handled by a goroutine that sends nothing on.',
  processing: 'Values a goroutine holds while it works on them.',
  'in buffers': 'Values waiting in channel buffers.',
  'held by senders': 'Values a goroutine holds while it waits to send them.',
  dropped: 'Values that were lost before their journey ended (the event log says why, for each).',
  delivered: 'Values received by a goroutine that ends their journey (finished and processing).',
  'latency p50 / p99': 'From a value\'s production to its receipt by a goroutine that ends its journey, over the whole run: median and 99th percentile.',
  'latency to finish p50 / p99': 'From a message\'s birth (NSQ: nsqd\'s publish timestamp; Kafka: when the producing goroutine made the value) to the end of its handler (finished), over the whole run: median and 99th percentile.',
  blocked: 'Goroutines blocked on a channel, a select or a WaitGroup, of all goroutines.',
  'published to NSQ': 'Messages a Publish handed to nsqd (it answered OK): their Go journey ends there.',
  'acked by Kafka': 'Records a producer got an ack for: their Go journey ends there.',
  published: 'Messages nsqd took into its topics (nsqadmin\'s Messages): every PUB, MPUB and DPUB it answered OK.',
  'finished (FIN)': 'Channel copies a handler finished (FIN) and nsqd accepted: each message counts once per channel.',
  'handled twice or more': 'Channel copies a handler ran on more than once (a timeout or REQ delivered them again): at-least-once at work.',
  'lost (NSQ)': 'Channel copies gone for good: an unclean crash, ephemeral overflow, empty or delete, MaxAttempts (the guarantees panel says which).',
  acked: 'Records a producer got a success for (with acks=0 at once).',
  'failed sends': 'Records a producer got an error for: never acked.',
  consumed: 'Reads by consumers: each record a consumer handled, once per time it handled it (a second read is also a duplicate).',
  duplicates: 'Reads of a record a consumer had handled before (a rebalance or crash before the offset was committed).',
  'lost (Kafka)': 'Acked or written records gone for good: a leader died before followers copied them, an unclean election, or acks=0 sends never written.',
};

/** One NSQ channel's copies lost: the sum of its `lost` pairs ([cause, count]). */
export function channelLost(g) {
  return g.lost.reduce((n, [, k]) => n + k, 0);
}

/** Every channel's copies lost. */
function nsqLost(guarantees) {
  return guarantees.reduce((a, g) => a + channelLost(g), 0);
}

/**
 * A run's own figures for NSQ and Kafka (the guarantees panels in brief):
 * what a reader of such a run asks first. The Go values' accounting follows
 * only when the scenario has Go channels of its own.
 */
function systemTotals(snap) {
  const items = [];
  if (snap.nsq) {
    const g = snap.nsq.guarantees || [];
    const sum = (f) => g.reduce((a, x) => a + f(x), 0);
    const published = snap.nsq.nodes.reduce((a, n) => a + n.topics.reduce((b, t) => b + t.message_count, 0), 0);
    items.push(
      ['published', String(published)],
      ['finished (FIN)', String(sum((x) => x.finished))],
      ['handled twice or more', String(sum((x) => x.handled_more_than_once))],
      ['lost (NSQ)', String(nsqLost(g))],
    );
  }
  if (snap.kafka) {
    const k = snap.kafka.guarantees || {};
    items.push(
      ['acked', String(k.acked ?? 0)],
      ['failed sends', String(k.failed ?? 0)],
      ['consumed', String(k.consumed ?? 0)],
      ['duplicates', String(k.duplicates ?? 0)],
      ['lost (Kafka)', String(k.lost ?? 0)],
    );
  }
  return items;
}

export function fmtClock(us) {
  const s = us / 1e6;
  if (s < 60) return `${s.toFixed(3)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${(s - m * 60).toFixed(3).padStart(6, '0')}s`;
}

export function createStatusPanels($) {
  let bannerKey = '';
  const totalsNodes = new Map();

  function updateBanner(snap) {
    const d = snap.deadlock;
    const p = snap.panic;
    const key = `${snap.status}|${d ? `${d.at_us}:${d.stuck.map((s) => s.goroutine).join(',')}` : ''}|${p ? p.at_us : ''}`;
    if (key === bannerKey) return;
    bannerKey = key;
    const banner = $('deadlock-banner');
    if (!d && !p) {
      banner.hidden = true;
      banner.replaceChildren();
      return;
    }
    const parts = [];
    const h = (tag, cls, text) => {
      const e = document.createElement(tag);
      if (cls) e.className = cls;
      e.textContent = text;
      return e;
    };
    if (p) {
      banner.dataset.kind = 'panic';
      parts.push(h('p', 'banner-title', `The program crashed: ${p.name} panicked`));
      parts.push(h('pre', 'banner-go', p.text));
    }
    if (d) {
      if (!p) banner.dataset.kind = d.go_message ? 'deadlock' : 'partial';
      if (d.go_message) {
        parts.push(h('p', 'banner-title', 'Deadlock: every goroutine is blocked and no timer is pending, so Go stops the program.'));
        parts.push(h('pre', 'banner-go', d.go_message));
      } else {
        parts.push(h('p', 'banner-title', 'partial deadlock (Go would not report this)'));
        parts.push(h('p', 'banner-sub', `These goroutines can never proceed, while others still run (found at ${fmtDuration(d.at_us)}):`));
      }
      const ul = document.createElement('ul');
      ul.className = 'waitfor';
      for (const s of d.stuck) {
        const li = document.createElement('li');
        const strong = h('strong', '', s.name);
        li.append(strong, document.createTextNode(` waits on ${s.waits_on}: ${s.why}`));
        li.dataset.goroutine = s.name;
        ul.append(li);
      }
      parts.push(ul);
    }
    banner.replaceChildren(...parts);
    banner.hidden = false;
  }

  function updateTotals(snap) {
    const t = snap.totals;
    // With NSQ or Kafka, handlers end the messages' journeys, not Go sinks:
    // the latency is produce to handled, and "delivered" shows only if a
    // Go sink received something.
    const sys = Boolean(snap.nsq || snap.kafka);
    const lat = sys ? snap.processed_latency : snap.delivery_latency;
    // Named so they add up: produced = finished + processing + in buffers +
    // held by senders + dropped (+ filtered) (+ published to NSQ). Delivered (received by a sink)
    // spans finished and processing.
    // With NSQ or Kafka, a message a consumer receives is a new Go value in
    // its goroutines: "produced" counts those too, which the label says.
    const produced = sys ? 'produced (Go values)' : 'produced';
    const goValues = [
      [produced, String(t.produced)],
      ['finished', String(t.processed)],
      ['processing', String(t.processing)],
      ['in buffers', String(t.buffered)],
      ['held by senders', String(t.in_transit)],
      ['dropped', String(t.dropped)],
      ...(t.published ? [[snap.kafka ? 'acked by Kafka' : 'published to NSQ', String(t.published)]] : []), // part of the sum too
      ...(t.filtered ? [['filtered', String(t.filtered)]] : []),
      ...(sys && !t.delivered ? [] : [['delivered', String(t.delivered)]]),
    ];
    const always = [
      ['blocked', `${t.blocked} of ${snap.goroutines.length}`],
      [sys ? 'latency to finish p50 / p99' : 'latency p50 / p99', lat.count ? `${fmtDuration(lat.p50_us)} / ${fmtDuration(lat.p99_us)}` : '–'],
    ];
    // With NSQ or Kafka, the system's own figures first; the Go values' sum
    // only with Go channels of the scenario's own (not a client library's),
    // where it says something the system's figures do not.
    const items = !sys ? [...goValues, ...always]
      : [...systemTotals(snap), ...always, ...(snap.channels.some((c) => !c.library) ? goValues : [])];
    const dl = $('totals');
    const key = items.map((x) => x[0]).join('|');
    if (dl.dataset.key !== key) {
      dl.dataset.key = key;
      dl.replaceChildren();
      totalsNodes.clear();
      for (const [label] of items) {
        const div = document.createElement('div');
        const dt = document.createElement('dt');
        dt.textContent = label;
        const what = TOTAL_MEANS[label];
        if (what) dt.title = what;
        const dd = document.createElement('dd');
        div.append(dt, dd);
        dl.append(div);
        totalsNodes.set(label, dd);
      }
    }
    for (const [label, value] of items) {
      const dd = totalsNodes.get(label);
      if (dd.textContent !== value) dd.textContent = value;
    }
  }

  function updateClock(snap, playing) {
    const clock = $('clock');
    const t = fmtClock(snap.time_us);
    if (clock.textContent !== t) clock.textContent = t;
    // The run's fingerprint (equal runs, equal hashes): tests compare it with a straight run.
    if (clock.dataset.hash !== snap.trace_hash) clock.dataset.hash = snap.trace_hash;
    const st = $('status');
    const paused = snap.status === 'running' && !playing;
    const text = paused ? 'paused' : STATUS_WORDS[snap.status] || snap.status;
    if (st.textContent !== text) {
      st.textContent = text;
      st.title = snap.status_text;
    }
    const kind = paused ? 'paused' : snap.status;
    if (st.dataset.status !== kind) st.dataset.status = kind;
    // The compact views' one line: the engine's sentence, unless it only
    // repeats the pill ("running" next to "running" or "paused").
    const line = $('status-text');
    const sentence = snap.status_text === snap.status || snap.status_text === text ? '' : snap.status_text;
    if (line.textContent !== sentence) line.textContent = sentence;
  }

  function buildLegend() {
    const legend = $('legend');
    const items = LEGEND.map((k) => [STATES[k].icon, STATES[k].color, STATES[k].word]);
    items.push(['warn', '--danger', 'stuck forever (deadlocked)']);
    items.push(['pause', '--muted', 'paused by you']);
    const ul = document.createElement('ul');
    // A network wait (go-nsq's Publish, a sarama producer's ack) only happens
    // in a run with NSQ or Kafka: the item shows with their notes.
    const net = STATES.blocked_net;
    items.splice(LEGEND.indexOf('blocked_wait') + 1, 0, [net.icon, net.color, net.word, 'legend-net']);
    for (const [icon, color, word, id] of items) {
      const li = document.createElement('li');
      const span = document.createElement('span');
      span.textContent = word;
      li.append(iconCanvas(icon, color, 14), span);
      if (id) {
        li.id = id;
        li.hidden = true;
      }
      ul.append(li);
    }
    const note = document.createElement('li');
    note.className = 'legend-note';
    note.textContent = 'Hatched cards are blocked. Channel slots fill from the right (the head); parked senders queue on the left, parked receivers on the right.';
    ul.append(note);
    // What the NSQ view's marks mean (shown for a run with NSQ).
    const nsqNote = document.createElement('li');
    nsqNote.className = 'legend-note';
    nsqNote.id = 'legend-nsq';
    nsqNote.hidden = true;
    nsqNote.textContent = 'NSQ: a channel\'s depth bar is memory (solid) then disk (hatched); dots are messages in flight, an hourglass after them means deferred ones. '
      + 'Tokens: a number is the attempt of a redelivery, R a requeue (REQ), × a MaxAttempts FIN, a clock a timeout flying back to the queue; green ones are FINs. '
      + 'Dashed lines are discovery: L a lookupd\'s answer (a red × when it is down and refused), + the connection it leads to. '
      + 'A hatched box with a cross is down or crashed, a dashed one stopped; a link with a cross is cut.';
    ul.append(nsqNote);
    // What the Kafka view's marks mean (shown for a run with Kafka).
    const kafkaNote = document.createElement('li');
    kafkaNote.className = 'legend-note';
    kafkaNote.id = 'legend-kafka';
    kafkaNote.hidden = true;
    kafkaNote.textContent = 'Kafka: each replica\'s log strip is dotted below the log start (deleted), solid up to the high watermark (committed, the tick), '
      + 'striped from the HW to its log end (written, not committed yet). The leader has a bar on its left; a dashed red strip is out of the ISR. '
      + 'A hatched broker or member with a cross is down; a dashed member with a pause sign is idle (no partition).';
    ul.append(kafkaNote);
    legend.replaceChildren(ul);
  }

  return { updateBanner, updateTotals, updateClock, buildLegend };
}
