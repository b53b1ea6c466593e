// The playground's markup: static, no data in it (everything the engine says
// goes in later through textContent). One copy, stamped into each
// `<queue-lab>`'s shadow root; the views (full, compact, stage) and the
// `panels` attribute show or hide parts of it with CSS (style.css).

export const MARKUP = `<div class="ql" data-view="full" data-panels="charts log inspector controls admin">
  <header class="top">
    <div class="brand">
      <h1>queuelab</h1>
      <p class="tagline">Go channels, NSQ and Kafka, simulated exactly: watch goroutines block, messages flow, time out and come back, partitions move.</p>
    </div>
    <div class="scenario">
      <label for="preset">Scenario</label>
      <select id="preset"></select>
      <p id="preset-description" class="description"></p>
      <button id="description-more" class="description-more" type="button" hidden aria-expanded="false" aria-controls="preset-description">More</button>
    </div>
    <a id="compare-link" class="compare-link" href="compare.html" target="_blank" rel="noopener"
       title="Open this scenario twice, side by side in lock-step: change B, then Reset both">Compare with…</a>
  </header>

  <div class="toolbar" role="navigation" aria-label="Simulation controls">
    <div class="group">
      <button id="play" type="button" class="primary" aria-pressed="true" aria-keyshortcuts="Space" title="Play / pause (Space)">Pause</button>
      <button id="step" type="button" aria-keyshortcuts="ArrowRight" title="Go on to the next visible change (→)">Step</button>
      <button id="reset" type="button" title="Restart your design from 0s: the scenario with your changes (capacities, counts, rates, added goroutines)">Reset</button>
      <button id="revert" type="button" disabled title="Revert to the preset: the scenario as it was loaded, without your changes">Revert</button>
    </div>
    <div class="group speed">
      <label for="speed">Speed</label>
      <input id="speed" type="range" min="-1" max="3" step="any" value="0" aria-keyshortcuts="+ -" aria-describedby="speed-value">
      <output id="speed-value" for="speed">1×</output>
      <span id="speed-lag" class="lag" role="status" data-shown="false"></span>
    </div>
    <div class="group clock-group">
      <span class="clock-label">virtual time</span>
      <span id="clock" class="clock" aria-live="off">0s</span>
      <span id="status" class="status-pill" data-status="running">running</span>
      <span id="status-text" class="status-text"></span>
    </div>
    <div class="group open-full">
      <a id="open-full" href="index.html" target="_blank" rel="noopener">Open in the full playground</a>
    </div>
    <div class="group seed">
      <label for="seed">Seed</label>
      <input id="seed" type="number" min="0" max="9007199254740991" step="1" inputmode="numeric" aria-describedby="seed-error">
      <span id="seed-error" class="inline-error" role="status"></span>
    </div>
    <div class="group share">
      <button id="share" type="button" title="Put this exact run in the address bar and copy the link">Copy link</button>
      <label class="visually-hidden" for="share-url">Link to this run</label>
      <input id="share-url" type="text" readonly placeholder="the link goes here">
    </div>
  </div>

  <div id="error" role="alert" class="error" hidden>
    <p id="error-text"></p>
    <button id="error-retry" type="button" class="small" hidden>Try again</button>
    <button id="error-dismiss" type="button" class="small" aria-label="Dismiss this message" aria-keyshortcuts="Escape">Dismiss</button>
  </div>

  <div class="layout" role="main">
    <section class="stage-area" aria-labelledby="stage-heading">
      <h2 id="stage-heading" class="visually-hidden">Stage</h2>
      <div id="deadlock-banner" role="alert" class="banner" hidden></div>
      <dl id="totals" class="totals" aria-label="Totals" title="produced = finished + processing + in buffers + held by senders + dropped (+ filtered, + published to NSQ or acked by Kafka: a value handed back by a client library, such as a success on Successes(), is a new value); delivered = received by a sink (finished or processing)"></dl>
      <div class="stage-wrap">
        <canvas id="stage" role="img" aria-label="The simulation stage"></canvas>
        <ul id="stage-list" class="stage-list" aria-label="Goroutines and channels on the stage"></ul>
        <div id="replay" class="replay" hidden>
          <p id="replay-text" role="status"></p>
          <progress id="replay-progress" max="1" value="0" aria-labelledby="replay-text"></progress>
          <button id="replay-cancel" type="button">Cancel (open at 0s instead)</button>
        </div>
      </div>
      <div id="timeline" class="timeline" data-behind="false">
        <div class="tl-row">
          <button id="back" type="button" aria-keyshortcuts="ArrowLeft" title="Go back to just before the last visible change (←)">◀ Back</button>
          <span class="tl-zero" aria-hidden="true">0s</span>
          <div class="tl-bar">
            <div class="tl-track" role="slider" tabindex="0" aria-label="Timeline: go to any earlier moment"
                 aria-valuemin="0" aria-valuemax="0" aria-valuenow="0" aria-keyshortcuts="ArrowLeft ArrowRight Home End PageUp PageDown">
              <div class="tl-explored"></div>
              <div class="tl-played"></div>
              <div class="tl-thumb"></div>
            </div>
            <div class="tl-marks"></div>
          </div>
          <span id="timeline-end" class="tl-end">0s</span>
          <button id="fork" type="button" disabled title="Drop the history after this moment, so you can change something and run a new future">Fork here</button>
        </div>
        <p id="timeline-note" class="tl-note" role="status" aria-live="polite">Drag the timeline or press ← to go back in time.</p>
      </div>
      <div id="legend" class="legend" role="group" aria-label="Legend"></div>
      <details id="about-model" class="about-model">
        <summary>About the model: what is exact, and where it departs from Go</summary>
        <p>Channels, <code>select</code>, <code>close</code>, WaitGroups and Go's deadlock verdict follow Go's runtime exactly:
          direct handoff to a waiting receiver, FIFO queues of parked senders and receivers, receivers draining a closed
          buffer before <code>ok == false</code>, <code>select</code> choosing uniformly among ready cases. A panic crashes
          the program, and so does <code>main</code> returning, as in Go.</p>
        <ul>
          <li>Channel operations take no virtual time; only work and sleep do. A goroutine that takes 10,000 steps (starts
            or loop turns) at one instant yields for 1 ms (about 100 ns a step, like a real channel operation), even when
            goroutines keep waking each other, so time always moves on.</li>
          <li>Changing a channel's capacity while it runs is beyond Go: growing admits waiting senders in order;
            shrinking never drops values, sends just block until <code>len &lt; cap</code>.</li>
          <li>Partial deadlocks (some goroutines stuck forever while others run) are flagged here; Go never reports them.</li>
          <li>Pausing, removing a goroutine and closing a channel from outside are playground powers with no Go equivalent.</li>
        </ul>
      </details>
    </section>

    <div id="nsq-area" class="nsq-area" hidden>
      <section id="nsq-panel" class="panel nsq-panel" aria-labelledby="nsqadmin-heading">
        <details id="nsqadmin-details" class="fold" open>
          <summary><h2 id="nsqadmin-heading">nsqadmin</h2></summary>
          <div id="nsqadmin"></div>
        </details>
      </section>
      <section id="guarantees-panel" class="panel guarantees-panel" aria-labelledby="guarantees-heading">
        <details id="guarantees-details" class="fold" open>
          <summary><h2 id="guarantees-heading">Guarantees: what NSQ did with each message</h2></summary>
          <div id="guarantees"></div>
        </details>
      </section>
    </div>

    <div id="kafka-area" class="nsq-area kafka-area" hidden>
      <section id="kafka-groups-panel" class="panel" aria-labelledby="kafka-groups-heading">
        <details id="kafka-groups-details" class="fold" open>
          <summary><h2 id="kafka-groups-heading">Consumer groups</h2></summary>
          <div id="kafka-groups"></div>
        </details>
      </section>
      <section id="kafka-topics-panel" class="panel" aria-labelledby="kafka-topics-heading">
        <details id="kafka-topics-details" class="fold" open>
          <summary><h2 id="kafka-topics-heading">Topics and brokers</h2></summary>
          <div id="kafka-topics"></div>
        </details>
      </section>
      <section id="kafka-guarantees-panel" class="panel" aria-labelledby="kafka-guarantees-heading">
        <details id="kafka-guarantees-details" class="fold" open>
          <summary><h2 id="kafka-guarantees-heading">Guarantees: what Kafka did with each record</h2></summary>
          <div id="kafka-guarantees"></div>
        </details>
      </section>
    </div>

    <aside class="side">
      <section id="inspector" class="panel inspector" aria-label="Inspector" tabindex="-1"></section>
      <details id="controls-panel" class="panel controls" open>
        <summary>Live controls</summary>
        <section id="nsq-controls" class="nsq-controls" aria-label="NSQ controls" hidden></section>
        <section id="kafka-controls" class="nsq-controls kafka-controls" aria-label="Kafka controls" hidden></section>
        <section aria-labelledby="channels-heading">
          <h3 id="channels-heading">Channels</h3>
          <div id="channels"></div>
        </section>
        <section aria-labelledby="groups-heading">
          <h3 id="groups-heading">Goroutine groups</h3>
          <p class="hint" id="dist-help">Durations like <code>150ms</code> or <code>2s</code>; random ones like
            <code>exp(100ms)</code>, <code>uniform(50ms..150ms)</code>, <code>normal(100ms ± 20ms)</code>.
            Press Enter to apply.</p>
          <div id="groups"></div>
        </section>
        <section aria-labelledby="add-heading">
          <h3 id="add-heading">Add channels and goroutines</h3>
          <div id="add"></div>
        </section>
      </details>
    </aside>

    <section class="panel charts-panel" aria-labelledby="charts-heading">
      <details id="charts-details" class="fold" open>
        <summary><h2 id="charts-heading">Over time</h2></summary>
        <div id="nsq-charts" class="nsq-charts" hidden></div>
        <div id="kafka-charts" class="nsq-charts kafka-charts" hidden></div>
        <div id="charts"></div>
      </details>
    </section>

    <section class="panel log-panel" aria-labelledby="log-heading">
      <details id="log-details" class="fold" open>
        <summary><h2 id="log-heading">Event log</h2></summary>
        <div id="eventlog"></div>
      </details>
    </section>
  </div>

  <pre id="bench-result" class="bench" hidden></pre>
</div>`;
