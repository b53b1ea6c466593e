// The playground's keys: Space plays or pauses, → steps, ← steps back,
// Home and End jump to the start and the end explored, + and - change the
// speed. A key typed into a text field is the field's; Space on a button
// (or a <summary>) presses it. Modifier chords are the browser's.

/** Whether `target` takes typed text (its keys are not the playground's). */
export function isTextField(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !['button', 'checkbox', 'radio', 'submit', 'reset'].includes(target.type);
  return false;
}

/**
 * What a key does: 'play' | 'step' | 'back' | 'start' | 'end' | 'faster' |
 * 'slower', or null for a key the playground leaves alone. `onButton`: focus
 * is on a button, which Space presses.
 */
export function keyCommand({ key, code, ctrlKey, metaKey, altKey }, { onButton = false } = {}) {
  if (ctrlKey || metaKey || altKey) return null;
  if ((key === ' ' || code === 'Space') && !onButton) return 'play';
  switch (key) {
    case 'ArrowRight': return 'step';
    case 'ArrowLeft': return 'back';
    case 'Home': return 'start';
    case 'End': return 'end';
    case '+': case '=': return 'faster';
    case '-': case '_': return 'slower';
    default: return null;
  }
}
