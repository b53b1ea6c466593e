// The playground page: loads the engine (wasm), wires the controls and runs
// the animation loop. All behaviour comes from the engine through
// `Playground`; this file only moves time forward, sends commands and hands
// snapshots and events to the drawing modules.
//
// Frame: advance(wall dt × speed) -> snapshot() -> take_events() ->
//        stage (canvas), inspector, controls, charts, event log; for NSQ
//        runs (`snapshot.nsq`) also the nsqadmin and guarantees panels, the
//        NSQ controls and the NSQ charts; for Kafka runs (`snapshot.kafka`)
//        the consumer-groups, topics and guarantees panels and the Kafka controls.
// `?bench[=preset][&speed=N]`: runs the preset for ~10 s of wall time and
// writes per-frame work time { p50, p95, max, frames } to #bench-result and
// window.__benchResult.

import init, { Playground } from './pkg/queuelab_wasm.js';
import { createStage, STATES, LEGEND, iconCanvas, paintIconCanvas, fmtDuration } from './stage.js';
import { createInspector } from './inspector.js';
import { createControls } from './controls.js';
import { createCharts } from './charts.js';
import { createEventLog } from './eventlog.js';
import { createTimeline } from './timeline.js';
import { createNsqAdmin } from './nsqadmin.js';
import { createGuarantees } from './guarantees.js';
import { createNsqControls } from './nsq-controls.js';
import { createNsqCharts } from './nsq-charts.js';
import { createKafkaPanels } from './kafka-panels.js';
import { createKafkaControls } from './kafka-controls.js';
import { encodeShare, decodeShare } from './share.js';

const $ = (id) => document.getElementById(id);
const SPEED_MIN = 0.1;
const SPEED_MAX = 1000;
/** Speeds +/- step through. */
const SPEED_STOPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
/** Longest wall time one frame may cover (a background tab must not jump minutes). */
const MAX_FRAME_MS = 100;
const EVENTS_PER_FRAME = 600;
/**
 * Wall time a frame may spend in the engine. When the speed asks for more
 * virtual time than the engine covers in that long, the frame asks for less
 * (the page stays smooth and responsive) and says it can't keep up.
 */
const ADVANCE_BUDGET_MS = 8;
const BENCH_MS = 10_000;
/** Least wall time between two refreshes of the text panels while playing. */
const PANEL_MS = 100;

const params = new URLSearchParams(location.search);
const benchMode = params.has('bench');

const state = {
  pg: null,
  playing: true,
  speed: 1,
  lastFrame: 0,
  dirty: true, // the world changed since the last draw
  snap: null,
  sampleT: -1,
  selected: null,
  selectName: null, // select this goroutine by name once it appears (after an add)
  presetName: null,
  ownHash: '', // the fragment this page wrote itself
  ended: false,
  engineRate: Infinity, // virtual µs per wall ms the engine manages (see learnEngineRate)
  autoPaused: false, // paused because the run ended while playing (Play then starts it again)
  lastRawDt: 0, // wall time between the last two frames, ms
  panelsStale: true,
  panelsAt: 0,
  seekTo: null, // a seek asked for (drag, click, key): done at the next frame, one per frame
  stashed: null, // events a step took, for the next frame's stage and log
  tlView: null, // the last pg.timeline()
  replaying: false, // a shared link is being replayed (the frame loop waits)
};

let stage;
let inspector;
let controls;
let charts;
let eventlog;
let timeline;
let nsqadmin;
let guarantees;
let nsqControls;
let nsqCharts;
let kafkaPanels;
let kafkaControls;
const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');

// --- errors ----------------------------------------------------------------

/** Shows `message` in the page's error box (text only), or hides it for ''. */
function showError(message) {
  const box = $('error');
  // Focus on the dismiss button would be lost with the box: hand it to Play.
  if (!message && !box.hidden && box.contains(document.activeElement)) $('play').focus();
  $('error-text').textContent = message;
  box.hidden = !message;
}

function errorMessage(err) {
  if (err && typeof err.message === 'string') return err.message;
  return String(err);
}

/** Sends a command; shows the engine's refusal in `errorEl` (next to the control). */
function sendCommand(cmd, errorEl) {
  let forked = false;
  try {
    forked = state.pg.command(cmd);
  } catch (err) {
    if (errorEl) errorEl.textContent = errorMessage(err);
    else showError(errorMessage(err));
    return false;
  }
  if (errorEl) errorEl.textContent = '';
  inspector.invalidateListing();
  if (forked) {
    timeline.note(`Your change forked the run at ${fmtClock(state.pg.time_us)}: the history after it was dropped, and a new future starts here.`);
  }
  refreshTimeline();
  state.dirty = true;
  return true;
}

// --- speed -----------------------------------------------------------------

function roundSpeed(x) {
  const clamped = Math.min(SPEED_MAX, Math.max(SPEED_MIN, x));
  const digits = clamped < 1 ? 1 : 2;
  return Number(clamped.toPrecision(digits));
}

function fmtSpeed(s) {
  return `${s}×`;
}

function setSpeed(s, { fromSlider = false } = {}) {
  state.speed = roundSpeed(s);
  if (!fromSlider) $('speed').value = String(Math.log10(state.speed));
  $('speed-value').textContent = fmtSpeed(state.speed);
  $('speed').setAttribute('aria-valuetext', fmtSpeed(state.speed));
}

function stepSpeed(dir) {
  const next = dir > 0
    ? SPEED_STOPS.find((x) => x > state.speed + 1e-9) ?? SPEED_MAX
    : [...SPEED_STOPS].reverse().find((x) => x < state.speed - 1e-9) ?? SPEED_MIN;
  setSpeed(next);
}

