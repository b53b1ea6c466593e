// Share links: the whole run in the URL fragment.
//
// # What a link carries
// A link's fragment (the part after `#`, which browsers never send to a
// server) holds, as `key=value` pairs joined by `&`:
//
//   v=2                       format version (see below: a link of another
//                             version is refused with a message that says so)
//   s=<base64url>             the scenario JSON from `Playground.scenario_json()`
//                             (scenario + seed + the log of live commands, so
//                             loading it replays the exact same run), compressed
//                             with raw DEFLATE (`CompressionStream('deflate-raw')`)
//                             and written in unpadded base64url (RFC 4648 §5)
//   speed=<number>            playback speed, 0.1 to 1000 (× virtual time)
//   t=<integer>               virtual time of the shared moment, in microseconds
//   p=0|1                     1 when the run was paused at that moment
//
// e.g. `#v=2&s=q1YqSS0u...&speed=10&t=1234567&p=1`.
//
// # Versions
// The version changes whenever the same scenario and seed would replay
// differently: v=2 came with the engine's 64-bit random generator and
// trace hash, the per-instant step budget and a select that keeps its
// unsent value. A v=1 link is refused as "made by an older version of
// queuelab" rather than silently replaying a different run.
//
// # Trust
// A link is untrusted input. Decoding only decompresses bytes and checks that
// they are UTF-8 text holding a JSON object; nothing from a link is ever
// evaluated, and the scenario itself is validated by the engine
// (`Playground.from_json`). Decompression stops at 1 MiB, so a small link
// cannot expand into a huge string ("zip bomb"). Every problem is reported as a
// `ShareLinkError` whose message says what is wrong in plain words.
//
// # Missing parts
// An empty or absent fragment, or one that is not a share link at all (no `v`
// and no `s`, such as `#main` from a skip link) decodes to `null`. In a share
// link, `speed`, `t` and `p` are optional and default to 1, 0 and false;
// `v` and `s` are required. Unknown or repeated keys are errors, so a link
// from a newer, incompatible format is refused instead of half-understood.
//
// Works in browsers and in Node 18+ (no DOM use).

/** Format version written into every link. */
export const SHARE_VERSION = 2;
/** Largest scenario JSON a link may carry, in bytes (UTF-8, decompressed). */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
/** Largest `s=` value accepted, in characters (no deflate output of a 1 MiB input is near this). */
export const MAX_ENCODED_CHARS = 2 * 1024 * 1024;
/** Speed range the page offers (log scale). */
export const SPEED_MIN = 0.1;
export const SPEED_MAX = 1000;

const KEYS = new Set(['v', 's', 'speed', 't', 'p']);
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A share link that cannot be used; `message` is meant for the user. */
export class ShareLinkError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ShareLinkError';
  }
}

/**
 * Builds the URL fragment (starting with `#`) for a run.
 * @param {{ scenarioJson: string, speed: number, t_us: number, paused: boolean }} run
 * @returns {Promise<string>}
 * @throws {ShareLinkError} if a field is out of range (such a link could not be opened)
 */
export async function encodeShare({ scenarioJson, speed, t_us, paused }) {
  if (typeof scenarioJson !== 'string') throw new ShareLinkError('Cannot share: the scenario is not a string');
  const bytes = new TextEncoder().encode(scenarioJson);
  if (bytes.length > MAX_SCENARIO_BYTES) {
    throw new ShareLinkError(
      `Cannot share: the scenario is ${bytes.length} bytes, more than a link may carry (${MAX_SCENARIO_BYTES})`,
    );
  }
  checkSpeed(speed, 'Cannot share');
  checkTime(t_us, 'Cannot share');
  if (typeof paused !== 'boolean') throw new ShareLinkError('Cannot share: paused must be true or false');
  const s = toBase64Url(await deflateRaw(bytes));
  return `#v=${SHARE_VERSION}&s=${s}&speed=${formatSpeed(speed)}&t=${t_us}&p=${paused ? 1 : 0}`;
}

/**
 * Reads a URL fragment (`location.hash`, with or without the leading `#`).
 * @param {string | null | undefined} hash
 * @returns {Promise<{ scenarioJson: string, speed: number, t_us: number, paused: boolean } | null>}
 *   `null` when there is no share link in the fragment
 * @throws {ShareLinkError} with a plain-words message when the link is broken
 */
