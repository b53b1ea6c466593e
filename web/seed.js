// The Seed field: what it shows (the world's seed, exactly) and what it
// takes (a whole number a JS number holds exactly). Pure functions.

/** Largest seed the Seed field takes: what a JS number holds exactly (2^53 - 1). */
export const SEED_MAX = 2n ** 53n - 1n;

/**
 * The world's seed, exactly. `pg.seed` is a JS number (rounded above 2^53);
 * a scenario (say from a link) may carry any u64, which its JSON has in full:
 * the first `"seed":` there is the top-level key (inside a JSON string every
 * quote is escaped, so `seed"` cannot occur in one).
 */
export function exactSeed(scenarioJson, seed) {
  const m = /"seed":(\d+)/.exec(scenarioJson);
  return m ? m[1] : String(seed);
}

/**
 * The seed typed in the Seed field as a number, or an Error that quotes the
 * text as typed (never a rounded number).
 */
export function typedSeed(raw) {
  if (!/^\d+$/.test(raw)) {
    return new Error(`seed must be a whole number from 0 to ${SEED_MAX}${raw ? `, got "${raw.slice(0, 40)}"` : ''}`);
  }
  if (BigInt(raw) > SEED_MAX) {
    return new Error(`seed too large: ${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw} is above ${SEED_MAX} (2^53 - 1), the largest seed the page takes`);
  }
  return Number(raw);
}