// --- can the engine keep up? ----------------------------------------------
//
// `advance()` runs at most a fixed number of events per call and returns
// false when that was not enough to reach the requested virtual time (the
// engine's clock then stays where the last event was). The page says so next
// under the speed, with the speed actually reached, once the engine has been
// behind for LAG_SHOW_MS without a break (frames that keep up count as a
// break only when they last LAG_GAP_MS), until it has kept up for
// LAG_HIDE_MS again. So a short hiccup shows nothing, and at a speed the
// engine just about manages the notice does not come and go. Its place under
// the speed is kept while it is hidden (visibility, not display), so the
// toolbar never moves. The clock always shows the engine's own time.

/** Wall time the engine must be behind, without a break, before the notice shows. */
const LAG_SHOW_MS = 1000;
/** Wall time of keeping up that breaks a stretch of lag (before the notice shows). */
const LAG_GAP_MS = 250;
/** Wall time the engine must keep up before the notice goes away. */
const LAG_HIDE_MS = 1000;
/** Window over which the reached speed is measured. */
const LAG_WINDOW_MS = 1000;

const lag = { shown: false, lastBehind: -Infinity, behindSince: null, samples: [], textAt: 0 };

function setLagShown(on) {
  const el = $('speed-lag');
  if (el.dataset.shown !== String(on)) el.dataset.shown = String(on);
}

function hideLag() {
  lag.shown = false;
  lag.samples.length = 0;
  lag.lastBehind = -Infinity;
  lag.behindSince = null;
  setLagShown(false);
}

/** Called after every advance with whether it caught up (reached the virtual time the speed asks for). */
function noteAdvance(caughtUp, now, timeUs) {
  lag.samples.push([now, timeUs]);
  while (lag.samples.length > 2 && now - lag.samples[0][0] > LAG_WINDOW_MS) lag.samples.shift();
  if (!caughtUp) {
    if (now - lag.lastBehind > LAG_GAP_MS) lag.behindSince = now; // a new stretch of lag starts
    lag.lastBehind = now;
  }
  const el = $('speed-lag');
  if (lag.shown) {
    if (now - lag.lastBehind >= LAG_HIDE_MS) {
      hideLag();
      return;
    }
  } else if (now - lag.lastBehind > LAG_GAP_MS || now - lag.behindSince < LAG_SHOW_MS) {
    return;
  }
  if (!lag.shown || now - lag.textAt >= 500) {
    const [w0, v0] = lag.samples[0];
    const reached = now > w0 ? (timeUs - v0) / 1000 / (now - w0) : 0;
    const text = reached > 0 && reached < state.speed
      ? `engine can't keep up (≈${fmtSpeed(roundSpeed(reached))})`
      : "engine can't keep up";
    if (el.textContent !== text) el.textContent = text;
    lag.textAt = now;
  }
  if (!lag.shown) {
    lag.shown = true;
    el.title = 'The engine cannot keep up at this speed: each frame runs at most a fixed number of events, '
      + 'so virtual time runs slower than the speed says (≈ the speed reached). '
      + 'The clock shows the engine\'s time; the run itself is unchanged.';
    setLagShown(true);
  }
}

/**
 * Keeps `state.engineRate` (virtual µs the engine covers per ms of wall time,
 * for the running world) up to date from one advance: `capped` whether the
 * request was cut to the budget, `took` ms, `covered` virtual µs.
 */
function learnEngineRate(capped, took, covered) {
  if (took >= 2 && covered > 0) {
    const r = covered / took;
    state.engineRate = Number.isFinite(state.engineRate) ? 0.7 * state.engineRate + 0.3 * r : r;
  } else if (capped) {
    state.engineRate *= 1.5; // done quickly though cut: the world got quieter
  }
}

// --- play / step -----------------------------------------------------------

function setPlaying(on, { atEnd = false } = {}) {
  // Play after the run ended by itself starts it again, like a media player.
  // (A run that ended while paused, say by a close command, just shows its end.)
  if (on && state.autoPaused && state.ended && state.pg) {
    state.pg.reset();
    afterReset();
  }
  state.autoPaused = atEnd;
  state.playing = on;
  if (!on) hideLag();
  const b = $('play');
  b.textContent = on ? 'Pause' : 'Play';
  b.setAttribute('aria-pressed', String(on));
  b.title = atEnd ? 'The run has ended: play it again from the start (Space)' : 'Play / pause (Space)';
  state.lastFrame = performance.now();
  state.dirty = true; // the status pill says "paused" / "running"
}

/** Longest step description shown under the timeline. */
const NOTE_MAX = 400;

/** Step: on to the next visible change, described in one line. */
function stepOnce() {
  flushSeek();
  if (state.ended) return;
  setPlaying(false);
  const n = state.pg.step_visible();
  const events = state.pg.take_events(EVENTS_PER_FRAME);
  state.stashed = state.stashed ? state.stashed.concat(events) : events;
  const text = events.map((e) => e.text).join('; ');
  timeline.note(n === 0 ? 'Nothing left to happen.'
    : `${fmtClock(state.pg.time_us)}: ${text.length > NOTE_MAX ? `${text.slice(0, NOTE_MAX)}…` : text}`);
  refreshTimeline();
  state.dirty = true;
}

/** Back: to just before the last visible change. */
function stepBack() {
  flushSeek();
  setPlaying(false);
  if (!state.pg.step_back()) {
    timeline.note('This is the start: nothing earlier to go back to.');
    return;
  }
  afterSeek();
  timeline.note(`Back to ${fmtClock(state.pg.time_us)}, just before the last change (→ replays it).`);
}

