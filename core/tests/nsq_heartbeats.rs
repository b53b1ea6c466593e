//! Heartbeats and read deadlines across a cut link (nsqd
//! `protocol_v2.go` `IOLoop`: read deadline 2 x heartbeat interval = 60 s;
//! go-nsq `conn.go`: `ReadTimeout` 60 s, reconnect after a close): while a
//! link is cut nothing passes and each side notices only by its own
//! timeouts.

use queuelab::observe::trace::EventKind;
use queuelab::scenario::Scenario;
use queuelab::time::{SimDuration, SimTime};
use queuelab::world::World;

/// Consumers a and b on channel jobs of nsqd-1 (no lookupd: a closed
/// connection is retried every 5 s); a producer publishes every ~100 ms.
/// msg_timeout 2 min, so in-flight messages outlive nsqd's 60 s deadline.
const TWO: &str = r#"{
  "name": "heartbeats", "seed": 11,
  "nsq": {
    "latency": "exp(1ms)",
    "nsqd": [{ "name": "nsqd-1", "msg_timeout": "2m", "topics": [{ "name": "events", "channels": ["jobs"] }] }],
    "consumers": [
      { "name": "a", "topic": "events", "channel": "jobs", "nsqd": ["nsqd-1"], "max_in_flight": 3, "handlers": 1, "work": "exp(20ms)", "lookupd_poll_interval": "5s" },
      { "name": "b", "topic": "events", "channel": "jobs", "nsqd": ["nsqd-1"], "max_in_flight": 3, "handlers": 1, "work": "exp(20ms)", "lookupd_poll_interval": "5s" }
    ]
  },
  "goroutines": [
    { "name": "producer", "behavior": { "program": [
      { "forever": [{ "sleep": "exp(100ms)" }, { "publish": { "nsqd": "nsqd-1", "topic": "events" } }] }
    ] } }
  ]
}"#;

fn world() -> World {
    World::new(&Scenario::from_json(TWO).expect("valid")).expect("builds")
}

fn at(s: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(s)
}

fn cmd(json: &str) -> queuelab::command::Command {
    serde_json::from_str(json).expect("a command")
}

/// (time, aux) of every heartbeat timeout.
fn timeouts(w: &World) -> Vec<(SimTime, i64)> {
    w.trace().events().filter(|e| e.kind == EventKind::NsqHeartbeatTimeout).map(|e| (e.time, e.aux)).collect()
}

fn clients(w: &World) -> Vec<String> {
    let v = w.snapshot().nsq.expect("nsq");
    let ch = v.nodes[0].topics[0].channels.iter().find(|c| c.name == "jobs").expect("jobs").clone();
    ch.clients.iter().map(|c| c.name.split(' ').next().unwrap_or("").to_string()).collect()
}

#[test]
fn without_a_cut_nothing_times_out() {
    let mut w = world();
    w.run_until(at(300));
    assert!(timeouts(&w).is_empty());
    assert_eq!(clients(&w).len(), 2);
}