export async function decodeShare(hash) {
  if (hash == null) return null;
  if (typeof hash !== 'string') throw new ShareLinkError('Broken share link: the fragment is not text');
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  if (fragment === '') return null;

  const fields = new Map();
  for (const part of fragment.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? null : safeDecode(part.slice(eq + 1));
    if (key === null || (eq >= 0 && value === null)) {
      throw new ShareLinkError('Broken share link: the fragment has invalid %-escapes');
    }
    if (fields.has(key)) throw new ShareLinkError(`Broken share link: "${clip(key)}" appears more than once`);
    fields.set(key, value);
  }
  if (!fields.has('v') && !fields.has('s')) return null;

  for (const key of fields.keys()) {
    if (!KEYS.has(key)) {
      throw new ShareLinkError(`Broken share link: unknown part "${clip(key)}" (expected v, s, speed, t, p)`);
    }
  }
  for (const [key, value] of fields) {
    if (value === null) throw new ShareLinkError(`Broken share link: "${key}" has no value (expected ${key}=...)`);
  }
  const v = fields.get('v');
  if (v === undefined) throw new ShareLinkError(`Broken share link: the format version (v=${SHARE_VERSION}) is missing`);
  if (/^[0-9]+$/.test(v) && Number(v) < SHARE_VERSION) {
    throw new ShareLinkError(
      `This link was made by an older version of queuelab (link format v=${clip(v)}; this page reads v=${SHARE_VERSION}). ` +
        'Its run would replay differently with today\'s engine, so it is not loaded: ask for a new link.',
    );
  }
  if (v !== String(SHARE_VERSION)) {
    throw new ShareLinkError(`Broken share link: format version "${clip(v)}" is not supported (this page reads v=${SHARE_VERSION})`);
  }
  const s = fields.get('s');
  if (s === undefined || s === '') throw new ShareLinkError('Broken share link: the scenario (s=...) is missing');

  const speed = fields.has('speed') ? parseSpeed(fields.get('speed')) : 1;
  const t_us = fields.has('t') ? parseTime(fields.get('t')) : 0;
  let paused = false;
  if (fields.has('p')) {
    const p = fields.get('p');
    if (p !== '0' && p !== '1') throw new ShareLinkError(`Broken share link: p must be 0 or 1, got "${clip(p)}"`);
    paused = p === '1';
  }

  const compressed = fromBase64Url(s);
  const bytes = await inflateRaw(compressed, MAX_SCENARIO_BYTES);
  let scenarioJson;
  try {
    scenarioJson = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ShareLinkError('Broken share link: the scenario is not UTF-8 text');
  }
  let parsed;
  try {
    parsed = JSON.parse(scenarioJson);
  } catch (e) {
    throw new ShareLinkError(`Broken share link: the scenario is not valid JSON (${e.message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ShareLinkError('Broken share link: the scenario is not a JSON object');
  }
  return { scenarioJson, speed, t_us, paused };
}

// ---- numbers ---------------------------------------------------------------

function checkSpeed(speed, prefix) {
  if (typeof speed !== 'number' || !Number.isFinite(speed) || speed < SPEED_MIN || speed > SPEED_MAX) {
    throw new ShareLinkError(`${prefix}: speed must be a number from ${SPEED_MIN} to ${SPEED_MAX}, got ${clip(String(speed))}`);
  }
}

function checkTime(t_us, prefix) {
  if (typeof t_us !== 'number' || !Number.isSafeInteger(t_us) || t_us < 0) {
    throw new ShareLinkError(`${prefix}: time must be a whole number of microseconds >= 0, got ${clip(String(t_us))}`);
  }
}

// Shortest decimal that round-trips (speeds come from a log slider: 3.1622776601683795).
function formatSpeed(speed) {
  return String(speed);
}

function parseSpeed(text) {
  // Plain decimal only: no hex, no exponent, no "Infinity", no spaces.
  if (!/^\d{1,7}(\.\d{1,20})?$/.test(text)) {
    throw new ShareLinkError(`Broken share link: speed must be a number such as 10 or 0.5, got "${clip(text)}"`);
  }
  const speed = Number(text);
  checkSpeed(speed, 'Broken share link');
  return speed;
}

function parseTime(text) {
  if (!/^\d{1,16}$/.test(text)) {
    throw new ShareLinkError(`Broken share link: t must be whole microseconds such as 1500000, got "${clip(text)}"`);
  }
  const t = Number(text);
  if (!Number.isSafeInteger(t)) throw new ShareLinkError(`Broken share link: t is too large (${text} µs)`);
  return t;
}

// ---- base64url -------------------------------------------------------------

function toBase64Url(bytes) {
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  if (text.length > MAX_ENCODED_CHARS) {
    throw new ShareLinkError(`Broken share link: the scenario data is too long (${text.length} characters)`);
  }
  const unpadded = text.replace(/={1,2}$/, '');
  if (!BASE64URL.test(unpadded)) {
    const at = unpadded.search(/[^A-Za-z0-9_-]/);
    throw new ShareLinkError(
      `Broken share link: the scenario data is not base64url (character "${clip(unpadded[at], 4)}" at position ${at})`,
    );
  }
  if (unpadded.length % 4 === 1) {
    throw new ShareLinkError('Broken share link: the scenario data is truncated (its base64url length is impossible)');
  }
  let binary;
  try {
    binary = atob(unpadded.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    throw new ShareLinkError('Broken share link: the scenario data is not base64url');
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// ---- deflate-raw -----------------------------------------------------------

async function deflateRaw(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// Inflates, refusing to produce more than `limit` bytes.
async function inflateRaw(bytes, limit) {
  const ds = new DecompressionStream('deflate-raw');
  const writer = ds.writable.getWriter();
  // Errors surface on the readable side; keep the writable side's rejections quiet.
  writer.write(bytes).catch(() => {});
  writer.close().catch(() => {});
  const reader = ds.readable.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    let step;
    try {
      step = await reader.read();
    } catch {
      throw new ShareLinkError('Broken share link: the scenario data is damaged (not valid compressed data)');
    }
    if (step.done) break;
    total += step.value.length;
    if (total > limit) {
      reader.cancel().catch(() => {});
      throw new ShareLinkError(
        `Broken share link: the scenario expands to more than ${limit} bytes, larger than any link may carry`,
      );
    }
    chunks.push(step.value);
  }
  if (total === 0) throw new ShareLinkError('Broken share link: the scenario data is empty');
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// ---- helpers ---------------------------------------------------------------

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

// Quotes at most `max` characters of untrusted text in a message (messages are shown as text).
function clip(text, max = 40) {
  const s = String(text);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
