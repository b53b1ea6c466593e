// Which engine module a scenario needs, and loading each module once.
//
// The engine is built four times (scripts/build-wasm.sh): Go only, Go and
// NSQ, Go and Kafka, and everything. A scenario runs in the smallest module
// that has its systems, so a page with a Go embed never downloads NSQ's or
// Kafka's engine (the Go module is under half the bytes of the full one).
// The module is chosen from what the scenario is, before any wasm is fetched:
// - a preset, by its name (`nsq-...`, `kafka-...`; the rest are Go: a core
//   test holds every preset to it);
// - scenario JSON, by its top-level `nsq` and `kafka` sections (both: the
//   full module). Text that is not JSON goes to the Go module, whose parser
//   reports the error as any module would.
// Every module has the same `Playground` API; a module refuses a scenario of a
// system it lacks with a message naming it.
// Each module is fetched and compiled at most once per page, and shared by
// every element that needs it. A module that fails to come (the network,
// most often) rejects with an EngineLoadError, which is `retryable`: the next
// call fetches it again, under a new URL, since a browser may keep a failed
// module import for the page's life.

/** Module folders, relative to this file. */
const PATHS = {
  go: './pkg/go/queuelab_wasm.js',
  nsq: './pkg/nsq/queuelab_wasm.js',
  kafka: './pkg/kafka/queuelab_wasm.js',
  full: './pkg/queuelab_wasm.js',
};

/** The module a preset needs, from its name. */
export function kindOfPreset(name) {
  const n = String(name ?? '');
  if (n.startsWith('nsq-')) return 'nsq';
  if (n.startsWith('kafka-')) return 'kafka';
  return 'go';
}

/** The module scenario JSON text needs, from its top-level sections. */
export function kindOfJson(text) {
  let s;
  try {
    s = JSON.parse(text);
  } catch {
    return 'go';
  }
  if (!s || typeof s !== 'object' || Array.isArray(s)) return 'go';
  const nsq = Object.hasOwn(s, 'nsq') && s.nsq !== null;
  const kafka = Object.hasOwn(s, 'kafka') && s.kafka !== null;
  if (nsq && kafka) return 'full';
  if (nsq) return 'nsq';
  if (kafka) return 'kafka';
  return 'go';
}

/** The name of each module's systems, for messages. */
const NAMES = { go: 'Go', nsq: 'NSQ', kafka: 'Kafka', full: 'queuelab' };

/** A module that could not be fetched or compiled; trying again may work. */
export class EngineLoadError extends Error {
  constructor(kind, cause) {
    const why = cause && cause.message ? cause.message : String(cause);
    super(`Could not load the ${NAMES[kind]} engine (${why}). Check the connection, then try again.`);
    this.name = 'EngineLoadError';
    this.kind = kind;
    this.cause = cause;
    this.retryable = true;
  }
}

const loaded = new Map();
const ready = new Set();
/** Failed loads per module kind: each retry asks for a new URL. */
const failures = new Map();

/** Whether module `kind` is fetched and compiled already (a load with it starts at once). */
export function isReady(kind) {
  return ready.has(Object.hasOwn(PATHS, kind) ? kind : 'full');
}

/** The `Playground` class of module `kind` ('go' | 'nsq' | 'kafka' | 'full'), fetched and compiled once. */
export function engine(kind) {
  const k = Object.hasOwn(PATHS, kind) ? kind : 'full';
  if (!loaded.has(k)) {
    const tries = failures.get(k) ?? 0;
    const url = tries ? `${PATHS[k]}?retry=${tries}` : PATHS[k];
    const p = import(url).then(async (glue) => {
      await glue.default();
      ready.add(k);
      return glue.Playground;
    }).catch((err) => {
      loaded.delete(k); // the next call tries again
      failures.set(k, tries + 1);
      throw new EngineLoadError(k, err);
    });
    loaded.set(k, p);
  }
  return loaded.get(k);
}

/**
 * Every preset (name, system, title, description), for a preset picker: the
 * list `scripts/build-wasm.sh` writes from the full module, so a picker does
 * not need that module.
 */
let presetIndex = null;
export function presets() {
  if (!presetIndex) {
    presetIndex = fetch(new URL('./pkg/presets.json', import.meta.url)).then((r) => {
      if (!r.ok) throw new Error(`Could not fetch the preset list: HTTP ${r.status}`);
      return r.json();
    });
    presetIndex.catch(() => { presetIndex = null; });
  }
  return presetIndex;
}
