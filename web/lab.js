// One playground: an engine world (`Playground`, from wasm) and everything
// that draws it and drives it, inside one root (a `<queue-lab>` element's
// shadow root). The full page is this in `full` view; a docs embed is the
// same code in `compact` or `stage` view. All behaviour comes from the engine
// through `Playground`; this file only moves time forward, sends commands
// and hands snapshots and events to the drawing modules.
//
// Frame: advance(wall dt × speed) -> snapshot() -> take_events() ->
//        stage (canvas), inspector, controls, charts, event log; for NSQ
//        runs (`snapshot.nsq`) also the nsqadmin and guarantees panels, the
//        NSQ controls and the NSQ charts; for Kafka runs (`snapshot.kafka`)
//        the consumer-groups, topics and guarantees panels and the Kafka controls.
//        Their code (and the NSQ and Kafka stage views') is fetched with the
//        first snapshot that needs it: a Go-only embed never loads it.
// The loop runs only while the playground is active (`setActive`): an embed
// scrolled out of view or in a hidden tab costs nothing, and resumes where
// it was (the wall time it was away is not played).
//
// createLab(root, opts) -> the API below (see the returned object).
// opts: page (the full page: owns the address bar's fragment, `?bench`, and
//       keys anywhere on the document), keyTarget (where keys are heard;
//       an embed hears only keys while focus is inside it, and stops those
//       it uses from reaching the host page), onStatus(status), onTick(),
//       onError(message): the host element's events.
// Statuses reported: 'running', 'paused', 'deadlock', 'panic', 'ended'
// (the run is over, or reached the host's `until`).

import { engine, isReady, kindOfJson, kindOfPreset } from './engines.js';
import { createStage, paintIconCanvas } from './stage.js';
import { createStatusPanels, fmtClock } from './status-panels.js';
import { createLagNotice, roundSpeed, fmtSpeed, SPEED_MIN, SPEED_MAX } from './lag-notice.js';
import { exactSeed, typedSeed } from './seed.js';
import { nextInspected } from './auto-select.js';
import { isTextField, keyCommand } from './keys.js';

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
/** Least wall time between two refreshes of the text panels while playing. */
const PANEL_MS = 100;
/** Least wall time between two `onTick` calls. */
const TICK_MS = 250;
/** Where the full playground lives: next to this module. */
const PLAYGROUND_BASE = new URL('./', import.meta.url);

/** Share links' code (compression, base64url, checks), fetched the first
 * time a link is made or opened: an embed that never shares never loads it. */
const shareModule = () => import('./share.js');

/** The host's status word for a snapshot. */
export function statusOf(snap, playing, atUntil) {
  if (snap.deadlock && snap.deadlock.go_message) return 'deadlock';
  if (snap.status === 'deadlock') return 'deadlock';
  if (snap.status === 'panicked') return 'panic';
  if (snap.status !== 'running') return 'ended';
  if (!playing) return atUntil ? 'ended' : 'paused';
  return 'running';
}

/**
 * The panels' modules (inspector, charts, event log, timeline, the live
 * controls), fetched once for every element on the page, and only when a
 * view shows one of them: a compact or stage embed never loads them.
 * `<queue-lab>` awaits them before it builds a view that shows them; a view
 * that comes to show them later (its `view` or `panels` changed) gets them
 * then.
 */
let panelModules = null;
let panelLoad = null;
export function loadPanels() {
  panelLoad ||= Promise.all([import('./inspector.js'), import('./charts.js'), import('./eventlog.js'), import('./timeline.js'), import('./controls.js')])
    .then(([inspector, charts, eventlog, timeline, controls]) => { panelModules = { inspector, charts, eventlog, timeline, controls }; });
  panelLoad.catch(() => { panelLoad = null; }); // tried again by the next view that needs them
  return panelLoad;
}

/** Whether the view of `shell` (its data-view and data-panels, set by `<queue-lab>`) shows the inspector, charts, log, timeline or live controls. */
export function showsPanels(shell) {
  return shell.dataset.view === 'full' || /(^|\s)(charts|log|inspector|controls)(\s|$)/.test(shell.dataset.panels || '');
}

/**
 * Whether the view of `shell` shows NSQ's or Kafka's panels (their admin
 * tables, controls or charts): a compact or stage view without them never
 * fetches their code, nor uPlot.
 */