/** Does a seek asked for and not yet done (a key pressed right after Home). */
function flushSeek() {
  if (state.seekTo === null) return;
  state.pg.seek(state.seekTo);
  state.seekTo = null;
  afterSeek();
  const v = state.tlView;
  timeline.note(v && v.behind
    ? `At ${fmtClock(v.now_us)} of ${fmtClock(v.end_us)} explored: Play replays what happened next (your changes too); change something, or Fork here, for a new future.`
    : `At ${fmtClock(state.pg.time_us)}, the furthest point reached.`);
}

/** Asks for a seek to `t` (µs); the next frame does it. */
function seekTo(t, { pause = false } = {}) {
  if (pause) setPlaying(false);
  state.seekTo = Math.max(0, Math.round(t));
  state.dirty = true;
}

/** Views follow a jump in time (seek, step back): the stage, log and charts show the new present. */
function afterSeek() {
  const pg = state.pg;
  stage.reset();
  eventlog.clear();
  state.stashed = pg.recent_events(EVENTS_PER_FRAME);
  state.snap = null;
  charts.reset(pg.snapshot().channels.map((c) => c.name));
  nsqCharts.reset();
  state.sampleT = -1;
  state.ended = false;
  state.autoPaused = false;
  refreshTimeline();
  state.dirty = true;
  state.panelsStale = true;
}

function fork() {
  if (state.pg.fork()) {
    timeline.note(`Forked at ${fmtClock(state.pg.time_us)}: the history after it is gone. Change something, then play a new future.`);
  }
  refreshTimeline();
  state.dirty = true;
}

function refreshTimeline() {
  state.tlView = state.pg.timeline();
  timeline.update(state.tlView, state.pg.time_us);
  $('revert').disabled = !state.pg.edited;
}

// --- loading worlds ----------------------------------------------------------

function presetList() {
  return Playground.presets();
}

function describeScenario(json) {
  try {
    const s = JSON.parse(json);
    return { name: typeof s.name === 'string' ? s.name : '', title: typeof s.title === 'string' ? s.title : '',
      description: typeof s.description === 'string' ? s.description : '' };
  } catch {
    return { name: '', title: '', description: '' };
  }
}

function syncPresetPicker(info) {
  const sel = $('preset');
  const known = [...sel.options].some((o) => o.value === info.name && o.dataset.preset === '1');
  sel.querySelector('option[data-shared]')?.remove();
  if (known) {
    sel.value = info.name;
  } else {
    const o = document.createElement('option');
    o.value = '';
    o.dataset.shared = '1';
    o.textContent = `Shared: ${info.title || info.name || 'custom scenario'}`;
    sel.prepend(o);
    sel.value = '';
  }
  $('preset-description').textContent = info.description;
  sel.dataset.loaded = sel.value; // what the picker shows is what is loaded
}

/** Installs a new Playground (the old one is freed) and resets every view. */
function install(pg) {
  if (state.pg) state.pg.free();
  state.pg = pg;
  state.userPick = null; // another scenario: pick afresh
  showError(''); // a new scenario loaded: older messages are about something else
  afterReset();
  const json = pg.scenario_json();
  const info = describeScenario(json);
  state.presetName = info.name;
  syncPresetPicker(info);
}

/** Views forget the old run (new world, reset, new seed). */
function afterReset() {
  hideLag();
  state.engineRate = Infinity;
  state.autoPaused = false;
  $('play').title = 'Play / pause (Space)';
  stage.reset();
  controls.reset();
  eventlog.clear();
  nsqadmin.reset();
  guarantees.reset();
  nsqControls.reset();
  nsqCharts.reset();
  kafkaPanels.reset();
  kafkaControls.reset();
  state.sampleT = -1;
  state.snap = null;
  state.dirty = true;
  state.ended = false;
  state.selected = null;
  inspector.select(null);
  stage.select(null);
  const snap = state.pg.snapshot();
  showNsq(Boolean(snap.nsq));
  showKafka(Boolean(snap.kafka));
  charts.reset(snap.channels.map((c) => c.name));
  state.chartKey = snap.channels.map((c) => c.name).join('\u0000');
  // Start with a goroutine selected so the inspector explains something at
  // once; until the user picks one, the selection follows what is most
  // informative (see autoSelect).
  state.autoSelect = true;
  const picked = state.userPick && snap.goroutines.find((g) => g.name === state.userPick);
  const first = snap.goroutines.find((g) => g.name !== 'main') || snap.goroutines[0];
  if (picked) {
    select(picked.id, { auto: true });
    state.autoSelect = false;
  } else if (first) {
    select(first.id, { auto: true });
  }
  state.seekTo = null;
  state.stashed = null;
  refreshTimeline();
  timeline.note('Drag the timeline or press ← to go back in time.');
  $('seed').value = exactSeed(state.pg);
  $('seed-error').textContent = '';
  $('seed').setAttribute('aria-invalid', 'false');
  state.lastFrame = performance.now();
}

/**
 * The world's seed, exactly. `pg.seed` is a JS number (rounded above 2^53);
 * a scenario (say from a link) may carry any u64, which its JSON has in full:
 * the first `"seed":` there is the top-level key (inside a JSON string every
 * quote is escaped, so `seed"` cannot occur in one).
 */
function exactSeed(pg) {
  const m = /"seed":(\d+)/.exec(pg.scenario_json());
  return m ? m[1] : String(pg.seed);
}

/** Largest seed the Seed field takes: what a JS number holds exactly (2^53 - 1). */
const SEED_MAX = 2n ** 53n - 1n;

