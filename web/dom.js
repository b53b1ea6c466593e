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
