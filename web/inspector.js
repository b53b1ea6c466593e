// The inspector: the selected goroutine's state in plain words (from the
// engine), its counters, its program with the current line highlighted, and
// buttons to pause/resume or remove it. Text only via textContent.
//
// createInspector(container, { onCommand(cmd, errorEl) -> boolean, onSelectNone() }) -> {
//   update(snapshot, playground, { force })  refresh (cheap when nothing changed)
//   select(goroutineId | null)
//   invalidateListing()                      re-read the program (after a command or reset)
// }

import { STATES, fmtDuration, iconCanvas, paintIconCanvas, roleWord, stateWord as wordOf } from './stage.js';
import { el, setText } from './dom.js';
import { ENDED_REASON } from './controls.js';

function pct(x) {
  return `${Math.round(x * 100)}%`;
}

export function createInspector(container, { onCommand } = {}) {
  const heading = el('h2', { id: 'inspector-heading', text: 'Inspector' });
  const hint = el('p', { class: 'hint', text: 'Select a goroutine on the stage to see what it is doing, why, and its program.' });
  const icon = iconCanvas('play', '--st-run', 18);
  const name = el('strong', { class: 'g-name' });
  const group = el('span', { class: 'g-group' });
  const stateWord = el('span', { class: 'g-state-word' });
  const stateFor = el('span', { class: 'g-state-for' });
  const stuck = el('span', { class: 'badge danger', text: 'stuck forever', hidden: true });
  const paused = el('span', { class: 'badge', text: 'paused', hidden: true });
  const stateText = el('p', { class: 'g-state-text' });
  const counters = {};
  const dl = el('dl', { class: 'g-counters' });
  for (const [key, label] of [['sent', 'sent'], ['received', 'received'], ['blocked', 'time blocked'], ['util', 'utilization'], ['held', 'holding']]) {
    const dd = el('dd');
    counters[key] = dd;
    dl.append(el('div', {}, el('dt', { text: label }), dd));
  }
  const listing = el('ol', { id: 'listing', class: 'listing', 'aria-label': 'Program' });
  const pauseBtn = el('button', { type: 'button', id: 'pause-goroutine', text: 'Pause goroutine' });
  const removeBtn = el('button', { type: 'button', id: 'remove-goroutine', class: 'danger-outline', text: 'Remove' });
  const actionError = el('span', { class: 'inline-error', role: 'status' });
  // A client library's goroutine (sarama's stages, go-nsq's read loop): say so,
  // and why Remove is off.
  const libraryNote = el('p', { class: 'g-library', hidden: true });
  const body = el('div', { class: 'inspector-body', hidden: true },
    el('div', { class: 'g-head' }, icon, name, group),
    el('p', { class: 'g-state' }, stateWord, stateFor, stuck, paused),
    stateText,
    dl,
    el('h3', { text: 'Program' }),
    listing,
    libraryNote,
    el('div', { class: 'actions' }, pauseBtn, removeBtn, actionError));
  container.replaceChildren(heading, hint, body);

  let selected = null;
  let current = null; // last goroutine view shown
  let listingFor = null;
  let listingLines = [];
  let currentLine = -1;

  const off = (b) => b.getAttribute('aria-disabled') === 'true';
  /** A button that would change nothing (the run is over, or the goroutine is a
   *  library's) is off: aria-disabled, so focus stays put, with the reason as its
   *  description. `reason` null means on, described by `title`. */
  function setOff(b, reason, title) {
    if (off(b) !== (reason !== null)) b.setAttribute('aria-disabled', String(reason !== null));
    const t = reason ?? title;
    if (b.title !== t) b.title = t;
  }

  pauseBtn.addEventListener('click', () => {
    if (!current || off(pauseBtn)) return;
    onCommand({ op: current.paused ? 'resume' : 'pause', goroutine: current.name }, actionError);
  });
  removeBtn.addEventListener('click', () => {
    if (!current || off(removeBtn)) return;
    onCommand({ op: 'remove_goroutine', goroutine: current.name }, actionError);
  });

  function renderListing(pg, id) {
    const l = pg.listing(id);
    listingFor = id;
    currentLine = -1;
    listingLines = [];
    listing.replaceChildren();
    if (!l) return;
    for (const line of l.lines) {
      const li = el('li', { class: 'line' });
      li.style.setProperty('--indent', String(line.indent));
      li.textContent = line.text;
      listing.append(li);
      listingLines.push(li);
    }
    // A long program scrolls: keyboard users reach it too.
    if (listing.scrollHeight > listing.clientHeight + 1) listing.tabIndex = 0;
    else listing.removeAttribute('tabindex');
  }

  return {
    select(id) {
      if (id !== selected) {
        selected = id;
        listingFor = null;
        setText(actionError, '');
      }
    },
    get selected() {
      return selected;
    },
    invalidateListing() {
      listingFor = null;
    },
    update(snap, pg) {
      const g = selected === null ? null : snap.goroutines.find((x) => x.id === selected);
      if (!g) {
        current = null;
        hint.hidden = false;
        body.hidden = true;
        return;
      }
      current = g;
      hint.hidden = true;
      body.hidden = false;
      const st = STATES[g.state] || STATES.runnable;
      if (icon.dataset.icon !== st.icon || icon.dataset.color !== st.color) {
        icon.dataset.icon = st.icon;
        icon.dataset.color = st.color;
        paintIconCanvas(icon, 18);
      }
      setText(name, g.name);
      setText(group, g.group === g.name ? roleWord(g.role) : `${roleWord(g.role)} · group ${g.group}`);
      setText(stateWord, wordOf(g));
      setText(stateFor, !g.idle && (st.blocked || g.state === 'working' || g.state === 'sleeping') ? ` for ${fmtDuration(g.state_for_us)}` : '');
      stuck.hidden = !g.stuck;
      paused.hidden = !g.paused;
      setText(stateText, g.state_text);
      setText(counters.sent, String(g.sent));
      setText(counters.received, String(g.received));
      const blocked = g.blocked_send_us + g.blocked_recv_us + g.blocked_other_us;
      const lived = blocked + g.working_us + g.sleeping_us;
      // An idle claim slot stands for a goroutine sarama is not running: its
      // parked time is not time blocked, and it has no current line.
      setText(counters.blocked, g.idle ? 'not running now' : lived > 0
        ? `${pct(blocked / lived)} (send ${pct(g.blocked_send_us / lived)}, receive ${pct(g.blocked_recv_us / lived)}${g.blocked_other_us ? `, select, Wait or network ${pct(g.blocked_other_us / lived)}` : ''})`
        : '0%');
      setText(counters.util, pct(g.utilization));
      setText(counters.held, g.held ?? 'nothing');
      const over = g.state === 'done' || g.state === 'panicked';
      setText(pauseBtn, g.paused ? 'Resume' : 'Pause goroutine');
      pauseBtn.setAttribute('aria-pressed', String(g.paused));
      pauseBtn.disabled = over;
      const ended = snap.status !== 'running';
      setOff(pauseBtn, ended ? ENDED_REASON : null, g.paused ? 'Let this goroutine go on' : 'Stop this goroutine before its next operation');
      const libraryText = g.library ? `Run by ${g.library}, not by the scenario's code: it can be paused, not removed.` : '';
      setText(libraryNote, libraryText);
      libraryNote.hidden = !g.library;
      setOff(removeBtn, ended ? ENDED_REASON : g.library ? libraryText : null, 'Remove this goroutine (a value it holds is dropped)');
      if (listingFor !== g.id) renderListing(pg, g.id);
      const line = g.idle ? null : g.line;
      if (line !== currentLine) {
        if (listingLines[currentLine]) listingLines[currentLine].removeAttribute('aria-current');
        currentLine = line;
        const li = listingLines[currentLine];
        if (li) {
          li.setAttribute('aria-current', 'step');
          // Keep the current line visible without scrolling the page.
          const top = li.offsetTop - listing.offsetTop;
          if (top < listing.scrollTop || top + li.offsetHeight > listing.scrollTop + listing.clientHeight) {
            listing.scrollTop = Math.max(0, top - listing.clientHeight / 2);
          }
        }
      }
    },
  };
}