/**
 * The seed typed in the Seed field as a number, or an Error that quotes the
 * text as typed (never a rounded number).
 */
function typedSeed(raw) {
  if (!/^\d+$/.test(raw)) {
    return new Error(`seed must be a whole number from 0 to ${SEED_MAX}${raw ? `, got "${raw.slice(0, 40)}"` : ''}`);
  }
  if (BigInt(raw) > SEED_MAX) {
    return new Error(`seed too large: ${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw} is above ${SEED_MAX} (2^53 - 1), the largest seed the page takes`);
  }
  return Number(raw);
}

function loadPreset(name) {
  install(Playground.from_preset(name));
}

function clearHash() {
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  state.ownHash = '';
}

/** Kernel events one replay slice runs (a few ms), before checking the clock. */
const REPLAY_SLICE_EVENTS = 20_000;
/** Wall time the replay runs between two yields to the browser. */
const REPLAY_BUSY_MS = 30;
/**
 * Most kernel events a shared link may ask the page to replay (some 10-20 s of
 * work, with progress and Cancel; the large preset at 3 h is about 60 M). A link
 * beyond it opens where the bound stopped it, with a message.
 * `?link-max-events=N` sets another bound (the tests use a small one).
 */
const LINK_MAX_EVENTS = (() => {
  const n = Number(params.get('link-max-events'));
  return Number.isInteger(n) && n > 0 ? n : 100_000_000;
})();

let replayCancel = null;

/** Lets the browser paint and handle input (the Cancel button) between slices. */
function yieldToBrowser() {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    requestAnimationFrame(() => ch.port2.postMessage(null));
  });
}

/**
 * Replays `pg` to `t_us` in slices that yield to the browser, showing progress
 * with Cancel. Resolves to 'done', 'cancelled' or 'bounded' (the work bound was
 * reached first; the world stays where it got to).
 */
async function replaySliced(pg, t_us) {
  const box = $('replay');
  const bar = $('replay-progress');
  const text = $('replay-text');
  let cancelled = false;
  replayCancel = () => { cancelled = true; };
  state.replaying = true;
  const startSteps = pg.steps;
  let shownAt = performance.now();
  const showAfter = shownAt + 200; // quick replays never flash the box
  try {
    for (;;) {
      const t0 = performance.now();
      let done = false;
      while (!(done = pg.replay_to(t_us, REPLAY_SLICE_EVENTS)) && performance.now() - t0 < REPLAY_BUSY_MS) { /* next slice */ }
      if (done) return 'done';
      if (pg.steps - startSteps >= LINK_MAX_EVENTS) return 'bounded';
      const now = performance.now();
      if (now >= showAfter && now - shownAt >= 100) {
        shownAt = now;
        box.hidden = false;
        const f = Math.min(1, pg.time_us / Math.max(1, t_us));
        bar.value = f;
        text.textContent = `Opening the link: replaying ${fmtClock(pg.time_us)} of ${fmtClock(t_us)} (${Math.round(100 * f)} %)`;
      }
      await yieldToBrowser();
      if (cancelled) return 'cancelled';
    }
  } finally {
    state.replaying = false;
    replayCancel = null;
    box.hidden = true;
  }
}

/** Opens a share link: the scenario, then exactly `t_us` of virtual time (replayed in slices). */
async function openShared(hash) {
  const shared = await decodeShare(hash);
  if (!shared) return false;
  let pg;
  try {
    pg = Playground.from_json(shared.scenarioJson);
  } catch (err) {
    throw new Error(`The link's scenario is not valid:\n${errorMessage(err)}`);
  }
  replayCancel?.(); // a replay still running gives way to the newer link
  install(pg);
  setSpeed(shared.speed);
  const outcome = await replaySliced(pg, shared.t_us);
  if (state.pg !== pg) return true; // another link or preset took over meanwhile
  if (outcome === 'cancelled') {
    install(Playground.from_json(shared.scenarioJson));
    setPlaying(false);
    timeline.note('Opening the link was cancelled: its scenario is loaded at 0s instead.');
    return true;
  }
  afterSeek();
  if (outcome === 'bounded') {
    setPlaying(false);
    showError(`This link asks for ${fmtClock(shared.t_us)} of virtual time, which takes more than ${LINK_MAX_EVENTS.toLocaleString('en')} events to replay: `
      + `it was opened at ${fmtClock(pg.time_us)} instead. Press Play to go on from there.`);
    return true;
  }
  setPlaying(!shared.paused);
  state.dirty = true;
  return true;
}

// --- NSQ panels ------------------------------------------------------------------

/** The NSQ panels, controls and charts show only for a run with NSQ. */
function showNsq(on) {
  const area = $('nsq-area');
  if (area.hidden === !on) return;
  area.hidden = !on;
  document.querySelector('.layout').dataset.nsq = String(on);
  $('nsq-controls').hidden = !on;
  $('nsq-charts').hidden = !on;
  const legendNsq = $('legend-nsq');
  if (legendNsq) legendNsq.hidden = !on;
}

/** The Kafka panels and controls show only for a run with Kafka. */
function showKafka(on) {
  const area = $('kafka-area');
  if (area.hidden === !on) return;
  area.hidden = !on;
  document.querySelector('.layout').dataset.kafka = String(on);
  $('kafka-controls').hidden = !on;
  const legend = $('legend-kafka');
  if (legend) legend.hidden = !on;
}

/** Picker groups, in this order; a preset's `system` picks one. */
const SYSTEM_GROUPS = [['go', 'Go channels'], ['nsq', 'NSQ'], ['kafka', 'Kafka']];

