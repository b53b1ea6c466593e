// Mends three gaps in mdBook 0.5's pages, on every page of the guide
// (loaded as a classic script through additional-js, after mdBook's own):
//
// - The table of contents' toggle is a <label> for a hidden checkbox: it is
//   not in the tab order, so a keyboard cannot open or close the sidebar,
//   and aria-label and aria-expanded are not allowed on a label (axe:
//   aria-prohibited-attr, aria-allowed-attr). It becomes a <button> with the
//   same look and attributes: a click clicks the checkbox (mdBook listens to
//   its change), and aria-expanded follows the sidebar (mdBook marks it with
//   the `sidebar-visible` class on <html>, however it opens or closes).
// - The menu bar (toggles, the book's title, print) sits outside every
//   landmark (axe: region). It becomes the page's banner.
// - A code block or table wider than the page scrolls sideways, and a
//   keyboard could not scroll it (axe: scrollable-region-focusable): one that
//   overflows is a tab stop (arrow keys scroll it), checked again when the
//   window resizes.
(function () {
  'use strict';

  function mendToggle() {
    var label = document.getElementById('mdbook-sidebar-toggle');
    var box = document.getElementById('mdbook-sidebar-toggle-anchor');
    var sidebar = document.getElementById('mdbook-sidebar');
    if (!label || !box || label.tagName !== 'LABEL') return;
    var button = document.createElement('button');
    button.type = 'button';
    for (var i = 0; i < label.attributes.length; i++) {
      var a = label.attributes[i];
      if (a.name !== 'for') button.setAttribute(a.name, a.value);
    }
    while (label.firstChild) button.appendChild(label.firstChild);
    label.replaceWith(button);
    var root = document.documentElement;
    function sync() {
      button.setAttribute('aria-expanded', String(root.classList.contains('sidebar-visible')));
    }
    button.addEventListener('click', function () {
      // As mdBook's label did: the sidebar needs its display back before it
      // slides in.
      if (!box.checked && sidebar) {
        sidebar.style.display = '';
        void sidebar.offsetHeight;
      }
      box.click();
    });
    new MutationObserver(sync).observe(root, { attributes: true, attributeFilter: ['class'] });
    sync();
  }

  function focusableScrollers() {
    var blocks = document.querySelectorAll('main pre > code, main .table-wrapper');
    for (var i = 0; i < blocks.length; i++) {
      var code = blocks[i];
      if (code.scrollWidth > code.clientWidth + 1) code.tabIndex = 0;
      else code.removeAttribute('tabindex');
    }
  }

  function mend() {
    mendToggle();
    focusableScrollers();
    var pending = 0;
    window.addEventListener('resize', function () {
      clearTimeout(pending);
      pending = setTimeout(focusableScrollers, 150);
    });
    var bar = document.getElementById('mdbook-menu-bar');
    if (bar && !bar.hasAttribute('role')) bar.setAttribute('role', 'banner');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mend);
  else mend();
})();
