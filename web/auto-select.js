// Which goroutine the inspector shows until the user picks one: the most
// informative. A stuck goroutine (deadlock) comes before one blocked for a
// while, which comes before one still running; the scenario's own
// goroutines come before a client library's (which may have no card of
// their own), and idle claim slots are never picked. The choice moves only
// when the current one has less to say: it finished, another is stuck and
// it is not, or it has not been blocked for a whole virtual second while
// another has been blocked for at least 300 ms (so a goroutine that blocks
// now and then keeps the inspector). Pure: goroutines as in a snapshot.

const OVER = ['done', 'panicked', 'removed'];

/** The id to inspect next instead of `selected`, or null to keep it. */
export function nextInspected(goroutines, selected) {
  const gs = goroutines.filter((g) => !g.idle);
  const first = (ok) => gs.find((g) => ok(g) && !g.library) || gs.find(ok);
  const cur = gs.find((g) => g.id === selected);
  const stuck = first((g) => g.stuck);
  const isBlocked = (g) => g.state.startsWith('blocked');
  let longest = null;
  const longer = (g) => !longest || (!g.library && longest.library) || (!g.library === !longest.library && g.state_for_us > longest.state_for_us);
  for (const g of gs) if (isBlocked(g) && longer(g)) longest = g;
  const alive = first((g) => !OVER.includes(g.state));
  let next = null;
  // A stuck goroutine of the scenario's own takes over from a stuck one
  // of a library (the deadlock is in the user's code: main's send).
  if (stuck && !(cur && cur.stuck && (!cur.library || stuck.library))) next = stuck;
  else if (!cur || OVER.includes(cur.state)) next = stuck || longest || alive;
  else if (!isBlocked(cur) && cur.state_for_us >= 1e6 && longest && longest.state_for_us >= 3e5) next = longest;
  return next && next.id !== selected ? next.id : null;
}