// --- selection -----------------------------------------------------------------

function select(id, { auto = false } = {}) {
  if (!auto) {
    // The user chose: keep their choice (through a reset too, by name).
    state.autoSelect = false;
    state.userPick = id === null ? null : (state.snap?.goroutines.find((g) => g.id === id)?.name ?? state.userPick);
  }
  state.selected = id;
  stage.select(id);
  inspector.select(id);
  state.dirty = true;
}

/**
 * Until the user selects a goroutine, the inspector shows the most informative
 * one: a stuck goroutine (deadlock) over one blocked for a while over one still
 * running. It moves only when the current one has less to say: it finished,
 * another is stuck and it is not, or it has not been blocked for a whole
 * virtual second while another has been blocked for at least 300 ms (so a
 * goroutine that blocks now and then keeps the inspector).
 */
function autoSelect(snap) {
  if (!state.autoSelect) return;
  const gs = snap.goroutines;
  const cur = gs.find((g) => g.id === state.selected);
  const stuck = gs.find((g) => g.stuck);
  const isBlocked = (g) => g.state.startsWith('blocked');
  let longest = null;
  for (const g of gs) if (isBlocked(g) && (!longest || g.state_for_us > longest.state_for_us)) longest = g;
  const alive = gs.find((g) => !['done', 'panicked', 'removed'].includes(g.state));
  let next = null;
  if (stuck && !(cur && cur.stuck)) next = stuck;
  else if (!cur || ['done', 'removed', 'panicked'].includes(cur.state)) next = stuck || longest || alive;
  else if (!isBlocked(cur) && cur.state_for_us >= 1e6 && longest && longest.state_for_us >= 3e5) next = longest;
  if (next && next.id !== state.selected) select(next.id, { auto: true });
}

// --- share -----------------------------------------------------------------

async function share() {
  try {
    const frag = await encodeShare({ scenarioJson: state.pg.scenario_json(), speed: state.speed, t_us: state.pg.time_us, paused: !state.playing });
    state.ownHash = frag;
    history.replaceState(null, '', frag);
    const url = location.href;
    const out = $('share-url');
    out.value = url;
    showError('');
    try {
      await navigator.clipboard.writeText(url);
      $('share').textContent = 'Link copied';
    } catch {
      $('share').textContent = 'Copy link';
      out.select();
    }
    setTimeout(() => { $('share').textContent = 'Copy link'; }, 2000);
  } catch (err) {
    showError(errorMessage(err));
  }
}

// --- banner, totals, legend ----------------------------------------------------

let bannerKey = '';
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