export function showsSystemPanels(shell) {
  return shell.dataset.view === 'full' || /(^|\s)(charts|controls|admin)(\s|$)/.test(shell.dataset.panels || '');
}

/** Stand-ins until the panels' modules are in: nothing of theirs is shown meanwhile. */
function idlePanels() {
  const nothing = () => {};
  return {
    inspector: { invalidateListing: nothing, select: nothing, update: nothing },
    charts: { reset: nothing, push: nothing, refreshTheme: nothing, resize: nothing, nameAsGo: nothing },
    eventlog: { clear: nothing, push: nothing },
    timeline: { note: nothing, update: nothing, dragging: false },
    controls: { reset: nothing, update: nothing },
  };
}

export function createLab(root, opts = {}) {
  const $ = (id) => root.getElementById(id);
  const shell = root.querySelector('.ql');
  const keyTarget = opts.keyTarget || root;
  const params = opts.page ? new URLSearchParams(location.search) : new URLSearchParams();
  const benchMode = opts.page && params.has('bench');
  let bench = null; // ?bench: the frame-time benchmark (bench.js, loaded only then)
  const status = createStatusPanels($);
  const lag = createLagNotice($('speed-lag'), () => state.speed);
  const schemeQuery = window.matchMedia('(prefers-color-scheme: dark)');
  const disposers = [];
  /** addEventListener, undone by destroy(). */
  function listen(target, type, fn) {
    target.addEventListener(type, fn);
    disposers.push(() => target.removeEventListener(type, fn));
  }
  const loop = { active: false, raf: 0 };
  let destroyed = false;
  const report = (() => {
    let last = '';
    let tickAt = -Infinity;
    return (snap) => {
      const s = statusOf(snap, state.playing, state.atUntil);
      if (s !== last) {
        last = s;
        opts.onStatus?.(s);
      }
      const now = performance.now();
      if (now - tickAt >= TICK_MS) {
        tickAt = now;
        opts.onTick?.();
      }
    };
  })();

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
    untilUs: null, // the host's `until`: playing stops there (once per run: Play then goes on)
    untilAsked: null, // the `until` itself (a reset arms it again)
    atUntil: false, // stopped at untilUs
    theme: null, // the host's `theme` ('light' | 'dark'), or null for the system's
    driven: false, // time is moved by a host (advanceTo), not by this loop: compare mode's lock-step
    noticesSeen: 0, // the engine's notices (scenario commands it could not apply) already shown
  };

  let stage;
  let inspector;
  let controls;
  let charts;
  let eventlog;
  let timeline;
  /**
   * NSQ's and Kafka's panels (admin tables, guarantees, controls, charts),
   * made when their code has loaded: it is fetched with the first snapshot
   * that needs it, so a Go-only embed never loads it. `null` until then.
   */
  const systems = { nsq: null, kafka: null };
  const systemLoads = { nsq: null, kafka: null };
  const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');
  /**
   * The full view's preset picker (web/preset-picker.js), fetched the first
   * time that view shows: an embed never loads it. `null` until then.
   */
  let picker = null;
  let pickerLoad = null;
  function presetPicker() {
    if (picker) picker.fill(); // (again after a failed index fetch)
    pickerLoad ||= import('./preset-picker.js').then((m) => {
      if (destroyed) return;
      picker = m.createPresetPicker($('preset'), {
        setDescription,
        current: () => (state.pg ? describeScenario(state.pg.scenario_json()) : null),
        onError: (err) => showError(errorMessage(err)),
        gone: () => destroyed,
      });
      picker.fill();
    }, (err) => {
      pickerLoad = null; // tried again when the layout next changes
      showError(errorMessage(err));
    });
  }

  // --- errors ----------------------------------------------------------------

  /** What the error box's "Try again" does, while it shows. */
  let errorRetry = null;

  /**
   * Shows `message` in the page's error box (text only), or hides it for ''.
   * With `retry` (a failure that may pass, such as an engine module that did
   * not come), the box offers "Try again", which hides it and calls `retry`.
   */
  function showError(message, retry = null) {
    const box = $('error');
    // Focus on a button of the box would be lost with it: hand it to Play.
    if (!message && !box.hidden && box.contains(root.activeElement)) $('play').focus();
    if (message) opts.onError?.(message);
    $('error-text').textContent = message;
    errorRetry = message ? retry : null;
    $('error-retry').hidden = !errorRetry;
    box.hidden = !message;
  }

  /** `showError` for a caught error: "Try again" when it is `retryable` (web/engines.js). */
  function showFailure(err, retry) {
    showError(errorMessage(err), err && err.retryable ? retry : null);
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

  /** Play and Pause pressed (or asked through the API), counted. */
  let playAsks = 0;
  function userPlay(on) {
    playAsks++;
    setPlaying(on);
  }

  function setPlaying(on, { atEnd = false } = {}) {
    // Play after the run ended by itself starts it again, like a media player.
    // (A run that ended while paused, say by a close command, just shows its end.)
    if (on && state.autoPaused && state.ended && state.pg) {
      state.pg.reset();
      afterReset();
    }
    state.autoPaused = atEnd;
    state.playing = on;
    if (on) state.atUntil = false;
    if (!on) lag.hide();
    const b = $('play');
    b.textContent = on ? 'Pause' : 'Play';
    b.setAttribute('aria-pressed', String(on));
    b.title = atEnd ? 'The run has ended: play it again from the start (Space)' : 'Play / pause (Space)';
    state.lastFrame = performance.now();
    state.dirty = true; // the status pill says "paused" / "running"
  }

  /**
   * The scenario's description. On a narrow screen it shows three lines
   * (style.css), so the stage stays on the first screen; "More" opens the
   * rest, and shows only when something is cut.
   */
  function setDescription(text) {
    const d = $('preset-description');
    d.textContent = text;
    d.classList.remove('open');
    updateMore();
  }

  function updateMore() {
    const d = $('preset-description');
    const more = $('description-more');
    const open = d.classList.contains('open');
    more.hidden = !open && d.scrollHeight <= d.clientHeight + 1;
    more.textContent = open ? 'Less' : 'More';
    more.setAttribute('aria-expanded', String(open));
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
    systems.nsq?.charts.reset();
    systems.kafka?.charts.reset();
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

  /** The preset a new page opens with (a Go preset: the Go module, the smallest, tells it). */
  async function defaultPreset() {
    return (await engine('go')).default_preset();
  }

  /** Loads counted, so a slow module fetch cannot install an older choice over a newer one. */
  let loads = 0;

  /**
   * The `Playground` class for a scenario of module `kind` (web/engines.js),
   * or null when another load started meanwhile (or the lab is gone).
   */
  async function engineFor(kind) {
    const mine = ++loads;
    // The stage says so while the module comes (style.css shows it only
    // after a moment, so a fast load does not flash it).
    if (isReady(kind)) delete shell.dataset.engineLoading;
    else shell.dataset.engineLoading = kind;
    try {
      const PG = await engine(kind);
      return mine === loads && !destroyed ? PG : null;
    } finally {
      if (mine === loads) delete shell.dataset.engineLoading;
    }
  }

  /** A scenario's name, title and description (empty strings when absent or not strings). */
  function describeScenario(json) {
    try {
      const s = JSON.parse(json);
      return { name: typeof s.name === 'string' ? s.name : '', title: typeof s.title === 'string' ? s.title : '',
        description: typeof s.description === 'string' ? s.description : '' };
    } catch {
      return { name: '', title: '', description: '' };
    }
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
    if (picker) picker.sync(info);
    else setDescription(info.description);
  }

  /** Views forget the old run (new world, reset, new seed). */
  function afterReset() {
    lag.hide();
    state.untilUs = state.untilAsked;
    state.atUntil = false;
    state.engineRate = Infinity;
    state.autoPaused = false;
    $('play').title = 'Play / pause (Space)';
    stage.reset();
    controls.reset();
    eventlog.clear();
    for (const panels of Object.values(systems)) for (const panel of Object.values(panels || {})) panel.reset();
    state.sampleT = -1;
    state.snap = null;
    state.dirty = true;
    state.ended = false;
    state.selected = null;
    inspector.select(null);
    stage.select(null);
    const snap = state.pg.snapshot();
    state.noticesSeen = 0;
    showSystem('nsq', Boolean(snap.nsq));
    showSystem('kafka', Boolean(snap.kafka));
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
    $('seed').value = exactSeed(state.pg.scenario_json(), state.pg.seed);
    $('seed-error').textContent = '';
    $('seed').setAttribute('aria-invalid', 'false');
    state.lastFrame = performance.now();
  }

  /** Loads a built-in preset, in the module its system needs; false if a newer load took over. */
  async function loadPreset(name) {
    const PG = await engineFor(kindOfPreset(name));
    if (!PG) return false;
    install(PG.from_preset(name));
    return true;
  }

  /** A world for scenario JSON, in the module its systems need; null if a newer load took over. */
  async function fromJson(json) {
    const PG = await engineFor(kindOfJson(json));
    return PG && PG.from_json(json);
  }

  function clearHash() {
    if (!opts.page) return; // an embed never touches its host page's address
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
    state.ownHash = '';
  }

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

  /** A fragment that only names a preset (`#preset=classic`, as embed.html takes), else null. */
  const PRESET_FRAGMENT = /^#?preset=([A-Za-z0-9_-]{1,64})$/;

  /**
   * Opens a share link: the scenario, then exactly `t_us` of virtual time
   * (replayed in slices); or, for `#preset=NAME`, that preset from 0s, playing.
   */
  async function openShared(hash) {
    const named = PRESET_FRAGMENT.exec(hash || '');
    if (named) {
      if (!(await loadPreset(named[1]))) return true; // another link or preset took over meanwhile
      if (opts.page) state.ownHash = location.hash;
      setPlaying(true);
      return true;
    }
    const [{ decodeShare }, { replaySliced }] = await Promise.all([shareModule(), import('./replay.js')]);
    const shared = await decodeShare(hash);
    if (!shared) return false;
    let pg;
    try {
      pg = await fromJson(shared.scenarioJson);
    } catch (err) {
      throw new Error(`The link's scenario is not valid:\n${errorMessage(err)}`);
    }
    if (!pg) return true; // another link or preset took over meanwhile
    replayCancel?.(); // a replay still running gives way to the newer link
    install(pg);
    setSpeed(shared.speed);
    const replay = replaySliced(pg, shared.t_us, { box: $('replay'), bar: $('replay-progress'), text: $('replay-text'), maxEvents: LINK_MAX_EVENTS });
    replayCancel = replay.cancel;
    state.replaying = true;
    let outcome;
    try {
      outcome = await replay.done;
    } finally {
      // (A newer link may have cancelled this replay and started its own.)
      if (replayCancel === replay.cancel) {
        replayCancel = null;
        state.replaying = false;
      }
    }
    if (state.pg !== pg) return true; // another link or preset took over meanwhile
    if (outcome === 'cancelled') {
      const fresh = await fromJson(shared.scenarioJson);
      if (!fresh) return true; // another link or preset took over meanwhile
      install(fresh);
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

  // --- system panels -----------------------------------------------------------

  /**
   * The panels of `kind` ('nsq' or 'kafka'), or null while their code loads
   * (the load starts here, once; web/system-panels.js). Once they are made,
   * the next frame updates them and their charts get every sample so far.
   */
  function system(kind) {
    if (systems[kind]) return systems[kind];
    systemLoads[kind] ||= import('./system-panels.js').then((m) => m.makeSystemPanels(kind, $, sendCommand)).then((made) => {
      if (destroyed) return;
      systems[kind] = made;
      const pg = state.pg;
      // The samples the other charts have had (later ones come with the next frames).
      const samples = pg && state.sampleT >= 0 ? pg.series_since(-1).filter((x) => x.t_us <= state.sampleT) : [];
      const snap = state.snap;
      if (samples.length && snap && snap[kind]) made.charts.push(samples, snap);
      state.panelsStale = true;
      state.dirty = true;
    }, (e) => {
      systemLoads[kind] = null; // tried again at the next frame that needs it
      showError(`The ${kind === 'nsq' ? 'NSQ' : 'Kafka'} panels could not be loaded: ${e.message}`);
    });
    return null;
  }

  /** The area, controls, charts and legend entry of `kind` show only for a run with that system. */
  function showSystem(kind, on) {
    const area = $(`${kind}-area`);
    if (area.hidden === !on) return;
    area.hidden = !on;
    root.querySelector('.layout').dataset[kind] = String(on);
    $(`${kind}-controls`).hidden = !on;
    $(`${kind}-charts`).hidden = !on;
    const legend = $(`legend-${kind}`);
    if (legend) legend.hidden = !on;
    // The legend's "waiting for the network" shows in a run with NSQ or Kafka.
    const net = $('legend-net');
    if (net) net.hidden = $('nsq-area').hidden && $('kafka-area').hidden;
  }

  /** Beside NSQ's or Kafka's own controls, the Go ones say they are Go's. */
  function nameGoControls(sys) {
    const names = [['channels-heading', 'Channels', 'Go channels'], ['groups-heading', 'Goroutine groups', 'Go goroutine groups'],
      ['add-heading', 'Add channels and goroutines', 'Add Go channels and goroutines']];
    for (const [id, go, beside] of names) {
      const h = $(id);
      const text = sys ? beside : go;
      if (h.textContent !== text) h.textContent = text;
    }
    charts.nameAsGo(sys);
  }

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

  /** Until the user selects a goroutine, the inspector follows the most informative one (web/auto-select.js). */
  function autoSelect(snap) {
    if (!state.autoSelect) return;
    const next = nextInspected(snap.goroutines, state.selected);
    if (next !== null) select(next, { auto: true });
  }

  // --- share -----------------------------------------------------------------

  /** This exact run as a share fragment ('#v=...'). */
  async function shareFragment() {
    const run = { scenarioJson: state.pg.scenario_json(), speed: state.speed, t_us: state.pg.time_us, paused: !state.playing };
    const { encodeShare } = await shareModule();
    return encodeShare(run);
  }

  /** The full playground's address for this exact run (or compare.html's). */
  async function playgroundLink(page = 'index.html') {
    return new URL(`${page}${await shareFragment()}`, PLAYGROUND_BASE).href;
  }

  async function share() {
    try {
      let url;
      if (opts.page) {
        const frag = await shareFragment();
        state.ownHash = frag;
        history.replaceState(null, '', frag);
        url = location.href;
      } else {
        url = await playgroundLink();
      }
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

  function frame(now) {
    if (!loop.active) {
      loop.raf = 0;
      return;
    }
    loop.raf = requestAnimationFrame(frame);
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
    if (state.playing && !state.ended && !timeline.dragging && state.untilUs !== null && pg.time_us >= state.untilUs) {
      setPlaying(false); // the `until` the host asked for: stop there, once (Play goes on)
      state.atUntil = true;
      state.untilUs = null;
    }
    if (state.playing && !state.ended && !timeline.dragging && !state.driven) {
      const wanted = Math.min(dt * 1000 * state.speed, state.untilUs === null ? Infinity : Math.max(0, state.untilUs - pg.time_us));
      const cap = state.engineRate * ADVANCE_BUDGET_MS;
      const ask = Math.min(wanted, cap);
      const before = pg.time_us;
      const reached = pg.advance(ask);
      const took = performance.now() - t0;
      learnEngineRate(ask >= cap, took, pg.time_us - before);
      lag.note(reached && ask >= wanted && !slowFrames, now, pg.time_us);
      state.dirty = true;
    } else if (lag.shown) {
      lag.hide();
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
      nameGoControls(Boolean(snap.nsq || snap.kafka));
      const withPanels = showsSystemPanels(shell);
      const nsq = snap.nsq && withPanels ? system('nsq') : null;
      showSystem('nsq', Boolean(nsq));
      if (nsq) {
        nsq.admin.update(snap);
        nsq.guarantees.update(snap, pg);
        nsq.controls.update(snap);
      }
      const kafka = snap.kafka && withPanels ? system('kafka') : null;
      showSystem('kafka', Boolean(kafka));
      if (kafka) {
        kafka.panels.update(snap, state.pg);
        kafka.controls.update(snap);
      }
      status.updateBanner(snap);
      refreshTimeline();
    }
    if (changed) {
      // A timed command of the scenario the engine could not apply (it
      // names a consumer the run lacks, ...): said once, in the error box;
      // the run goes on without it. A seek back forgets it, a replay says it again.
      const notices = snap.notices || [];
      if (notices.length > state.noticesSeen) {
        const many = notices.length - state.noticesSeen > 1;
        showError(`${many ? 'Commands' : 'A command'} of the scenario could not be applied; the run goes on without ${many ? 'them' : 'it'}:\n${notices.slice(state.noticesSeen).join('\n')}`);
      }
      state.noticesSeen = notices.length;
      // Numbers that sit beside the stage change with it, in the same frame.
      status.updateTotals(snap);
      status.updateClock(snap, state.playing);
      report(snap);
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
        if (snap.nsq) systems.nsq?.charts.push(samples, snap);
        if (snap.kafka) systems.kafka?.charts.push(samples, snap);
      }
    }
    const t6 = performance.now();
    if (bench) bench.record(now, [t0, t1, t2, t3, t4, t5, t6]);
  }

  // --- wiring -----------------------------------------------------------------------

  function wire() {
    const sel = $('preset');
    // Arrow keys on the closed picker change its value (and fire `change`) at
    // every option they pass: load on commit instead (Enter, or leaving the
    // picker), not on every preset passed on the way.
    let browsing = false;
    const commit = () => {
      browsing = false;
      if (!sel.value || sel.value === sel.dataset.loaded) return;
      // A preset picked plays, unless Play or Pause was pressed while its
      // engine module was still coming (the first NSQ or Kafka preset).
      const asked = playAsks;
      loadPreset(sel.value).then((done) => {
        if (!done) return;
        clearHash();
        showError('');
        if (playAsks === asked) setPlaying(true);
      }, (err) => {
        // The picker goes back to the world still there; "Try again" picks this one again.
        const wanted = sel.value;
        if (sel.dataset.loaded) sel.value = sel.dataset.loaded;
        showFailure(err, () => {
          sel.value = wanted;
          commit();
        });
      });
    };
    sel.addEventListener('keydown', (e) => {
      if (['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown'].includes(e.key)) browsing = true;
      else if (e.key === 'Enter') commit();
    });
    sel.addEventListener('change', () => {
      if (browsing) {
        setDescription(`${sel.selectedOptions[0]?.title || ''} (press Enter to open)`);
        return;
      }
      commit();
    });
    sel.addEventListener('blur', () => { if (browsing) commit(); });
    sel.addEventListener('pointerdown', () => { browsing = false; });

    $('description-more').addEventListener('click', () => {
      $('preset-description').classList.toggle('open');
      updateMore();
    });
    if (typeof ResizeObserver === 'function') new ResizeObserver(updateMore).observe($('preset-description'));
    $('play').addEventListener('click', () => userPlay(!state.playing));
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
    $('error-retry').addEventListener('click', () => {
      const retry = errorRetry;
      showError('');
      retry?.();
    });
    // Folded panels: the charts measure themselves again when they reappear.
    $('charts-details').addEventListener('toggle', () => { if ($('charts-details').open) { charts.resize(); systems.nsq?.charts.resize(); systems.kafka?.charts.resize(); } });

    listen(keyTarget, 'keydown', (e) => {
      if (e.key === 'Escape' && !e.ctrlKey && !e.metaKey && !e.altKey && !$('error').hidden) {
        showError('');
        return;
      }
      // The element the key is for (a listener on the document sees the
      // <queue-lab> host instead of what has focus inside it).
      const t = e.composedPath()[0];
      if (isTextField(t)) return;
      const onButton = t instanceof HTMLButtonElement || (t instanceof HTMLElement && t.tagName === 'SUMMARY');
      const command = keyCommand(e, { onButton });
      if (!command) return;
      e.preventDefault();
      if (command === 'play') userPlay(!state.playing);
      else if (command === 'step') stepOnce();
      else if (command === 'back') stepBack();
      else if (command === 'start') seekTo(0, { pause: true });
      // The end the timeline shows: the engine's explored end, or the
      // clock when that is newer (the timeline view may be a frame old).
      else if (command === 'end') seekTo(Math.max(state.tlView ? state.tlView.end_us : 0, state.pg.time_us), { pause: true });
      else stepSpeed(command === 'faster' ? 1 : -1);
      // A key the playground used is not also the host page's (an embed in a
      // slide deck: arrows must not also turn the page).
      if (e.defaultPrevented && !opts.page) e.stopPropagation();
    });

    if (opts.page) listen(window, 'hashchange', async () => {
      if (location.hash === state.ownHash) return;
      try {
        await openShared(location.hash); // (install() clears older messages)
      } catch (err) {
        showError(errorMessage(err));
      }
    });

    listen(reducedMotion, 'change', () => stage.setReducedMotion(reducedMotion.matches));
    listen(schemeQuery, 'change', applyTheme);
    listen(window, 'resize', onResize);

    // Narrow embeds start with the control panel folded.
    if (shell.getBoundingClientRect().width < 700) $('controls-panel').open = false;
  }

  // --- theme, size ------------------------------------------------------------

  /** 'light' or 'dark': the host's `theme`, else the system's. */
  function resolvedTheme() {
    if (state.theme === 'light' || state.theme === 'dark') return state.theme;
    return schemeQuery.matches ? 'dark' : 'light';
  }

  /** Sets the colours (CSS custom properties on the shell) and repaints what caches them. */
  function applyTheme() {
    const t = resolvedTheme();
    // On the host: style.css declares the colours on :host, so that a host
    // page's own `queue-lab { --accent: ... }` overrides them.
    const host = root.host || shell;
    if (host.dataset.resolvedTheme !== t) host.dataset.resolvedTheme = t;
    if (!stage) return;
    stage.refreshTheme();
    charts.refreshTheme();
    for (const c of root.querySelectorAll('canvas.icon')) paintIconCanvas(c, c.width / (window.devicePixelRatio || 1));
    state.dirty = true;
  }

  function onResize() {
    charts.resize();
    systems.nsq?.charts.resize(); systems.kafka?.charts.resize();
    state.dirty = true;
  }

  // --- start -------------------------------------------------------------------

  function build() {
    applyTheme();
    stage = createStage($('stage'), $('stage-list'), {
      onSelect: (id) => select(id),
      onViewLoaded: () => { state.dirty = true; },
      // A message token on the NSQ stage: its life in the guarantees panel.
      onSelectMessage: (label) => systems.nsq?.guarantees.showMessage(label),
    });
    stage.setReducedMotion(reducedMotion.matches);
    if (panelModules) makePanels();
    else ({ inspector, charts, eventlog, timeline, controls } = idlePanels());
    status.buildLegend();
    applyTheme(); // the legend's icons, now that they are in the page
    wire();
    if (shell.dataset.view === 'full') presetPicker();
    setSpeed(1);
  }

  let panelsMade = false;
  function makePanels() {
    panelsMade = true;
    const m = panelModules;
    inspector = m.inspector.createInspector($('inspector'), { onCommand: sendCommand });
    charts = m.charts.createCharts($('charts'));
    eventlog = m.eventlog.createEventLog($('eventlog'), {
      onSelect: (ev) => {
        if (ev.goroutine != null) select(ev.goroutine);
        stage.flash({ goroutine: ev.goroutine, channel: ev.channel });
        // An NSQ event about a message: its life too (focus stays in the log).
        if (ev.nsq && ev.label) systems.nsq?.guarantees.showMessage(ev.label, { focus: false });
        state.dirty = true;
      },
    });
    timeline = m.timeline.createTimeline($('timeline'), {
      onSeek: (t) => seekTo(t),
      onBack: stepBack,
      onFork: fork,
      onScrub: () => { state.dirty = true; },
    });
    controls = m.controls.createControls({ channels: $('channels'), groups: $('groups'), add: $('add') },
      { onCommand: sendCommand, onAdded: (name) => { state.selectName = name; } });
  }

  /** The view now shows a panel (its view or panels changed): the panels come, and catch up with the run. */
  let panelsComing = false;
  function layoutChanged() {
    if (shell.dataset.view === 'full') presetPicker();
    state.panelsStale = true; // NSQ's or Kafka's panels may show now
    state.dirty = true;
    if (panelsComing || panelsMade || !showsPanels(shell)) return;
    panelsComing = true;
    loadPanels().then(() => {
      panelsComing = false;
      if (destroyed) return;
      makePanels();
      charts.refreshTheme();
      const pg = state.pg;
      const snap = state.snap;
      if (pg && snap) {
        // What the other views have had: the samples so far and the latest events.
        charts.reset(snap.channels.map((c) => c.name));
        const samples = state.sampleT >= 0 ? pg.series_since(-1).filter((x) => x.t_us <= state.sampleT) : [];
        if (samples.length) charts.push(samples, snap);
        eventlog.push(pg.recent_events(EVENTS_PER_FRAME), snap);
        refreshTimeline();
        if (state.selected != null) inspector.select(state.selected);
      }
      state.panelsStale = true;
      state.dirty = true;
    }, (e) => {
      panelsComing = false;
      showError(`The panels could not be loaded: ${e.message}`);
    });
  }

  function setActive(on) {
    if (on === loop.active) return;
    loop.active = on;
    if (on) {
      state.lastFrame = performance.now(); // the time away is not played
      state.dirty = true;
      if (!loop.raf) loop.raf = requestAnimationFrame(frame);
    }
  }

  /** The full page: a shared link in the address bar, else the default preset (or `?bench`). */
  async function startPage() {
    if (benchMode) {
      const { createBench } = await import('./bench.js');
      bench = createBench($, () => ({
        preset: state.presetName,
        speed: state.speed,
        virtual_time: state.snap ? state.snap.time : '',
        events: state.snap ? state.snap.events_total : 0,
      }));
      await loadPreset(params.get('bench') || 'large');
      const sp = Number(params.get('speed'));
      setSpeed(Number.isFinite(sp) && sp > 0 ? sp : 10);
      setPlaying(true);
      setActive(true);
      bench.start();
      return;
    }
    setActive(true); // a long link replays in slices: the page keeps drawing meanwhile
    let opened = false;
    let linkError = '';
    let retry = null;
    try {
      opened = await openShared(location.hash);
    } catch (err) {
      linkError = `${errorMessage(err)}\nLoaded the default scenario instead.`;
      // A broken link is dropped; one whose engine did not come stays, for "Try again".
      if (err && err.retryable) retry = () => startPage();
      else clearHash();
    }
    if (!opened) await loadPreset(await defaultPreset());
    if (linkError) showError(linkError, retry);
  }

  /**
   * Loads a world: { preset }, { json } (a scenario) or { hash } (a share
   * fragment). Throws an Error with the engine's or the link's message.
   */
  async function load(source) {
    if (source.hash) {
      if (!(await openShared(source.hash))) throw new Error('The link holds no scenario');
      return;
    }
    if (source.json !== undefined) {
      let pg;
      try {
        pg = await fromJson(source.json);
      } catch (err) {
        throw new Error(`The scenario is not valid:\n${errorMessage(err)}`);
      }
      if (pg) install(pg);
      return;
    }
    await loadPreset(source.preset ?? (await defaultPreset()));
  }

  build();

  return {
    startPage,
    load,
    setActive,
    layoutChanged,
    get pg() { return state.pg; },
    get timeUs() { return state.pg ? state.pg.time_us : 0; },
    get status() { return state.snap ? statusOf(state.snap, state.playing, state.atUntil) : 'paused'; },
    get playing() { return state.playing; },
    play() { userPlay(true); },
    pause() { userPlay(false); },
    step() { stepOnce(); },
    seek(t) { seekTo(t, { pause: true }); },
    reset() { state.pg.reset(); afterReset(); },
    /** Sends a live command (an object, as in a scenario's commands); throws the engine's refusal. */
    command(cmd) {
      const forked = state.pg.command(cmd);
      inspector.invalidateListing();
      refreshTimeline();
      state.dirty = true;
      return forked;
    },
    snapshot() { return state.pg.snapshot(); },
    setSpeed(s) { setSpeed(s); },
    /** Restarts from 0 with this seed (a whole number up to 2^53 - 1). */
    setSeed(n) { state.pg.reset_with_seed(n); afterReset(); },
    /** Stop playing at this virtual time (µs), or null for no limit. */
    setUntil(us) { state.untilAsked = us; state.untilUs = us; state.atUntil = false; },
    setTheme(t) { state.theme = t; applyTheme(); },
    /** Time moves only by advanceTo (a host keeps several playgrounds in lock-step). */
    setDriven(on) { state.driven = on; },
    /**
     * Runs the world up to `t_us` (at most one frame's worth of events: it may
     * stop short, and says where it got to). Returns the world's time.
     */
    advanceTo(t_us) {
      const pg = state.pg;
      if (!pg || state.ended || state.replaying || t_us <= pg.time_us) return pg ? pg.time_us : 0;
      pg.advance(t_us - pg.time_us);
      state.dirty = true;
      return pg.time_us;
    },
    /** The samples (series_since) after `t_us`, for a host's own charts. */
    seriesSince(t_us) { return state.pg ? state.pg.series_since(t_us) : []; },
    shareFragment,
    playgroundLink,
    showError,
    showFailure,
    destroy() {
      destroyed = true;
      loop.active = false;
      if (loop.raf) cancelAnimationFrame(loop.raf);
      loop.raf = 0;
      replayCancel?.();
      for (const d of disposers.splice(0)) d();
      if (state.pg) state.pg.free();
      state.pg = null;
    },
  };
}
