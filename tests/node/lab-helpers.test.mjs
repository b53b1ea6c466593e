// The playground's pure helpers (web/seed.js, web/keys.js,
// web/auto-select.js): what the Seed field takes and shows, what each key
// does, and which goroutine the inspector follows until the user picks one.
// (tests/e2e drives the same through the page.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactSeed, typedSeed, SEED_MAX } from '../../web/seed.js';
import { keyCommand } from '../../web/keys.js';
import { nextInspected } from '../../web/auto-select.js';

test('the Seed field takes whole numbers up to 2^53 - 1 and quotes anything else as typed', () => {
  assert.equal(typedSeed('0'), 0);
  assert.equal(typedSeed('42'), 42);
  assert.equal(typedSeed(String(SEED_MAX)), Number.MAX_SAFE_INTEGER);
  const over = typedSeed('9007199254740992');
  assert.ok(over instanceof Error);
  assert.match(over.message, /^seed too large: 9007199254740992 is above 9007199254740991/);
  for (const raw of ['', '-1', '1.5', '1e3', ' 7', 'seven']) {
    const e = typedSeed(raw);
    assert.ok(e instanceof Error, raw);
    assert.match(e.message, /^seed must be a whole number from 0 to 9007199254740991/);
    if (raw) assert.ok(e.message.includes(`"${raw}"`), raw);
  }
  const long = typedSeed('x'.repeat(100));
  assert.ok(long.message.includes(`"${'x'.repeat(40)}"`) && !long.message.includes('x'.repeat(41)));
});

test('the Seed field shows a scenario\'s seed exactly, even above what a JS number holds', () => {
  const big = '18446744073709551615';
  assert.equal(exactSeed(`{"name":"x","seed":${big},"channels":[]}`, 1.8446744073709552e19), big);
  // A seed-like text inside a string is escaped, so the top-level key wins.
  assert.equal(exactSeed('{"title":"\\"seed\\":5","seed":7}', 7), '7');
  assert.equal(exactSeed('{"name":"no seed"}', 3), '3');
});

test('keys: Space plays, arrows step, Home and End jump, + and - change the speed', () => {
  const k = (key, extra = {}) => keyCommand({ key, code: '', ...extra });
  assert.equal(k(' '), 'play');
  assert.equal(keyCommand({ key: 'Unidentified', code: 'Space' }), 'play');
  assert.equal(k('ArrowRight'), 'step');
  assert.equal(k('ArrowLeft'), 'back');
  assert.equal(k('Home'), 'start');
  assert.equal(k('End'), 'end');
  assert.equal(k('+'), 'faster');
  assert.equal(k('='), 'faster');
  assert.equal(k('-'), 'slower');
  assert.equal(k('_'), 'slower');
  for (const key of ['a', 'Enter', 'ArrowUp', 'ArrowDown', 'Tab', 'Escape']) assert.equal(k(key), null, key);
  // Chords are the browser's; Space on a button presses the button.
  for (const mod of ['ctrlKey', 'metaKey', 'altKey']) assert.equal(k('ArrowRight', { [mod]: true }), null, mod);
  assert.equal(keyCommand({ key: ' ', code: 'Space' }, { onButton: true }), null);
  assert.equal(keyCommand({ key: 'ArrowRight', code: 'ArrowRight' }, { onButton: true }), 'step');
});

const g = (id, state, extra = {}) => ({ id, name: `g${id}`, state, state_for_us: 0, stuck: false, library: false, idle: false, ...extra });

test('the inspector follows a stuck goroutine, the scenario\'s own before a library\'s', () => {
  const lib = g(1, 'blocked_send', { stuck: true, library: true });
  const own = g(2, 'blocked_send', { stuck: true });
  const running = g(3, 'running');
  assert.equal(nextInspected([running, lib], 3), 1);
  assert.equal(nextInspected([running, lib, own], 1), 2, 'the user\'s stuck goroutine takes over from a library\'s');
  assert.equal(nextInspected([running, lib, own], 2), null, 'it keeps its own stuck one');
  assert.equal(nextInspected([lib, own], 2), null);
});

test('the inspector keeps a goroutine that blocks now and then, and leaves one that finished', () => {
  const long = g(1, 'blocked_recv', { state_for_us: 400_000 });
  const brief = g(2, 'running', { state_for_us: 500_000 });
  assert.equal(nextInspected([long, brief], 2), null, 'running for less than 1 s: kept');
  assert.equal(nextInspected([long, { ...brief, state_for_us: 1_000_000 }], 2), 1, 'running for 1 s while another waits 400 ms: moves');
  assert.equal(nextInspected([{ ...long, state_for_us: 200_000 }, { ...brief, state_for_us: 2_000_000 }], 2), null, 'the other waits under 300 ms: kept');
  assert.equal(nextInspected([long, g(2, 'done')], 2), 1, 'finished: the longest blocked');
  assert.equal(nextInspected([g(1, 'running'), g(2, 'removed')], 2), 1, 'else the first alive');
  assert.equal(nextInspected([g(1, 'running')], null), 1, 'nothing selected: pick one');
  assert.equal(nextInspected([g(1, 'running', { idle: true })], null), null, 'idle claim slots are never picked');
});