const totalsNodes = new Map();
function updateTotals(snap) {
  const t = snap.totals;
  const lat = snap.delivery_latency;
  // Named so they add up: produced = finished + processing + in buffers +
  // held by senders + dropped (+ filtered) (+ published to NSQ). Delivered (received by a sink)
  // spans finished and processing.
  const items = [
    ['produced', String(t.produced)],
    ['finished', String(t.processed)],
    ['processing', String(t.processing)],
    ['in buffers', String(t.buffered)],
    ['held by senders', String(t.in_transit)],
    ['dropped', String(t.dropped)],
    ['delivered', String(t.delivered)],
    ['blocked', `${t.blocked} of ${snap.goroutines.length}`],
    ['latency p50 / p99', lat.count ? `${fmtDuration(lat.p50_us)} / ${fmtDuration(lat.p99_us)}` : '–'],
  ];
  if (t.filtered) items.splice(6, 0, ['filtered', String(t.filtered)]);
  // Handed to NSQ by a Publish that returned OK (or acked by Kafka): part
  // of the sum too.
  if (t.published) items.splice(6, 0, [snap.kafka ? 'acked by Kafka' : 'published to NSQ', String(t.published)]);
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

/** Short words for the status pill; the engine's full sentence is its tooltip and the banner. */
const STATUS_WORDS = {
  running: 'running',
  finished: 'finished',
  main_returned: 'exited: main returned',
  deadlock: 'deadlock',
  panicked: 'panicked',
  stopped: 'stopped',
};

/** Virtual time with a steady width: "1.567s", "2m03.250s". */
function fmtClock(us) {
  const s = us / 1e6;
  if (s < 60) return `${s.toFixed(3)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${(s - m * 60).toFixed(3).padStart(6, '0')}s`;
}

function updateClock(snap) {
  const clock = $('clock');
  const t = fmtClock(snap.time_us);
  if (clock.textContent !== t) clock.textContent = t;
  // The run's fingerprint (equal runs, equal hashes): tests compare it with a straight run.
  if (clock.dataset.hash !== snap.trace_hash) clock.dataset.hash = snap.trace_hash;
  const st = $('status');
  const text = snap.status === 'running' && !state.playing ? 'paused' : STATUS_WORDS[snap.status] || snap.status;
  if (st.textContent !== text) {
    st.textContent = text;
    st.title = snap.status_text;
  }
  const kind = snap.status === 'running' && !state.playing ? 'paused' : snap.status;
  if (st.dataset.status !== kind) st.dataset.status = kind;
}

function buildLegend() {
  const legend = $('legend');
  const items = LEGEND.map((k) => [STATES[k].icon, STATES[k].color, STATES[k].word]);
  items.push(['warn', '--danger', 'stuck forever (deadlocked)']);
  items.push(['pause', '--muted', 'paused by you']);
  const ul = document.createElement('ul');
  for (const [icon, color, word] of items) {
    const li = document.createElement('li');
    const span = document.createElement('span');
    span.textContent = word;
    li.append(iconCanvas(icon, color, 14), span);
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
  nsqNote.textContent = 'NSQ: a channel\'s depth bar is memory (solid) then disk (hatched); dots are messages in flight, ⧖ deferred ones. '
    + 'Tokens: a number is the attempt of a redelivery, R a requeue (REQ), × a MaxAttempts FIN, a clock a timeout flying back to the queue; green ones are FINs. '
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

// --- frame loop -----------------------------------------------------------------

const bench = {
  frames: [], parts: { advance: [], snapshot: [], draw: [], stage: [], panels: [], log: [], charts: [] }, until: 0, done: false,
  // Whole frames: requestAnimationFrame to requestAnimationFrame (JS, style,
  // layout, paint and whatever else the browser did), and long tasks (> 50 ms).
  intervals: [], lastRaf: 0, longTasks: 0, longTaskMs: 0, startedAt: 0,
  // All script in animation-frame callbacks, per frame: frame() and the
  // callbacks the charts and the event log schedule for themselves (a chart's
  // turn to redraw, the log's rows below the visible ones).
  callbacks: new Map(),
};
if (benchMode) {
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb) => raf((t) => {
    const t0 = performance.now();
    try {
      cb(t);
    } finally {
      if (bench.until && !bench.done) bench.callbacks.set(t, (bench.callbacks.get(t) || 0) + performance.now() - t0);
    }
  });
}
if (benchMode && typeof PerformanceObserver === 'function') {
  try {
    new PerformanceObserver((list) => {
      if (!bench.until || bench.done) return;
      for (const e of list.getEntries()) {
        bench.longTasks += 1;
        bench.longTaskMs += e.duration;
      }
    }).observe({ type: 'longtask', buffered: false });
  } catch { /* no long-task timing in this browser: reported as null */ bench.longTasks = null; }
}

function pct(sorted, q) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function finishBench() {
  bench.done = true;
  const sorted = [...bench.frames].sort((a, b) => a - b);
  const r = (x) => Math.round(x * 1000) / 1000;
  const part = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return { p50: r(pct(s, 0.5)), p95: r(pct(s, 0.95)), max: r(s[s.length - 1] || 0) };
  };
  const iv = [...bench.intervals].sort((a, b) => a - b);
  const wall = (performance.now() - bench.startedAt) / 1000;
  const result = {
    whole_frame: {
      fps: r(bench.intervals.length / Math.max(1e-9, wall)),
      p50: r(pct(iv, 0.5)),
      p95: r(pct(iv, 0.95)),
      max: r(iv[iv.length - 1] || 0),
      over_20ms: iv.filter((x) => x > 20).length,
      long_tasks: bench.longTasks,
      long_task_ms: bench.longTasks === null ? null : r(bench.longTaskMs),
      seconds: r(wall),
    },
    p50: r(pct(sorted, 0.5)),
    p95: r(pct(sorted, 0.95)),
    max: r(sorted[sorted.length - 1] || 0),
    frames: sorted.length,
    preset: state.presetName,
    speed: state.speed,
    virtual_time: state.snap ? state.snap.time : '',
    events: state.snap ? state.snap.events_total : 0,
    parts: Object.fromEntries(Object.entries(bench.parts).map(([k, xs]) => [k, part(xs)])),
    all_callbacks: part([...bench.callbacks.values()]),
  };
  window.__benchResult = result;
  const pre = $('bench-result');
  pre.textContent = JSON.stringify(result, null, 2);
  pre.hidden = false;
}

function frame(now) {
  requestAnimationFrame(frame);
  const pg = state.pg;
  if (!pg || state.replaying) return;
  flushSeek();
  const rawDt = Math.max(0, now - state.lastFrame);
  const dt = Math.min(rawDt, MAX_FRAME_MS);
  // Two long frames in a row (not just a tab coming back) also mean virtual time falls behind.
  const slowFrames = rawDt > MAX_FRAME_MS && state.lastRawDt > MAX_FRAME_MS;
  state.lastRawDt = rawDt;
  state.lastFrame = now;
  const t0 = performance.now();
  if (state.playing && !state.ended && !timeline.dragging) {
    const wanted = dt * 1000 * state.speed;
    const cap = state.engineRate * ADVANCE_BUDGET_MS;
    const ask = Math.min(wanted, cap);
    const before = pg.time_us;
    const reached = pg.advance(ask);
    const took = performance.now() - t0;
    learnEngineRate(ask >= cap, took, pg.time_us - before);
    noteAdvance(reached && ask >= wanted && !slowFrames, now, pg.time_us);
    state.dirty = true;
  } else if (lag.shown) {
    hideLag();
  }
  const t1 = performance.now();
  let events = null;
  if (state.dirty || !state.snap) {
    state.snap = pg.snapshot();
    events = pg.take_events(EVENTS_PER_FRAME);
    if (state.stashed) {
      events = state.stashed.concat(events);
      state.stashed = null;
    }
  }
  const t2 = performance.now();
  const snap = state.snap;
  const changed = state.dirty;
  state.dirty = false;
  const wasEnded = state.ended;
  state.ended = snap.status !== 'running';
  const stepBtn = $('step');
  if ((stepBtn.getAttribute('aria-disabled') === 'true') !== state.ended) {
    // Nothing is left to step once the run is over (aria-disabled, so keyboard focus stays put).
    stepBtn.setAttribute('aria-disabled', String(state.ended));
    stepBtn.title = state.ended ? 'The run has ended: nothing left to step (Reset or Play starts it again)' : 'Run exactly one event (→)';
  }
  // The run just ended: nothing plays any more, so the button offers Play (which starts it again).
  if (state.ended && !wasEnded && state.playing) setPlaying(false, { atEnd: true });
  if (state.ended && !wasEnded) {
    timeline.note(`${snap.status_text.replace(/[.!]+$/, '')}. Press Play to run it again, or drag the timeline to look back.`);
  }
  autoSelect(snap);
  if (state.selectName) {
    const g = snap.goroutines.find((x) => x.name === state.selectName);
    if (g) { state.selectName = null; select(g.id); }
  }
  if (state.selected !== null && !snap.goroutines.some((g) => g.id === state.selected)) select(null, { auto: state.autoSelect });
  if (changed || stage.animating(now)) {
    stage.render(snap, events, now, { forceList: !state.playing });
  }
  const t3 = performance.now();
  let t5 = t3;
  // Text panels change at most ~10 times a second while playing (nobody reads
  // faster, and each change costs the browser a layout); at once otherwise.
  if (changed) state.panelsStale = true;
  if (state.panelsStale && (!state.playing || now - state.panelsAt >= PANEL_MS || state.ended)) {
    state.panelsStale = false;
    state.panelsAt = now;
    inspector.update(snap, pg);
    controls.update(snap);
    showNsq(Boolean(snap.nsq));
    if (snap.nsq) {
      nsqadmin.update(snap);
      guarantees.update(snap, pg);
      nsqControls.update(snap);
    }
    showKafka(Boolean(snap.kafka));
    if (snap.kafka) {
      kafkaPanels.update(snap);
      kafkaControls.update(snap);
    }
    updateBanner(snap);
    refreshTimeline();
  }
  if (changed) {
    // Numbers that sit beside the stage change with it, in the same frame.
    updateTotals(snap);
    updateClock(snap);
    if (state.tlView) timeline.update(state.tlView, snap.time_us);
  }
  const t4 = performance.now();
  t5 = t4;
  if (changed) {
    if (events && events.length) eventlog.push(events, snap);
    t5 = performance.now();
    // A channel added live: the charts start over with every sample kept
    // (older samples have no value for it), not just the ones after it.
    const chartKey = snap.channels.map((c) => c.name).join('\u0000');
    if (chartKey !== state.chartKey) {
      if (state.chartKey !== undefined) {
        charts.reset(snap.channels.map((c) => c.name));
        state.sampleT = -1;
      }
      state.chartKey = chartKey;
    }
    const samples = pg.series_since(state.sampleT);
    if (samples.length) {
      state.sampleT = samples[samples.length - 1].t_us;
      charts.push(samples, snap);
      if (snap.nsq) nsqCharts.push(samples, snap);
    }
  }
  const t6 = performance.now();
  if (benchMode && !bench.done && bench.until) {
    if (!bench.startedAt) bench.startedAt = now;
    else bench.intervals.push(now - bench.lastRaf);
    bench.lastRaf = now;
    bench.frames.push(t6 - t0);
    bench.parts.advance.push(t1 - t0);
    bench.parts.snapshot.push(t2 - t1);
    bench.parts.draw.push(t6 - t2);
    bench.parts.stage.push(t3 - t2);
    bench.parts.panels.push(t4 - t3);
    bench.parts.log.push(t5 - t4);
    bench.parts.charts.push(t6 - t5);
    if (now >= bench.until) finishBench();
  }
}

// --- wiring -----------------------------------------------------------------------

function isTextField(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !['button', 'checkbox', 'radio', 'submit', 'reset'].includes(target.type);
  return false;
}

function wire() {
  const sel = $('preset');
  const groups = new Map();
  for (const p of presetList()) {
    const sys = p.system;
    if (!groups.has(sys)) {
      const g = document.createElement('optgroup');
      g.label = SYSTEM_GROUPS.find(([k]) => k === sys)?.[1] ?? sys;
      groups.set(sys, g);
    }
    const o = document.createElement('option');
    o.value = p.name;
    o.dataset.preset = '1';
    o.textContent = p.title;
    o.title = p.description;
    groups.get(sys).append(o);
  }
  const order = SYSTEM_GROUPS.map(([k]) => k);
  const rank = (k) => (order.includes(k) ? order.indexOf(k) : order.length);
  sel.append(...[...groups].sort((a, b) => rank(a[0]) - rank(b[0])).map(([, g]) => g));
  // Arrow keys on the closed picker change its value (and fire `change`) at
  // every option they pass: load on commit instead (Enter, or leaving the
  // picker), not on every preset passed on the way.
  let browsing = false;
  const commit = () => {
    browsing = false;
    if (!sel.value || sel.value === sel.dataset.loaded) return;
    try {
      loadPreset(sel.value);
      clearHash();
      showError('');
      setPlaying(true);
    } catch (err) {
      showError(errorMessage(err));
    }
  };
  sel.addEventListener('keydown', (e) => {
    if (['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown'].includes(e.key)) browsing = true;
    else if (e.key === 'Enter') commit();
  });
  sel.addEventListener('change', () => {
    if (browsing) {
      $('preset-description').textContent = `${sel.selectedOptions[0]?.title || ''} (press Enter to open)`;
      return;
    }
    commit();
  });
  sel.addEventListener('blur', () => { if (browsing) commit(); });
  sel.addEventListener('pointerdown', () => { browsing = false; });

  $('play').addEventListener('click', () => setPlaying(!state.playing));
  $('step').addEventListener('click', stepOnce);
  $('reset').addEventListener('click', () => {
    state.pg.reset();
    afterReset();
  });
  $('revert').addEventListener('click', () => {
    state.pg.revert();
    afterReset();
    timeline.note('Back to the scenario as it was loaded, without your changes.');
  });
  $('speed').addEventListener('input', () => setSpeed(10 ** Number($('speed').value), { fromSlider: true }));
  $('seed').addEventListener('change', () => {
    const raw = $('seed').value.trim();
    try {
      const n = typedSeed(raw);
      if (n instanceof Error) throw n;
      state.pg.reset_with_seed(n);
      afterReset();
    } catch (err) {
      $('seed-error').textContent = errorMessage(err);
      $('seed').setAttribute('aria-invalid', 'true');
      return;
    }
    $('seed').setAttribute('aria-invalid', 'false');
  });
  $('share').addEventListener('click', share);
  $('replay-cancel').addEventListener('click', () => replayCancel?.());
  $('error-dismiss').addEventListener('click', () => showError(''));
  // Folded panels: the charts measure themselves again when they reappear.
  $('charts-details').addEventListener('toggle', () => { if ($('charts-details').open) { charts.resize(); nsqCharts.resize(); } });

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'Escape' && !$('error').hidden) {
      showError('');
      return;
    }
    const t = e.target;
    if (isTextField(t)) return;
    const onButton = t instanceof HTMLButtonElement || (t instanceof HTMLElement && t.tagName === 'SUMMARY');
    if ((e.key === ' ' || e.code === 'Space') && !onButton) {
      e.preventDefault();
      setPlaying(!state.playing);
    } else if (e.key === 'ArrowRight') {
      e.preventDefault();
      stepOnce();
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      stepBack();
    } else if (e.key === 'Home') {
      e.preventDefault();
      seekTo(0, { pause: true });
    } else if (e.key === 'End') {
      e.preventDefault();
      seekTo(state.tlView ? state.tlView.end_us : state.pg.time_us, { pause: true });
    } else if (e.key === '+' || e.key === '=') {
      e.preventDefault();
      stepSpeed(1);
    } else if (e.key === '-' || e.key === '_') {
      e.preventDefault();
      stepSpeed(-1);
    }
  });

  window.addEventListener('hashchange', async () => {
    if (location.hash === state.ownHash) return;
    try {
      await openShared(location.hash); // (install() clears older messages)
    } catch (err) {
      showError(errorMessage(err));
    }
  });

  reducedMotion.addEventListener('change', () => stage.setReducedMotion(reducedMotion.matches));
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    stage.refreshTheme();
    for (const c of document.querySelectorAll('canvas.icon')) paintIconCanvas(c, c.width / (window.devicePixelRatio || 1));
    state.dirty = true;
  });
  window.addEventListener('resize', () => { charts.resize(); nsqCharts.resize(); state.dirty = true; });

  // Narrow embeds start with the control panel folded.
  if (window.matchMedia('(max-width: 700px)').matches) $('controls-panel').open = false;
}

