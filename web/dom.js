// Small DOM helpers shared by the page's modules. Text always goes in through
// textContent: nothing here ever parses HTML.

/** Creates an element: `props.text` sets textContent, `class` the class name,
 *  data-/aria-/role/for/id become attributes, anything else a property. */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'for' || k === 'id') e.setAttribute(k, v);
    else e[k] = v;
  }
  e.append(...children);
  return e;
}

/**
 * Sets a node's text only when it changed (no layout work otherwise),
 * changing its one text node in place when it has one (cheaper to lay out
 * than replacing it).
 */
export function setText(node, text) {
  const t = node.firstChild;
  if (t && t.nodeType === 3 && !t.nextSibling) {
    if (t.data !== text) t.data = text;
  } else if (node.textContent !== text) {
    node.textContent = text;
  }
}

/**
 * A module's own stylesheet, once per root: into the container's root, the
 * document's head or a `<queue-lab>`'s shadow root (a shadow root sees only
 * the styles inside it). First in it, so the page's own styles can override.
 */
export function injectStyle(container, id, css) {
  const root = container.getRootNode();
  if (root.getElementById(id)) return;
  const style = container.ownerDocument.createElement('style');
  style.id = id;
  style.textContent = css;
  (root.head || root).prepend(style);
}

/**
 * Puts `nodes` into `box` as its children. When they already are, in that
 * order, nothing moves; otherwise the element that had focus inside `box`
 * gets it back (moving a node takes focus from it, and a field being typed
 * in would then take an update meant for it while its edit is on its way).
 */
export function setChildrenKeepingFocus(box, nodes) {
  const kids = box.children;
  if (kids.length === nodes.length && nodes.every((n, i) => kids[i] === n)) return;
  const root = box.getRootNode();
  const active = root.activeElement;
  box.replaceChildren(...nodes);
  if (active && active !== root.activeElement && box.contains(active)) active.focus({ preventScroll: true });
}
