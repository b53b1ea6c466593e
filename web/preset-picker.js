// The full page's preset picker: its options (the preset index of
// web/engines.js, grouped by system: Go channels, NSQ, Kafka) and what it
// shows for the world loaded, a preset by its name or "Shared: <title>"
// for any other scenario (a link's, an edited one). Its options are made
// the first time the picker is shown: an embed without it never fetches the
// index. Nothing here is rendered as HTML: titles are text.

import { presets as presetIndex } from './engines.js';

/** Picker groups, in this order; a preset's `system` picks one. */
const SYSTEM_GROUPS = [['go', 'Go channels'], ['nsq', 'NSQ'], ['kafka', 'Kafka']];

/**
 * The picker `sel`. `setDescription(text)` shows the scenario's description;
 * `current()` describes the loaded scenario (name, title,
 * description; or null); `onError(err)` shows a
 * failed index fetch; `gone()` says the playground was destroyed.
 */
export function createPresetPicker(sel, { setDescription, current, onError, gone }) {
  let filled = false;
  let ready = false;

  /** Shows the world loaded: its preset, or "Shared: ..." for another scenario. */
  function sync(info) {
    if (!ready) {
      // No options yet (`fill` syncs when they come): not "Shared: ..." meanwhile.
      setDescription(info.description);
      sel.dataset.loaded = '';
      return;
    }
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
    setDescription(info.description);
    sel.dataset.loaded = sel.value; // what the picker shows is what is loaded
    // A long title may be cut in the closed picker: the whole of it on hover.
    sel.title = sel.selectedOptions[0]?.textContent || '';
  }

  /** Makes the options, once (again after a failed fetch). */
  function fill() {
    if (filled) return;
    filled = true;
    presetIndex().then((list) => {
      if (gone()) return;
      const groups = new Map();
      for (const p of list) {
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
      ready = true;
      const info = current();
      if (info) sync(info);
    }, (err) => {
      filled = false; // tried again when the layout next changes
      onError(err);
    });
  }

  return { fill, sync };
}