async function main() {
  await init();
  stage = createStage($('stage'), $('stage-list'), {
    onSelect: (id) => select(id),
    // A message token on the NSQ stage: its life in the guarantees panel.
    onSelectMessage: (label) => guarantees.showMessage(label),
  });
  stage.setReducedMotion(reducedMotion.matches);
  inspector = createInspector($('inspector'), { onCommand: sendCommand });
  controls = createControls({ channels: $('channels'), groups: $('groups'), add: $('add') },
    { onCommand: sendCommand, onAdded: (name) => { state.selectName = name; } });
  charts = createCharts($('charts'));
  eventlog = createEventLog($('eventlog'), {
    onSelect: (ev) => {
      if (ev.goroutine != null) select(ev.goroutine);
      stage.flash({ goroutine: ev.goroutine, channel: ev.channel });
      // An NSQ event about a message: its life too (focus stays in the log).
      if (ev.nsq && ev.label) guarantees.showMessage(ev.label, { focus: false });
      state.dirty = true;
    },
  });
  nsqadmin = createNsqAdmin($('nsqadmin'), { onCommand: sendCommand });
  guarantees = createGuarantees($('guarantees'));
  nsqControls = createNsqControls($('nsq-controls'), { onCommand: sendCommand });
  nsqCharts = createNsqCharts($('nsq-charts'));
  kafkaPanels = createKafkaPanels({ groups: $('kafka-groups'), topics: $('kafka-topics'), guarantees: $('kafka-guarantees') });
  kafkaControls = createKafkaControls($('kafka-controls'), { onCommand: sendCommand });
  timeline = createTimeline($('timeline'), {
    onSeek: (t) => seekTo(t),
    onBack: stepBack,
    onFork: fork,
    onScrub: () => { state.dirty = true; },
  });
  buildLegend();
  wire();
  setSpeed(1);

  if (benchMode) {
    const name = params.get('bench') || 'large';
    loadPreset(name);
    const sp = Number(params.get('speed'));
    setSpeed(Number.isFinite(sp) && sp > 0 ? sp : 10);
    setPlaying(true);
    // Let the first frames (layout, fonts) settle before measuring.
    setTimeout(() => { bench.until = performance.now() + BENCH_MS; }, 500);
  } else {
    requestAnimationFrame(frame); // a long link replays in slices: the page keeps drawing meanwhile
    let opened = false;
    let linkError = '';
    try {
      opened = await openShared(location.hash);
    } catch (err) {
      linkError = `${errorMessage(err)}\nLoaded the default scenario instead.`;
      clearHash();
    }
    if (!opened) loadPreset(Playground.default_preset());
    if (linkError) showError(linkError);
    return;
  }
  requestAnimationFrame(frame);
}

main().catch((err) => {
  showError(`Could not start the engine: ${errorMessage(err)}`);
  console.error(err);
});