#[test]
fn a_cut_shorter_than_the_deadlines_closes_nothing() {
    let mut w = world();
    w.run_until(at(10));
    w.apply(&cmd(r#"{"op":"cut_link","client":"a","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(at(50));
    w.apply(&cmd(r#"{"op":"heal_link","client":"a","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(at(200));
    assert!(timeouts(&w).is_empty(), "{:?}", timeouts(&w));
    assert_eq!(w.trace().events().filter(|e| e.kind == EventKind::NsqConnClosed).count(), 0);
    w.check_nsq_book().unwrap();
}

#[test]
fn a_cut_consumer_is_closed_by_nsqd_after_60s_and_its_messages_go_to_another() {
    let mut w = world();
    w.run_until(at(10));
    w.apply(&cmd(r#"{"op":"cut_link","client":"a","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(at(39));
    assert!(timeouts(&w).is_empty(), "nobody notices within 30 s");
    assert_eq!(clients(&w).len(), 2, "nsqd still holds a");
    w.run_until(at(75));
    let t = timeouts(&w);
    // nsqd (side 0) and the client (side 1) each closed within 60 s of
    // the last thing heard, so within [10 s + 30 s, 10 s + 60 s].
    let srv: Vec<_> = t.iter().filter(|(_, aux)| aux >> 16 == 0).collect();
    let cli: Vec<_> = t.iter().filter(|(_, aux)| aux >> 16 == 1).collect();
    assert_eq!(srv.len(), 1, "{t:?}");
    assert_eq!(cli.len(), 1, "{t:?}");
    for (time, _) in &t {
        assert!(*time >= at(40) && *time <= at(70), "{t:?}");
    }
    assert_eq!(clients(&w), ["b"], "nsqd dropped a");
    w.check_nsq_book().unwrap();
    // a's in-flight messages wait for their 2 min msg timeout, then b gets them.
    let timed_out_before = w.trace().events().filter(|e| e.kind == EventKind::NsqTimeout).count();
    assert_eq!(timed_out_before, 0);
    w.run_until(at(135));
    let timed_out: Vec<_> = w.trace().events().filter(|e| e.kind == EventKind::NsqTimeout).map(|e| e.time).collect();
    assert!(!timed_out.is_empty(), "a's in-flight messages timed out");
    assert!(timed_out.iter().all(|t| *t >= at(120) && *t <= at(131)), "{timed_out:?}");
    w.run_until(at(140));
    // Heal: a reconnects at its next retry (every 5 s).
    w.apply(&cmd(r#"{"op":"heal_link","client":"a","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(at(147));
    let mut c = clients(&w);
    c.sort();
    assert_eq!(c, ["a", "b"], "a reconnected");
    w.check_nsq_book().unwrap();
    w.run_until(at(200));
    let g = &w.snapshot().nsq.expect("nsq").guarantees[0];
    assert!(g.lost.is_empty(), "{g:?}");
    // The messages nsqd pushed to a during the cut never arrived: b
    // handled them once each, after their timeout.
    assert!(g.published - g.finished <= 3, "{g:?}");
}

#[test]
fn nsqd_learns_of_a_consumer_that_crashed_across_a_cut_only_by_its_deadline() {
    let mut w = world();
    w.run_until(at(10));
    w.apply(&cmd(r#"{"op":"cut_link","client":"a","nsqd":"nsqd-1"}"#)).unwrap();
    w.apply(&cmd(r#"{"op":"consumer_crash","consumer":"a"}"#)).unwrap();
    w.run_until(at(30));
    assert_eq!(clients(&w).len(), 2, "nsqd did not hear the close");
    w.run_until(at(75));
    assert_eq!(clients(&w), ["b"]);
    let t = timeouts(&w);
    assert_eq!(t.len(), 1, "only nsqd's side: the client is gone {t:?}");
    w.check_nsq_book().unwrap();
}

#[test]
fn a_heal_tells_nsqd_of_a_close_it_had_not_heard() {
    let mut w = world();
    w.run_until(at(10));
    w.apply(&cmd(r#"{"op":"cut_link","client":"a","nsqd":"nsqd-1"}"#)).unwrap();
    w.apply(&cmd(r#"{"op":"consumer_crash","consumer":"a"}"#)).unwrap();
    w.run_until(at(20));
    w.apply(&cmd(r#"{"op":"heal_link","client":"a","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(at(21));
    assert_eq!(clients(&w), ["b"], "the client's close arrived");
    assert!(timeouts(&w).is_empty());
    // Restarted while healed: it connects at once.
    w.apply(&cmd(r#"{"op":"consumer_start","consumer":"a"}"#)).unwrap();
    w.run_until(at(22));
    assert_eq!(clients(&w).len(), 2);
    w.check_nsq_book().unwrap();
}

#[test]
fn a_node_crash_across_a_cut_is_learnt_at_the_heal() {
    let mut w = world();
    w.run_until(at(10));
    w.apply(&cmd(r#"{"op":"cut_link","client":"a","nsqd":"nsqd-1"}"#)).unwrap();
    w.apply(&cmd(r#"{"op":"nsqd_crash","nsqd":"nsqd-1"}"#)).unwrap();
    let closed = |w: &World| w.trace().events().filter(|e| e.kind == EventKind::NsqConnClosed).count();
    let before = closed(&w);
    assert_eq!(before, 1, "b noticed at once, a did not");
    w.run_until(at(20));
    w.apply(&cmd(r#"{"op":"heal_link","client":"a","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(at(22));
    assert_eq!(closed(&w), 2, "a read EOF at the heal");
    assert!(timeouts(&w).is_empty());
}

#[test]
fn a_cut_producer_gets_an_error_after_its_read_timeout() {
    let mut w = world();
    w.run_until(at(10));
    w.apply(&cmd(r#"{"op":"cut_link","client":"producer","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(at(80));
    let failed: Vec<_> = w.trace().events().filter(|e| e.kind == EventKind::NsqPublishFailed).map(|e| e.time).collect();
    assert!(!failed.is_empty(), "the waiting Publish failed");
    assert!(failed[0] >= at(40) && failed[0] <= at(70), "{failed:?}");
    // Later publishes dial across the cut and fail after 1 s each.
    assert!(failed.len() > 3, "{failed:?}");
    w.apply(&cmd(r#"{"op":"heal_link","client":"producer","nsqd":"nsqd-1"}"#)).unwrap();
    let published = w.snapshot().nsq.expect("nsq").nodes[0].topics[0].message_count;
    w.run_until(at(90));
    assert!(w.snapshot().nsq.expect("nsq").nodes[0].topics[0].message_count > published + 10, "publishing again");
    w.check_nsq_book().unwrap();
}

/// A shared link replays a run with cuts, timeouts and heals exactly.
#[test]
fn heartbeat_timeouts_replay_exactly() {
    let mut w = world();
    for (t, c) in [
        (10, r#"{"op":"cut_link","client":"a","nsqd":"nsqd-1"}"#),
        (20, r#"{"op":"cut_link","client":"producer","nsqd":"nsqd-1"}"#),
        (100, r#"{"op":"heal_link","client":"a","nsqd":"nsqd-1"}"#),
        (110, r#"{"op":"heal_link","client":"producer","nsqd":"nsqd-1"}"#),
    ] {
        w.run_until(at(t));
        w.apply(&cmd(c)).unwrap();
    }
    w.run_until(at(150));
    assert!(!timeouts(&w).is_empty());
    let mut replay = World::from_json(&w.scenario_with_log().to_json()).unwrap();
    replay.run_until(at(150));
    assert_eq!(replay.trace_hash(), w.trace_hash());
}

/// One consumer on nsqd-1 with one handler that works `work`, and
/// `max_in_flight` messages in flight (msg_timeout 2 min, so nothing
/// times out before nsqd's 60 s read deadline); a producer publishes 6
/// messages at once. With `touch`, the handler TOUCHes every 20 s.
fn slow(max_in_flight: u32, work: &str, touch: bool) -> World {
    let touch = if touch { r#", "touch_every": "20s""# } else { "" };
    let json = format!(
        r#"{{
  "name": "slow-handler", "seed": 5,
  "nsq": {{
    "latency": "1ms",
    "nsqd": [{{ "name": "nsqd-1", "msg_timeout": "2m", "topics": [{{ "name": "events", "channels": ["jobs"] }}] }}],
    "consumers": [{{ "name": "a", "topic": "events", "channel": "jobs", "nsqd": ["nsqd-1"], "max_in_flight": {max_in_flight}, "handlers": 1, "work": "{work}", "lookupd_poll_interval": "5s"{touch} }}]
  }},
  "goroutines": [{{ "name": "producer", "behavior": {{ "program": [
    {{ "repeat": {{ "times": 6, "body": [{{ "publish": {{ "nsqd": "nsqd-1", "topic": "events" }} }}] }} }}
  ] }} }}]
}}"#
    );
    World::new(&Scenario::from_json(&json).expect("valid")).expect("builds")
}

/// go-nsq `conn.go` `readLoop`: a heartbeat is answered (`NOP`) only when
/// the loop reads it, and the loop blocks in `OnMessage` handing a message
/// to the handlers (`consumer.go` `onConnMessage`: `r.incomingMessages <-
/// msg`); nsqd `protocol_v2.go` `IOLoop` closes a client it hears no
/// command from for 2 heartbeat intervals. SEMANTICS 2.5: "A go-nsq
/// handler that blocks the connection's reader can miss heartbeat replies
/// this way."
#[test]
fn a_reader_blocked_behind_a_slow_handler_is_closed_by_nsqd_with_the_link_up() {
    // max_in_flight 2, one handler working 70 s: the handler holds the
    // first message, the reader blocks holding the second from ~0 s, and
    // nothing reaches nsqd until the FIN at 70 s.
    let mut w = slow(2, "70s", false);
    w.run_until(at(59));
    assert!(timeouts(&w).is_empty(), "{:?}", timeouts(&w));
    w.run_until(at(62));
    let t = timeouts(&w);
    assert_eq!(t.len(), 1, "{t:?}");
    let (time, aux) = t[0];
    assert_eq!(aux >> 16, 2, "nsqd's side, the reader blocked: {t:?}");
    assert!(time >= at(60) && time < at(61), "60 s after the client's RDY: {t:?}");
    let why = w.trace().events().find(|e| e.kind == EventKind::NsqHeartbeatTimeout).map(|e| w.describe(e, "")).unwrap_or_default();
    assert!(why.contains("reader was blocked handing a message to busy handlers"), "{why}");
    w.check_nsq_book().unwrap();
    // The handler's FINs (at 70 s and 140 s) have no connection to go on;
    // both messages time out at nsqd (2 min after their delivery). go-nsq
    // reconnects 5 s after its handlers answered the second (145 s), and
    // the two come again after the four behind them: handled twice.
    w.run_until(at(600));
    w.check_nsq_book().unwrap();
    let g = &w.snapshot().nsq.expect("nsq").guarantees[0];
    assert!(g.handled_more_than_once >= 1, "{g:?}");
}

/// go-nsq `conn.go`: after nsqd closes the socket, `readLoop` reads what is
/// still in it, handing each message to the handlers, then EOF
/// (`OnIOError` -> `Close`); `cleanup` waits until every message of the
/// connection has been answered, and only `waitForCleanup` calls
/// `OnClose`, where the consumer reconnects (`onConnClose`). The answers
/// go nowhere: nsqd forgot the client.
#[test]
fn a_closed_connection_is_read_to_its_end_and_answered_before_the_consumer_reconnects() {
    // max_in_flight 4, one handler working 70 s: the handler holds #1, the
    // reader blocks holding #2, and #3 and #4 wait in the socket. nsqd
    // closes the connection at ~60 s.
    let mut w = slow(4, "70s", false);
    w.run_until(at(100));
    assert_eq!(timeouts(&w).len(), 1, "{:?}", timeouts(&w));
    let reader = w.snapshot().goroutines.into_iter().find(|g| g.group == "a.conn1").expect("the reader");
    assert!(
        reader.state_text.contains("nsqd-1 has closed the connection: go-nsq reads EOF once a handler takes this message and the 1 message still in its socket"),
        "{}",
        reader.state_text
    );
    let reader_text = |w: &World| w.snapshot().goroutines.into_iter().find(|g| g.group == "a.conn1").expect("the reader").state_text;
    // At 210 s the handler takes #4, the last: the reader reads EOF, and
    // the connection closes on go-nsq's side once #4 is answered.
    w.run_until(at(250));
    let text = reader_text(&w);
    assert!(text.contains("the connection is closing: go-nsq waits until its handlers have answered the 1 message(s)"), "{text}");
    w.run_until(at(282));
    let text = reader_text(&w);
    assert!(text.contains("the connection is closed: go-nsq reconnects on its own schedule"), "{text}");
    w.run_until(at(400));
    let events: Vec<_> = w.trace().events().cloned().collect();
    let closed: Vec<SimTime> = events.iter().filter(|e| e.kind == EventKind::NsqConnClosed).map(|e| e.time).collect();
    let fins: Vec<_> = events.iter().filter(|e| e.kind == EventKind::NsqFinish).collect();
    // The four are handled one after the other (70, 140, 210, 280 s), each
    // FIN lost; the connection is closed on go-nsq's side after the last.
    assert!(fins.len() >= 4, "{fins:?}");
    assert!(fins[..4].iter().all(|e| e.aux == 1), "lost, on nsqd-1 (node 0): {fins:?}");
    assert!(w.describe(fins[0], "").contains("FIN is lost"), "{}", w.describe(fins[0], ""));
    let place = w.event_view(fins[0]).nsq.expect("an NSQ place");
    assert!(place.lost && place.nsqd.as_deref() == Some("nsqd-1"), "{place:?}");
    // A REQ lost the same way (aux -1 - node) reads alike; one that went
    // out carries its delay.
    let req = queuelab::observe::trace::TraceEvent { kind: EventKind::NsqRequeue, aux: -1, ..*fins[0] };
    assert_eq!(req.lost_answer_node(), Some(0));
    assert!(w.describe(&req, "x#1").ends_with("the handler failed on x#1: REQ, but nsqd-1 has closed this connection: the REQ is lost on the way"), "{}", w.describe(&req, "x#1"));
    let sent = queuelab::observe::trace::TraceEvent { aux: 500_000, ..req };
    assert_eq!(sent.lost_answer_node(), None);
    assert!(w.describe(&sent, "x#1").ends_with("REQ with delay 500ms"), "{}", w.describe(&sent, "x#1"));
    assert_eq!(closed.first().copied(), Some(fins[3].time), "{closed:?}");
    assert!(fins[3].time >= at(280) && fins[3].time < at(281), "{fins:?}");
    // Then the retry after lookupd_poll_interval (5 s).
    let connected: Vec<SimTime> = events.iter().filter(|e| e.kind == EventKind::NsqConnected).map(|e| e.time).collect();
    assert_eq!(connected.len(), 2, "{connected:?}");
    assert!(connected[1] >= fins[3].time + SimDuration::from_secs(5) && connected[1] < fins[3].time + SimDuration::from_secs(6), "{connected:?}");
    // nsqd had none of those FINs: nothing finished.
    assert_eq!(w.snapshot().nsq.expect("nsq").guarantees[0].finished, 0);
    w.check_nsq_book().unwrap();
}

#[test]
fn commands_from_the_handlers_keep_a_blocked_readers_connection() {
    // FINs every 45 s: nsqd never waits 60 s for a command.
    let mut w = slow(2, "45s", false);
    w.run_until(at(300));
    assert!(timeouts(&w).is_empty(), "{:?}", timeouts(&w));
    // TOUCH every 20 s does the same for a 70 s handler.
    let mut w = slow(2, "70s", true);
    w.run_until(at(300));
    assert!(timeouts(&w).is_empty(), "{:?}", timeouts(&w));
    w.check_nsq_book().unwrap();
}

#[test]
fn a_reader_with_nothing_to_hand_over_answers_every_heartbeat() {
    // max_in_flight 1 (no more in flight than handlers): the reader
    // never blocks, whatever the handler's pace.
    let mut w = slow(1, "70s", false);
    w.run_until(at(300));
    assert!(timeouts(&w).is_empty(), "{:?}", timeouts(&w));
    assert_eq!(w.snapshot().nsq.expect("nsq").guarantees[0].handled_more_than_once, 0);
}

/// go-nsq PR #348 (nsqio/go-nsq): a handler stuck on a message past its
/// msg_timeout; nsqd times the message out and, the consumer's RDY 1 free
/// again, sends it again to the same consumer, whose reader blocks handing
/// it to the busy handler: no heartbeat is answered, and nsqd drops the
/// client 60 s after the last thing it heard. With a msg_timeout longer
/// than the work (15 min against 10), nothing of this happens.
#[test]
fn a_message_redelivered_to_its_busy_handler_blocks_the_reader() {
    let json = |msg_timeout: &str, work: &str| {
        format!(
            r#"{{
  "name": "stuck-handler", "seed": 1,
  "nsq": {{
    "latency": "1ms",
    "nsqd": [{{ "name": "nsqd-1", "msg_timeout": "{msg_timeout}", "topics": [{{ "name": "events", "channels": ["jobs"] }}] }}],
    "consumers": [{{ "name": "a", "topic": "events", "channel": "jobs", "nsqd": ["nsqd-1"], "max_in_flight": 1, "handlers": 1, "work": "{work}", "lookupd_poll_interval": "5m" }}]
  }},
  "goroutines": [{{ "name": "producer", "behavior": {{ "program": [{{ "publish": {{ "nsqd": "nsqd-1", "topic": "events" }} }}] }} }}]
}}"#
        )
    };
    let mut w = World::new(&Scenario::from_json(&json("60s", "1h")).expect("valid")).expect("builds");
    w.run_until(at(200));
    w.check_nsq_book().unwrap();
    let timed_out: Vec<_> = w.trace().events().filter(|e| e.kind == EventKind::NsqTimeout).map(|e| e.time).collect();
    assert!(!timed_out.is_empty() && timed_out[0] >= at(60) && timed_out[0] < at(61), "{timed_out:?}");
    let t = timeouts(&w);
    assert_eq!(t.len(), 1, "{t:?}");
    // The reader answered the tick at 60 s, just before the message came
    // back (60 s + the link's 1 ms): nsqd's deadline is 60 s later.
    assert_eq!(t[0].1 >> 16, 2, "{t:?}");
    assert!(t[0].0 >= at(120) && t[0].0 < at(121), "{t:?}");

    let mut w = World::new(&Scenario::from_json(&json("15m", "10m")).expect("valid")).expect("builds");
    w.run_until(at(600));
    assert!(timeouts(&w).is_empty(), "{:?}", timeouts(&w));
}

/// A random slow consumer on nsqd-1 (with a second consumer sharing its
/// channel), a producer publishing every few seconds, and maybe a cut of
/// the slow consumer's link.
fn random_slow(max_in_flight: u32, handlers: u32, work: &str, touch: Option<u32>, cut: Option<(u64, u64)>, seed: u64) -> World {
    let touch = touch.map_or(String::new(), |s| format!(r#", "touch_every": "{s}s""#));
    let commands = cut.map_or(String::new(), |(at, len)| {
        format!(
            r#", "commands": [{{ "at": "{at}s", "command": {{ "op": "cut_link", "client": "a", "nsqd": "nsqd-1" }} }}, {{ "at": "{}s", "command": {{ "op": "heal_link", "client": "a", "nsqd": "nsqd-1" }} }}]"#,
            at + len
        )
    });
    let json = format!(
        r#"{{
  "name": "random-slow", "seed": {seed},
  "nsq": {{
    "latency": "exp(2ms)",
    "nsqd": [{{ "name": "nsqd-1", "msg_timeout": "3m", "topics": [{{ "name": "events", "channels": ["jobs"] }}] }}],
    "consumers": [
      {{ "name": "a", "topic": "events", "channel": "jobs", "nsqd": ["nsqd-1"], "max_in_flight": {max_in_flight}, "handlers": {handlers}, "work": "{work}", "lookupd_poll_interval": "10s"{touch} }},
      {{ "name": "b", "topic": "events", "channel": "jobs", "nsqd": ["nsqd-1"], "max_in_flight": 1, "work": "exp(1s)", "lookupd_poll_interval": "10s" }}
    ]
  }},
  "goroutines": [{{ "name": "producer", "behavior": {{ "program": [
    {{ "forever": [{{ "sleep": "exp(4s)" }}, {{ "publish": {{ "nsqd": "nsqd-1", "topic": "events" }} }}] }}
  ] }} }}]{commands}
}}"#
    );
    World::new(&Scenario::from_json(&json).expect("valid")).expect("builds")
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..proptest::prelude::ProptestConfig::default() })]
    /// Random slow consumers, with and without TOUCH and cuts: the
    /// guarantees book stays exact (every copy in one place) all along;
    /// without a cut or a timeout, a reader with no more messages in flight
    /// than handlers never blocks, so nsqd never drops it for that; and a
    /// run replays exactly.
    #[test]
    fn blocked_readers_keep_the_books_exact(
        max_in_flight in 1u32..5,
        handlers in 1u32..3,
        work in proptest::sample::select(vec!["20s", "45s", "70s", "uniform(30s..100s)", "exp(50s)"]),
        touch in proptest::option::weighted(0.3, 5u32..40),
        cut in proptest::option::weighted(0.3, (1u64..200, 1u64..120)),
        seed in 0u64..1000,
    ) {
        let mut w = random_slow(max_in_flight, handlers, work, touch, cut, seed);
        let end = at(480);
        while w.is_running() && !w.run_until_bounded(end, 50) {
            w.check_nsq_book().map_err(|e| proptest::test_runner::TestCaseError::fail(format!("at {}: {e}", w.now())))?;
        }
        w.check_nsq_book().map_err(proptest::test_runner::TestCaseError::fail)?;
        let blocked: Vec<_> = timeouts(&w).into_iter().filter(|(_, aux)| aux >> 16 == 2).collect();
        let timed_out = w.trace().events().any(|e| e.kind == EventKind::NsqTimeout);
        if max_in_flight <= handlers && cut.is_none() && !timed_out {
            // (After a cut, a new connection's messages can meet handlers
            // still busy with the old one's; after a timeout, nsqd sends
            // the message again while its handler still works on it: see
            // `a_message_redelivered_to_its_busy_handler_blocks_the_reader`.)
            proptest::prop_assert!(blocked.is_empty(), "a reader with a free handler never blocks: {blocked:?}");
        }
        let mut again = random_slow(max_in_flight, handlers, work, touch, cut, seed);
        again.run_until(end);
        proptest::prop_assert_eq!(again.trace_hash(), w.trace_hash());
    }
}

/// One consumer (`max_in_flight` 2, one handler working 1 s) 500 ms from
/// nsqd-1; a producer publishes 2 messages, which nsqd pushes at 1.5 s:
/// both are on their way to the consumer (arriving at 2.0 s) from 1.5 s on.
fn far() -> World {
    let json = r#"{
  "name": "in-transit", "seed": 5,
  "nsq": {
    "latency": "500ms",
    "nsqd": [{ "name": "nsqd-1", "topics": [{ "name": "events", "channels": ["jobs"] }] }],
    "consumers": [{ "name": "a", "topic": "events", "channel": "jobs", "nsqd": ["nsqd-1"], "max_in_flight": 2, "handlers": 1, "work": "1s", "lookupd_poll_interval": "5s" }]
  },
  "goroutines": [{ "name": "producer", "behavior": { "program": [
    { "repeat": { "times": 2, "body": [{ "publish": { "nsqd": "nsqd-1", "topic": "events" } }] } }
  ] } }]
}"#;
    World::new(&Scenario::from_json(json).expect("valid")).expect("builds")
}

fn ms(x: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_millis(x)
}

/// TCP delivers what a side wrote before its FIN: messages nsqd pushed
/// just before closing the connection (here: deleting the channel) still
/// reach go-nsq, whose `readLoop` hands them to the handlers and only then
/// reads EOF (`conn.go` `readLoop`); their FINs go nowhere, and the
/// connection closes on go-nsq's side once both are answered
/// (`cleanup`). Across a cut, the messages and the close wait for the
/// heal, in that order.
#[test]
fn messages_nsqd_wrote_before_its_close_still_arrive_and_are_handled() {
    let delete = cmd(r#"{"op":"nsq","action":"delete","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#);
    let kinds = |w: &World, k: EventKind| -> Vec<SimTime> { w.trace().events().filter(|e| e.kind == k).map(|e| e.time).collect() };

    // Link up: the channel is deleted at 1.8 s, both messages on the wire.
    let mut w = far();
    w.run_until(ms(1_800));
    w.apply(&delete).unwrap();
    w.run_until(ms(12_000));
    assert_eq!(kinds(&w, EventKind::NsqMessage), vec![ms(2_000), ms(2_000)], "both arrive after the close");
    let fins: Vec<_> = w.trace().events().filter(|e| e.kind == EventKind::NsqFinish).map(|e| (e.time, e.aux)).collect();
    assert_eq!(fins, vec![(ms(3_000), 1), (ms(4_000), 1)], "handled one after the other, each FIN lost on nsqd-1");
    assert_eq!(kinds(&w, EventKind::NsqConnClosed), vec![ms(4_000)], "EOF read after both; closed once both are answered");
    // The retry 5 s later (SUB and its answer take 1 s) re-creates the channel.
    assert_eq!(kinds(&w, EventKind::NsqConnected), vec![ms(1_000), ms(10_000)]);
    let g = &w.snapshot().nsq.expect("nsq").guarantees[0];
    assert_eq!((g.published, g.handled_once, g.finished), (2, 2, 0), "{g:?}");
    w.check_nsq_book().unwrap();

    // The node crashes at 1.9 s, its close already on its way: nothing
    // changes for the client (it learns of the crash from that close).
    let mut w = far();
    w.run_until(ms(1_800));
    w.apply(&delete).unwrap();
    w.run_until(ms(1_900));
    w.apply(&cmd(r#"{"op":"nsqd_crash","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(ms(12_000));
    assert_eq!(kinds(&w, EventKind::NsqMessage), vec![ms(2_000), ms(2_000)]);
    assert_eq!(kinds(&w, EventKind::NsqConnClosed), vec![ms(4_000)], "closed once, after both");
    w.check_nsq_book().unwrap();

    // Across a cut: cut at 1.8 s, channel deleted at 1.9 s, healed at 5 s.
    let mut w = far();
    w.run_until(ms(1_800));
    w.apply(&cmd(r#"{"op":"cut_link","client":"a","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(ms(1_900));
    w.apply(&delete).unwrap();
    w.run_until(ms(5_000));
    assert!(kinds(&w, EventKind::NsqMessage).is_empty(), "they wait on the cut");
    w.apply(&cmd(r#"{"op":"heal_link","client":"a","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(ms(20_000));
    assert_eq!(kinds(&w, EventKind::NsqMessage), vec![ms(5_500), ms(5_500)], "after the heal, each with a fresh latency");
    let fins: Vec<SimTime> = kinds(&w, EventKind::NsqFinish);
    assert_eq!(fins, vec![ms(6_500), ms(7_500)]);
    assert_eq!(kinds(&w, EventKind::NsqConnClosed), vec![ms(7_500)], "the close came behind them");
    w.check_nsq_book().unwrap();
}
