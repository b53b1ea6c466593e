// The iframe mode: `embed.html#<share fragment>&view=compact`, for hosts that
// cannot load scripts. The page is one <queue-lab> (no header, no chrome);
// the fragment is a share link (v, s, speed, t, p: the exact run) plus the
// element's own options: view, panels, theme, autoplay=1, until. A fragment
// without a share link may name a preset instead: `#preset=classic&view=compact`.
//
// # The postMessage API (modelled on Perfetto's UI handshake)
// The host posts to the iframe's window; the embed answers its parent only.
//   host -> embed  {type:'PING'}                         -> {type:'PONG'}
//                  {type:'load', preset | scenario | link, id?}
//                  {type:'play' | 'pause' | 'step' | 'reset', id?}
//                  {type:'seek', t_us, id?}   {type:'speed', speed, id?}
//                  {type:'command', command: {...}, id?}
//                  every command is answered {type:'ok', id} or
//                  {type:'error', id, message}
//   embed -> host  {type:'ready'}  {type:'status', status}
//                  {type:'tick', t_us, status} (at most 4 a second)
//                  {type:'height', height} (CSS px; on load and whenever it changes)
//
// # Security model
// - Only messages whose source is this window's parent are read; anything
//   else (another frame, a popup, the page itself) is ignored. If the page is
//   not framed, nothing is read.
// - Nothing is posted before the parent's first PING; from then on every
//   message goes to the origin that PING came from (never "*"), so the run's
//   status is never told to a page that did not ask, and a parent that
//   navigates away to another origin stops receiving it.
// - A command can do what a visitor of the page can do and nothing more:
//   load a preset, a scenario (JSON text, at most 1 MiB, validated by the
//   engine like any shared link) or a share link; play, pause, step, reset,
//   seek, set the speed, send a live command (validated by the engine: a
//   refused one changes nothing and is answered with the engine's message).
//   No message runs script, touches the DOM outside the simulation, reads
//   anything from the host, or navigates. Text from the host is only ever
//   shown as text.
// - The parent may be any origin: the embed holds nothing secret (the whole
//   state is in the link that opened it).

import './queue-lab.js';

const EMBED_KEYS = ['view', 'panels', 'theme', 'autoplay', 'until', 'preset'];

/** Splits the fragment into the element's options and the share link's own fields. */
function parseFragment(hash) {
  const options = {};
  const rest = [];
  for (const part of hash.replace(/^#/, '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (EMBED_KEYS.includes(key)) {
      try {
        options[key] = decodeURIComponent(eq < 0 ? '' : part.slice(eq + 1));
      } catch { /* a broken escape: the option is ignored */ }
    } else {
      rest.push(part);
    }
  }
  return { options, link: rest.length ? `#${rest.join('&')}` : '' };
}

const { options, link } = parseFragment(location.hash);
const lab = document.createElement('queue-lab');
lab.setAttribute('view', options.view || 'compact');
for (const k of ['panels', 'theme', 'until', 'preset']) if (options[k]) lab.setAttribute(k, options[k]);
if (options.autoplay === '1' || options.autoplay === '') lab.setAttribute('autoplay', '');
if (link) lab.setAttribute('link', link);
// The iframe's document is the embed's own page: the element is its main,
// under a heading for screen readers (the host's page has its own).
const main = document.createElement('main');
const heading = document.createElement('h1');
heading.className = 'visually-hidden';
heading.textContent = 'queuelab playground';
main.append(heading, lab);
document.body.append(main);

let hostOrigin = null;
function post(msg) {
  if (hostOrigin === null || window.parent === window) return;
  window.parent.postMessage(msg, hostOrigin);
}

let ready = false;
lab.addEventListener('ql-ready', () => { ready = true; post({ type: 'ready' }); sendHeight(); });
lab.addEventListener('ql-status', (e) => post({ type: 'status', status: e.detail.status }));
lab.addEventListener('ql-tick', (e) => post({ type: 'tick', t_us: e.detail.timeUs, status: e.detail.status }));

let lastHeight = -1;
function sendHeight() {
  const h = Math.ceil(document.documentElement.getBoundingClientRect().height);
  if (h === lastHeight) return;
  lastHeight = h;
  post({ type: 'height', height: h });
}
new ResizeObserver(sendHeight).observe(document.documentElement);

function reply(id, error) {
  if (error) post({ type: 'error', id: id ?? null, message: error });
  else post({ type: 'ok', id: id ?? null });
}

function text(v, max = 200) {
  return String(v).slice(0, max);
}

function handle(msg) {
  switch (msg.type) {
    case 'load': return lab.load({ preset: msg.preset, scenario: msg.scenario, link: msg.link });
    case 'play': return lab.play();
    case 'pause': return lab.pause();
    case 'step': return lab.step();
    case 'reset': return lab.reset();
    case 'seek': return lab.seek(msg.t_us);
    case 'speed': {
      const s = Number(msg.speed);
      if (!Number.isFinite(s) || s < 0.1 || s > 1000) throw new Error(`speed must be from 0.1 to 1000, got ${text(msg.speed, 40)}`);
      lab.setAttribute('speed', String(s));
      return undefined;
    }
    case 'command': return lab.command(msg.command);
    default: throw new Error(`unknown message type "${text(msg.type, 40)}"`);
  }
}

window.addEventListener('message', async (e) => {
  if (window.parent === window || e.source !== window.parent) return; // only the parent is heard
  const msg = e.data;
  if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return;
  if (msg.type === 'PING') {
    hostOrigin = e.origin === 'null' ? '*' : e.origin; // a sandboxed (opaque-origin) parent can only be reached with '*'
    post({ type: 'PONG' });
    if (ready) { post({ type: 'ready' }); lastHeight = -1; sendHeight(); }
    return;
  }
  if (hostOrigin === null) return; // the handshake comes first
  if (msg.type !== 'load' && !lab.ready) {
    reply(msg.id, 'not ready yet: wait for {type: "ready"}');
    return;
  }
  try {
    await handle(msg);
    reply(msg.id);
  } catch (err) {
    reply(msg.id, text(err && err.message ? err.message : err, 2000));
  }
});
