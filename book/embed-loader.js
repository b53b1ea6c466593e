// Loads the <queue-lab> element for the guide's live embeds.
//
// mdBook loads this file as a classic script (additional-js, with a hashed
// name), so it imports the element module dynamically. The guide is served
// at /guide/ by the same server that serves the playground at /, so the
// module is /queue-lab.js on this origin. A guide opened from elsewhere can
// point at another playground with
//   <meta name="queuelab-base" content="https://example.org/queuelab/">
// (the module is then queue-lab.js under that base).
(function () {
  'use strict';

  function moduleUrl() {
    var meta = document.querySelector('meta[name="queuelab-base"]');
    var base = meta && meta.getAttribute('content');
    if (base && base.trim()) {
      var root = new URL(base.trim(), location.href);
      if (!/\/$/.test(root.pathname)) root.pathname += '/';
      return new URL('queue-lab.js', root).href;
    }
    return new URL('/queue-lab.js', location.href).href;
  }

  function load() {
    // A/B pairs need their own module (it loads the element's too).
    var compare = document.querySelector('queue-lab-compare');
    if (!compare && !document.querySelector('queue-lab')) return; // no embed on this page
    if (customElements.get('queue-lab') && (!compare || customElements.get('queue-lab-compare'))) return; // already defined
    var url = moduleUrl();
    var urls = [url];
    if (compare) urls.push(url.replace(/queue-lab\.js$/, 'queue-lab-compare.js'));
    Promise.all(urls.map(function (u) { return import(u); })).catch(function (err) {
      var msg = 'Could not load the queuelab playground (' + url + '): ' + (err && err.message ? err.message : err);
      document.querySelectorAll('queue-lab, queue-lab-compare').forEach(function (el) {
        if (el.querySelector('.ql-load-error')) return;
        var p = document.createElement('p');
        p.className = 'ql-load-error';
        p.textContent = msg + '. Build and serve it with `make play`, then open the guide at /guide/.';
        el.appendChild(p);
      });
      console.warn(msg);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', load);
  else load();
})();
