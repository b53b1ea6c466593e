// Draws the simulation and sends input; all behaviour lives in the engine.
import init, { Toy } from './pkg/queuelab_wasm.js';

const $ = (id) => document.getElementById(id);

async function main() {
  await init();
  const sim = new Toy(3, 100_000, 250_000);
  let playing = true;
  let last = performance.now();

  $('play').addEventListener('click', () => {
    playing = !playing;
    $('play').textContent = playing ? 'Pause' : 'Play';
    $('play').setAttribute('aria-pressed', String(playing));
  });

  function frame(now) {
    const dt = Math.min(now - last, 100);
    last = now;
    if (playing) sim.advance(dt * 1000);
    const s = sim.snapshot();
    $('time').textContent = `${(s.time_us / 1e6).toFixed(2)} s`;
    $('sent').textContent = s.sent;
    $('received').textContent = s.received;
    $('buffer').textContent = `${s.buffer_len} / ${s.capacity}`;
    $('status').textContent = s.producer_blocked ? 'producer blocked: buffer full' : '';
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
}

main().catch((e) => {
  $('status').textContent = `Could not start the engine: ${e.message}`;
  console.error(e);
});
